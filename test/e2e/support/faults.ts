/**
 * What the fault suites (test/e2e/faults-*.e2e.test.ts) share: a fresh provider emulator with
 * inputs that reach it, a job with debug lines on, the checks every fault case makes, and the
 * table-driven token-exchange case. Not a test file itself.
 *
 * For every fault: the run ends the right way (success after retries, or a failed step whose
 * message names what happened and the number of tries); it ends within the bound that
 * timeout-seconds and max-attempts imply; the retries really happened, paced as the backoff
 * allows (pacing.ts: the action's own account, confirmed by the emulator's record); the post
 * step never fails the job; and the leak scan of both steps (debug lines included) is clean.
 */
import { expect } from 'vitest'
import { CspEmulator } from './csp-emulator.ts'
import type { Fault } from './emulator.ts'
import { RUN_OVERHEAD_MS, expectPacing, requestBoundMs, triesText, type Pacing } from './pacing.ts'
import { assertNoLeaks, containsPiece, runJob, type JobResult, type StepResult } from './runner.ts'
import { using } from './tcp.ts'
import { VcdEmulator } from './vcd-emulator.ts'

/** Every case is a few child processes that mostly wait: each fault file runs this many at once. */
export const CONCURRENT_CASES = 8

export const ALWAYS = Number.POSITIVE_INFINITY

/**
 * timeout-seconds of a fault case. It bounds every request of the run, the healthy ones too (the
 * VCD version lookup and session check, the retry that succeeds, the post step's logout), and on
 * a loaded 2-core machine a cold process's first request with its TLS handshake has taken over
 * 1 s (1045 ms, a VCD version lookup, with a second suite and two busy loops beside). Slow faults
 * are cut at it like any try.
 */
export const TIMEOUT_SECONDS = 2

export type ProviderName = 'csp' | 'vcd'

/** A fresh emulator of a provider, the route its exchange goes to, and inputs that reach it. */
export interface Setup {
  provider: ProviderName
  server: CspEmulator | VcdEmulator
  /** Route name of the token exchange. */
  route: string
  credential: string
  inputs: Record<string, string>
  /** The access token the emulator issued last. */
  issued(): string | undefined
}

export async function setUp(provider: ProviderName, pacing: Pacing, options: { names?: string[] } = {}): Promise<Setup> {
  const limits = { 'timeout-seconds': String(pacing.timeoutSeconds), 'max-attempts': String(pacing.attempts) }
  if (provider === 'csp') {
    const server = await new CspEmulator(options).start()
    return {
      provider,
      server,
      route: 'api-token',
      credential: server.apiToken,
      // The expiry lookup has its own tests (faults-lookups); here it would only add a request.
      inputs: { url: server.url, 'ca-certificate': server.ca, 'api-token': server.apiToken, 'expiry-warning-days': '0', ...limits },
      issued: () => server.issued.at(-1)?.access_token,
    }
  }
  const server = await new VcdEmulator(options).start()
  return {
    provider,
    server,
    route: 'token',
    credential: server.providerToken,
    inputs: { provider: 'vcd', url: server.url, 'ca-certificate': server.ca, 'api-token': server.providerToken, ...limits },
    issued: () => server.issued.at(-1)?.access_token,
  }
}

/** Both steps of a job, debug lines shown (so that the leak scan covers them too). */
export function job(inputs: Record<string, string>, env?: Record<string, string>): Promise<JobResult> {
  return runJob({ inputs, env, debug: true, timeoutMs: 40_000 })
}

export function logOf(result: JobResult | StepResult): string {
  return result.log.join('\n')
}

/** A run within the bound its inputs imply, and not killed by the harness. */
export function expectWithinBound(step: StepResult, pacing: Pacing, firstTryAt?: number): void {
  expect(step.timedOut).toBe(false)
  const bound = requestBoundMs(pacing, firstTryAt) + RUN_OVERHEAD_MS
  expect(step.durationMs, `${step.step} step took ${Math.round(step.durationMs)} ms; bound ${bound} ms`).toBeLessThanOrEqual(bound)
}

/** The post step never fails the job: exit 0, no ::error::. */
export function expectPostHarmless(result: JobResult): StepResult {
  const post = result.post!
  expect(post.exitCode, logOf(post)).toBe(0)
  expect(post.succeeded).toBe(true)
  expect(post.errors).toEqual([])
  return post
}

/** The main step failed with one ::error:: that says what happened; nothing was published. */
export function expectFailed(step: StepResult, patterns: RegExp[], tries?: number): string {
  expect(step.exitCode, logOf(step)).toBe(1)
  expect(step.errors).toHaveLength(1)
  const [message] = step.errors
  for (const pattern of patterns) expect(message).toMatch(pattern)
  if (tries !== undefined) expect(message).toContain(triesText(tries))
  expect(step.outputs['access-token']).toBeUndefined()
  expect(step.env).toEqual({})
  return message
}

