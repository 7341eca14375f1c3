// `npm run demo [-- <name>]` (csp by default; every demo of test/e2e/support/emulator-scripts.ts): runs the
// BUILT action (dist/main and dist/post) against that provider's emulator on 127.0.0.1 with a made-up
// credential, main step then post step on one RUNNER_TEMP, the way the GitHub runner runs it, and
// prints what a workflow would see (for a kubeconfig, the file it writes too). Exits non-zero when
// the action failed or a secret reached the log.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EmulatorServer } from '../test/e2e/support/emulator.ts'
import { EMULATOR_SCRIPTS } from '../test/e2e/support/emulator-scripts.ts'
import { applyMasks, findLeaks, runJob, type StepResult } from '../test/e2e/support/runner.ts'

/** Every demo of every provider's emulator (emulator-scripts.ts), by name: the emulator, what the demo says about it, and the action's inputs for it. */
const DEMOS = new Map<string, () => Promise<{ server: EmulatorServer; about: string; inputs: Record<string, string> }>>(
  EMULATOR_SCRIPTS.flatMap((script) =>
    script.demos.map((demo) => [
      demo.name,
      async () => {
        const server = await script.start({ port: 0 })
        return { server, about: demo.about(server), inputs: demo.inputs(server) }
      },
    ]),
  ),
)

const name = process.argv[2] ?? 'csp'
const demo = DEMOS.get(name)
if (!demo) {
  console.error(`usage: npm run demo [-- ${[...DEMOS.keys()].join('|')}]`)
  process.exit(2)
}
const { server, about, inputs } = await demo()
const runnerTemp = mkdtempSync(join(tmpdir(), 'vmw-demo-runner-temp-'))
let failed: boolean
try {
  console.log(`${about}\n`)
  let kubeconfig = ''
  const job = await runJob({
    inputs: { ...inputs, url: server.url, 'ca-certificate': server.ca },
    runnerTemp,
    between: async (main) => {
      const path = main.outputs.kubeconfig
      if (path) kubeconfig = `Kubeconfig ${path} (masked; the CA shortened)\n${readFileSync(path, 'utf8')}`
    },
  })
  const masks = job.post?.masks ?? job.main.masks

  const stepLog = (title: string, step: StepResult | undefined): void => {
    if (!step) return
    console.log(`${title}  (exit ${step.exitCode}, ${Math.round(step.durationMs)} ms)`)
    for (const line of step.log) console.log(line ? `  ${line}` : '')
    console.log()
  }
  stepLog('Run ./ (main step)', job.main)

  console.log('Outputs (steps.<id>.outputs.*; masked as a log would show them)')
  const width = Math.max(0, ...Object.keys(job.main.outputs).map((name) => name.length))
  for (const [name, value] of Object.entries(job.main.outputs)) console.log(`  ${name.padEnd(width)}  ${applyMasks(value, masks) || "''"}`)
  console.log()
  const envNames = Object.keys(job.main.env)
  console.log(
    `Environment for later steps: ${envNames.length ? envNames.map((name) => `${name}=${applyMasks(job.main.env[name], masks)}`).join(', ') : '(none)'}\n`,
  )

  if (kubeconfig) {
    const shown = applyMasks(kubeconfig, masks).replace(/(certificate-authority-data: "[^"]{20})[^"]*/g, '$1...')
    for (const line of shown.trimEnd().split('\n')) console.log(line.startsWith('Kubeconfig') ? line : `  ${line}`)
    console.log()
  }
  stepLog('Post Run ./ (post step)', job.post)
  if (job.main.outputs.kubeconfig)
    console.log(`After the post step the kubeconfig ${existsSync(job.main.outputs.kubeconfig) ? 'is STILL THERE' : 'is gone'}.\n`)

  console.log('Job summary')
  for (const line of job.summary
    .trim()
    .replace(/\n{3,}/g, '\n\n')
    .split('\n'))
    console.log(line ? `  ${line}` : '')
  console.log()

  console.log(
    `The emulator received: ${server.requests.map((request) => `${request.method} ${request.path} -> ${request.status}`).join(', ')}`,
  )
  const leaks = findLeaks(job, server.secrets())
  const early = [...job.main.earlyLeaks, ...(job.post?.earlyLeaks ?? [])]
  console.log(
    leaks.length || early.length
      ? `LEAK: ${leaks.length + early.length} secret(s) reached the log, stderr or summary unmasked`
      : 'Leak scan: no secret in the log, stderr or job summary.',
  )
  failed = job.main.exitCode !== 0 || job.post?.exitCode !== 0 || leaks.length > 0 || early.length > 0
  if (failed) console.log('\nThe demo FAILED: see above.')
  failed ||= Boolean(job.main.outputs.kubeconfig && existsSync(job.main.outputs.kubeconfig))
} finally {
  await server.close()
  rmSync(runnerTemp, { recursive: true, force: true })
}
process.exitCode = failed ? 1 : 0
