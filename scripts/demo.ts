// `npm run demo [-- <provider>]` (csp by default; every provider of the DEMOS table below): runs the
// BUILT action (dist/main and dist/post) against that provider's emulator on 127.0.0.1 with a made-up
// credential, main step then post step on one RUNNER_TEMP, the way the GitHub runner runs it, and
// prints what a workflow would see (for a kubeconfig, the file it writes too). Exits non-zero when
// the action failed or a secret reached the log.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AriaEmulator } from '../test/e2e/support/aria-emulator.ts'
import { AriaOperationsEmulator } from '../test/e2e/support/aria-operations-emulator.ts'
import { CspEmulator } from '../test/e2e/support/csp-emulator.ts'
import { SddcManagerEmulator } from '../test/e2e/support/sddc-manager-emulator.ts'
import type { EmulatorServer } from '../test/e2e/support/emulator.ts'
import { applyMasks, findLeaks, runJob, type StepResult } from '../test/e2e/support/runner.ts'
import { SupervisorEmulator } from '../test/e2e/support/supervisor-emulator.ts'
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
  async 'aria-automation-password'() {
    const aria = await new AriaEmulator().start()
    return {
      server: aria,
      about: `Aria Automation emulator at ${aria.url} (private CA), made-up user ${aria.username} and password`,
      inputs: { provider: 'aria-automation', username: aria.username, password: aria.password },
    }
  },
  async 'aria-operations'() {
    const ops = await new AriaOperationsEmulator().start()
    return {
      server: ops,
      about: `Aria Operations emulator at ${ops.url} (private CA), made-up local user ${ops.username} and password`,
      inputs: { provider: 'aria-operations', username: ops.username, password: ops.password },
    }
  },
  async 'sddc-manager'() {
    const sddc = await new SddcManagerEmulator().start()
    return {
      server: sddc,
      about: `SDDC Manager emulator at ${sddc.url} (private CA), made-up password of ${sddc.username}`,
      inputs: { provider: 'sddc-manager', username: sddc.username, password: sddc.password },
    }
  },
  async supervisor() {
    const supervisor = await new SupervisorEmulator().start()
    return {
      server: supervisor,
      about: `vSphere Supervisor emulator at ${supervisor.url} (private CA), made-up user ${supervisor.username}, a kubeconfig for vSphere namespace ${supervisor.namespace}`,
      inputs: {
        provider: 'supervisor',
        username: supervisor.username,
        password: supervisor.password,
        kubeconfig: 'true',
        'kube-namespace': supervisor.namespace,
      },
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
