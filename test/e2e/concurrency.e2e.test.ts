/**
 * Concurrency end to end: 50 runs of the built action at once against one CSP emulator that
 * answers 429 to the first wave (the first 50 token requests, one per run). The emulator holds
 * the whole first wave and answers it at the same instant, so that the retries' arrival times
 * show the backoff alone, not the spread of 50 processes starting on 2 cores: a thundering herd
 * would come back in one burst; full jitter spreads it over the backoff window.
 *
 * Every run must succeed within max-attempts (exactly: 429 then 200), and every run is
 * leak-scanned. The spread is printed: min / median / max of the retries' arrival after the
 * release, and how many 100 ms buckets they fall into.
 */
import { describe, expect, it } from 'vitest'
import { CSP_API_TOKEN_PATH, CspEmulator, cspError } from './support/csp-emulator.ts'
import type { RecordedRequest, Reply } from './support/emulator.ts'
import { assertNoLeaks, runStep, type StepResult } from './support/runner.ts'
import { CLOCK_GRAIN_MS, expectReportedPacing, reportedTries } from './support/pacing.ts'

const RUNS = 50
const BUCKET_MS = 100
const TIMEOUT_SECONDS = 25
const ATTEMPTS = 3
/** The first wave is released after this long at most, even if some runs never arrive. */
const BARRIER_TIMEOUT_MS = 20_000

interface Spread {
  /** Retry arrival, ms after the first wave was answered, sorted. */
  delays: number[]
  min: number
  median: number
  max: number
  buckets: number
  fullestBucket: number
}

function spreadOf(delays: number[]): Spread {
  const sorted = [...delays].sort((a, b) => a - b)
  const counts = new Map<number, number>()
  for (const delay of sorted) counts.set(Math.floor(delay / BUCKET_MS), (counts.get(Math.floor(delay / BUCKET_MS)) ?? 0) + 1)
  return {
    delays: sorted,
    min: sorted[0],
    median: sorted[Math.floor(sorted.length / 2)],
    max: sorted.at(-1)!,
    buckets: counts.size,
    fullestBucket: Math.max(...counts.values()),
  }
}

/**
 * Holds the first RUNS requests to the API-token route until all of them are in, then answers
 * them all 429 at once; later requests get the real route.
 */
function holdFirstWave(
  csp: CspEmulator,
  retryAfter: string | undefined,
): { firstWave: RecordedRequest[]; releasedAt: () => number; releasedBy: () => string } {
  const route = csp.routes.find((candidate) => candidate.name === 'api-token')!
  const original = route.handle.bind(route)
  const firstWave: RecordedRequest[] = []
  let releasedAt = 0
  let releasedBy = 'not yet'
  let release: () => void = () => {}
  const released = new Promise<void>((resolve) => {
    release = resolve
  })
  const timer = setTimeout(() => {
    releasedAt = Date.now()
    releasedBy = 'timeout'
    release()
  }, BARRIER_TIMEOUT_MS)
  route.handle = async (request, params): Promise<Reply> => {
    if (firstWave.length >= RUNS) return original(request, params)
    firstWave.push(request)
    if (firstWave.length === RUNS) {
      clearTimeout(timer)
      releasedAt = Date.now()
      releasedBy = 'count'
      release()
    }
    await released
    return { status: 429, headers: retryAfter === undefined ? {} : { 'retry-after': retryAfter }, body: cspError(429, 'Too Many Requests') }
  }
  return { firstWave, releasedAt: () => releasedAt, releasedBy: () => releasedBy }
}

