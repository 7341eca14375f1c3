/**
 * vCenter under faults, each case on a fresh emulator (/api form): the login, the session lookup and
 * the post step's logout failing in the ways faults.ts knows. The run ends the right way within the
 * bound its inputs imply, retries are paced as promised (pacing.ts), the leak scan is clean, the
 * post step never fails the job, and no session the action knew of outlives the job.
 */
import { describe, expect, it, vi } from 'vitest'
import type { Fault } from './support/emulator.ts'
import { ALWAYS, retryAfter, status } from './support/fault-cases.ts'
import { CONCURRENT_CASES, expectFailed, expectPaced, expectPostHarmless, faultCase, logOf } from './support/faults.ts'
import { passwordOf, reaching } from './support/provider-flows.ts'
import type { StepResult } from './support/runner.ts'
import { VcenterEmulator } from './support/vcenter-emulator.ts'

vi.setConfig({ maxConcurrency: CONCURRENT_CASES })

type Stage = 'login' | 'lookup' | 'logout'
const ROUTES: Record<Stage, string> = { login: 'api-session-create', lookup: 'api-session-get', logout: 'api-session-delete' }
const METHODS: Record<Stage, string> = { login: 'POST', lookup: 'GET', logout: 'DELETE' }

interface FaultCase {
  name: string
  stage: Stage
  fault: () => Fault
  attempts: number
  tries: number
  /** The main step hands a session on (and the post step logs it out, unless `warning`). */
  ok: boolean
  /** The main step's error, or the post step's warning. */
  error?: RegExp[]
  warning?: RegExp[]
  slow?: boolean
  /** The failure message counts the tries (default true). */
  countsTries?: boolean
  /** Sessions the action could not know of (a login whose answer was lost) that outlive the job. */
  leftAlive?: number
}

const ok = (name: string, stage: Stage, fault: () => Fault, attempts: number, tries: number, more: Partial<FaultCase> = {}): FaultCase => ({
  name,
  stage,
  fault,
  attempts,
  tries,
  ok: true,
  ...more,
})
const fails = (
  name: string,
  stage: Stage,
  fault: () => Fault,
  attempts: number,
  tries: number,
  error: RegExp[],
  more: Partial<FaultCase> = {},
) => ({ name, stage, fault, attempts, tries, ok: false, error, ...more }) satisfies FaultCase

