/**
 * `npm run bench`: measures the BUILT action (dist/index.js) on this machine against the local
 * emulators (127.0.0.1 only) and writes bench/RESULTS.md. A benchmark, not a test: it fails only
 * when the action itself fails; targets it misses are reported as MISS with the evidence.
 *
 *   node bench/run.ts            full run (about half a minute on 2 cores)
 *   node bench/run.ts --quick    fewer repetitions, for working on this file; writes nothing
 *
 * Clocks: every time is this process's performance.now(). Request arrival and answer times come
 * from the emulator's onArrival and onReply hooks, taken at the same
 * moments the emulator records its Date.now() `time` and `durationMs`; sub-millisecond, and on the
 * same clock as the one read just before spawn().
 *
 * Only erasable TypeScript: node 24 runs this file directly.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join, relative } from 'node:path'
import { gzipSync } from 'node:zlib'
import { CspEmulator } from '../test/e2e/support/csp-emulator.ts'
import type { EmulatorServer, RecordedRequest } from '../test/e2e/support/emulator.ts'
import { inputEnvName, readActionYml, ROOT, runStep, stepFiles, type StepOptions, type StepResult } from '../test/e2e/support/runner.ts'
import { VcdEmulator } from '../test/e2e/support/vcd-emulator.ts'

const QUICK = process.argv.includes('--quick')
/** Cold-start rounds; each runs every command once, in rotating order. */
const COLD_ROUNDS = QUICK ? 6 : 40
const WARMUP_ROUNDS = 2
/** Whole runs (main + post) per flow, interleaved across flows. */
const FLOW_RUNS = QUICK ? 3 : 12
/** Server latency injected to prove which requests run in parallel. */
const PROBE_DELAY_MS = 200
const PROBE_RUNS = QUICK ? 2 : 4
const STORM_SIZE = 50
const SIZE_LIMIT_BYTES = 600 * 1024
const COLD_START_LIMIT = 1.5
const RESULTS_FILE = join(ROOT, 'bench', 'RESULTS.md')

const benchStarted = performance.now()
const cpuBefore = cpuTicks()
const work = mkdtempSync(join(os.tmpdir(), 'vmw-bench-'))
process.once('exit', () => rmSync(work, { recursive: true, force: true }))

// ---------------------------------------------------------------------------------------------
// Statistics and formatting

/** CPU time in clock ticks, system-wide (busy and total, all CPUs) and of this process with its waited-for children. Linux only. */
function cpuTicks(): { busy: number; total: number; own: number } | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
    const idle = cpu[3] + (cpu[4] ?? 0)
    const total = cpu.slice(0, 8).reduce((sum, value) => sum + value, 0)
    // Fields after the command name (which may hold spaces): utime is the 14th field, then stime, cutime, cstime.
    const self = readFileSync('/proc/self/stat', 'utf8')
    const fields = self
      .slice(self.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number)
    const own = fields[11] + fields[12] + fields[13] + fields[14]
    return { busy: total - idle, total, own }
  } catch {
    return undefined
  }
}

function quantile(values: number[], q: number): number {
  if (!values.length) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const at = (sorted.length - 1) * q
  const low = Math.floor(at)
  return sorted[low] + (sorted[Math.ceil(at)] - sorted[low]) * (at - low)
}
const median = (values: number[]): number => quantile(values, 0.5)
const p90 = (values: number[]): number => quantile(values, 0.9)
const ms = (value: number, digits = 1): string => (Number.isFinite(value) ? `${value.toFixed(digits)} ms` : 'n/a')
const signedMs = (value: number): string => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(1)} ms`
const seconds = (value: number): string => `${(value / 1000).toFixed(2)} s`
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`
const times = (value: number): string => `${value.toFixed(2)}x`
const count = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`
const table = (head: string[], rows: string[][]): string =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n')

// ---------------------------------------------------------------------------------------------
// Emulators with high-resolution hooks on arrival and on the answer (their onArrival and onReply
// options, called where the emulator reads Date.now() for `time` and `durationMs`).

const arrivedAt = new WeakMap<RecordedRequest, number>()
const answeredAt = new WeakMap<RecordedRequest, number>()
/** Date.now() minus performance.now(): only for requests the hook missed. */
const dateOffset = Date.now() - performance.now()
/** Requests the hook missed (their times then come from the emulator's Date.now() record). */
const hookMissed = new Set<RecordedRequest>()
const onArrival = (request: RecordedRequest): void => void arrivedAt.set(request, performance.now())
const onReply = (request: RecordedRequest): void => void answeredAt.set(request, performance.now())

function arrival(request: RecordedRequest): number {
  const hooked = arrivedAt.get(request)
  if (hooked !== undefined) return hooked
  hookMissed.add(request)
  return request.time - dateOffset
}

function answered(request: RecordedRequest): number {
  const hooked = answeredAt.get(request)
  if (hooked !== undefined) return hooked
  hookMissed.add(request)
  return request.time + (request.durationMs ?? 0) - dateOffset
}

/** Time the emulator spent on these requests, overlapping intervals counted once. */
function busyTime(requests: RecordedRequest[]): number {
  const spans = requests.map((request) => [arrival(request), answered(request)]).sort((a, b) => a[0] - b[0])
  let total = 0
  let end = -Infinity
  for (const [start, stop] of spans) {
    if (stop <= end) continue
    total += stop - Math.max(start, end)
    end = stop
  }
  return total
}

const csp = await new CspEmulator({ onArrival, onReply }).start()
const vcd = await new VcdEmulator({ onArrival, onReply }).start()
// The runner never inherits the emulators' private CA: a step trusts it through
// NODE_EXTRA_CA_CERTS, as on a self-hosted runner with a private CA.
const caFile = join(work, 'ca.pem')
writeFileSync(caFile, [...new Set([csp.ca, vcd.ca])].join('\n'))
const TRUST = { NODE_EXTRA_CA_CERTS: caFile }

// ---------------------------------------------------------------------------------------------
// 1. Size

const yml = readActionYml()
const distDir = join(ROOT, 'dist')
const distFiles = (function list(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? list(join(dir, entry.name)) : /\.(c|m)?js$/.test(entry.name) ? [join(dir, entry.name)] : [],
  )
})(distDir)
const distTotal = distFiles.reduce((sum, file) => sum + statSync(file).size, 0)
const entryOf = (step: 'main' | 'post'): { path: string; bytes: number; gzip: number } => {
  const path = yml.runs[step]
  const bytes = readFileSync(join(ROOT, path))
  return { path, bytes: bytes.length, gzip: gzipSync(bytes).length }
}
const mainEntry = entryOf('main')
const postEntry = entryOf('post')
const sameEntry = mainEntry.path === postEntry.path

// ---------------------------------------------------------------------------------------------
// Spawning: the runner's own environment for a step, without its bookkeeping in the timed part.

function stepEnv(dir: string, inputs: Record<string, string>, extra: Record<string, string>): Record<string, string> {
  const files = stepFiles(dir)
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...extra,
    ...files,
    RUNNER_TEMP: dir,
    GITHUB_WORKSPACE: dir,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
  }
  for (const [name, spec] of Object.entries(yml.inputs)) env[inputEnvName(name)] = inputs[name] ?? spec.default ?? ''
  return env
}

function resetFiles(env: Record<string, string>): void {
  stepFiles(dirname(env.GITHUB_OUTPUT))
}

interface Spawned {
  /** performance.now() just before spawn(). */
  start: number
  /** performance.now() at the child's exit event. */
  exit: number
  code: number | null
  stderr: string
}

function spawnNode(args: string[], env: Record<string, string>, cwd = work): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    let exit = 0
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('exit', () => (exit = performance.now()))
    // 'close' comes after both 'exit' and the end of stderr.
    child.on('close', (code) => resolve({ start, exit, code, stderr }))
  })
}

// ---------------------------------------------------------------------------------------------
// 2. Cold start

interface ColdCommand {
  id: string
  label: string
  args: string[]
  env: Record<string, string>
  /** 'exit': spawn to exit; 'request': spawn to the first request the emulator received. */
  until: 'exit' | 'request'
  check?: (run: Spawned) => void
}

const coldDir = mkdtempSync(join(work, 'cold-'))
const actionInputs = { 'api-token': csp.apiToken, url: csp.url }
const actionEnv = stepEnv(coldDir, actionInputs, TRUST)
const actionCaEnv = stepEnv(coldDir, { ...actionInputs, 'ca-certificate': csp.ca }, {})
const CLIENT_SCRIPT = "require('https').get(process.env.BENCH_URL, (r) => r.resume())"
const checkAction = (run: Spawned): void => {
  const outputs = readFileSync(actionEnv.GITHUB_OUTPUT, 'utf8')
  if (run.code !== 0 || !outputs.includes('access-token<<')) {
    throw new Error(`bench: the action's main step failed (exit ${run.code}):\n${run.stderr}`)
  }
}
const coldCommands: ColdCommand[] = [
  { id: 'bare', label: '`node -e 0`', args: ['-e', '0'], env: actionEnv, until: 'exit' },
  { id: 'https', label: '`node -e "require(\'https\')"`', args: ['-e', "require('https')"], env: actionEnv, until: 'exit' },
  {
    id: 'client',
    label: 'minimal HTTPS client: `node -e` with one `https.get`',
    args: ['-e', CLIENT_SCRIPT],
    env: { ...actionEnv, BENCH_URL: `${csp.url}/bench-floor` },
    until: 'request',
  },
  {
    id: 'action',
    label: `action main step (${mainEntry.path}), CSP API token`,
    args: [join(ROOT, mainEntry.path)],
    env: actionEnv,
    until: 'request',
    check: checkAction,
  },
  {
    id: 'action-ca',
    label: 'the same, CA given in the `ca-certificate` input instead of NODE_EXTRA_CA_CERTS',
    args: [join(ROOT, mainEntry.path)],
    env: actionCaEnv,
    until: 'request',
    check: checkAction,
  },
]