async function herd(retryAfter: string | undefined): Promise<{ spread: Spread; wallMs: number }> {
  const csp = await new CspEmulator().start()
  try {
    const tokens = Array.from({ length: RUNS }, () => csp.addApiToken({}))
    const { firstWave, releasedAt, releasedBy } = holdFirstWave(csp, retryAfter)
    const started = performance.now()
    const steps: StepResult[] = await Promise.all(
      tokens.map((token) =>
        runStep({
          inputs: {
            url: csp.url,
            'ca-certificate': csp.ca,
            'api-token': token,
            'expiry-warning-days': '0',
            // Long enough for the held first wave (50 processes starting on 2 cores).
            'timeout-seconds': String(TIMEOUT_SECONDS),
            'max-attempts': String(ATTEMPTS),
          },
          timeoutMs: 45_000,
        }),
      ),
    )
    const wallMs = performance.now() - started

    // The whole first wave was held and released by count, not by the barrier's timeout.
    expect(firstWave).toHaveLength(RUNS)
    expect(new Set(firstWave.map((request) => request.form?.api_token)).size).toBe(RUNS)
    expect(releasedBy()).toBe('count')
    const release = releasedAt()

    // Every run succeeded within max-attempts: 429, then 200, with its own token.
    const secrets = csp.secrets()
    steps.forEach((step, index) => {
      assertNoLeaks(step, secrets)
      expect(step.exitCode, step.log.join('\n')).toBe(0)
      const tries = csp.requestsTo('api-token').filter((request) => request.form?.api_token === tokens[index])
      expect(tries.map((request) => request.status)).toEqual([429, 200])
      // The wait each run chose, as it reports it: within the first backoff window (or Retry-After
      // plus its jitter), exactly; and its retry reached the emulator no sooner than the release
      // (after which every 429 left) plus that wait. No bound on how late a retry may come: that
      // is the scheduler's, with 50 processes and more on 2 cores.
      const reported = reportedTries(step, CSP_API_TOKEN_PATH)
      expectReportedPacing(reported, { attempts: ATTEMPTS, timeoutSeconds: TIMEOUT_SECONDS, retryAfter }, [tries[0].time])
      expect(tries[1].time - release, 'retry after the release').toBeGreaterThanOrEqual(reported[0].waitMs! - CLOCK_GRAIN_MS)
      const issued = csp.issued.find((entry) => entry.credential === tokens[index])
      expect(step.outputs['access-token']).toBe(issued?.access_token)
    })

    const firstWaveSeqs = new Set(firstWave.map((request) => request.seq))
    const retries = csp.requestsTo('api-token').filter((request) => !firstWaveSeqs.has(request.seq))
    expect(retries).toHaveLength(RUNS)
    const spread = spreadOf(retries.map((request) => request.time - release))
    const firstWaveSpan = Math.max(...firstWave.map((r) => r.time)) - Math.min(...firstWave.map((r) => r.time))
    console.log(
      `${RUNS} concurrent runs, first wave answered 429 ${retryAfter === undefined ? 'without Retry-After' : `with Retry-After: ${retryAfter}`}: ` +
        `first wave arrived over ${firstWaveSpan} ms; retries arrived ${spread.min} / ${spread.median} / ${spread.max} ms ` +
        `(min / median / max) after the release, over ${spread.max - spread.min} ms, in ${spread.buckets} distinct ${BUCKET_MS} ms buckets ` +
        `(fullest holds ${spread.fullestBucket}); wall time ${Math.round(wallMs)} ms`,
    )
    return { spread, wallMs }
  } finally {
    await csp.close()
  }
}

function expectNoHerd(spread: Spread): void {
  expect(spread.max - spread.min, 'retries spread over at least ~500 ms').toBeGreaterThanOrEqual(500)
  expect(spread.fullestBucket, `no ${BUCKET_MS} ms bucket holds more than half of the retries`).toBeLessThanOrEqual(RUNS / 2)
  expect(spread.buckets).toBeGreaterThanOrEqual(5)
}

describe('50 concurrent runs against one rate-limited emulator', () => {
  it('429 without Retry-After: all succeed on the second try; the retries are jittered over the first backoff window', async () => {
    const { spread, wallMs } = await herd(undefined)
    expectNoHerd(spread)
    // The first wait is random in [0, 1 s) (each run's reported wait, checked in herd): no retry before the release.
    expect(spread.min).toBeGreaterThanOrEqual(0)
    expect(wallMs).toBeLessThan(30_000)
  })

  it('429 with Retry-After: 1: all wait at least 1 s, and the jitter spreads them over the next second', async () => {
    const { spread, wallMs } = await herd('1')
    expectNoHerd(spread)
    // Each run's reported wait lies in [1 s, 2 s] (checked in herd); on the wire, none came before 1 s.
    expect(spread.min).toBeGreaterThanOrEqual(1000)
    expect(wallMs).toBeLessThan(30_000)
  })
})
