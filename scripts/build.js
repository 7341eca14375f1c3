// Builds dist/ with ncc: one minified ESM bundle that both the main and the post step run.
import { execFileSync } from 'node:child_process'
import { readdirSync, rmSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(fileURLToPath(import.meta.url), '../..')
const out = resolve(root, process.argv[2] ?? 'dist')

rmSync(out, { recursive: true, force: true })
execFileSync(
  process.execPath,
  [
    join(root, 'node_modules/@vercel/ncc/dist/ncc/cli.js'),
    'build',
    'src/index.ts',
    '-o',
    out,
    '--minify',
    '--license',
    'licenses.txt',
    '--quiet',
  ],
  { cwd: root, stdio: 'inherit' },
)

let total = 0
for (const name of readdirSync(out).filter((file) => file.endsWith('.js'))) {
  const size = statSync(join(out, name)).size
  total += size
  console.log(`${name.padEnd(12)} ${(size / 1024).toFixed(1)} KB`)
}
console.log(`${'total'.padEnd(12)} ${(total / 1024).toFixed(1)} KB of JavaScript in ${out === resolve(root, 'dist') ? 'dist/' : out}`)