// Where start-up goes, measured first (separately: a hook costs time): a --require hook, the same
// for every command, stamps node's bootstrap, the first client socket (an HTTP request's socket is
// made before its 'created' event), the finished TLS handshake, and lists the node built-ins loaded
// by the first socket, or by exit when there is none (process.moduleLoadList).
const HOOK = `'use strict'
const dc = require('node:diagnostics_channel')
const fs = require('node:fs')
const marks = { preload: performance.now() }
let atRequest
function first() {
  if (atRequest) return
  marks.request = performance.now()
  atRequest = process.moduleLoadList.slice()
}
dc.subscribe('http.client.request.created', first)
dc.subscribe('net.client.socket', ({ socket }) => {
  marks.sockets = (marks.sockets ?? 0) + 1
  first()
  if (marks.secure === undefined) socket.once('secureConnect', () => (marks.secure ??= performance.now()))
})
process.on('exit', () => {
  marks.exit = performance.now()
  marks.bootstrap = performance.nodeTiming.bootstrapComplete
  fs.writeFileSync(process.env.BENCH_HOOK_OUT, JSON.stringify({ marks, atRequest, atExit: process.moduleLoadList }))
})
`
const hookFile = join(work, 'hook.cjs')
writeFileSync(hookFile, HOOK)

interface HookReport {
  marks: Record<string, number>
  atRequest?: string[]
  atExit: string[]
}

async function hookRun(command: ColdCommand): Promise<HookReport> {
  const out = join(work, `hook-${command.id}.json`)
  resetFiles(command.env)
  const run = await spawnNode(['--require', hookFile, ...command.args], { ...command.env, BENCH_HOOK_OUT: out })
  command.check?.(run)
  if (run.code !== 0) throw new Error(`bench: ${command.label} with the hook exited ${run.code}:\n${run.stderr}`)
  return JSON.parse(readFileSync(out, 'utf8')) as HookReport
}

const HOOK_ROUNDS = QUICK ? 2 : 8
const byId = (id: string): ColdCommand => coldCommands.find((command) => command.id === id) as ColdCommand
const hookedIds = ['https', 'client', 'action', 'action-ca']
const hookReports = new Map<string, HookReport[]>(hookedIds.map((id) => [id, []]))
for (let round = 0; round < HOOK_ROUNDS; round++) {
  for (let i = 0; i < hookedIds.length; i++) {
    const id = hookedIds[(i + round) % hookedIds.length]
    hookReports.get(id)?.push(await hookRun(byId(id)))
  }
}
function hooked(id: string): { marks: Record<string, number>; report: HookReport } {
  const all = hookReports.get(id) ?? []
  const names = [...new Set(all.flatMap((report) => Object.keys(report.marks)))]
  const marks = Object.fromEntries(names.map((name) => [name, median(all.map((report) => report.marks[name]).filter(Number.isFinite))]))
  return { marks, report: all[all.length - 1] }
}
const hookHttps = hooked('https')
const hookClient = hooked('client')
const hookAction = hooked('action')
const hookActionCa = hooked('action-ca')
csp.clearRequests()

