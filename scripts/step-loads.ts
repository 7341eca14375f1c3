// What a step loads: its entry (dist/<step>/index.js) and then only the chunks of the provider it
// runs. Each step is run once per provider, without credentials (it stops once the provider is
// loaded, before any request), and the JavaScript files node read from dist/<step>/ are listed.
// Used by scripts/check-size.js (the guard) and bench/size.ts (the report). Only erasable TypeScript:
// node runs it as is.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/** The providers, from the provider input's description ('csp', 'vcd', ...): a unit test keeps it the registry's list. */
export function providersOf(actionYml: string): string[] {
  return [...readFileSync(actionYml, 'utf8').matchAll(/'([a-z][a-z-]*)' \(/g)].map((match) => match[1])
}

export interface StepLoad {
  step: 'main' | 'post'
  provider: string
  /** The files of dist/<step>/ the run loaded. */
  files: string[]
  bytes: number
}

/** For each step and provider: the files of dist/<step>/ a run loads, and their size in bytes. */
export function stepLoads(dist: string, providers: string[]): StepLoad[] {
  const work = mkdtempSync(join(tmpdir(), 'vmw-step-loads-'))
  try {
    // Preloaded into each run: records every file node loads, by module hooks (node 22.15 / 23.5 and later).
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
    return (['main', 'post'] as const).flatMap((step) =>
      providers.map((provider) => {
        const record = join(work, `${step}-${provider}.txt`)
        writeFileSync(record, '')
        const env: Record<string, string> = { PATH: process.env.PATH ?? '', VMW_LOADED: record, RUNNER_TEMP: work }
        if (step === 'main') env.INPUT_PROVIDER = provider
        else
          env.STATE_token = JSON.stringify({
            provider,
            baseUrl: 'https://provider.example',
            revoke: false,
            timeoutMs: 1000,
            maxAttempts: 1,
          })
        const run = spawnSync(process.execPath, ['--import', pathToFileURL(recorder).href, join(dist, step, 'index.js')], {
          env,
          encoding: 'utf8',
          timeout: 30_000,
        })
        if (run.error) throw run.error
        const base = join(dist, step) + sep
        const files = [
          ...new Set(
            readFileSync(record, 'utf8')
              .split('\n')
              .filter(Boolean)
              .map((url) => fileURLToPath(url)),
          ),
        ].filter((file) => file.startsWith(base) && /\.(c|m)?js$/.test(file))
        return { step, provider, files, bytes: files.reduce((sum, file) => sum + statSync(file).size, 0) }
      }),
    )
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}
