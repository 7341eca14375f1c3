/**
 * Aria Operations under faults, main and post step, against a fresh emulator per case: the token
 * acquire (a 429/503 storm, resets, hangs, HTML pages, a refused login never retried, answers the
 * action cannot take, whose token the main step releases at once) and the post step's release (a
 * failure is one warning, never a failed job; "already gone" is success). Each case checks the
 * pacing of its retries (support/pacing.ts), the bound of the run, and the leak scan of both steps,
 * debug lines included.
 */
import { describe, expect, it, vi } from 'vitest'
import { AriaOperationsEmulator, opsExpiresAt } from './support/aria-operations-emulator.ts'
import { ALWAYS, fails, retryAfter, revoked, status, succeeds, warns, type ExchangeCase, type RevokeCase } from './support/fault-cases.ts'
import * as faults from './support/faults.ts'
import { expectPacing, type Pacing } from './support/pacing.ts'
import { passwordOf, reaching } from './support/provider-flows.ts'
import { containsPiece, type JobResult } from './support/runner.ts'

vi.setConfig({ maxConcurrency: faults.CONCURRENT_CASES })

/** The case's fault on a fresh emulator's `route`, a job against it (faults.ts: faults.faultCase), then the case's own checks. */
function opsCase(
  route: 'acquire' | 'release',
  testCase: ExchangeCase | RevokeCase,
  check: (ops: AriaOperationsEmulator, result: JobResult, pacing: Pacing) => void,
): Promise<void> {
  const inputs = (ops: AriaOperationsEmulator, limits: Record<string, string>) =>
    reaching(ops, { provider: 'aria-operations', ...passwordOf(ops) }, limits)
  return faults.faultCase(() => new AriaOperationsEmulator().start(), route, testCase, inputs, check)
}

/** The auth-token answer as XML, as the Suite API sends it when the Accept header is lost (a proxy). */
function asXml(body: string): string {
  const { token, validity } = JSON.parse(body) as { token: string; validity: number }
  return (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><ops:auth-token xmlns:ops="http://webservice.vmware.com/vRealizeOpsMgr/1.0/">' +
    `<ops:token>${token}</ops:token><ops:validity>${validity}</ops:validity><ops:expiresAt>${opsExpiresAt(validity)}</ops:expiresAt></ops:auth-token>`
  )
}

