// `npm run demo [-- csp|vcd|vcfa|aria-automation|vcenter]`: runs the BUILT action (dist/main and dist/post)
// against the CSP (default), Cloud Director, VCF Automation, Aria Automation or vCenter emulator on 127.0.0.1
// with a made-up credential, main
// step then post step, the way the GitHub runner runs it, and prints what a workflow would see.
// Exits non-zero when the action failed or a secret reached the log.
import { AriaEmulator } from '../test/e2e/support/aria-emulator.ts'
import { CspEmulator } from '../test/e2e/support/csp-emulator.ts'
import type { EmulatorServer } from '../test/e2e/support/emulator.ts'
import { applyMasks, findLeaks, runJob, type StepResult } from '../test/e2e/support/runner.ts'
import { VcdEmulator } from '../test/e2e/support/vcd-emulator.ts'
import { VcenterEmulator } from '../test/e2e/support/vcenter-emulator.ts'
import { VcfaEmulator } from '../test/e2e/support/vcfa-emulator.ts'

/** Each provider's emulator, what the demo says about it, and the action's inputs for it. */
const DEMOS: Record<string, () => Promise<{ server: EmulatorServer; about: string; inputs: Record<string, string> }>> = {
  async csp() {
    const csp = await new CspEmulator().start()
    return {
      server: csp,
      about: `CSP emulator at ${csp.url} (private CA), made-up API token of org ${csp.org}`,
      inputs: { 'api-token': csp.apiToken },
    }
  },
  async vcd() {
    const vcd = await new VcdEmulator().start()
    return {
      server: vcd,
      about: `Cloud Director emulator at ${vcd.url} (private CA), made-up API token of the provider org`,
      inputs: { provider: 'vcd', 'api-token': vcd.providerToken },
    }
  },
  async vcfa() {
    const vcfa = await new VcfaEmulator().start()
    return {
      server: vcfa,
      about: `VCF Automation emulator at ${vcfa.url} (private CA), made-up API token of All Apps org ${vcfa.tenantOrg}`,
      inputs: { provider: 'vcfa', 'api-token': vcfa.tenantToken, org: vcfa.tenantOrg },
    }
  },
  async 'aria-automation'() {
    const aria = await new AriaEmulator().start()
    return {
      server: aria,
      about: `Aria Automation emulator at ${aria.url} (private CA), made-up API token of ${aria.username}`,
      inputs: { provider: 'aria-automation', 'api-token': aria.refreshToken },
    }
  },
  async vcenter() {
    const vc = await new VcenterEmulator().start()
    return {
      server: vc,
      about: `vCenter emulator at ${vc.url} (private CA), made-up password of ${vc.username}`,
      inputs: { provider: 'vcenter', username: vc.username, password: vc.password },
    }
  },
}

const name = process.argv[2] ?? 'csp'
if (!Object.hasOwn(DEMOS, name)) {
  console.error(`usage: npm run demo [-- ${Object.keys(DEMOS).join('|')}]`)
  process.exit(2)
}
const { server, about, inputs } = await DEMOS[name]()
let failed: boolean
try {
  console.log(`${about}\n`)
  const job = await runJob({ inputs: { ...inputs, url: server.url, 'ca-certificate': server.ca } })
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

  stepLog('Post Run ./ (post step)', job.post)

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
} finally {
  await server.close()
}
process.exitCode = failed ? 1 : 0