const moduleName = (entry: string): string => entry.replace(/^NativeModule /, '').replace(/^Internal Binding /, 'binding:')
const loadedBefore = (report: HookReport): string[] => (report.atRequest ?? report.atExit).map(moduleName)
const actionModules = loadedBefore(hookAction.report)
const httpsModules = loadedBefore(hookHttps.report)
const clientModules = loadedBefore(hookClient.report)
const notIn = (list: string[], other: string[]): string[] => list.filter((name) => !other.includes(name))
const actionExtraVsClient = notIn(actionModules, clientModules)
const clientExtraVsHttps = notIn(clientModules, httpsModules)
// The public modules behind the action's extra built-ins (internal/fs/promises is fs/promises).
const extraPublic = [
  ...new Set(
    actionExtraVsClient
      .map((name) => (name === 'internal/fs/promises' ? 'fs/promises' : name))
      .filter((name) => !name.startsWith('internal/') && !name.startsWith('binding:')),
  ),
]
if (extraPublic.length) {
  // A reference row: what those built-ins cost on top of require('https'), without the bundle.
  coldCommands.push({
    id: 'extras',
    label: `\`node -e "require('https')"\` + the other public built-ins the action loads (${extraPublic.map((name) => `\`${name}\``).join(', ')})`,
    args: ['-e', ['https', ...extraPublic].map((name) => `require('${name}')`).join(';')],
    env: actionEnv,
    until: 'exit',
  })
}

interface ColdSample {
  value: number
  exit: number
}
const coldSamples = new Map<string, ColdSample[]>(coldCommands.map((command) => [command.id, []]))

async function coldRun(command: ColdCommand): Promise<ColdSample> {
  resetFiles(command.env)
  const before = csp.requests.length
  const run = await spawnNode(command.args, command.env)
  command.check?.(run)
  if (run.code !== 0) throw new Error(`bench: ${command.label} exited ${run.code}:\n${run.stderr}`)
  if (command.until === 'exit') return { value: run.exit - run.start, exit: run.exit - run.start }
  const first = csp.requests.slice(before).sort((a, b) => arrival(a) - arrival(b))[0]
  if (!first) throw new Error(`bench: ${command.label} sent no request`)
  return { value: arrival(first) - run.start, exit: run.exit - run.start }
}

for (let round = 0; round < WARMUP_ROUNDS + COLD_ROUNDS; round++) {
  // Rotate the order each round, so that no command always follows the same one.
  const order = coldCommands.map((_, i) => coldCommands[(i + round) % coldCommands.length])
  for (const command of order) {
    const sample = await coldRun(command)
    if (round >= WARMUP_ROUNDS) coldSamples.get(command.id)?.push(sample)
  }
}
csp.clearRequests()

const coldStats = new Map(
  coldCommands.map((command) => {
    const samples = coldSamples.get(command.id) ?? []
    const values = samples.map((sample) => sample.value)
    return [
      command.id,
      {
        median: median(values),
        p90: p90(values),
        min: Math.min(...values),
        exitMedian: median(samples.map((sample) => sample.exit)),
        n: values.length,
      },
    ]
  }),
)
const cold = (id: string): { median: number; p90: number; min: number; exitMedian: number; n: number } => {
  const stats = coldStats.get(id)
  if (!stats) throw new Error(`no cold-start stats for ${id}`)
  return stats
}
const bareMedian = cold('bare').median
const coldRatio = cold('action').median / bareMedian
const coldPass = coldRatio <= COLD_START_LIMIT
/** Median over rounds of (a − b) in the same round: steadier than a difference of medians under drift. */
function pairedDiff(a: string, b: string): number {
  const left = coldSamples.get(a) ?? []
  const right = coldSamples.get(b) ?? []
  return median(left.map((sample, i) => sample.value - right[i].value))
}

// ---------------------------------------------------------------------------------------------
// 3. Whole runs (main + post) per flow

interface StepSample {
  durationMs: number
  requests: RecordedRequest[]
}
interface FlowRun {
  main: StepSample
  post: StepSample
}
interface Flow {
  id: string
  label: string
  server: EmulatorServer
  inputs(): Record<string, string>
  /** Exchange and the lookup beside it, by emulator route name. */
  exchangeRoute: string
  parallelRoute?: string
  afterMain?(main: StepResult): void
  runs: FlowRun[]
}

let serviceAccountToken = vcd.serviceAccountToken
const flows: Flow[] = [
  {
    id: 'csp-api-token',
    label: 'CSP API token',
    server: csp,
    inputs: () => ({ 'api-token': csp.apiToken, url: csp.url }),
    exchangeRoute: 'api-token',
    parallelRoute: 'details',
    runs: [],
  },
  {
    id: 'csp-oauth-app',
    label: 'CSP OAuth app',
    server: csp,
    inputs: () => ({ 'client-id': csp.clientId, 'client-secret': csp.clientSecret, url: csp.url, org: csp.org }),
    exchangeRoute: 'oauth-app',
    runs: [],
  },
  {
    id: 'vcd-api-token',
    label: 'VCD API token (provider org)',
    server: vcd,
    inputs: () => ({ provider: 'vcd', 'api-token': vcd.providerToken, url: vcd.url }),
    exchangeRoute: 'token',
    parallelRoute: 'versions',
    runs: [],
  },
  {
    id: 'vcd-service-account',
    label: `VCD service account (org ${vcd.tenantOrg}, rotating)`,
    server: vcd,
    inputs: () => ({ provider: 'vcd', 'api-token': serviceAccountToken, url: vcd.url, org: vcd.tenantOrg }),
    exchangeRoute: 'token',
    parallelRoute: 'versions',
    afterMain(main) {
      const next = main.outputs['refresh-token']
      if (!next || next === serviceAccountToken) throw new Error('bench: the service-account token did not rotate')
      serviceAccountToken = next
    },
    runs: [],
  },
]

function failed(what: string, step: StepResult): Error {
  return new Error(`bench: ${what} failed (exit ${step.exitCode}):\n${step.log.join('\n')}\n${step.stderr}`)
}

async function measuredStep(server: EmulatorServer, options: StepOptions): Promise<{ step: StepResult; sample: StepSample }> {
  const before = server.requests.length
  const step = await runStep(options)
  return { step, sample: { durationMs: step.durationMs, requests: server.requests.slice(before) } }
}

async function flowRun(flow: Flow): Promise<FlowRun> {
  const inputs = flow.inputs()
  const main = await measuredStep(flow.server, { step: 'main', inputs, env: TRUST })
  if (!main.step.succeeded) throw failed(`${flow.label} main step`, main.step)
  flow.afterMain?.(main.step)
  const post = await measuredStep(flow.server, {
    step: 'post',
    inputs,
    env: TRUST,
    state: main.step.state,
    jobEnv: main.step.env,
    masks: main.step.masks,
  })
  if (!post.step.succeeded || post.step.warnings.length) throw failed(`${flow.label} post step`, post.step)
  return { main: main.sample, post: post.sample }
}

for (let round = 0; round < 1 + FLOW_RUNS; round++) {
  for (let i = 0; i < flows.length; i++) {
    const flow = flows[(i + round) % flows.length]
    const run = await flowRun(flow)
    if (round > 0) flow.runs.push(run) // round 0: warm-up
  }
}

interface Pair {
  exchangeArrived: number
  exchangeAnswered: number
  otherArrived: number
  otherAnswered: number
}

/** The exchange and its parallel lookup of one main step, relative to the step's first request. */
function pairOf(requests: RecordedRequest[], exchangeRoute: string, otherRoute: string): Pair {
  const origin = Math.min(...requests.map(arrival))
  const one = (route: string): RecordedRequest => {
    const found = requests.filter((request) => request.route === route)
    if (found.length !== 1) throw new Error(`bench: expected one ${route} request in a main step, saw ${found.length}`)
    return found[0]
  }
  const exchange = one(exchangeRoute)
  const other = one(otherRoute)
  return {
    exchangeArrived: arrival(exchange) - origin,
    exchangeAnswered: answered(exchange) - origin,
    otherArrived: arrival(other) - origin,
    otherAnswered: answered(other) - origin,
  }
}
const overlapOf = (pair: Pair): number =>
  Math.min(pair.exchangeAnswered, pair.otherAnswered) - Math.max(pair.exchangeArrived, pair.otherArrived)

const exchangeCounts = flows
  .filter((flow) => flow.server === csp)
  .flatMap((flow) => flow.runs.map((run) => run.main.requests.filter((request) => request.route === flow.exchangeRoute).length))

// Latency probe: the exchange and its lookup both answered PROBE_DELAY_MS late. In parallel, the
// main step gets about PROBE_DELAY_MS slower; one after the other, twice that.
interface Probe {
  flow: Flow
  pairs: Pair[]
  baseline: number
  delayed: number
  added: number
}
async function probe(flow: Flow): Promise<Probe> {
  const routes = [flow.exchangeRoute, flow.parallelRoute ?? '']
  const faults = routes.map((route) => flow.server.fault(route, { times: Infinity, delayMs: PROBE_DELAY_MS }))
  const pairs: Pair[] = []
  const durations: number[] = []
  try {
    for (let i = 0; i < PROBE_RUNS; i++) {
      const main = await measuredStep(flow.server, { step: 'main', inputs: flow.inputs(), env: TRUST })
      if (!main.step.succeeded) throw failed(`${flow.label} main step (latency probe)`, main.step)
      flow.afterMain?.(main.step)
      durations.push(main.sample.durationMs)
      pairs.push(pairOf(main.sample.requests, routes[0], routes[1]))
    }
  } finally {
    for (const fault of faults) fault.remove()
  }
  const baseline = median(flow.runs.map((run) => run.main.durationMs))
  const delayed = median(durations)
  return { flow, pairs, baseline, delayed, added: delayed - baseline }
}
const byFlow = (id: string): Flow => flows.find((flow) => flow.id === id) as Flow
const cspProbe = await probe(byFlow('csp-api-token'))
const vcdProbe = await probe(byFlow('vcd-api-token'))

const vcdPairs = ['vcd-api-token', 'vcd-service-account'].flatMap((id) =>
  byFlow(id).runs.map((run) => pairOf(run.main.requests, 'token', 'versions')),
)
const cspPairs = byFlow('csp-api-token').runs.map((run) => pairOf(run.main.requests, 'api-token', 'details'))
const isParallel = (pair: Pair): boolean => pair.otherArrived < pair.exchangeAnswered && pair.exchangeArrived < pair.otherAnswered
const vcdParallelProbe = vcdProbe.pairs.every(isParallel) && vcdProbe.added < 1.5 * PROBE_DELAY_MS
const cspOnePass = exchangeCounts.length > 0 && exchangeCounts.every((n) => n === 1)

// ---------------------------------------------------------------------------------------------
// 4. The 429 storm: STORM_SIZE main steps at once, the first STORM_SIZE token requests answered 429.

const storm = await new CspEmulator({ onArrival, onReply }).start()
const stormTokens = Array.from({ length: STORM_SIZE }, () => storm.addApiToken({}))
storm.fault('api-token', { times: STORM_SIZE, status: 429, headers: { 'retry-after': '1' } })
const stormStart = performance.now()
const stormSteps = await Promise.all(
  stormTokens.map((token) => runStep({ step: 'main', inputs: { 'api-token': token, url: storm.url }, env: TRUST, timeoutMs: 60_000 })),
)
const stormTotal = performance.now() - stormStart
await storm.close()

const stormOk = stormSteps.filter((step) => step.succeeded).length
const tokenRequests = storm.requestsTo('api-token').sort((a, b) => arrival(a) - arrival(b))
const attemptsByToken = new Map<string, RecordedRequest[]>()
for (const request of tokenRequests) {
  const token = request.form?.api_token ?? ''
  attemptsByToken.set(token, [...(attemptsByToken.get(token) ?? []), request])
}
const firstAttempts = [...attemptsByToken.values()].map((attempts) => attempts[0])
const retries = [...attemptsByToken.values()].flatMap((attempts) => attempts.slice(1))
const waveStart = Math.min(...firstAttempts.map(arrival))
const firstWave = firstAttempts.map((request) => arrival(request) - waveStart)
const retryTimes = retries.map((request) => arrival(request) - waveStart)
const retryWaits = [...attemptsByToken.values()].flatMap((attempts) =>
  attempts.slice(1).map((request, i) => arrival(request) - answered(attempts[i])),
)
const attemptsHistogram = new Map<number, number>()
for (const attempts of attemptsByToken.values()) attemptsHistogram.set(attempts.length, (attemptsHistogram.get(attempts.length) ?? 0) + 1)
const stormThrottled = tokenRequests.filter((request) => request.status === 429).length
const stormDetails = storm.requestsTo('details').length

const BUCKET_MS = 250
const lastBucket = Math.floor(Math.max(...firstWave, ...retryTimes, 0) / BUCKET_MS)
const histogramRows: string[] = []
const barWidth = Math.max(
  ...Array.from({ length: lastBucket + 1 }, (_, bucket) => firstWave.filter((value) => Math.floor(value / BUCKET_MS) === bucket).length),
)
for (let bucket = 0; bucket <= lastBucket; bucket++) {
  const inBucket = (values: number[]): number => values.filter((value) => Math.floor(value / BUCKET_MS) === bucket).length
  const first = inBucket(firstWave)
  const retry = inBucket(retryTimes)
  const from = ((bucket * BUCKET_MS) / 1000).toFixed(2)
  const to = (((bucket + 1) * BUCKET_MS) / 1000).toFixed(2)
  histogramRows.push(
    `+${from}–${to} s  first ${String(first).padStart(2)} ${'#'.repeat(first).padEnd(barWidth)}  retries ${String(retry).padStart(2)} ${'*'.repeat(retry)}`.trimEnd(),
  )
}

await csp.close()
await vcd.close()
const benchSeconds = (performance.now() - benchStarted) / 1000
const cpuAfter = cpuTicks()
/** Share of all CPUs that processes other than this benchmark and its children used during the run (Linux). */
const othersShare =
  cpuBefore && cpuAfter
    ? Math.max(0, cpuAfter.busy - cpuBefore.busy - (cpuAfter.own - cpuBefore.own)) / (cpuAfter.total - cpuBefore.total)
    : undefined

// ---------------------------------------------------------------------------------------------
// Report

const passMiss = (pass: boolean, miss: string): string => (pass ? 'PASS' : `**MISS** ${miss}`)
const flowStats = flows.map((flow) => {
  const total = flow.runs.map((run) => run.main.durationMs + run.post.durationMs)
  const busy = flow.runs.map((run) => busyTime(run.main.requests) + busyTime(run.post.requests))
  const summed = flow.runs.map((run) =>
    [...run.main.requests, ...run.post.requests].reduce((sum, request) => sum + answered(request) - arrival(request), 0),
  )
  const own = total.map((value, i) => value - busy[i])
  /** The step's requests: exchange ‖ its parallel lookup, then (when every run shows it) what waited for them. */
  const describe = (steps: RecordedRequest[][]): string => {
    const leading = (request: RecordedRequest): boolean => request.route === flow.exchangeRoute || request.route === flow.parallelRoute
    const named = (list: RecordedRequest[]): string => {
      const names = new Map<string, number>()
      for (const request of list) names.set(request.route ?? '404', (names.get(request.route ?? '404') ?? 0) + 1)
      return [...names].map(([name, n]) => (n > 1 ? `${n}× ${name}` : name)).join(' + ')
    }
    const first = steps[0] ?? []
    const rest = first.filter((request) => !leading(request))
    const lead = [flow.exchangeRoute, flow.parallelRoute].filter((name) => first.some((request) => request.route === name)).join(' ‖ ')
    if (!lead) return named(rest) || 'none'
    if (!rest.length) return lead
    const waited = steps.every((list) => {
      const leadDone = Math.max(...list.filter(leading).map(answered))
      return list.filter((request) => !leading(request)).every((request) => arrival(request) >= leadDone)
    })
    return `${lead}${waited ? ', then ' : ' + '}${named(rest)}`
  }
  const mainCounts = new Set(flow.runs.map((run) => run.main.requests.length))
  const postCounts = new Set(flow.runs.map((run) => run.post.requests.length))
  return {
    flow,
    total: median(total),
    main: median(flow.runs.map((run) => run.main.durationMs)),
    post: median(flow.runs.map((run) => run.post.durationMs)),
    busy: median(busy),
    summed: median(summed),
    own: median(own),
    mainRequests: [...mainCounts].join('/'),
    postRequests: [...postCounts].join('/'),
    mainRoutes: describe(flow.runs.map((run) => run.main.requests)),
    postRoutes: describe(flow.runs.map((run) => run.post.requests)),
  }
})

const a = cold('action')
const budget = COLD_START_LIMIT * bareMedian
const floorRatio = cold('client').median / bareMedian
const medianPair = (pairs: Pair[]): Pair => ({
  exchangeArrived: median(pairs.map((pair) => pair.exchangeArrived)),
  exchangeAnswered: median(pairs.map((pair) => pair.exchangeAnswered)),
  otherArrived: median(pairs.map((pair) => pair.otherArrived)),
  otherAnswered: median(pairs.map((pair) => pair.otherAnswered)),
})
const pairText = (pair: Pair, exchange: string, other: string): string =>
  `${exchange} arrived ${signedMs(pair.exchangeArrived)}, answered ${signedMs(pair.exchangeAnswered)}; ` +
  `${other} arrived ${signedMs(pair.otherArrived)}, answered ${signedMs(pair.otherAnswered)}; overlap ${ms(overlapOf(pair))}`

const summaryRows: string[][] = [
  [
    'dist/ JavaScript, total',
    `${kb(distTotal)} (${distTotal.toLocaleString('en')} bytes; ${count(distFiles.length, 'file')}: ${distFiles.map((file) => relative(ROOT, file)).join(', ')})`,
    `≤ ${kb(SIZE_LIMIT_BYTES)}`,
    passMiss(distTotal <= SIZE_LIMIT_BYTES, `by ${kb(distTotal - SIZE_LIMIT_BYTES)}`),
  ],
  ['entry `runs.main`', `${mainEntry.path}: ${kb(mainEntry.bytes)} (gzip ${kb(mainEntry.gzip)})`, '', ''],
  [
    'entry `runs.post`',
    sameEntry
      ? `${postEntry.path}: the same file as main (one bundle; the post step finds STATE_isPost=true), counted once`
      : `${postEntry.path}: ${kb(postEntry.bytes)} (gzip ${kb(postEntry.gzip)})`,
    '',
    '',
  ],
  [
    `cold start: action main step, spawn → first request at the emulator (median / p90, n=${a.n})`,
    `${ms(a.median)} / ${ms(a.p90)} = **${times(coldRatio)}** bare node`,
    `≤ ${COLD_START_LIMIT}x bare node (${ms(budget)})`,
    passMiss(coldPass, `by ${times(coldRatio - COLD_START_LIMIT)} (${ms(a.median - budget)} over budget)`),
  ],
  ['bare node `node -e 0`, spawn → exit', `${ms(cold('bare').median)} / ${ms(cold('bare').p90)} = 1.00x`, 'reference', ''],
  [
    '`node -e "require(\'https\')"`, spawn → exit',
    `${ms(cold('https').median)} / ${ms(cold('https').p90)} = ${times(cold('https').median / bareMedian)}`,
    'reference',
    '',
  ],
  [
    'minimal HTTPS client, spawn → first request',
    `${ms(cold('client').median)} / ${ms(cold('client').p90)} = ${times(floorRatio)}`,
    'floor for any HTTPS action',
    '',
  ],
  ...flowStats.map((stats) => [
    `whole run (main + post): ${stats.flow.label}`,
    `${ms(stats.total)} (main ${ms(stats.main)} + post ${ms(stats.post)}); HTTP requests main ${stats.mainRequests} (${stats.mainRoutes}), post ${stats.postRequests}${stats.postRequests === '0' ? '' : ` (${stats.postRoutes})`}; ` +
      `emulator busy ${ms(stats.busy)} → action's own work ${ms(stats.own)}`,
    '',
    '',
  ]),
  [
    'CSP token exchange: HTTP requests per main step',
    `${exchangeCounts.every((n) => n === 1) ? '1' : [...new Set(exchangeCounts)].join('/')} in ${exchangeCounts.filter((n) => n === 1).length}/${exchangeCounts.length} main steps ` +
      `(API token and OAuth app); the API-token expiry lookup is 1 more request, in parallel (overlap ${ms(overlapOf(medianPair(cspProbe.pairs)))} with ${PROBE_DELAY_MS} ms server latency)`,
    'exactly 1 round trip',
    passMiss(cspOnePass, `(${[...new Set(exchangeCounts)].join('/')} requests)`),
  ],
  [
    'Cloud Director `/api/versions` vs the token exchange',
    `versions arrived before the token answer was sent in ${vcdProbe.pairs.filter(isParallel).length}/${vcdProbe.pairs.length} runs with ${PROBE_DELAY_MS} ms server latency ` +
      `(overlap ${ms(overlapOf(medianPair(vcdProbe.pairs)))}; the main step got ${ms(vcdProbe.added)} slower, not ${2 * PROBE_DELAY_MS}) and in ${vcdPairs.filter(isParallel).length}/${vcdPairs.length} runs with none`,
    'in parallel, not after',
    passMiss(vcdParallelProbe, 'the lookup waits for the exchange'),
  ],
  [
    `429 storm: ${STORM_SIZE} main steps at once, first ${STORM_SIZE} token requests answered 429 (Retry-After: 1)`,
    `${seconds(stormTotal)} total; ${stormOk}/${STORM_SIZE} succeeded; ${count(retries.length, 'retry', 'retries')}; ` +
      `retries arrived ${seconds(Math.min(...retryTimes))} / ${seconds(median(retryTimes))} / ${seconds(Math.max(...retryTimes))} (min / median / max) after the first wave began`,
    '',
    '',
  ],
]

