/**
 * The retry pacing the action promises, and how the reliability suites check it.
 *
 * The contract (INTERFACE.md and the reliability issue): full-jitter exponential backoff with a
 * 1 s base (the wait before try k+1 is random in [0, min(30 s, 1 s * 2^(k-1)))), or Retry-After
 * honoured plus up to 1 s of jitter; no single wait longer than 30 s, and a Retry-After beyond
 * 30 s ends the retries. Each try is cut at timeout-seconds. These numbers are written here, not
 * imported from src/, so that a change of the action's pacing shows up as a failing test.
 *
 * How it is checked, so that a loaded machine cannot fail it: every bound is one that holds by
 * construction, whatever the scheduler does.
 * - A try's length and the wait before the next try are taken where the action takes them: its
 *   debug lines report each try (`POST host/path -> 503 (try 1 of 3, 12 ms)`) and each wait
 *   (`waiting 640 ms before the next try`). A cut try lasted at least timeout-seconds by the
 *   action's own clock (node never fires a timer early); every wait lies within the backoff's
 *   bound exactly.
 * - The wire (the emulator's record) confirms that account: as many tries as the action reports,
 *   with the statuses it reports; a try after an answer arrived no sooner than that answer plus
 *   the wait the action reported, and no sooner than the server's Retry-After (the answer leaves
 *   after the request is stamped, the wait starts after it is read).
 * - The step (the runner's clock, spawn to exit) lasted at least as long as its cut tries.
 * What is NOT compared: the gap between two arrival stamps against a deadline. A try's deadline
 * starts before its connection and TLS handshake, and the emulator stamps the request after them
 * in a test process that is itself busy, so that gap can be shorter than timeout-seconds by any
 * amount on a loaded machine (observed: a try cut after 1003 ms by the action, then a 25 ms wait,
 * and the next request stamped 982 ms after the first).
 * Upper bounds on wall-clock time remain only for a whole run (requestBoundMs + RUN_OVERHEAD_MS)
 * and for a cut try (less than twice timeout-seconds: a cut at timeout-seconds, not a later one).
 */
import { expect } from 'vitest'
import type { RecordedRequest } from './emulator.ts'

export const BASE_DELAY_MS = 1000
export const MAX_DELAY_MS = 30_000
/** Jitter added to a Retry-After. */
export const RETRY_AFTER_JITTER_MS = 1000
/**
 * What a run needs besides its tries and waits: starting node, TLS handshakes, the provider's
 * other requests (VCD versions and session check), on a 2-core machine running several cases.
 * Generous on purpose (a run's own work is ~0.2 s): it only separates "bounded" from "hung".
 */
export const RUN_OVERHEAD_MS = 3000
/**
 * Clock resolution, not load: node's timers count whole milliseconds (one may fire up to 1 ms
 * short of a Date.now() difference), each Date.now() reading is floored, the action rounds the
 * wait it logs, and the wall clock may be slewed by NTP (at most 0.05%, ~1 ms over these waits).
 */
export const CLOCK_GRAIN_MS = 5

export interface Pacing {
  /** max-attempts given to the action. */
  attempts: number
  /** timeout-seconds given to the action. */
  timeoutSeconds: number
  /** Each failing try lasts its whole timeout (hang, trickle, silence). */
  slow?: boolean
  /** The Retry-After the failing answers carry (seconds or an HTTP date), if any. */
  retryAfter?: string
}

/** Retry-After as milliseconds from `at` (the moment the answer was sent); undefined when absent. */
export function retryAfterMs(value: string | undefined, at: number): number | undefined {
  if (value === undefined) return undefined
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - at)
}

/** The longest wait the backoff allows before try k+1 (k = 1, 2, ...). */
export function maxWaitMs(k: number, retryAfter: number | undefined): number {
  if (retryAfter !== undefined) return Math.min(MAX_DELAY_MS, retryAfter) + RETRY_AFTER_JITTER_MS
  return Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (k - 1))
}

/**
 * The bound max-attempts and timeout-seconds imply for one request: every try may last the whole
 * timeout and every wait its maximum. `firstTryAt` anchors an HTTP-date Retry-After.
 */
export function requestBoundMs(pacing: Pacing, firstTryAt = Date.now()): number {
  let total = pacing.attempts * pacing.timeoutSeconds * 1000
  const retryAfter = retryAfterMs(pacing.retryAfter, firstTryAt)
  // A Retry-After beyond the cap ends the retries: no wait at all.
  if (retryAfter !== undefined && retryAfter > MAX_DELAY_MS) return pacing.timeoutSeconds * 1000
  for (let k = 1; k < pacing.attempts; k++) total += maxWaitMs(k, retryAfter)
  return total
}

/** One try as the action reported it in its debug lines. */
export interface ReportedTry {
  method: string
  /** Host and port, as the action names them. */
  host: string
  path: string
  /** The HTTP status ('503'), or the error code ('TIMEOUT', 'ECONNRESET', ...). */
  outcome: string
  attempt: number
  of: number
  /** How long the try lasted, by the action's clock. */
  ms: number
  /** The wait it chose before the next try; undefined when it did not retry. */
  waitMs?: number
}

const TRY_LINE = /^(\S+) ([^/\s]+)(\/\S*) -> (\S+) \(try (\d+) of (\d+), (\d+) ms\)$/
const WAIT_LINE = /^waiting (\d+) ms before the next try$/

/**
 * The tries of one request (by path) that a step's debug lines report, in order. The action logs
 * a try's wait on the line right after the try (synchronously), so other requests' lines cannot
 * come between them.
 */
