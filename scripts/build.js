// Builds dist/ with ncc: one minified ESM bundle per step, as action.yml names them
// (dist/main/index.js for runs.main, dist/post/index.js for runs.post).
import { execFileSync } from 'node:child_process'
import { readdirSync, rmSync, statSync } from 'node:fs'
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
  const size = statSync(join(out, step, 'index.js')).size
  console.log(`${relative(root, join(out, step, 'index.js')).padEnd(20)} ${(size / 1024).toFixed(1)} KB`)
}
for (const step of readdirSync(out)) if (!(step in ENTRIES)) throw new Error(`unexpected ${step} in ${out}`)
