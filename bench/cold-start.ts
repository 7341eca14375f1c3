/**
 * Phase 2: cold start. Every command is a new node process; "first request" is from just before
 * spawn() to the arrival of the first request at the emulator. A separate set of runs with a
 * --require hook shows where start-up goes (a hook costs time, so those runs are not timed).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from '../test/e2e/support/runner.ts'
import { resetFiles, spawnNode, stepEnv, type Bench, type Spawned } from './process.ts'
import type { Size } from './size.ts'
import { median, p90 } from './stats.ts'

export const COLD_START_LIMIT = 1.5
export const WARMUP_ROUNDS = 2

export interface ColdCommand {
  id: string
  label: string
  args: string[]
  env: Record<string, string>
  /** 'exit': spawn to exit; 'request': spawn to the first request the emulator received. */
  until: 'exit' | 'request'
  check?: (run: Spawned) => void
}

export interface ColdStats {
  median: number
  p90: number
  min: number
  exitMedian: number
  n: number
}

export interface HookReport {
  marks: Record<string, number>
  atRequest?: string[]
  atExit: string[]
}

/** Medians of the hooked runs of one command, and its last report (for the module lists). */
export interface Hooked {
  marks: Record<string, number>
  report: HookReport
}

export interface ColdStart {
  rounds: number
  hookRounds: number
  commands: ColdCommand[]
  stats: Map<string, ColdStats>
  cold(id: string): ColdStats
  bareMedian: number
  /** The action's median over bare node's. */
  ratio: number
  pass: boolean
  /** Median over rounds of (a − b) in the same round: steadier than a difference of medians under drift. */
  pairedDiff(a: string, b: string): number
  hooked: { https: Hooked; client: Hooked; action: Hooked; actionCa: Hooked }
  /** Built-ins loaded by the first client socket (or by exit), per process. */
  modules: { action: string[]; https: string[]; client: string[]; actionExtraVsClient: string[]; clientExtraVsHttps: string[] }
}

// Stamps node's bootstrap, the first client socket (an HTTP request's socket is made before its
// 'created' event), the finished TLS handshake, and lists the node built-ins loaded by the first
// socket, or by exit when there is none (process.moduleLoadList). The same for every command.
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
const CLIENT_SCRIPT = "require('https').get(process.env.BENCH_URL, (r) => r.resume())"

function commandsOf(bench: Bench, size: Size): ColdCommand[] {
  const { csp } = bench
  const dir = mkdtempSync(join(bench.work, 'cold-'))
  const inputs = { 'api-token': csp.apiToken, url: csp.url }
  const actionEnv = stepEnv(bench, dir, inputs, bench.trust)
  const actionCaEnv = stepEnv(bench, dir, { ...inputs, 'ca-certificate': csp.ca }, {})
  const checkAction = (run: Spawned): void => {
    const outputs = readFileSync(actionEnv.GITHUB_OUTPUT, 'utf8')
    if (run.code !== 0 || !outputs.includes('access-token<<')) {
      throw new Error(`bench: the action's main step failed (exit ${run.code}):\n${run.stderr}`)
    }
  }
  const main = join(ROOT, size.main.path)
  return [
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
      label: `action main step (${size.main.path}), CSP API token`,
      args: [main],
      env: actionEnv,
      until: 'request',
      check: checkAction,
    },
    {
      id: 'action-ca',
      label: 'the same, CA given in the `ca-certificate` input instead of NODE_EXTRA_CA_CERTS',
      args: [main],
      env: actionCaEnv,
      until: 'request',
      check: checkAction,
    },
  ]
}

async function hookedRuns(bench: Bench, commands: ColdCommand[], rounds: number): Promise<ColdStart['hooked']> {
  const hookFile = join(bench.work, 'hook.cjs')
  writeFileSync(hookFile, HOOK)
  const run = async (command: ColdCommand): Promise<HookReport> => {
    const out = join(bench.work, `hook-${command.id}.json`)
    resetFiles(command.env)
    const spawned = await spawnNode(['--require', hookFile, ...command.args], { ...command.env, BENCH_HOOK_OUT: out }, bench.work)
    command.check?.(spawned)
    if (spawned.code !== 0) throw new Error(`bench: ${command.label} with the hook exited ${spawned.code}:\n${spawned.stderr}`)
    return JSON.parse(readFileSync(out, 'utf8')) as HookReport
  }
  const ids = ['https', 'client', 'action', 'action-ca']
  const reports = new Map<string, HookReport[]>(ids.map((id) => [id, []]))
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[(i + round) % ids.length]
      reports.get(id)?.push(await run(commands.find((command) => command.id === id)!))
    }
  }
  const hooked = (id: string): Hooked => {
    const all = reports.get(id) ?? []
    const names = [...new Set(all.flatMap((report) => Object.keys(report.marks)))]
    const marks = Object.fromEntries(names.map((name) => [name, median(all.map((report) => report.marks[name]).filter(Number.isFinite))]))
    return { marks, report: all[all.length - 1] }
  }
  bench.csp.clearRequests()
  return { https: hooked('https'), client: hooked('client'), action: hooked('action'), actionCa: hooked('action-ca') }
}