const ACQUIRE_CASES: ExchangeCase[] = [
  succeeds('429 with Retry-After: 1, once', status(429, 1, retryAfter('1')), { attempts: 2, tries: 2 }),
  succeeds('a 503 storm that clears: 503 twice', status(503, 2), { attempts: 3, tries: 3 }),
  fails('a 503 storm: every try', status(503, ALWAYS), {
    attempts: 3,
    tries: 3,
    error: [/HTTP 503/, /Aria Operations is busy or unavailable/],
  }),
  fails('a 429 storm with Retry-After: 1: every try', status(429, ALWAYS, retryAfter('1')), { attempts: 3, tries: 3, error: [/HTTP 429/] }),
  fails('429 with Retry-After: 60 (beyond the 30 s cap): no retry', status(429, ALWAYS, retryAfter('60')), {
    attempts: 3,
    tries: 1,
    error: [/HTTP 429/, /asked to wait 60 s/],
  }),
  succeeds('connection reset once', () => ({ reset: true, times: 1 }), { attempts: 2, tries: 2 }),
  fails('connection reset every time', () => ({ reset: true, times: ALWAYS }), { attempts: 2, tries: 2, error: [/connection reset/] }),
  succeeds('never answers, once', () => ({ hang: true, times: 1 }), { attempts: 2, tries: 2, slow: true }),
  fails('never answers', () => ({ hang: true, times: ALWAYS }), { attempts: 2, tries: 2, slow: true, error: [/timeout-seconds/] }),
  fails('HTML 502 page every time', () => ({ html: true, status: 502, times: ALWAYS }), {
    attempts: 2,
    tries: 2,
    error: [/HTTP 502/, /HTML page/],
  }),
  fails('401: never retried', status(401, ALWAYS), { attempts: 3, tries: 1, error: [/HTTP 401/, /username, password and auth-source/] }),
  fails('403: never retried', status(403, ALWAYS), { attempts: 3, tries: 1, error: [/HTTP 403/] }),
  fails('401 echoing the password: never retried, the password hidden', () => ({ echo: 'token', status: 401, times: ALWAYS }), {
    attempts: 3,
    tries: 1,
    error: [/HTTP 401/],
  }),
  fails('an answer cut inside the token', () => ({ mapBody: (body: string) => body.slice(0, body.indexOf('"token"') + 30) }), {
    attempts: 2,
    tries: 1,
    countsTries: false,
    error: [/JSON that does not parse/],
  }),
  fails('XML instead of JSON: its token released by the main step', () => ({ mapBody: asXml }), {
    attempts: 2,
    tries: 1,
    countsTries: false,
    receivesToken: true,
    error: [/a body that is not JSON/],
  }),
  fails(
    'a validity in the past (the appliance clock behind): its token released by the main step',
    () => ({ patch: { validity: Date.now() - 3_600_000 } }),
    { attempts: 2, tries: 1, countsTries: false, receivesToken: true, error: [/expired at .*\(its validity\), by this runner's clock/] },
  ),
]

describe.concurrent('Aria Operations: acquire faults', () => {
  for (const testCase of ACQUIRE_CASES) {
    it(testCase.name, () =>
      opsCase('acquire', testCase, (ops, result, pacing) => {
        const tries = ops.requestsTo('acquire')
        faults.expectPaced(tries, pacing, result.main, { count: testCase.tries })
        for (const request of tries) {
          expect(request.json).toEqual({ username: ops.username, password: ops.password })
          expect(containsPiece(request.url, ops.password)).toBe(false)
        }
        const post = faults.expectPostHarmless(result)
        const releases = ops.requestsTo('release')

        if (testCase.ok) {
          expect(result.main.exitCode, faults.logOf(result)).toBe(0)
          const token = ops.issued.at(-1)!.token
          expect(result.main.outputs['access-token']).toBe(token)
          expect(post.warnings).toEqual([])
          expect(releases.map((request) => [request.headers.authorization, request.status])).toEqual([[`OpsToken ${token}`, 200]])
          expect(ops.isAlive(token)).toBe(false)
        } else {
          faults.expectFailed(result.main, testCase.error ?? [], testCase.countsTries ? testCase.tries : undefined)
          expect(result.main.warnings).toEqual([])
          expect(faults.logOf(post)).toMatch(/nothing to revoke/)
          // A token the main step received but could not take is released by it, with one try.
          const refused = testCase.receivesToken ? ops.issued.map((entry) => entry.token) : []
          expect(releases.map((request) => request.headers.authorization)).toEqual(refused.map((token) => `OpsToken ${token}`))
          for (const token of refused) expect(ops.isAlive(token)).toBe(false)
        }
      }),
    )
  }
})

const RELEASE_CASES: RevokeCase[] = [
  revoked('503 once', status(503, 1), { attempts: 2, tries: 2 }),
  revoked('429 with Retry-After: 1, once', status(429, 1, retryAfter('1')), { attempts: 2, tries: 2 }),
  warns('503 every time', status(503, ALWAYS), [/HTTP 503/], { attempts: 3, tries: 3 }),
  warns('403: not retried', status(403, ALWAYS), [/HTTP 403/], { attempts: 3, tries: 1 }),
  warns('connection reset every time', () => ({ reset: true, times: ALWAYS }), [/connection reset/], { attempts: 2, tries: 2 }),
  warns('never answers', () => ({ hang: true, times: ALWAYS }), [/timeout-seconds/], { attempts: 2, tries: 2, slow: true }),
  warns('HTML 502 page every time', () => ({ html: true, status: 502, times: ALWAYS }), [/HTTP 502/, /HTML page/], {
    attempts: 2,
    tries: 2,
  }),
  warns('500 echoing the token, every time', () => ({ echo: 'token', status: 500, times: ALWAYS }), [/HTTP 500/], {
    attempts: 2,
    tries: 2,
  }),
  // The server released the token but the answer was lost: the retry gets 401, and so does the older form.
  revoked('never answers after releasing, once: 401 on the retry and in the older form', () => ({ hang: 'after-route', times: 1 }), {
    attempts: 2,
    tries: 3,
    slow: true,
  }),
  revoked('401 in both forms (already gone) is success', status(401, ALWAYS), { attempts: 3, tries: 2, ended: false }),
]

describe.concurrent('Aria Operations: release faults in the post step', () => {
  for (const testCase of RELEASE_CASES) {
    it(testCase.name, () =>
      opsCase('release', testCase, (ops, result, pacing) => {
        expect(result.main.exitCode, faults.logOf(result)).toBe(0)
        const token = result.main.outputs['access-token']
        const post = faults.expectPostHarmless(result)
        const tries = ops.requestsTo('release')
        expect(tries.length, faults.logOf(post)).toBe(testCase.tries)
        const schemes = tries.map((request) => request.headers.authorization)
        expect(schemes.every((value) => value === `OpsToken ${token}` || value === `vRealizeOpsToken ${token}`)).toBe(true)
        // Pacing is per request: the tries of the first (OpsToken) form, when no second one followed.
        if (schemes.every((value) => value?.startsWith('OpsToken '))) expectPacing(tries, pacing, post)
        faults.expectWithinBound(post, { ...pacing, attempts: pacing.attempts * 2 }, tries[0]?.time)

        if (testCase.revoked) {
          expect(post.warnings).toEqual([])
          expect(faults.logOf(post)).toMatch(/Released the Aria Operations token|already released or expired/)
          expect(ops.isAlive(token)).toBe(testCase.ended === false)
        } else {
          const warning = faults.expectRevokeWarning(post, testCase)
          expect(warning).toContain(`stays valid until it expires at ${result.main.outputs['expires-at']}`)
          expect(ops.isAlive(token)).toBe(true)
        }
      }),
    )
  }
})