export function reportedTries(step: { debug: string[] }, path: string): ReportedTry[] {
  const tries: ReportedTry[] = []
  step.debug.forEach((line, index) => {
    const match = TRY_LINE.exec(line)
    if (!match || match[3] !== path) return
    const wait = WAIT_LINE.exec(step.debug[index + 1] ?? '')
    tries.push({
      method: match[1],
      host: match[2],
      path: match[3],
      outcome: match[4],
      attempt: Number(match[5]),
      of: Number(match[6]),
      ms: Number(match[7]),
      waitMs: wait ? Number(wait[1]) : undefined,
    })
  })
  return tries
}

const isStatus = (outcome: string): boolean => /^\d{3}$/.test(outcome)

/**
 * The action's own account of one request's tries: numbered 1..n of max-attempts, a wait after
 * every try but the last, each wait within the backoff's bound (and, for Retry-After in seconds,
 * not below it); with slow faults every failed try was cut (TIMEOUT) after at least
 * timeout-seconds and before twice that. `answeredAt[k]` anchors an HTTP-date Retry-After for the
 * wait after try k+1 (the server's stamp of that try, which is before the client read the date).
 */
export function expectReportedPacing(reported: ReportedTry[], pacing: Pacing, answeredAt: number[] = []): void {
  const account = reported
    .map((entry) => `${entry.outcome} ${entry.ms} ms${entry.waitMs === undefined ? '' : `, wait ${entry.waitMs}`}`)
    .join('; ')
  expect(
    reported.map((entry) => [entry.attempt, entry.of]),
    `tries as the action reports them: ${account}`,
  ).toEqual(reported.map((_, index) => [index + 1, pacing.attempts]))
  const timeoutMs = pacing.timeoutSeconds * 1000
  reported.forEach((entry, index) => {
    const k = entry.attempt
    const what = `try ${k} (${account})`
    if (index === reported.length - 1) expect(entry.waitMs, `${what}: no wait after the last try`).toBeUndefined()
    else {
      expect(entry.waitMs, `${what}: a wait before the next try`).toBeDefined()
      const retryAfter = isStatus(entry.outcome) ? retryAfterMs(pacing.retryAfter, answeredAt[index] ?? Date.now()) : undefined
      expect(entry.waitMs!, `${what}: within the backoff bound`).toBeLessThanOrEqual(maxWaitMs(k, retryAfter))
      if (retryAfter !== undefined && /^\s*\d+\s*$/.test(pacing.retryAfter ?? '')) {
        expect(entry.waitMs!, `${what}: Retry-After ${pacing.retryAfter} honoured`).toBeGreaterThanOrEqual(retryAfter)
      }
    }
    if (entry.outcome === 'TIMEOUT') {
      expect(entry.ms, `${what}: cut at timeout-seconds, not sooner`).toBeGreaterThanOrEqual(timeoutMs - CLOCK_GRAIN_MS)
      expect(entry.ms, `${what}: cut at timeout-seconds, not at twice that`).toBeLessThan(2 * timeoutMs)
    }
  })
  if (pacing.slow) {
    const failed = reported.filter((entry, index) => index < reported.length - 1 || !isStatus(entry.outcome))
    expect(failed.length, `a slow fault makes tries fail (${account})`).toBeGreaterThan(0)
    for (const entry of failed) expect(entry.outcome, `try ${entry.attempt} of a slow fault is cut (${account})`).toBe('TIMEOUT')
  }
}

/**
 * The pacing of one request's tries, from both ends: the action's account (expectReportedPacing)
 * and the emulator's record of the same tries, with what a step's own clock adds (see the file
 * comment). `step` is the step that sent them. Returns the action's account.
 */
export function expectPacing(tries: RecordedRequest[], pacing: Pacing, step: { debug: string[]; durationMs: number }): ReportedTry[] {
  if (!tries.length) return []
  const reported = reportedTries(step, tries[0].path)
  expect(reported.length, `tries the action reports for ${tries[0].path} vs the requests the server saw`).toBe(tries.length)
  reported.forEach((entry, index) => {
    if (isStatus(entry.outcome) && tries[index].status !== undefined) {
      expect(entry.outcome, `try ${index + 1}: the status the action read is the one the server sent`).toBe(String(tries[index].status))
    }
  })
  expectReportedPacing(
    reported,
    pacing,
    tries.map((request) => request.time),
  )
  for (let k = 1; k < tries.length; k++) {
    const previous = tries[k - 1]
    const next = tries[k]
    const what = `try ${k + 1} arrived ${next.time - previous.time} ms after try ${k}`
    const retryAfter = retryAfterMs(pacing.retryAfter, previous.time)
    if (retryAfter !== undefined && isStatus(reported[k - 1].outcome)) {
      expect(next.time, `${what}: Retry-After ${pacing.retryAfter} honoured`).toBeGreaterThanOrEqual(
        previous.time + retryAfter - CLOCK_GRAIN_MS,
      )
    }
    // An answered try: its answer left after the stamp, and the wait began when it was read.
    if (isStatus(reported[k - 1].outcome)) {
      expect(next.time, `${what}: the action waited the ${reported[k - 1].waitMs} ms it reports`).toBeGreaterThanOrEqual(
        previous.time + reported[k - 1].waitMs! - CLOCK_GRAIN_MS,
      )
    }
  }
  const cut = reported.filter((entry) => entry.outcome === 'TIMEOUT')
  expect(step.durationMs, 'the step lasted at least as long as its cut tries').toBeGreaterThanOrEqual(
    cut.length * pacing.timeoutSeconds * 1000 - CLOCK_GRAIN_MS,
  )
  return reported
}

/** "(1 try)" / "(3 tries)", as the action counts tries in its messages. */
export function triesText(count: number): string {
  return count === 1 ? '(1 try)' : `(${count} tries)`
}