function modulesOf(hooked: ColdStart['hooked']): ColdStart['modules'] {
  const moduleName = (entry: string): string => entry.replace(/^NativeModule /, '').replace(/^Internal Binding /, 'binding:')
  const loadedBefore = (report: HookReport): string[] => (report.atRequest ?? report.atExit).map(moduleName)
  const notIn = (list: string[], other: string[]): string[] => list.filter((name) => !other.includes(name))
  const action = loadedBefore(hooked.action.report)
  const https = loadedBefore(hooked.https.report)
  const client = loadedBefore(hooked.client.report)
  return { action, https, client, actionExtraVsClient: notIn(action, client), clientExtraVsHttps: notIn(client, https) }
}

export async function measureColdStart(bench: Bench, size: Size): Promise<ColdStart> {
  const rounds = bench.quick ? 6 : 40
  const hookRounds = bench.quick ? 2 : 8
  const commands = commandsOf(bench, size)
  const hooked = await hookedRuns(bench, commands, hookRounds)
  const modules = modulesOf(hooked)

  // The public modules behind the action's extra built-ins (internal/fs/promises is fs/promises).
  const extraPublic = [
    ...new Set(
      modules.actionExtraVsClient
        .map((name) => (name === 'internal/fs/promises' ? 'fs/promises' : name))
        .filter((name) => !name.startsWith('internal/') && !name.startsWith('binding:')),
    ),
  ]
  if (extraPublic.length) {
    // A reference row: what those built-ins cost on top of require('https'), without the bundle.
    commands.push({
      id: 'extras',
      label: `\`node -e "require('https')"\` + the other public built-ins the action loads (${extraPublic.map((name) => `\`${name}\``).join(', ')})`,
      args: ['-e', ['https', ...extraPublic].map((name) => `require('${name}')`).join(';')],
      env: commands[0].env,
      until: 'exit',
    })
  }

  const samples = new Map<string, { value: number; exit: number }[]>(commands.map((command) => [command.id, []]))
  const coldRun = async (command: ColdCommand): Promise<{ value: number; exit: number }> => {
    resetFiles(command.env)
    const before = bench.csp.requests.length
    const run = await spawnNode(command.args, command.env, bench.work)
    command.check?.(run)
    if (run.code !== 0) throw new Error(`bench: ${command.label} exited ${run.code}:\n${run.stderr}`)
    if (command.until === 'exit') return { value: run.exit - run.start, exit: run.exit - run.start }
    const first = bench.csp.requests.slice(before).sort((a, b) => bench.clock.arrival(a) - bench.clock.arrival(b))[0]
    if (!first) throw new Error(`bench: ${command.label} sent no request`)
    return { value: bench.clock.arrival(first) - run.start, exit: run.exit - run.start }
  }
  for (let round = 0; round < WARMUP_ROUNDS + rounds; round++) {
    // Rotate the order each round, so that no command always follows the same one.
    const order = commands.map((_, i) => commands[(i + round) % commands.length])
    for (const command of order) {
      const sample = await coldRun(command)
      if (round >= WARMUP_ROUNDS) samples.get(command.id)?.push(sample)
    }
  }
  bench.csp.clearRequests()

  const stats = new Map(
    commands.map((command) => {
      const list = samples.get(command.id) ?? []
      const values = list.map((sample) => sample.value)
      const entry: ColdStats = {
        median: median(values),
        p90: p90(values),
        min: Math.min(...values),
        exitMedian: median(list.map((sample) => sample.exit)),
        n: values.length,
      }
      return [command.id, entry]
    }),
  )
  const cold = (id: string): ColdStats => {
    const entry = stats.get(id)
    if (!entry) throw new Error(`no cold-start stats for ${id}`)
    return entry
  }
  const bareMedian = cold('bare').median
  const ratio = cold('action').median / bareMedian
  const pairedDiff = (a: string, b: string): number => {
    const left = samples.get(a) ?? []
    const right = samples.get(b) ?? []
    return median(left.map((sample, i) => sample.value - right[i].value))
  }
  return { rounds, hookRounds, commands, stats, cold, bareMedian, ratio, pass: ratio <= COLD_START_LIMIT, pairedDiff, hooked, modules }
}
