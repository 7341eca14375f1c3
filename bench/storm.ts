/** Phase 4: the 429 storm: STORM_SIZE main steps at once, the first STORM_SIZE token requests answered 429 (Retry-After: 1). */
import { CspEmulator } from '../test/e2e/support/csp-emulator.ts'
import type { RecordedRequest } from '../test/e2e/support/emulator.ts'
import { runStep } from '../test/e2e/support/runner.ts'
import type { Bench } from './process.ts'

export const STORM_SIZE = 50
export const BUCKET_MS = 250

export interface Storm {
  /** First spawn to last exit. */
  totalMs: number
  succeeded: number
  tokenRequests: RecordedRequest[]
  retries: RecordedRequest[]
  /** First try of each run, ms after the first one arrived. */
  firstWave: number[]
  /** Each retry, ms after the first try of the first run arrived. */
  retryTimes: number[]
  /** Each retry, ms after its own 429 was answered. */
  retryWaits: number[]
  /** Runs by the number of tries they took. */
  attemptsHistogram: Map<number, number>
  throttled: number
  detailsLookups: number
}

export async function runStorm(bench: Bench): Promise<Storm> {
  const { clock } = bench
  const storm = await new CspEmulator(clock.hooks).start()
  const tokens = Array.from({ length: STORM_SIZE }, () => storm.addApiToken({}))
  storm.fault('api-token', { times: STORM_SIZE, status: 429, headers: { 'retry-after': '1' } })
  const started = performance.now()
  const steps = await Promise.all(
    tokens.map((token) => runStep({ step: 'main', inputs: { 'api-token': token, url: storm.url }, env: bench.trust, timeoutMs: 60_000 })),
  )
  const totalMs = performance.now() - started
  await storm.close()

  const tokenRequests = storm.requestsTo('api-token').sort((a, b) => clock.arrival(a) - clock.arrival(b))
  const attemptsByToken = new Map<string, RecordedRequest[]>()
  for (const request of tokenRequests) {
    const token = request.form?.api_token ?? ''
    attemptsByToken.set(token, [...(attemptsByToken.get(token) ?? []), request])
  }
  const firstAttempts = [...attemptsByToken.values()].map((attempts) => attempts[0])
  const retries = [...attemptsByToken.values()].flatMap((attempts) => attempts.slice(1))
  const waveStart = Math.min(...firstAttempts.map((request) => clock.arrival(request)))
  const attemptsHistogram = new Map<number, number>()
  for (const attempts of attemptsByToken.values()) attemptsHistogram.set(attempts.length, (attemptsHistogram.get(attempts.length) ?? 0) + 1)
  return {
    totalMs,
    succeeded: steps.filter((step) => step.succeeded).length,
    tokenRequests,
    retries,
    firstWave: firstAttempts.map((request) => clock.arrival(request) - waveStart),
    retryTimes: retries.map((request) => clock.arrival(request) - waveStart),
    retryWaits: [...attemptsByToken.values()].flatMap((attempts) =>
      attempts.slice(1).map((request, i) => clock.arrival(request) - clock.answered(attempts[i])),
    ),
    attemptsHistogram,
    throttled: tokenRequests.filter((request) => request.status === 429).length,
    detailsLookups: storm.requestsTo('details').length,
  }
}

/** Arrivals after the first wave began, in BUCKET_MS buckets: # first tries, * retries. */
export function stormHistogram(storm: Storm): string[] {
  const { firstWave, retryTimes } = storm
  const lastBucket = Math.floor(Math.max(...firstWave, ...retryTimes, 0) / BUCKET_MS)
  const inBucket = (values: number[], bucket: number): number => values.filter((value) => Math.floor(value / BUCKET_MS) === bucket).length
  const barWidth = Math.max(...Array.from({ length: lastBucket + 1 }, (_, bucket) => inBucket(firstWave, bucket)))
  const rows: string[] = []
  for (let bucket = 0; bucket <= lastBucket; bucket++) {
    const first = inBucket(firstWave, bucket)
    const retry = inBucket(retryTimes, bucket)
    const from = ((bucket * BUCKET_MS) / 1000).toFixed(2)
    const to = (((bucket + 1) * BUCKET_MS) / 1000).toFixed(2)
    rows.push(
      `+${from}–${to} s  first ${String(first).padStart(2)} ${'#'.repeat(first).padEnd(barWidth)}  retries ${String(retry).padStart(2)} ${'*'.repeat(retry)}`.trimEnd(),
    )
  }
  return rows
}
