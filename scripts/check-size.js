// Cheap regression guard for the bundle size: what a step loads must stay under the limit. A step
// loads its entry (dist/<step>/index.js) and then only the chunks of the provider it runs, so each
// step is run here once per provider (without credentials: it stops once the provider is loaded,
// before any request), and the JavaScript files node read from dist/<step>/ are added up.
// `npm run bench` measures the rest (start-up time).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, resolve, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/**
 * 100 KB per step and provider (KB = 1024 bytes, as the build prints). Each is about 75 KB; bundling
 * undici (a dropped stub, see src/stubs/) would add some 430 KB.
 */
const LIMIT_BYTES = 100 * 1024

const root = resolve(fileURLToPath(import.meta.url), '../..')
const dist = resolve(root, process.argv[2] ?? 'dist')
const shown = relative(root, dist).startsWith('..') ? dist : relative(root, dist)
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`

/** The providers, from the provider input's description ('csp', 'vcd', ...): a unit test keeps it the registry's list. */
const providers = [...readFileSync(join(root, 'action.yml'), 'utf8').matchAll(/'([a-z][a-z-]*)' \(/g)].map((match) => match[1])
if (providers.length === 0) {
  console.error("check-size: no provider names found in action.yml's provider input")
  process.exit(1)
}

const work = mkdtempSync(join(tmpdir(), 'vmw-check-size-'))
/** Preloaded into each run: records every file node loads, by module hooks (node 22.15 / 23.5 and later). */
const recorder = join(work, 'record.mjs')
writeFileSync(
  recorder,
  `import { registerHooks } from 'node:module'
import { appendFileSync } from 'node:fs'
registerHooks({
  load(url, context, next) {
    if (url.startsWith('file:')) appendFileSync(process.env.VMW_LOADED, url + '\\n')
    return next(url, context)
  },
})
`,
)

/** The files of dist/<step>/ a run of that step for that provider loads. */
function loadedBy(step, provider) {
  const record = join(work, `${step}-${provider}.txt`)
  writeFileSync(record, '')
  const env = { PATH: process.env.PATH ?? '', VMW_LOADED: record, RUNNER_TEMP: work }
  if (step === 'main') env.INPUT_PROVIDER = provider
  else env.STATE_token = JSON.stringify({ provider, baseUrl: 'https://provider.example', revoke: false, timeoutMs: 1000, maxAttempts: 1 })
  const run = spawnSync(process.execPath, ['--import', pathToFileURL(recorder).href, join(dist, step, 'index.js')], {
    env,
    encoding: 'utf8',
    timeout: 30_000,
  })
  if (run.error) throw run.error
  const base = join(dist, step) + sep
  return [
    ...new Set(
      readFileSync(record, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((url) => fileURLToPath(url)),
    ),
  ].filter((file) => file.startsWith(base) && /\.(c|m)?js$/.test(file))
}

let failed = false
try {
  for (const step of ['main', 'post']) {
    for (const provider of providers) {
      const files = loadedBy(step, provider)
      const total = files.reduce((sum, file) => sum + statSync(file).size, 0)
      const what = `${shown}/${step}/ for ${provider}: ${files.length} file${files.length === 1 ? '' : 's'}`
      if (files.length < 2) {
        failed = true
        console.error(`check-size: ${what}; the step did not load a provider chunk: is the build right?`)
      } else if (total > LIMIT_BYTES) {
        failed = true
        console.error(
          `check-size: ${what}, ${kb(total)} (${total} bytes), over the ${kb(LIMIT_BYTES)} limit by ${kb(total - LIMIT_BYTES)}. ` +
            "A new dependency (or a dropped stub, e.g. src/stubs/undici.ts) may have been bundled: check 'npm run build' output.",
        )
      } else {
        console.log(`check-size: ${what}, ${kb(total)} of the ${kb(LIMIT_BYTES)} limit.`)
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}
process.exit(failed ? 1 : 0)