/** Nothing of any credential in the raw (unmasked) error messages and warnings either. */
export function expectMessagesClean(step: StepResult, secrets: (string | null | undefined)[]): void {
  for (const message of [...step.errors, ...step.warnings]) {
    for (const secret of secrets) if (secret) expect(containsPiece(message, secret), message).toBe(false)
  }
}

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

// ---------------------------------------------------------------------------------------------
// The token exchange, for both providers, as a table of cases.

export interface ExchangeCase {
  name: string
  fault: () => Fault
  attempts: number
  /** Default TIMEOUT_SECONDS. */
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

export async function exchangeCase(provider: ProviderName, testCase: ExchangeCase): Promise<void> {
  const timeoutSeconds = testCase.timeoutSeconds ?? TIMEOUT_SECONDS
  const pacing: Pacing = { attempts: testCase.attempts, timeoutSeconds, slow: testCase.slow }
  const setup = await setUp(provider, pacing)
  const { server } = setup
  await using([server], async () => {
    const fault = testCase.fault()
    pacing.retryAfter = retryAfterOf(fault)
    server.fault(setup.route, fault)
    const result = await job(setup.inputs)
    assertNoLeaks(result, server.secrets())
    expectMessagesClean(result.main, server.secrets())

    const tries = server.requestsTo(setup.route)
    expect(tries.length, `${setup.route} requests\n${logOf(result)}`).toBe(testCase.tries)
    expectPacing(tries, pacing, result.main)
    expectWithinBound(result.main, pacing, tries[0]?.time)
    // Every try carried the credential in the body, never in the URL.
    for (const request of tries) {
      expect(request.form?.api_token ?? request.form?.refresh_token).toBe(setup.credential)
      expect(containsPiece(request.url, setup.credential)).toBe(false)
    }
    const post = expectPostHarmless(result)

    if (testCase.ok) {
      expect(result.main.exitCode, logOf(result)).toBe(0)
      expect(result.main.errors).toEqual([])
      const token = setup.issued()
      expect(token).toBeDefined()
      expect(result.main.outputs['access-token']).toBe(token)
      expect(result.main.env.VMW_ACCESS_TOKEN).toBe(token)
      testCase.then?.(result.main)
      if (server instanceof VcdEmulator) {
        // The post step logged the token out.
        expect(post.warnings).toEqual([])
        expect(server.requestsTo('logout').map((request) => request.status)).toEqual([204])
        expect(server.isAlive(token!)).toBe(false)
      } else {
        expect(logOf(post)).toMatch(/cannot be revoked/)
      }
    } else {
      expectFailed(result.main, testCase.error ?? [], testCase.countsTries ? testCase.tries : undefined)
      // Provider text never becomes a workflow command of its own.
      expect(result.main.warnings).toEqual([])
      expect(result.main.path).toEqual([])
      expect(
        result.main.commands.map((command) => command.command).filter((name) => !['add-mask', 'debug', 'error'].includes(name)),
      ).toEqual([])
      // Nothing was handed to the post step, which says so and makes no request.
      expect(post.warnings).toEqual([])
      expect(logOf(post)).toMatch(/nothing to revoke/i)
      if (server instanceof VcdEmulator) {
        // A token the main step received but refused is logged out by the main step itself (one
        // logout with that token); the post step has nothing to do. Tokens it never received (a
        // body replaced or cut short) it cannot log out.
        const refused = testCase.receivesToken ? server.issued.map((entry) => entry.access_token) : []
        for (const token of refused) expect(server.isAlive(token)).toBe(false)
        expect(server.requestsTo('logout').map((request) => request.headers.authorization)).toEqual(
          refused.map((token) => `Bearer ${token}`),
        )
      }
    }
  })
}

// ---------------------------------------------------------------------------------------------
// The post step's revoke (a logout, a release), as a table of cases.

export interface RevokeCase {
  name: string
  fault: () => Fault
  attempts: number
  /** Default TIMEOUT_SECONDS. */
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

/** The post step's one warning for a failed revoke: it counts the tries and names what the case expects. */
export function expectRevokeWarning(post: StepResult, testCase: RevokeCase): string {
  expect(post.warnings).toHaveLength(1)
  const [warning] = post.warnings
  expect(warning).toMatch(/^Could not revoke the access token: /)
  expect(warning).toContain(triesText(testCase.tries))
  for (const pattern of testCase.warning ?? []) expect(warning).toMatch(pattern)
  return warning
}
