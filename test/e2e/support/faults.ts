/**
 * What the fault suites (test/e2e/faults-*.e2e.test.ts and the providers' -faults files) share: a
 * fresh provider emulator with inputs that reach it, a faulted job with debug lines on, the checks
 * every fault case makes, and the table-driven token-exchange case (the cases themselves are
 * described with fault-cases.ts). Not a test file itself.
 *
 * For every fault: the run ends the right way (success after retries, or a failed step whose
 * message names what happened and the number of tries); it ends within the bound that
 * timeout-seconds and max-attempts imply; the retries really happened, paced as the backoff
 * allows (pacing.ts: the action's own account, confirmed by the emulator's record); the post
 * step never fails the job; and the leak scan of both steps (debug lines included) is clean.
 */
import { expect } from 'vitest'
import { CspEmulator } from './csp-emulator.ts'
import type { EmulatorServer, Fault, RecordedRequest } from './emulator.ts'
import { retryAfterOf, type ExchangeCase, type RevokeCase } from './fault-cases.ts'
import { cspInputs, vcdInputs } from './inputs.ts'
import { RUN_OVERHEAD_MS, expectPacing, requestBoundMs, triesText, type Pacing } from './pacing.ts'
import { assertNoLeaks, containsPiece, runJob, type JobResult, type StepResult } from './runner.ts'
import { using } from './tcp.ts'
import { VcdEmulator } from './vcd-emulator.ts'

/** Every case is a few child processes that mostly wait: each fault file runs this many at once. */
export const CONCURRENT_CASES = 8

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

/** The pacing of a case: its attempts, its timeout (default TIMEOUT_SECONDS), whether its failing tries are slow. */
export function pacingOf(testCase: Pick<ExchangeCase, 'attempts' | 'timeoutSeconds' | 'slow'>): Pacing {
  return { attempts: testCase.attempts, timeoutSeconds: testCase.timeoutSeconds ?? TIMEOUT_SECONDS, slow: testCase.slow }
}

/** The inputs that give a run the limits of `pacing`. */
export function limitsOf(pacing: Pacing): Record<string, string> {
  return { 'timeout-seconds': String(pacing.timeoutSeconds), 'max-attempts': String(pacing.attempts) }
}

export async function setUp(provider: ProviderName, pacing: Pacing, options: { names?: string[] } = {}): Promise<Setup> {
  const limits = limitsOf(pacing)
  const issued = (server: CspEmulator | VcdEmulator) => () => server.issued.at(-1)?.access_token
  if (provider === 'csp') {
    const server = await new CspEmulator(options).start()
    // The expiry lookup has its own tests (faults-lookups); here it would only add a request.
    const inputs = cspInputs(server, limits)
    return { provider, server, route: 'api-token', credential: server.apiToken, inputs, issued: issued(server) }
  }
  const server = await new VcdEmulator(options).start()
  const inputs = vcdInputs(server, server.providerToken, limits)
  return { provider, server, route: 'token', credential: server.providerToken, inputs, issued: issued(server) }
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

/**
 * A fault case's job: `fault` on the emulator's `route` (pacing learns its Retry-After; none: a
 * fault elsewhere, such as a proxy's), both steps with debug lines on, then the leak scan of both
 * and no piece of a credential in the raw messages of either. The caller closes the server
 * (tcp.ts: using).
 */
export async function faultedJob(
  server: EmulatorServer,
  route: string,
  fault: Fault | undefined,
  pacing: Pacing,
  inputs: Record<string, string>,
  env?: Record<string, string>,
): Promise<JobResult> {
  pacing.retryAfter = fault && retryAfterOf(fault)
  if (fault) server.fault(route, fault)
  const result = await job(inputs, env)
  assertNoLeaks(result, server.secrets())
  expectMessagesClean(result.main, server.secrets())
  expectMessagesClean(result.post!, server.secrets())
  return result
}

/**
 * A fault case on a fresh emulator (`start`), closed afterwards: faultedJob with inputs that reach it
 * (`inputs`, given the case's limits), then the case's own checks.
 */
export async function faultCase<S extends EmulatorServer>(
  start: () => Promise<S>,
  route: string,
  testCase: Pick<ExchangeCase, 'fault' | 'attempts' | 'timeoutSeconds' | 'slow'>,
  inputs: (server: S, limits: Record<string, string>) => Record<string, string>,
  check: (server: S, result: JobResult, pacing: Pacing) => void | Promise<void>,
): Promise<void> {
  const pacing = pacingOf(testCase)
  const server = await start()
  await using([server], async () => {
    const result = await faultedJob(server, route, testCase.fault(), pacing, inputs(server, limitsOf(pacing)))
    await check(server, result, pacing)
  })
}

/**
 * The tries a route received: `count` of them (when given), paced as the backoff allows by the
 * action's own account of them (`account`: the step's lines for these tries, default all of
 * `step`), and `step` within the bound its inputs imply.
 */
export function expectPaced(
  tries: RecordedRequest[],
  pacing: Pacing,
  step: StepResult,
  options: { count?: number; account?: StepResult } = {},
): void {
  if (options.count !== undefined) expect(tries.length, `requests to ${tries[0]?.path}\n${logOf(step)}`).toBe(options.count)
  expectPacing(tries, pacing, options.account ?? step)
  expectWithinBound(step, pacing, tries[0]?.time)
}

// ---------------------------------------------------------------------------------------------
// The token exchange, for both providers, as a table of cases.

export async function exchangeCase(provider: ProviderName, testCase: ExchangeCase): Promise<void> {
  const pacing = pacingOf(testCase)
  const setup = await setUp(provider, pacing)
  const { server } = setup
  await using([server], async () => {
    const result = await faultedJob(server, setup.route, testCase.fault(), pacing, setup.inputs)
    const tries = server.requestsTo(setup.route)
    expectPaced(tries, pacing, result.main, { count: testCase.tries })
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

/** The post step's one warning for a failed revoke: it counts the tries and names what the case expects. */
export function expectRevokeWarning(post: StepResult, testCase: RevokeCase): string {
  expect(post.warnings).toHaveLength(1)
  const [warning] = post.warnings
  expect(warning).toMatch(/^Could not revoke: /)
  expect(warning).toContain(triesText(testCase.tries))
  for (const pattern of testCase.warning ?? []) expect(warning).toMatch(pattern)
  return warning
}
