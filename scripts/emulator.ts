// Starts a provider's emulator of the end-to-end tests (any of test/e2e/support/emulator-scripts.ts:
// csp, vcd, vcfa, aria-automation, vcenter, aria-operations, sddc-manager, supervisor) on 127.0.0.1,
// for a workflow that runs the action with `uses: ./` against it, or for trying the action by hand.
//
//   node scripts/emulator.ts <provider> [--port N] [--ca-file PATH] [--max-version 35.0]
//        [--api-token-days N] [--fault 'ROUTE:{"times":2,"status":503}'] [--github-output] [--quiet]
//        [--background LOG]
//
// Prints key=value lines (url, ca-file, then the made-up credentials and what later steps need, as
// the provider's entry in emulator-scripts.ts says) and a last line ready=true, logs one line per
// request to stderr (method, path, status; never a header or body), and runs until SIGINT/SIGTERM. --github-output also appends the same values, plus ca-certificate as
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
import type { Fault, RecordedRequest } from '../test/e2e/support/emulator.ts'
import { EMULATOR_SCRIPTS } from '../test/e2e/support/emulator-scripts.ts'

const providers = EMULATOR_SCRIPTS.map((script) => script.provider)
const usage = `usage: node scripts/emulator.ts ${providers.join('|')} [--port N] [--ca-file PATH] [--max-version X.Y] [--api-token-days N] [--fault ROUTE:JSON] [--github-output] [--quiet] [--background LOG]`

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
const script = EMULATOR_SCRIPTS.find((entry) => entry.provider === provider)
if (!script) {
  const named = `${providers.slice(0, -1).join(', ')} or ${providers.at(-1)}`
  fail(`Which emulator? Give ${named}${provider ? `, not '${provider}'` : ''}.`)
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

const days = values['api-token-days'] === undefined ? undefined : Number(values['api-token-days'])
const server = await script.start({ port, onReply, maxVersion: values['max-version'], apiTokenDays: days })
const lines: [string, string][] = [['url', server.url], ...script.lines(server)]

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
