// Cheap regression guard for the bundle size: fails when the JavaScript in dist/ (every .js, .mjs
// and .cjs file, in subfolders too) totals more than the limit. `npm run bench` measures the rest.
import { readdirSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** 600 KB, as in the benchmark's target (KB = 1024 bytes, as the build prints). */
const LIMIT_BYTES = 600 * 1024

const root = resolve(fileURLToPath(import.meta.url), '../..')
const dist = resolve(root, process.argv[2] ?? 'dist')
const shown = relative(root, dist).startsWith('..') ? dist : relative(root, dist)

function javascriptFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return javascriptFiles(path)
    return /\.(c|m)?js$/.test(entry.name) ? [path] : []
  })
}

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`

let files
try {
  files = javascriptFiles(dist)
} catch (error) {
  console.error(`check-size: cannot read ${shown}: ${error.message}. Run 'npm run build' first.`)
  process.exit(1)
}
if (files.length === 0) {
  console.error(`check-size: no JavaScript in ${shown}/. Run 'npm run build' first.`)
  process.exit(1)
}

const sizes = files.map((file) => ({ name: relative(dist, file), bytes: statSync(file).size })).sort((a, b) => b.bytes - a.bytes)
const total = sizes.reduce((sum, file) => sum + file.bytes, 0)
const where = `${shown}/`
const detail = sizes.map((file) => `${file.name} ${kb(file.bytes)}`).join(', ')

if (total > LIMIT_BYTES) {
  console.error(
    `check-size: ${where} JavaScript is ${kb(total)} (${total} bytes), over the ${kb(LIMIT_BYTES)} limit by ${kb(total - LIMIT_BYTES)}. ` +
      `Files: ${detail}. A new dependency (or a dropped stub, e.g. src/stubs/undici.ts) may have been bundled: check 'npm run build' output.`,
  )
  process.exit(1)
}
console.log(`check-size: ${where} JavaScript is ${kb(total)} (${total} bytes) of the ${kb(LIMIT_BYTES)} limit: ${detail}.`)
