/**
 * Phase 3: whole runs (main + post) per flow, interleaved across flows, through the e2e runner
 * emulation; then a latency probe that answers the exchange and the lookup beside it late, to
 * show which requests run in parallel.
 */
import type { EmulatorServer, RecordedRequest } from '../test/e2e/support/emulator.ts'
import { runStep, type StepOptions, type StepResult } from '../test/e2e/support/runner.ts'
import type { RequestClock } from './clock.ts'
import { failed, type Bench } from './process.ts'
import { median } from './stats.ts'

/** Server latency injected to prove which requests run in parallel. */
export const PROBE_DELAY_MS = 200

export interface StepSample {
  durationMs: number
  requests: RecordedRequest[]
}

/** The connections (each one TLS handshake) that carried a step's requests. */
export const connectionsOf = (sample: StepSample): number => new Set(sample.requests.map((request) => request.connection)).size
export interface FlowRun {
  main: StepSample
  post: StepSample
}
export interface Flow {
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

/** The exchange and its parallel lookup of one main step, relative to the step's first request. */
export interface Pair {
  exchangeArrived: number
  exchangeAnswered: number
  otherArrived: number
  otherAnswered: number
}

export interface Probe {
  flow: Flow
  pairs: Pair[]
  baseline: number
  delayed: number
  added: number
}

export interface Flows {
  runsPerFlow: number
  probeRuns: number
  flows: Flow[]
  byFlow(id: string): Flow
  /** Exchange requests per CSP main step. */
  exchangeCounts: number[]
  cspProbe: Probe
  vcdProbe: Probe
  cspPairs: Pair[]
  vcdPairs: Pair[]
  vcdParallelProbe: boolean
  cspOnePass: boolean
}

export const overlapOf = (pair: Pair): number =>
  Math.min(pair.exchangeAnswered, pair.otherAnswered) - Math.max(pair.exchangeArrived, pair.otherArrived)
export const isParallel = (pair: Pair): boolean => pair.otherArrived < pair.exchangeAnswered && pair.exchangeArrived < pair.otherAnswered
export const medianPair = (pairs: Pair[]): Pair => ({
  exchangeArrived: median(pairs.map((pair) => pair.exchangeArrived)),
  exchangeAnswered: median(pairs.map((pair) => pair.exchangeAnswered)),
  otherArrived: median(pairs.map((pair) => pair.otherArrived)),
  otherAnswered: median(pairs.map((pair) => pair.otherAnswered)),
})
/** How long after the first of the two requests was answered the second one arrived (negative: before). */
export const gapAfterFirstAnswer = (pair: Pair): number =>
  pair.exchangeArrived >= pair.otherArrived ? pair.exchangeArrived - pair.otherAnswered : pair.otherArrived - pair.exchangeAnswered

function pairOf(clock: RequestClock, requests: RecordedRequest[], exchangeRoute: string, otherRoute: string): Pair {
  const origin = Math.min(...requests.map((request) => clock.arrival(request)))
  const one = (route: string): RecordedRequest => {
    const found = requests.filter((request) => request.route === route)
    if (found.length !== 1) throw new Error(`bench: expected one ${route} request in a main step, saw ${found.length}`)
    return found[0]
  }
  const exchange = one(exchangeRoute)
  const other = one(otherRoute)
  return {
    exchangeArrived: clock.arrival(exchange) - origin,
    exchangeAnswered: clock.answered(exchange) - origin,
    otherArrived: clock.arrival(other) - origin,
    otherAnswered: clock.answered(other) - origin,
  }
}

function flowsOf(bench: Bench): Flow[] {
  const { csp, vcd, vcfa, aria } = bench
  let serviceAccountToken = vcd.serviceAccountToken
  return [
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
    {
      id: 'vcfa-all-apps',
      label: `VCF Automation API token (All Apps org ${vcfa.tenantOrg})`,
      server: vcfa,
      inputs: () => ({ provider: 'vcfa', 'api-token': vcfa.tenantToken, url: vcfa.url, org: vcfa.tenantOrg }),
      exchangeRoute: 'token',
      parallelRoute: 'versions',
      runs: [],
    },
    {
      id: 'aria-automation',
      label: 'Aria Automation API token',
      server: aria,
      inputs: () => ({ provider: 'aria-automation', 'api-token': aria.refreshToken, url: aria.url }),
      exchangeRoute: 'login',
      runs: [],
    },
  ]
}

async function measuredStep(server: EmulatorServer, options: StepOptions): Promise<{ step: StepResult; sample: StepSample }> {
  const before = server.requests.length
  const step = await runStep(options)
  return { step, sample: { durationMs: step.durationMs, requests: server.requests.slice(before) } }
}

async function flowRun(bench: Bench, flow: Flow): Promise<FlowRun> {
  const inputs = flow.inputs()
  const main = await measuredStep(flow.server, { step: 'main', inputs, env: bench.trust })
  if (!main.step.succeeded) throw failed(`${flow.label} main step`, main.step)
  flow.afterMain?.(main.step)
  const post = await measuredStep(flow.server, {
    step: 'post',
    inputs,
    env: bench.trust,
    state: main.step.state,
    jobEnv: main.step.env,
    masks: main.step.masks,
  })
  if (!post.step.succeeded || post.step.warnings.length) throw failed(`${flow.label} post step`, post.step)
  return { main: main.sample, post: post.sample }
}

// In parallel, the main step gets about PROBE_DELAY_MS slower; one after the other, twice that.
async function probe(bench: Bench, flow: Flow, runs: number): Promise<Probe> {
  const routes = [flow.exchangeRoute, flow.parallelRoute ?? '']
  const faults = routes.map((route) => flow.server.fault(route, { times: Infinity, delayMs: PROBE_DELAY_MS }))
  const pairs: Pair[] = []
  const durations: number[] = []
  try {
    for (let i = 0; i < runs; i++) {
      const main = await measuredStep(flow.server, { step: 'main', inputs: flow.inputs(), env: bench.trust })
      if (!main.step.succeeded) throw failed(`${flow.label} main step (latency probe)`, main.step)
      flow.afterMain?.(main.step)
      durations.push(main.sample.durationMs)
      pairs.push(pairOf(bench.clock, main.sample.requests, routes[0], routes[1]))
    }
  } finally {
    for (const fault of faults) fault.remove()
  }
  const baseline = median(flow.runs.map((run) => run.main.durationMs))
  const delayed = median(durations)
  return { flow, pairs, baseline, delayed, added: delayed - baseline }
}

export async function measureFlows(bench: Bench): Promise<Flows> {
  const runsPerFlow = bench.quick ? 3 : 12
  const probeRuns = bench.quick ? 2 : 4
  const flows = flowsOf(bench)
  for (let round = 0; round < 1 + runsPerFlow; round++) {
    for (let i = 0; i < flows.length; i++) {
      const flow = flows[(i + round) % flows.length]
      const run = await flowRun(bench, flow)
      if (round > 0) flow.runs.push(run) // round 0: warm-up
    }
  }
  const byFlow = (id: string): Flow => flows.find((flow) => flow.id === id)!
  const exchangeCounts = flows
    .filter((flow) => flow.server === bench.csp)
    .flatMap((flow) => flow.runs.map((run) => run.main.requests.filter((request) => request.route === flow.exchangeRoute).length))
  const cspProbe = await probe(bench, byFlow('csp-api-token'), probeRuns)
  const vcdProbe = await probe(bench, byFlow('vcd-api-token'), probeRuns)
  const vcdPairs = ['vcd-api-token', 'vcd-service-account'].flatMap((id) =>
    byFlow(id).runs.map((run) => pairOf(bench.clock, run.main.requests, 'token', 'versions')),
  )
  const cspPairs = byFlow('csp-api-token').runs.map((run) => pairOf(bench.clock, run.main.requests, 'api-token', 'details'))
  return {
    runsPerFlow,
    probeRuns,
    flows,
    byFlow,
    exchangeCounts,
    cspProbe,
    vcdProbe,
    cspPairs,
    vcdPairs,
    vcdParallelProbe: vcdProbe.pairs.every(isParallel) && vcdProbe.added < 1.5 * PROBE_DELAY_MS,
    cspOnePass: exchangeCounts.length > 0 && exchangeCounts.every((n) => n === 1),
  }
}
