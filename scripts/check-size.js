// Cheap regression guard for the bundle size: fails when any step's bundle (every .js, .mjs and
// .cjs file under dist/<step>/) is over the limit. `npm run bench` measures the rest (start-up time).
import { readdirSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * 100 KB per bundle (KB = 1024 bytes, as the build prints). Each is about 70 KB; bundling undici
 * (a dropped stub, see src/stubs/) would add some 430 KB.
 */
const LIMIT_BYTES = 100 * 1024

const root = resolve(fileURLToPath(import.meta.url), '../..')
const dist = resolve(root, process.argv[2] ?? 'dist')
const shown = relative(root, dist).startsWith('..') ? dist : relative(root, dist)
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`

function javascriptFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return javascriptFiles(path)
    return /\.(c|m)?js$/.test(entry.name) ? [path] : []
  })
}

let bundles
try {
  bundles = readdirSync(dist, { withFileTypes: true }).filter((entry) => entry.isDirectory())
} catch (error) {
  console.error(`check-size: cannot read ${shown}: ${error.message}. Run 'npm run build' first.`)
  process.exit(1)
}
if (bundles.length === 0) {
  console.error(`check-size: no bundle in ${shown}/. Run 'npm run build' first.`)
  process.exit(1)
}

let failed = false
for (const bundle of bundles) {
  const files = javascriptFiles(join(dist, bundle.name))
  const total = files.reduce((sum, file) => sum + statSync(file).size, 0)
  const where = `${shown}/${bundle.name}/`
  if (total > LIMIT_BYTES) {
    failed = true
    console.error(
      `check-size: ${where} JavaScript is ${kb(total)} (${total} bytes), over the ${kb(LIMIT_BYTES)} limit by ${kb(total - LIMIT_BYTES)}. ` +
        "A new dependency (or a dropped stub, e.g. src/stubs/undici.ts) may have been bundled: check 'npm run build' output.",
    )
  } else {
    console.log(`check-size: ${where} JavaScript is ${kb(total)} (${total} bytes) of the ${kb(LIMIT_BYTES)} limit.`)
  }
}
process.exit(failed ? 1 : 0)