const CASES: FaultCase[] = [
  ok('login: 429 with Retry-After: 1, once', 'login', status(429, 1, retryAfter('1')), 2, 2),
  ok('login: 503 once', 'login', status(503, 1), 2, 2),
  ok('login: connection reset once', 'login', () => ({ reset: true, times: 1 }), 2, 2),
  ok('login: an HTML outage page once', 'login', () => ({ html: true, times: 1 }), 2, 2),
  // The server made a session but its answer was lost: the retry makes a second one. The first is
  // unknown to the action and lives until vCenter's idle timeout.
  ok('login: the answer lost after the session was made', 'login', () => ({ reset: 'after-route', times: 1 }), 2, 2, { leftAlive: 1 }),
  fails('login: 503 on every try: busy', 'login', status(503, ALWAYS), 3, 3, [/HTTP 503/, /vCenter is busy or unavailable/]),
  fails('login: 429 with Retry-After: 60: one try', 'login', status(429, ALWAYS, retryAfter('60')), 3, 1, [
    /HTTP 429/,
    /asked to wait 60 s/,
  ]),
  fails('login: connection reset every time', 'login', () => ({ reset: true, times: ALWAYS }), 2, 2, [/vCenter login .* connection reset/]),
  fails('login: never answers', 'login', () => ({ hang: true, times: ALWAYS }), 2, 2, [/timeout-seconds/], { slow: true }),
  fails('login: an HTML page every time', 'login', () => ({ html: '<html><title>Gateway down</title></html>', times: ALWAYS }), 2, 2, [
    /an HTML page \("Gateway down"\)/,
  ]),
  fails(
    'login: the body cut inside the session ID (that session cannot be ended)',
    'login',
    () => ({ mapBody: (body) => body.slice(0, 12), times: ALWAYS }),
    2,
    1,
    [/answered the login HTTP 201 Created with a body that is not JSON \(12 bytes\), not a session ID/],
    { leftAlive: 1, countsTries: false },
  ),
  ok('lookup: 503 once', 'lookup', status(503, 1), 2, 2),
  fails('lookup: 503 on every try: the new session is ended', 'lookup', status(503, ALWAYS), 2, 2, [
    /vCenter session lookup failed: HTTP 503/,
  ]),
  fails(
    'lookup: never answers: the new session is ended',
    'lookup',
    () => ({ hang: true, times: ALWAYS }),
    2,
    2,
    [/session lookup .*timeout-seconds/],
    {
      slow: true,
    },
  ),
  ok('logout: 503 once', 'logout', status(503, 1), 2, 2),
  ok('logout: 429 with Retry-After: 1, once', 'logout', status(429, 1, retryAfter('1')), 2, 2),
  // The logout happened but its answer was lost: the retry finds the session gone (401), success.
  ok('logout: the answer lost after the logout', 'logout', () => ({ reset: 'after-route', times: 1 }), 2, 2),
  ok('logout: 500 on every try: a warning', 'logout', status(500, ALWAYS), 2, 2, {
    warning: [/vCenter logout failed: HTTP 500/, /\(2 tries\)/],
  }),
  ok('logout: never answers: a warning', 'logout', () => ({ hang: true, times: ALWAYS }), 2, 2, {
    warning: [/vCenter logout at .* no complete answer within 2 s \(timeout-seconds\) \(2 tries\)/],
    slow: true,
  }),
]

/** The debug lines of one method's tries and the waits after them (the login and the lookup share /api/session). */
function triesOf(step: StepResult, method: string): StepResult {
  const debug = step.debug.filter((line, index, all) =>
    line.startsWith('waiting ') ? all[index - 1]?.startsWith(`${method} `) : line.startsWith(`${method} `),
  )
  return { ...step, debug }
}

describe.concurrent('vCenter faults', () => {
  it.each(CASES.map((testCase) => [testCase.name, testCase] as const))('%s', async (_name, testCase) => {
    const start = () => new VcenterEmulator().start()
    const inputs = (vc: VcenterEmulator, limits: Record<string, string>) => reaching(vc, { provider: 'vcenter', ...passwordOf(vc) }, limits)
    await faultCase(start, ROUTES[testCase.stage], testCase, inputs, (vc, result, pacing) => {
      const post = expectPostHarmless(result)

      const step = testCase.stage === 'logout' ? post : result.main
      const tries = vc.requestsTo(ROUTES[testCase.stage])
      expectPaced(tries, pacing, step, { count: testCase.tries, account: triesOf(step, METHODS[testCase.stage]) })

      if (testCase.ok) {
        expect(result.main.exitCode, logOf(result)).toBe(0)
        const id = result.main.outputs['access-token']
        expect(vc.sessions.get(id)).toMatchObject({ user: vc.username })
        if (testCase.warning) {
          expect(post.warnings).toHaveLength(1)
          for (const pattern of testCase.warning) expect(post.warnings[0]).toMatch(pattern)
          expect(vc.isAlive(id)).toBe(true)
        } else {
          expect(post.warnings).toEqual([])
          expect(vc.isAlive(id)).toBe(false)
        }
      } else {
        expectFailed(result.main, testCase.error ?? [], testCase.countsTries === false ? undefined : testCase.tries)
        expect(logOf(post)).toMatch(/nothing to revoke/)
        if (testCase.stage === 'lookup') {
          // The main step ended the session it could not hand on, with one try.
          expect(vc.requestsTo('api-session-delete').map((request) => request.status)).toEqual([204])
        }
      }
      if (!testCase.warning) expect(vc.liveSessions().length, logOf(result)).toBe(testCase.leftAlive ?? 0)
    })
  })
})
