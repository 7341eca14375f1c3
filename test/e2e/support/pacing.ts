/**
 * Helpers shared by the reliability suites (faults, hostile input, concurrency): the timing
 * bounds the action's inputs imply, and raw TCP servers for faults below HTTP (a port that
 * accepts and never speaks, one that resets every connection, a forwarder that counts
 * connections). Not a test file itself.
 *
 * The action's backoff, as its contract states it (INTERFACE.md and the reliability issue):
 * full-jitter exponential with a 1 s base (the wait before try k+1 is random in
 * [0, min(30 s, 1 s * 2^(k-1)))), or Retry-After honoured plus up to 1 s of jitter; no single
 * wait longer than 30 s, and a Retry-After beyond 30 s ends the retries. Each try is cut at
 * timeout-seconds. These numbers are written here, not imported from src/, so that a change of
 * the action's pacing shows up as a failing test.
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
 */
export const RUN_OVERHEAD_MS = 3000
/** Slack on the time between two tries, beyond the try itself and the longest wait allowed. */
export const GAP_SLACK_MS = 750
/** A deadline may fire this much before the next request arrives (connection set-up happens inside the try). */
const DEADLINE_EARLY_MS = 150

export interface Pacing {
  /** max-attempts given to the action. */
  attempts: number
  /** timeout-seconds given to the action. */
  timeoutSeconds: number
  /** Each failing try lasts its whole timeout (hang, trickle). */
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

/**
 * Checks the spacing of the tries the server recorded: never sooner than the try's deadline
 * (slow faults) or the server's Retry-After, never later than the try plus the longest wait
 * the backoff allows. Returns the gaps, for messages.
 */
export function expectPacing(tries: RecordedRequest[], pacing: Pacing): number[] {
  const tryMs = pacing.slow ? pacing.timeoutSeconds * 1000 : 0
  const gaps: number[] = []
  for (let k = 1; k < tries.length; k++) {
    const previous = tries[k - 1]
    const next = tries[k]
    const gap = next.time - previous.time
    gaps.push(gap)
    const retryAfter = retryAfterMs(pacing.retryAfter, previous.time)
    const what = `gap between try ${k} and try ${k + 1}`
    if (pacing.slow) expect(gap, `${what}: a try is cut at timeout-seconds, not sooner`).toBeGreaterThanOrEqual(tryMs - DEADLINE_EARLY_MS)
    if (retryAfter !== undefined) {
      // The client waits from when it got the answer, which is after the request arrived.
      expect(next.time, `${what}: Retry-After ${pacing.retryAfter} honoured`).toBeGreaterThanOrEqual(previous.time + retryAfter - 5)
    }
    expect(gap, `${what}: within the backoff bound`).toBeLessThanOrEqual(tryMs + maxWaitMs(k, retryAfter) + GAP_SLACK_MS)
  }
  return gaps
}

/** "(1 try)" / "(3 tries)", as the action counts tries in its messages. */
export function triesText(count: number): string {
  return count === 1 ? '(1 try)' : `(${count} tries)`
}
