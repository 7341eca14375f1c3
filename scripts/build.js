// Builds dist/ with ncc: one minified ESM bundle per step, as action.yml names them
// (dist/main/index.js for runs.main, dist/post/index.js for runs.post), and beside it a chunk per
// provider (and per module several providers share), which the step imports only when it runs that
// provider. ncc minifies the entry only: the chunks are minified here, with esbuild.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { transformSync } from 'esbuild'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(fileURLToPath(import.meta.url), '../..')
const out = resolve(root, process.argv[2] ?? 'dist')
/** Step -> its entry module. */
export const ENTRIES = { main: 'src/entry/main.ts', post: 'src/entry/post.ts' }

rmSync(out, { recursive: true, force: true })
for (const [step, entry] of Object.entries(ENTRIES)) {
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules/@vercel/ncc/dist/ncc/cli.js'),
      'build',
      entry,
      '-o',
      join(out, step),
      '--minify',
      '--license',
      'licenses.txt',
      '--quiet',
    ],
    { cwd: root, stdio: 'inherit' },
  )
  for (const chunk of readdirSync(join(out, step)).filter((name) => /^\d+\.index\.js$/.test(name))) {
    const file = join(out, step, chunk)
    writeFileSync(file, transformSync(readFileSync(file, 'utf8'), { minify: true, format: 'esm', target: 'node24' }).code)
  }
  const size = statSync(join(out, step, 'index.js')).size
  console.log(`${relative(root, join(out, step, 'index.js')).padEnd(20)} ${(size / 1024).toFixed(1)} KB, and chunks loaded on demand`)
}
for (const step of readdirSync(out)) if (!(step in ENTRIES)) throw new Error(`unexpected ${step} in ${out}`)
