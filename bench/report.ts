/** The report: bench/RESULTS.md, from the results of every phase. */
import os from 'node:os'
import { isAbsolute, relative } from 'node:path'
import { ROOT } from '../test/e2e/support/runner.ts'
import type { RecordedRequest } from '../test/e2e/support/emulator.ts'
import { COLD_START_LIMIT, WARMUP_ROUNDS, type ColdStart } from './cold-start.ts'
import { connectionsOf, isParallel, medianPair, overlapOf, PROBE_DELAY_MS, type Flows, type Pair } from './flows.ts'
import { notesOf } from './notes.ts'
import type { Bench } from './process.ts'
import type { ThroughProxy } from './proxy.ts'
import { SIZE_LIMIT_BYTES, type Size } from './size.ts'
import { count, kb, median, ms, passMiss, seconds, signedMs, table, times } from './stats.ts'
import { BUCKET_MS, STORM_SIZE, stormHistogram, type Storm } from './storm.ts'

export interface Results {
  bench: Bench
  size: Size
  cold: ColdStart
  flows: Flows
  proxy: ThroughProxy
  storm: Storm
  /** How long the whole benchmark took. */
  benchSeconds: number
  /** Share of all CPUs that processes other than this benchmark and its children used during the run (Linux). */
  othersShare: number | undefined
}

/** The node that ran, relative to the project when it is the one npm ci brought (no path of this machine in the report). */
function nodeName(): string {
  const path = relative(ROOT, process.execPath)
  return path.startsWith('..') || isAbsolute(path) ? process.execPath.split('/').pop()! : path
}

export const phase = (marks: Record<string, number>, from: string, to: string): number => marks[to] - marks[from]

export function attemptsText(storm: Storm): string {
  return [...storm.attemptsHistogram]
    .sort((x, y) => x[0] - y[0])
    .map(([attempts, runs]) => `${count(runs, 'run')} took ${count(attempts, 'try', 'tries')}`)
    .join(', ')
}

/** Per flow: medians of its whole runs, the emulator's busy time, and what it did. */
export function flowStatsOf(bench: Bench, f: Flows) {
  const { clock } = bench
  return f.flows.map((flow) => {
    const total = flow.runs.map((run) => run.main.durationMs + run.post.durationMs)
    const busy = flow.runs.map((run) => clock.busyTime(run.main.requests) + clock.busyTime(run.post.requests))
    const summed = flow.runs.map((run) =>
      [...run.main.requests, ...run.post.requests].reduce((sum, request) => sum + clock.answered(request) - clock.arrival(request), 0),
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
        const leadDone = Math.max(...list.filter(leading).map((request) => clock.answered(request)))
        return list.filter((request) => !leading(request)).every((request) => clock.arrival(request) >= leadDone)
      })
      return `${lead}${waited ? ', then ' : ' + '}${named(rest)}`
    }
    const mainCounts = new Set(flow.runs.map((run) => run.main.requests.length))
    const postCounts = new Set(flow.runs.map((run) => run.post.requests.length))
    const mainConnections = new Set(flow.runs.map((run) => connectionsOf(run.main)))
    const postConnections = new Set(flow.runs.map((run) => connectionsOf(run.post)))
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
      mainConnections: [...mainConnections].join('/'),
      postConnections: [...postConnections].join('/'),
      mainRoutes: describe(flow.runs.map((run) => run.main.requests)),
      postRoutes: describe(flow.runs.map((run) => run.post.requests)),
    }
  })
}

