// Starts the CSP, Cloud Director, VCF Automation, Aria Automation, vCenter, Aria Operations, SDDC Manager or vSphere Supervisor emulator of the end-to-end tests
// on 127.0.0.1, for a workflow that runs the action with `uses: ./` against it, or for trying the
// action by hand.
//
//   node scripts/emulator.ts csp|vcd|vcfa|aria-automation|vcenter|aria-operations|sddc-manager|supervisor [--port N] [--ca-file PATH] [--max-version 35.0]
//        [--api-token-days N] [--fault 'ROUTE:{"times":2,"status":503}'] [--github-output] [--quiet]
//        [--background LOG]
//
// Prints key=value lines (url, ca-file, a made-up demo credential, ...) and a last line ready=true
// (vcfa: api-token and org are an All Apps org's; provider-api-token, vm-apps-org, vm-apps-api-token
// and service-account-token are for the other kinds, kube-namespace a ready supervisor namespace;
// aria-automation: login-username and login-password log in with a password instead of api-token;
// vcenter: username and password; aria-operations: username and password; sddc-manager: username and password, or api-key for api-token; supervisor: username, password and
// the vSphere namespace the user may use), logs one line per request to stderr (method, path, status;
// never a header or body), and runs
// until SIGINT/SIGTERM. --github-output also appends the same values, plus ca-certificate as
// PEM text, to $GITHUB_OUTPUT. The credentials are the emulator's own inventions: they open
// nothing anywhere else.
//
// --background LOG starts the emulator as a detached process whose request log goes to LOG, waits
// for its ready signal, prints its lines and returns: the emulator keeps running until the job ends.
//
// Example (a workflow step):
//   node scripts/emulator.ts vcd --github-output --background "$RUNNER_TEMP/emulator.log"
import { spawn } from 'node:child_process'
import { appendFileSync, closeSync, openSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { AriaEmulator } from '../test/e2e/support/aria-emulator.ts'
import { AriaOperationsEmulator } from '../test/e2e/support/aria-operations-emulator.ts'
import { CspEmulator } from '../test/e2e/support/csp-emulator.ts'
import { SddcManagerEmulator } from '../test/e2e/support/sddc-manager-emulator.ts'
import type { EmulatorServer, Fault, RecordedRequest } from '../test/e2e/support/emulator.ts'
import { VcdEmulator } from '../test/e2e/support/vcd-emulator.ts'
import { SupervisorEmulator } from '../test/e2e/support/supervisor-emulator.ts'
import { VcenterEmulator } from '../test/e2e/support/vcenter-emulator.ts'
import { VcfaEmulator } from '../test/e2e/support/vcfa-emulator.ts'

const usage =
  'usage: node scripts/emulator.ts csp|vcd|vcfa|aria-automation|vcenter|aria-operations|sddc-manager|supervisor [--port N] [--ca-file PATH] [--max-version X.Y] [--api-token-days N] [--fault ROUTE:JSON] [--github-output] [--quiet] [--background LOG]'

function fail(message: string): never {
  process.stderr.write(`${message}\n${usage}\n`)
  process.exit(2)
}

const { values, positionals } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        port: { type: 'string', default: '0' },
        'ca-file': { type: 'string' },
        'max-version': { type: 'string' },
        'api-token-days': { type: 'string' },
        fault: { type: 'string', multiple: true },
        'github-output': { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
        background: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    })
  } catch (error) {
    return fail((error as Error).message)
  }
})()

