// Cheap regression guard for the bundle size: what a step loads (its entry and the chunks of the
// provider it runs, scripts/step-loads.ts) must stay under the limit, for every step and provider.
// `npm run bench` measures the rest (start-up time).
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { providersOf, stepLoads } from './step-loads.ts'

/**
 * 100 KB per step and provider (KB = 1024 bytes, as the build prints). Each is about 75 KB; bundling
 * undici (a dropped stub, see src/stubs/) would add some 430 KB.
 */
const LIMIT_BYTES = 100 * 1024

const root = resolve(fileURLToPath(import.meta.url), '../..')
const dist = resolve(root, process.argv[2] ?? 'dist')
const shown = relative(root, dist).startsWith('..') ? dist : relative(root, dist)
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`

const providers = providersOf(join(root, 'action.yml'))
if (providers.length === 0) {
  console.error("check-size: no provider names found in action.yml's provider input")
  process.exit(1)
}

let failed = false
for (const { step, provider, files, bytes } of stepLoads(dist, providers)) {
  const what = `${shown}/${step}/ for ${provider}: ${files.length} file${files.length === 1 ? '' : 's'}`
  if (files.length < 2) {
    failed = true
    console.error(`check-size: ${what}; the step did not load a provider chunk: is the build right?`)
  } else if (bytes > LIMIT_BYTES) {
    failed = true
    console.error(
      `check-size: ${what}, ${kb(bytes)} (${bytes} bytes), over the ${kb(LIMIT_BYTES)} limit by ${kb(bytes - LIMIT_BYTES)}. ` +
        "A new dependency (or a dropped stub, e.g. src/stubs/undici.ts) may have been bundled: check 'npm run build' output.",
    )
  } else {
    console.log(`check-size: ${what}, ${kb(bytes)} of the ${kb(LIMIT_BYTES)} limit.`)
  }
}
process.exit(failed ? 1 : 0)
