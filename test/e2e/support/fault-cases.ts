/**
 * How the fault suites (test/e2e/faults-*.e2e.test.ts and the providers' -faults files) describe a
 * case: the fault an emulator route answers with, how many tries the run may make and must have
 * made, and what the run must end with. faults.ts runs and checks them. Not a test file itself.
 *
 *   succeeds('503 once', status(503, 1), { attempts: 2, tries: 2 })
 *   fails('429 with Retry-After: 60', status(429, ALWAYS, retryAfter('60')), { attempts: 3, tries: 1, error: [/HTTP 429/] })
 *   warns('never answers', () => ({ hang: true, times: ALWAYS }), [/timeout-seconds/], { attempts: 2, tries: 2, slow: true })
 */
import type { Fault } from './emulator.ts'
import type { StepResult } from './runner.ts'

/** A fault's `times` for "every time". */
export const ALWAYS = Number.POSITIVE_INFINITY

export const retryAfterOf = (fault: Fault): string | undefined => fault.headers?.['retry-after']

/** A canned status answer `times` times (ALWAYS: every time), with headers. */
export const status =
  (code: number, times: number, headers?: Record<string, string>): (() => Fault) =>
  () => ({ status: code, times, headers })

/** `Retry-After` headers: seconds, or an HTTP date this far ahead when the fault is made. */
export const retryAfter = (seconds: string): Record<string, string> => ({ 'retry-after': seconds })
export const retryAfterDate = (aheadMs: number): Record<string, string> => ({
  'retry-after': new Date(Date.now() + aheadMs).toUTCString(),
})

// The token exchange, as a table of cases (faults.ts: exchangeCase).

export interface ExchangeCase {
  name: string
  fault: () => Fault
  attempts: number
  /** Default faults.ts's TIMEOUT_SECONDS. */
  timeoutSeconds?: number
  /** Requests the exchange route must have received. */
  tries: number
  ok: boolean
  /** What the failure message must name. */
  error?: RegExp[]
  /** The failure message counts the tries (every answer that was retried or refused). */
  countsTries?: boolean
  /** Each failing try lasts its whole timeout. */
  slow?: boolean
  /** A failing case in which the action did receive an access token (and must not leave it alive). */
  receivesToken?: boolean
  /** Checks on a successful step besides the standard ones. */
  then?: (step: StepResult) => void
}

type CaseOptions = Omit<ExchangeCase, 'name' | 'fault' | 'ok'>

/** A case the run survives: success after `tries` tries. */
export function succeeds(name: string, fault: () => Fault, options: CaseOptions): ExchangeCase {
  return { name, fault, ok: true, ...options }
}

/** A case the run fails, with a message that names `error` and (unless said otherwise) counts the tries. */
export function fails(name: string, fault: () => Fault, options: CaseOptions & { error: RegExp[] }): ExchangeCase {
  return { name, fault, ok: false, countsTries: true, ...options }
}

// The post step's revoke (a logout, a release), as a table of cases.

export interface RevokeCase {
  name: string
  fault: () => Fault
  attempts: number
  /** Default faults.ts's TIMEOUT_SECONDS. */
  timeoutSeconds?: number
  /** Requests the revoke route must have received. */
  tries: number
  /** The post step counts the token as revoked (no warning). */
  revoked: boolean
  /** The token really ended (false when a canned 401/404 stood in for the revoke). */
  ended?: boolean
  warning?: RegExp[]
  slow?: boolean
}

type RevokeOptions = Pick<RevokeCase, 'attempts' | 'tries' | 'slow' | 'ended'>

/** The revoke succeeded (after retries), or the token was already gone. */
export const revoked = (name: string, fault: () => Fault, options: RevokeOptions): RevokeCase => ({
  name,
  fault,
  revoked: true,
  ...options,
})

/** The revoke failed: one warning naming `warning`, the token left alive. */
export const warns = (name: string, fault: () => Fault, warning: RegExp[], options: RevokeOptions): RevokeCase => ({
  name,
  fault,
  revoked: false,
  warning,
  ...options,
})