const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU'
const header = [
  '# Benchmark results',
  '',
  `\`npm run bench\` (bench/run.ts), ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}, node ${process.version} (${process.execPath === join(ROOT, 'node_modules/.bin/node') ? 'node_modules/.bin/node' : process.execPath}), ` +
    `${cpu}, ${count(os.cpus().length, 'core')}, ${os.type()} ${os.release()} ${os.arch()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM. ` +
    `Everything below comes from this one run on this machine; the benchmark took ${benchSeconds.toFixed(0)} s${QUICK ? ' (--quick: fewer repetitions)' : ''}. ` +
    (othersShare === undefined
      ? ''
      : `Other processes used ${(100 * othersShare).toFixed(0)}% of the CPUs while it ran${othersShare > 0.1 ? ': they competed with it, so absolute times are inflated and noisier; the interleaving keeps the comparisons within each round fair' : ''}.`),
  '',
  `Method: each measured process is a new \`${process.execPath.split('/').pop()}\` process; no NODE_COMPILE_CACHE or snapshot; the OS file cache is warm ` +
    `(${WARMUP_ROUNDS} discarded warm-up rounds of every command, one discarded whole run per flow), as on a runner that has just run another node step. ` +
    'Emulators run in the benchmark process on 127.0.0.1 with a private CA, trusted through NODE_EXTRA_CA_CERTS unless said otherwise. ' +
    `Times are performance.now() of the benchmark process: just before spawn(), at the child's exit, and when a request arrives at / is answered by an emulator${hookMissed.size ? ` (${count(hookMissed.size, 'request')}: times from the emulator's Date.now() record, 1 ms resolution)` : ''}.`,
]

const coldRows = coldCommands.map((command) => {
  const stats = cold(command.id)
  return [
    command.label,
    command.until === 'exit' ? 'exit' : 'first request',
    ms(stats.median),
    ms(stats.p90),
    ms(stats.min),
    times(stats.median / bareMedian),
    command.until === 'request' ? ms(stats.exitMedian) : '',
  ]
})

const phase = (marks: Record<string, number>, from: string, to: string): number => marks[to] - marks[from]
const phaseRows = (
  [
    ['minimal HTTPS client', hookClient.marks],
    ['action main step (NODE_EXTRA_CA_CERTS)', hookAction.marks],
    ['action main step (ca-certificate input)', hookActionCa.marks],
  ] as const
).map(([label, m]) => [
  label,
  ms(m.bootstrap),
  `${ms(m.request)} (+${ms(phase(m, 'bootstrap', 'request'))})`,
  `${ms(m.secure)} (+${ms(phase(m, 'request', 'secure'))})`,
  ms(m.exit),
])

const flowRows = flowStats.map((stats) => [
  stats.flow.label,
  ms(stats.main),
  ms(stats.post),
  ms(stats.total),
  `${stats.mainRequests} (${stats.mainRoutes})`,
  `${stats.postRequests} (${stats.postRoutes})`,
  ms(stats.busy),
  ms(stats.summed),
  ms(stats.own),
])

const attemptsText = [...attemptsHistogram]
  .sort((x, y) => x[0] - y[0])
  .map(([attempts, runs]) => `${count(runs, 'run')} took ${count(attempts, 'try', 'tries')}`)
  .join(', ')

const listModules = (names: string[]): string => (names.length ? names.map((name) => `\`${name}\``).join(', ') : '(none)')

/**
 * Which dependency brings in an extra built-in, checked in node_modules (the bundle keeps no
 * package names): only claims that the installed sources still bear out are printed.
 */
function attributions(extra: string[]): string[] {
  const has = (file: string, pattern: RegExp): boolean => {
    try {
      return pattern.test(readFileSync(join(ROOT, 'node_modules', file), 'utf8'))
    } catch {
      return false
    }
  }
  const found: string[] = []
  if (
    extra.includes('child_process') &&
    has('@actions/core/lib/platform.js', /from '@actions\/exec'/) &&
    has('@actions/exec/lib/toolrunner.js', /from 'child_process'/)
  ) {
    found.push(
      '`child_process` (and with it `dgram`, `spawn_sync`, `process_wrap`, `tty_wrap`): `@actions/exec`, which `@actions/core` imports in lib/platform.js ' +
        'for `platform.getDetails()`, which this action never calls',
    )
  }
  if (extra.includes('internal/fs/promises')) {
    const readers = [
      has('@actions/core/lib/summary.js', /=\s*promises;/) ? '`@actions/core` lib/summary.js' : '',
      has('@actions/io/lib/io-util.js', /=\s*fs\.promises;/) ? '`@actions/io` lib/io-util.js (via `@actions/exec`)' : '',
    ].filter(Boolean)
    if (readers.length) {
      found.push(
        '`internal/fs/promises` (and with it readline, `internal/repl/history`, the fs watchers and `fs_dir`): `fs.promises`, read when the module loads by ' +
          readers.join(' and '),
      )
    }
  }
  if (extra.includes('assert') && has('tunnel/lib/tunnel.js', /require\('assert'\)/)) {
    found.push("`assert` (and `internal/assert/*`): the `tunnel` package, @actions/http-client's proxy tunnel, requires it when it loads")
  }
  return found
}

const notes: string[] = []
if (!coldPass) {
  const actionMarks = hookAction.marks
  const clientMarks = hookClient.marks
  const extras = coldStats.has('extras') ? pairedDiff('extras', 'https') : Number.NaN
  const overFloor = pairedDiff('action', 'client')
  notes.push(
    `**Cold start misses ${COLD_START_LIMIT}x bare node** (${times(coldRatio)}: ${ms(a.median)} against a budget of ${ms(budget)}). ` +
      `Bare \`node -e 0\` only boots node and exits. A step that makes an HTTPS request must also load node's HTTP, TLS and crypto ` +
      `built-ins and do a TLS handshake: the minimal HTTPS client above (one \`https.get\`, nothing else) takes ${ms(cold('client').median)} ` +
      `to its first request, ${times(floorRatio)} bare node${floorRatio > COLD_START_LIMIT ? ', so no node action that talks HTTPS can meet the target on this machine' : ''}. ` +
      `That is the floor; the action is ${ms(pairedDiff('action', 'client'))} above it (median of the per-round differences).`,
  )
  notes.push(
    `Where the time goes (median of ${HOOK_ROUNDS} hooked runs, times from the child's own process start, see the phase table): node has booted at ` +
      `${ms(clientMarks.bootstrap)} (client) / ${ms(actionMarks.bootstrap)} (action); from there to the first client socket the client needs ` +
      `${ms(phase(clientMarks, 'bootstrap', 'request'))} (\`require('https')\` and one request), the action ${ms(phase(actionMarks, 'bootstrap', 'request'))} ` +
      `(the ${kb(mainEntry.bytes)} ESM bundle with its built-ins, then reading and checking the inputs); the TLS handshake then takes ` +
      `${ms(phase(clientMarks, 'request', 'secure'))} (client) / ${ms(phase(actionMarks, 'request', 'secure'))} (action).`,
  )
  notes.push(
    `Built-ins loaded by the first client socket (process.moduleLoadList, the same hook in each process): action ${actionModules.length}, ` +
      `minimal HTTPS client ${clientModules.length}, \`require('https')\` (at exit) ${httpsModules.length}; the client needs ` +
      `${clientExtraVsHttps.length ? listModules(clientExtraVsHttps) : 'none'} beyond \`require('https')\`. ` +
      `The action loads ${actionExtraVsClient.length} the client does not: ${listModules(actionExtraVsClient)}.` +
      (attributions(actionExtraVsClient).length ? ` Where they come from: ${attributions(actionExtraVsClient).join('; ')}.` : '') +
      (Number.isFinite(extras)
        ? ` Requiring their public modules on top of \`require('https')\` costs ${ms(extras)} (cold-start table, median of per-round differences)` +
          (extras > 0 && overFloor > 0
            ? `, about ${Math.round((100 * extras) / overFloor)}% of the action's ${ms(overFloor)} over the floor; the rest is compiling and running the bundle itself (ESM) and its work before the first request.`
            : ': no cost measurable in this run.')
        : ''),
  )
  notes.push(
    `With the \`ca-certificate\` input instead of NODE_EXTRA_CA_CERTS the action takes ${ms(cold('action-ca').median)} to its first request, ` +
      `${ms(pairedDiff('action-ca', 'action'))} more (median of per-round differences): it reads node's whole default CA list and installs it again together with the given CA ` +
      '(tls.setDefaultCACertificates), because @actions/http-client takes no CA option of its own. Only steps given a ca-certificate pay this.',
  )
}
if (!cspOnePass) notes.push(`A CSP main step sent ${[...new Set(exchangeCounts)].join(' or ')} exchange requests instead of exactly one.`)
if (!vcdParallelProbe) {
  notes.push(
    `With ${PROBE_DELAY_MS} ms server latency on both, the VCD main step got ${ms(vcdProbe.added)} slower (in parallel: about ${PROBE_DELAY_MS} ms; after each other: ${2 * PROBE_DELAY_MS} ms).`,
  )
}
/** How long after the first of the two requests was answered the second one arrived (negative: before). */
const gapAfterFirstAnswer = (pair: Pair): number =>
  pair.exchangeArrived >= pair.otherArrived ? pair.exchangeArrived - pair.otherAnswered : pair.otherArrived - pair.exchangeAnswered
const unprobedPairs = [...cspPairs, ...vcdPairs]
const handshake = phase(hookAction.marks, 'request', 'secure')
notes.push(
  `Without injected latency the emulator answers in well under a millisecond, so the exchange and its lookup rarely overlap at the server ` +
    `(VCD ${vcdPairs.filter(isParallel).length}/${vcdPairs.length} runs, CSP ${cspPairs.filter(isParallel).length}/${cspPairs.length}): ` +
    `the second of the two arrives a median ${ms(median(unprobedPairs.map(gapAfterFirstAnswer)))} after the first was answered ` +
    `(max ${ms(Math.max(...unprobedPairs.map(gapAfterFirstAnswer)))}). ` +
    (hookAction.marks.sockets >= 2
      ? `In ${unprobedPairs.filter((pair) => gapAfterFirstAnswer(pair) < handshake).length}/${unprobedPairs.length} runs that gap is shorter than ` +
        `the ${ms(handshake)} a TLS handshake takes in the action (phase table); as the action opens a new connection per request ` +
        `(${hookAction.marks.sockets} client sockets in a CSP main step), in those runs the second request cannot have waited for the first answer. `
      : '') +
    `The latency probe (${PROBE_DELAY_MS} ms on the exchange and on the lookup) shows it directly: the two arrive a median ` +
    `${ms(median([...vcdProbe.pairs, ...cspProbe.pairs].map((pair) => Math.abs(pair.otherArrived - pair.exchangeArrived))))} apart, ` +
    `and the main step gets one delay slower, not two (VCD ${ms(vcdProbe.added)}, CSP ${ms(cspProbe.added)}).`,
)
const retriesAmongFirst = retryTimes.filter((time) => time < Math.max(...firstWave)).length
notes.push(
  `The 429 storm runs ${STORM_SIZE} node processes (and the emulator) on ${count(os.cpus().length, 'core')}, so the first wave itself is spread over ` +
    `${seconds(Math.max(...firstWave))} by start-up alone. ` +
    (retriesAmongFirst
      ? `${count(retriesAmongFirst, 'retry', 'retries')} of early runs arrived before the last first tries and, being among the first ${STORM_SIZE} token requests, got 429 again while late first tries went through: ${attemptsText}. `
      : `Every first try arrived before any retry, so exactly the first tries got the ${stormThrottled} 429s: ${attemptsText}. `) +
    `Each retry arrived ${seconds(Math.min(...retryWaits))} to ${seconds(Math.max(...retryWaits))} (median ${seconds(median(retryWaits))}) after its 429 was sent: ` +
    `Retry-After's 1 s plus up to 1 s of random jitter (plus a new TLS connection), so the ${STORM_SIZE} runs do not come back as one wave.` +
    (Math.min(...retryWaits) < 1000
      ? ` ${count(retryWaits.filter((wait) => wait < 1000).length, 'retry', 'retries')} came a little under 1 s after the 429 left the emulator ` +
        `(${seconds(Math.min(...retryWaits))} at least): node times a setTimeout from its event loop's cached clock, which lags by tens of ` +
        `milliseconds when ${STORM_SIZE} processes share ${count(os.cpus().length, 'core')}.`
      : ''),
)

const markdown = [
  ...header,
  '',
  '## Summary',
  '',
  table(['Metric', 'Measured', 'Target', 'Result'], summaryRows),
  '',
  `## Cold start (${COLD_ROUNDS} interleaved rounds after ${WARMUP_ROUNDS} warm-up rounds)`,
  '',
  'Each round runs every command once, the order rotated each round. "first request": from just before spawn() to the arrival of the first request at the emulator (the CSP main step sends its exchange and its API-token expiry lookup at once; whichever arrives first). Ratio: the median divided by the median of bare node.',
  '',
  table(['Command', 'Until', 'Median', 'p90', 'Min', 'Ratio to bare', 'Median to exit'], coldRows),
  '',
  `Phases inside the child: median of ${HOOK_ROUNDS} separate runs with a \`--require\` hook (not part of the timings above), in the child's performance.now() (from its own process start; the time spawn() takes before that is not in it):`,
  '',
  table(['Process', 'node booted', 'first client socket', 'TLS handshake done', 'exit'], phaseRows),
  '',
  `## Whole runs, main + post (${FLOW_RUNS} runs per flow, interleaved, after one warm-up run each)`,
  '',
  'Steps run through the e2e runner emulation (test/e2e/support/runner.ts), each a new process; times are its spawn → exit per step. Round trips are the requests the emulator recorded during the step. "Emulator busy": time between a request\'s arrival and its answer, overlapping requests counted once; "action\'s own work" is the step time minus that. Summed request durations are shown too. Every column is a median over the runs, so the columns need not add up exactly.',
  '',
  table(
    ['Flow', 'Main', 'Post', 'Total', 'Requests main', 'Requests post', 'Emulator busy', 'Summed durations', "Action's own work"],
    flowRows,
  ),
  '',
  '## Parallel requests',
  '',
  'Times relative to the first request of the main step (medians). With the emulator answering at once:',
  '',
  `- CSP API token (exchange ‖ expiry lookup): ${pairText(medianPair(cspPairs), 'exchange', 'details lookup')}.`,
  `- Cloud Director (exchange ‖ /api/versions): ${pairText(medianPair(vcdPairs), 'token', 'versions')}.`,
  '',
  `Latency probe: both requests answered ${PROBE_DELAY_MS} ms late by the emulator (${PROBE_RUNS} main steps each):`,
  '',
  table(
    ['Flow', 'Exchange arrived / answered', 'Lookup arrived / answered', 'Overlap', 'Lookup before exchange answer', 'Main step added'],
    [cspProbe, vcdProbe].map((result) => {
      const pair = medianPair(result.pairs)
      return [
        `${result.flow.label}: ${result.flow.exchangeRoute} ‖ ${result.flow.parallelRoute}`,
        `${signedMs(pair.exchangeArrived)} / ${signedMs(pair.exchangeAnswered)}`,
        `${signedMs(pair.otherArrived)} / ${signedMs(pair.otherAnswered)}`,
        ms(overlapOf(pair)),
        `${result.pairs.filter(isParallel).length}/${result.pairs.length}`,
        `${ms(result.added)} (${ms(result.baseline)} → ${ms(result.delayed)}; sequential would add ≥ ${2 * PROBE_DELAY_MS} ms)`,
      ]
    }),
  ),
  '',
  `## 429 storm (${STORM_SIZE} concurrent main steps, one CSP emulator)`,
  '',
  `- Total, first spawn to last exit: ${seconds(stormTotal)}; ${stormOk}/${STORM_SIZE} steps succeeded.`,
  `- Token requests: ${tokenRequests.length} (${stormThrottled} answered 429), so ${count(retries.length, 'retry', 'retries')}; ${attemptsText}. Also ${stormDetails} API-token expiry lookups (not throttled).`,
  `- First wave (first try of each run) arrived over ${seconds(Math.max(...firstWave))}: min / median / max ${seconds(0)} / ${seconds(median(firstWave))} / ${seconds(Math.max(...firstWave))}.`,
  `- Retries arrived ${seconds(Math.min(...retryTimes))} / ${seconds(median(retryTimes))} / ${seconds(Math.max(...retryTimes))} (min / median / max) after the first wave began, ` +
    `each ${seconds(Math.min(...retryWaits))} / ${seconds(median(retryWaits))} / ${seconds(Math.max(...retryWaits))} after its own 429.`,
  '',
  `Arrivals after the first wave began, ${BUCKET_MS} ms buckets (# first tries, * retries):`,
  '',
  '```text',
  ...histogramRows,
  '```',
  '',
  '## Notes',
  '',
  ...notes.map((note) => `- ${note}`),
  '',
].join('\n')

console.log(markdown)
if (QUICK) console.log(`(--quick: ${relative(ROOT, RESULTS_FILE)} not written)`)
else writeFileSync(RESULTS_FILE, markdown)
console.error(`bench: ${benchSeconds.toFixed(1)} s`)