if (values.help) {
  process.stdout.write(`${usage}\n`)
  process.exit(0)
}
const provider = positionals[0]
if (!['csp', 'vcd', 'vcfa', 'aria-automation', 'vcenter', 'aria-operations', 'sddc-manager', 'supervisor'].includes(provider)) {
  fail(
    `Which emulator? Give csp, vcd, vcfa, aria-automation, vcenter, aria-operations, sddc-manager or supervisor${provider ? `, not '${provider}'` : ''}.`,
  )
}
if (values.background) await startInBackground(values.background)
const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a port number, not '${values.port}'.`)

const onReply = values.quiet
  ? undefined
  : (request: RecordedRequest): void => {
      const outcome = request.status ?? request.fault ?? 'no answer'
      process.stderr.write(
        `${new Date(request.time).toISOString()} ${request.method} ${request.path} -> ${outcome}${request.fault ? ` (fault: ${request.fault})` : ''}\n`,
      )
    }

let server: EmulatorServer
const lines: [string, string][] = []
if (provider === 'csp') {
  const days = values['api-token-days'] === undefined ? undefined : Number(values['api-token-days'])
  const csp = new CspEmulator({ port, onReply, apiTokenExpiresInDays: days })
  server = csp
  await csp.start()
  lines.push(
    ['url', csp.url],
    ['api-token', csp.apiToken],
    ['client-id', csp.clientId],
    ['client-secret', csp.clientSecret],
    ['org', csp.org],
  )
} else if (provider === 'vcfa') {
  const vcfa = new VcfaEmulator({ port, onReply, maxVersion: values['max-version'] })
  server = vcfa
  await vcfa.start()
  lines.push(
    ['url', vcfa.url],
    ['api-token', vcfa.tenantToken],
    ['org', vcfa.tenantOrg],
    ['provider-api-token', vcfa.providerToken],
    ['vm-apps-org', vcfa.vmAppsOrg],
    ['vm-apps-api-token', vcfa.vmAppsToken],
    ['service-account-token', vcfa.serviceAccountToken],
    ['api-version', vcfa.maxVersion],
    ['kube-namespace', `${vcfa.project}/${vcfa.readyNamespace}`],
  )
} else if (provider === 'aria-automation') {
  const aria = new AriaEmulator({ port, onReply })
  server = aria
  await aria.start()
  // No org line: the action refuses org for this provider. token-org and subject are what the
  // org and subject outputs should say; catalog-item-id and project-id are for a catalog request. The
  // password login's names are not username and password: the action would refuse them beside api-token.
  lines.push(
    ['url', aria.url],
    ['api-token', aria.refreshToken],
    ['token-org', aria.org],
    ['subject', aria.username],
    ['login-username', aria.username],
    ['login-password', aria.password],
    ['catalog-item-id', aria.catalogItems[0].id],
    ['project-id', aria.projectId],
  )
} else if (provider === 'vcenter') {
  const vc = new VcenterEmulator({ port, onReply })
  server = vc
  await vc.start()
  // username and password for the action (no api-token, no org); subject and token-type are what its
  // outputs should say; a VM's name, a tag's ID and a content library's ID for the README's calls.
  lines.push(
    ['url', vc.url],
    ['username', vc.username],
    ['password', vc.password],
    ['subject', vc.username],
    ['token-type', 'Session'],
    ['vm-name', vc.vms[1].name],
    ['tag-id', vc.tags[0].id],
    ['library-id', vc.libraries[0]],
  )
} else if (provider === 'aria-operations') {
  const ops = new AriaOperationsEmulator({ port, onReply })
  server = ops
  await ops.start()
  // A local user; token-type and subject are what those outputs should say; resource is one of its VMs.
  lines.push(
    ['url', ops.url],
    ['username', ops.username],
    ['password', ops.password],
    ['token-type', 'OpsToken'],
    ['subject', ops.username],
    ['resource', ops.resources[0].name],
  )
} else if (provider === 'sddc-manager') {
  const sddc = new SddcManagerEmulator({ port, onReply })
  server = sddc
  await sddc.start()
  // username and password for the action; api-key (for api-token instead) is an automation account's,
  // whose tokens name api-key-subject. A workload domain's name and an ESXi host to rotate, for later steps.
  lines.push(
    ['url', sddc.url],
    ['username', sddc.username],
    ['password', sddc.password],
    ['subject', sddc.username],
    ['api-key', sddc.apiKey],
    ['api-key-subject', sddc.serviceUser],
    ['domain', String(sddc.domains[0].name)],
    ['esxi-host', 'sfo01-m01-esx01.sfo.example.test'],
  )
} else if (provider === 'supervisor') {
  const supervisor = new SupervisorEmulator({ port, onReply })
  server = supervisor
  await supervisor.start()
  lines.push(
    ['url', supervisor.url],
    ['username', supervisor.username],
    ['password', supervisor.password],
    ['subject', supervisor.username],
    ['namespace', supervisor.namespace],
  )
} else {
  const vcd = new VcdEmulator({ port, onReply, maxVersion: values['max-version'] })
  server = vcd
  await vcd.start()
  lines.push(
    ['url', vcd.url],
    ['api-token', vcd.providerToken],
    ['tenant-org', vcd.tenantOrg],
    ['tenant-api-token', vcd.tenantToken],
    ['service-account-token', vcd.serviceAccountToken],
    ['api-version', vcd.maxVersion],
  )
}

for (const spec of values.fault ?? []) {
  const colon = spec.indexOf(':')
  try {
    server.fault(spec.slice(0, colon), JSON.parse(spec.slice(colon + 1)) as Fault)
  } catch {
    fail(`--fault must be ROUTE:JSON, e.g. 'token:{"times":2,"status":503}', not '${spec}'.`)
  }
}

const caFile = resolve(values['ca-file'] ?? join(process.env.RUNNER_TEMP || tmpdir(), `vmw-${provider}-emulator-ca.pem`))
writeFileSync(caFile, server.ca)
lines.splice(1, 0, ['ca-file', caFile])

if (values['github-output']) {
  const output = process.env.GITHUB_OUTPUT
  if (!output) fail('--github-output needs GITHUB_OUTPUT (run it in a workflow step).')
  const text =
    lines.map(([key, value]) => `${key}=${value}\n`).join('') + `ca-certificate<<VMW_EMULATOR_PEM\n${server.ca.trim()}\nVMW_EMULATOR_PEM\n`
  appendFileSync(output, text)
}
process.stdout.write(lines.map(([key, value]) => `${key}=${value}\n`).join('') + 'ready=true\n')

let stopping = false
async function stop(): Promise<void> {
  if (stopping) return
  stopping = true
  await server.close()
  process.exit(0)
}
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())

/**
 * Runs this same command without --background as a detached process, its request log appended to
 * `log`, and returns once it printed ready=true (its ready signal), echoing what it printed.
 *
 * The same on Linux, macOS and Windows: detached makes the child a process group leader on POSIX and
 * a process without this one's console on Windows (node's child_process docs), so it outlives the
 * step; windowsHide keeps Windows from opening a console window for it. Its stdio is only what is
 * given here (node keeps its own inherited handles from children), so the runner's pipes for the
 * step's output are not held open by it and the step can end. The log is opened for appending and
 * handed over; this process closes its own copy.
 */
async function startInBackground(log: string): Promise<never> {
  const args = process.argv.slice(2).filter((arg, index, all) => arg !== '--background' && all[index - 1] !== '--background')
  const logFd = openSync(log, 'a')
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...args.filter((arg) => !arg.startsWith('--background='))], {
    detached: true,
    windowsHide: true,
    stdio: ['ignore', 'pipe', logFd],
  })
  closeSync(logFd)
  const stdout = child.stdout!
  let printed = ''
  const ready = await new Promise<boolean>((done) => {
    const timer = setTimeout(() => done(false), 30_000)
    stdout.setEncoding('utf8').on('data', (chunk: string) => {
      printed += chunk
      if (/^ready=true$/m.test(printed)) {
        clearTimeout(timer)
        done(true)
      }
    })
    child.on('exit', () => {
      clearTimeout(timer)
      done(false)
    })
  })
  process.stdout.write(printed)
  if (!ready) fail(`The ${positionals[0]} emulator did not start: see ${log}.`)
  stdout.destroy()
  child.unref()
  process.exit(0)
}
