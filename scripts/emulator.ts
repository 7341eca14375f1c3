// Starts the CSP, Cloud Director or VCF Automation emulator of the end-to-end tests on 127.0.0.1,
// for a workflow that runs the action with `uses: ./` against it, or for trying the action by hand.
//
//   node scripts/emulator.ts csp|vcd|vcfa [--port N] [--ca-file PATH] [--max-version 35.0]
//        [--api-token-days N] [--fault 'ROUTE:{"times":2,"status":503}'] [--github-output] [--quiet]
//
// Prints key=value lines (url, ca-file, a made-up demo credential, ...) and a last line ready=true
// (vcfa: api-token and org are an All Apps org's; provider-api-token, vm-apps-org, vm-apps-api-token
// and service-account-token are for the other kinds), logs one line per request to stderr (method, path, status; never a header or body), and runs
// until SIGINT/SIGTERM. --github-output also appends the same values, plus ca-certificate as
// PEM text, to $GITHUB_OUTPUT. The credentials are the emulator's own inventions: they open
// nothing anywhere else.
//
// Example (a workflow step):
//   node scripts/emulator.ts vcd --port 8443 --github-output > "$RUNNER_TEMP/emulator.log" &
//   until grep -q '^ready=true' "$RUNNER_TEMP/emulator.log"; do sleep 0.2; done
import { appendFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { CspEmulator } from '../test/e2e/support/csp-emulator.ts'
import type { EmulatorServer, Fault, RecordedRequest } from '../test/e2e/support/emulator.ts'
import { VcdEmulator } from '../test/e2e/support/vcd-emulator.ts'
import { VcfaEmulator } from '../test/e2e/support/vcfa-emulator.ts'

const usage =
  'usage: node scripts/emulator.ts csp|vcd|vcfa [--port N] [--ca-file PATH] [--max-version X.Y] [--api-token-days N] [--fault ROUTE:JSON] [--github-output] [--quiet]'

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
if (provider !== 'csp' && provider !== 'vcd' && provider !== 'vcfa') {
  fail(`Which emulator? Give csp, vcd or vcfa${provider ? `, not '${provider}'` : ''}.`)
}
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