export function renderReport(r: Results): string {
  const { bench, size, cold: c, flows: f, proxy, storm, benchSeconds, othersShare } = r
  const proxyFlows = proxy.flows
  const clock = bench.clock
  const flowStats = flowStatsOf(bench, f)
  const a = c.cold('action')
  const budget = COLD_START_LIMIT * c.bareMedian
  const floorRatio = c.cold('client').median / c.bareMedian
  const pairText = (pair: Pair, exchange: string, other: string): string =>
    `${exchange} arrived ${signedMs(pair.exchangeArrived)}, answered ${signedMs(pair.exchangeAnswered)}; ` +
    `${other} arrived ${signedMs(pair.otherArrived)}, answered ${signedMs(pair.otherAnswered)}; overlap ${ms(overlapOf(pair))}`

  const summaryRows: string[][] = [
    [
      'dist/ JavaScript, total',
      `${kb(size.total)} (${size.total.toLocaleString('en')} bytes; ${count(size.files.length, 'file')}: each step's entry and the chunks it loads per provider)`,
      '',
      '',
    ],
    ...(['main', 'post'] as const).map((step) => {
      const loads = size.loads.filter((load) => load.step === step)
      const largest = loads.reduce((most, load) => (load.bytes > most.bytes ? load : most))
      const smallest = loads.reduce((least, load) => (load.bytes < least.bytes ? load : least))
      return [
        `step \`runs.${step}\`: entry and the chunks of one provider`,
        `entry ${size[step].path} ${kb(size[step].bytes)} (gzip ${kb(size[step].gzip)}); with its provider's chunks ` +
          `${kb(smallest.bytes)} (${smallest.provider}) to ${kb(largest.bytes)} (${largest.provider}), ${count(loads.length, 'provider')}`,
        `≤ ${kb(SIZE_LIMIT_BYTES)}`,
        passMiss(largest.bytes <= SIZE_LIMIT_BYTES, `by ${kb(largest.bytes - SIZE_LIMIT_BYTES)}`),
      ]
    }),
    [
      `cold start: action main step, spawn → first request at the emulator (median / p90, n=${a.n})`,
      `${ms(a.median)} / ${ms(a.p90)} = **${times(c.ratio)}** bare node`,
      `≤ ${COLD_START_LIMIT}x bare node (${ms(budget)})`,
      passMiss(c.pass, `by ${times(c.ratio - COLD_START_LIMIT)} (${ms(a.median - budget)} over budget)`),
    ],
    ['bare node `node -e 0`, spawn → exit', `${ms(c.cold('bare').median)} / ${ms(c.cold('bare').p90)} = 1.00x`, 'reference', ''],
    [
      '`node -e "require(\'https\')"`, spawn → exit',
      `${ms(c.cold('https').median)} / ${ms(c.cold('https').p90)} = ${times(c.cold('https').median / c.bareMedian)}`,
      'reference',
      '',
    ],
    [
      'minimal HTTPS client, spawn → first request',
      `${ms(c.cold('client').median)} / ${ms(c.cold('client').p90)} = ${times(floorRatio)}`,
      'floor for any HTTPS action',
      '',
    ],
    ...flowStats.map((stats) => [
      `whole run (main + post): ${stats.flow.label}`,
      `${ms(stats.total)} (main ${ms(stats.main)} + post ${ms(stats.post)}); HTTP requests main ${stats.mainRequests} (${stats.mainRoutes}) over ${stats.mainConnections} TLS ${stats.mainConnections === '1' ? 'connection' : 'connections'}, post ${stats.postRequests}${stats.postRequests === '0' ? '' : ` (${stats.postRoutes})`}; ` +
        `emulator busy ${ms(stats.busy)} → action's own work ${ms(stats.own)}`,
      '',
      '',
    ]),
    [
      'CSP token exchange: HTTP requests per main step',
      `${f.exchangeCounts.every((n) => n === 1) ? '1' : [...new Set(f.exchangeCounts)].join('/')} in ${f.exchangeCounts.filter((n) => n === 1).length}/${f.exchangeCounts.length} main steps ` +
        `(API token and OAuth app); the API-token expiry lookup is 1 more request, in parallel (overlap ${ms(overlapOf(medianPair(f.cspProbe.pairs)))} with ${PROBE_DELAY_MS} ms server latency)`,
      'exactly 1 round trip',
      passMiss(f.cspOnePass, `(${[...new Set(f.exchangeCounts)].join('/')} requests)`),
    ],
    [
      'Cloud Director `/api/versions` vs the token exchange',
      `versions arrived before the token answer was sent in ${f.vcdProbe.pairs.filter(isParallel).length}/${f.vcdProbe.pairs.length} runs with ${PROBE_DELAY_MS} ms server latency ` +
        `(overlap ${ms(overlapOf(medianPair(f.vcdProbe.pairs)))}; the main step got ${ms(f.vcdProbe.added)} slower, not ${2 * PROBE_DELAY_MS}) and in ${f.vcdPairs.filter(isParallel).length}/${f.vcdPairs.length} runs with none`,
      'in parallel, not after',
      passMiss(f.vcdParallelProbe, 'the lookup waits for the exchange'),
    ],
    ...proxyFlows.map((flow) => [
      `main step through a proxy ${proxy.rttMs} ms of round trip away: ${flow.label}`,
      `${ms(median(flow.mainMs))} (median of ${flow.mainMs.length}); ${count(flow.requests[0], 'request')} over ${[...new Set(flow.tunnels)].join('/')} ${flow.tunnels.every((n) => n === 1) ? 'tunnel' : 'tunnels'} (= TLS handshakes)` +
        (flow.follow
          ? `; the ${flow.follow} lookup went out on an open tunnel in ${flow.followReused}/${flow.followGaps.length} runs, ${ms(median(flow.followGaps))} after the answers it waited for`
          : ''),
      flow.follow ? 'one TLS handshake per host where the flow allows' : '',
      flow.follow ? passMiss(flow.followReused === flow.followGaps.length, 'a new connection for a request that could reuse one') : '',
    ]),
    [
      `429 storm: ${STORM_SIZE} main steps at once, first ${STORM_SIZE} token requests answered 429 (Retry-After: 1)`,
      `${seconds(storm.totalMs)} total; ${storm.succeeded}/${STORM_SIZE} succeeded; ${count(storm.retries.length, 'retry', 'retries')}; ` +
        `retries arrived ${seconds(Math.min(...storm.retryTimes))} / ${seconds(median(storm.retryTimes))} / ${seconds(Math.max(...storm.retryTimes))} (min / median / max) after the first wave began`,
      '',
      '',
    ],
  ]

  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU'
  const header = [
    '# Benchmark results',
    '',
    `\`npm run bench\` (bench/run.ts), ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}, node ${process.version} (${nodeName()}), ` +
      `${cpu}, ${count(os.cpus().length, 'core')}, ${os.type()} ${os.release()} ${os.arch()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM. ` +
      `Everything below comes from this one run on this machine; the benchmark took ${benchSeconds.toFixed(0)} s${bench.quick ? ' (--quick: fewer repetitions)' : ''}. ` +
      (othersShare === undefined
        ? ''
        : `Other processes used ${(100 * othersShare).toFixed(0)}% of the CPUs while it ran${othersShare > 0.1 ? ': they competed with it, so absolute times are inflated and noisier; the interleaving keeps the comparisons within each round fair' : ''}.`),
    '',
    `Method: each measured process is a new \`${process.execPath.split('/').pop()}\` process; no NODE_COMPILE_CACHE or snapshot; the OS file cache is warm ` +
      `(${WARMUP_ROUNDS} discarded warm-up rounds of every command, one discarded whole run per flow), as on a runner that has just run another node step. ` +
      'Emulators run in the benchmark process on 127.0.0.1 with a private CA, trusted through NODE_EXTRA_CA_CERTS unless said otherwise. ' +
      `Times are performance.now() of the benchmark process: just before spawn(), at the child's exit, and when a request arrives at / is answered by an emulator${clock.missed.size ? ` (${count(clock.missed.size, 'request')}: times from the emulator's Date.now() record, 1 ms resolution)` : ''}.`,
  ]

  const coldRows = c.commands.map((command) => {
    const stats = c.cold(command.id)
    return [
      command.label,
      command.until === 'exit' ? 'exit' : 'first request',
      ms(stats.median),
      ms(stats.p90),
      ms(stats.min),
      times(stats.median / c.bareMedian),
      command.until === 'request' ? ms(stats.exitMedian) : '',
    ]
  })

  const phaseRows = (
    [
      ['minimal HTTPS client', c.hooked.client.marks],
      ['action main step (NODE_EXTRA_CA_CERTS)', c.hooked.action.marks],
      ['action main step (ca-certificate input)', c.hooked.actionCa.marks],
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
    `${stats.mainConnections} / ${stats.postConnections}`,
    ms(stats.busy),
    ms(stats.summed),
    ms(stats.own),
  ])

  const notes = notesOf(r)
  return [
    ...header,
    '',
    '## Summary',
    '',
    table(['Metric', 'Measured', 'Target', 'Result'], summaryRows),
    '',
    `## Cold start (${c.rounds} interleaved rounds after ${WARMUP_ROUNDS} warm-up rounds)`,
    '',
    'Each round runs every command once, the order rotated each round. "first request": from just before spawn() to the arrival of the first request at the emulator (the CSP main step sends its exchange and its API-token expiry lookup at once; whichever arrives first). Ratio: the median divided by the median of bare node.',
    '',
    table(['Command', 'Until', 'Median', 'p90', 'Min', 'Ratio to bare', 'Median to exit'], coldRows),
    '',
    `Phases inside the child: median of ${c.hookRounds} separate runs with a \`--require\` hook (not part of the timings above), in the child's performance.now() (from its own process start; the time spawn() takes before that is not in it):`,
    '',
    table(['Process', 'node booted', 'first client socket', 'TLS handshake done', 'exit'], phaseRows),
    '',
    `## Whole runs, main + post (${f.runsPerFlow} runs per flow, interleaved, after one warm-up run each)`,
    '',
    'Steps run through the e2e runner emulation (test/e2e/support/runner.ts), each a new process; times are its spawn → exit per step. Round trips are the requests the emulator recorded during the step. "Emulator busy": time between a request\'s arrival and its answer, overlapping requests counted once; "action\'s own work" is the step time minus that. Summed request durations are shown too. Every column is a median over the runs, so the columns need not add up exactly.',
    '',
    table(
      [
        'Flow',
        'Main',
        'Post',
        'Total',
        'Requests main',
        'Requests post',
        'TLS connections main / post',
        'Emulator busy',
        'Summed durations',
        "Action's own work",
      ],
      flowRows,
    ),
    '',
    `## Through a proxy ${proxy.rttMs} ms of round trip away (${proxy.runs} main steps per flow, after one warm-up each)`,
    '',
    `A CONNECT proxy (test/e2e/support/tcp.ts) that answers each CONNECT ${proxy.rttMs} ms late and holds every chunk of a tunnel ${proxy.rttMs / 2} ms each way; the emulators sit behind a host name only the proxy resolves. ` +
      'Each new connection costs a CONNECT and a TLS handshake: two round trips. A request that follows others (the session lookup after the exchange and the version lookup) goes out on a tunnel already open, so it arrives one round trip after the last answer it waited for; on a new connection it would take three.',
    '',
    table(
      [
        'Flow',
        'Main step (median)',
        'Requests',
        'Tunnels (TLS handshakes)',
        'Request that waited: on an open tunnel',
        'its arrival after the answers it waited for (median)',
      ],
      proxyFlows.map((flow) => [
        flow.label,
        ms(median(flow.mainMs)),
        [...new Set(flow.requests)].join('/'),
        [...new Set(flow.tunnels)].join('/'),
        flow.follow ? `${flow.follow}: ${flow.followReused}/${flow.followGaps.length} runs` : '(none)',
        flow.follow ? ms(median(flow.followGaps)) : '',
      ]),
    ),
    '',
    '## Parallel requests',
    '',
    'Times relative to the first request of the main step (medians). With the emulator answering at once:',
    '',
    `- CSP API token (exchange ‖ expiry lookup): ${pairText(medianPair(f.cspPairs), 'exchange', 'details lookup')}.`,
    `- Cloud Director (exchange ‖ /api/versions): ${pairText(medianPair(f.vcdPairs), 'token', 'versions')}.`,
    '',
    `Latency probe: both requests answered ${PROBE_DELAY_MS} ms late by the emulator (${f.probeRuns} main steps each):`,
    '',
    table(
      ['Flow', 'Exchange arrived / answered', 'Lookup arrived / answered', 'Overlap', 'Lookup before exchange answer', 'Main step added'],
      [f.cspProbe, f.vcdProbe].map((result) => {
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
    `- Total, first spawn to last exit: ${seconds(storm.totalMs)}; ${storm.succeeded}/${STORM_SIZE} steps succeeded.`,
    `- Token requests: ${storm.tokenRequests.length} (${storm.throttled} answered 429), so ${count(storm.retries.length, 'retry', 'retries')}; ${attemptsText(storm)}. Also ${storm.detailsLookups} API-token expiry lookups (not throttled).`,
    `- First wave (first try of each run) arrived over ${seconds(Math.max(...storm.firstWave))}: min / median / max ${seconds(0)} / ${seconds(median(storm.firstWave))} / ${seconds(Math.max(...storm.firstWave))}.`,
    `- Retries arrived ${seconds(Math.min(...storm.retryTimes))} / ${seconds(median(storm.retryTimes))} / ${seconds(Math.max(...storm.retryTimes))} (min / median / max) after the first wave began, ` +
      `each ${seconds(Math.min(...storm.retryWaits))} / ${seconds(median(storm.retryWaits))} / ${seconds(Math.max(...storm.retryWaits))} after its own 429.`,
    '',
    `Arrivals after the first wave began, ${BUCKET_MS} ms buckets (# first tries, * retries):`,
    '',
    '```text',
    ...stormHistogram(storm),
    '```',
    '',
    '## Notes',
    '',
    ...notes.map((note) => `- ${note}`),
    '',
  ].join('\n')
}
