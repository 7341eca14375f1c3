/**
 * End to end, SDDC Manager under faults: of the token request (429 with Retry-After, a 503 storm, a
 * reset, a hang, HTML pages, a body cut short) and of the post step's revocation. The built action runs
 * main then post against a fresh emulator per case, with debug lines on; each case checks the retries
 * and their pacing (support/pacing.ts), the bound on the run, that no credential ever left the JSON body,
 * that the post step never fails the job, and the leak scan.
 */
import { describe, expect, it, vi } from 'vitest'
import type { Fault } from './support/emulator.ts'
import { ALWAYS, retryAfter, status } from './support/fault-cases.ts'
import { CONCURRENT_CASES, expectFailed, expectPaced, expectPostHarmless, faultCase, logOf } from './support/faults.ts'
import { passwordOf, reaching } from './support/provider-flows.ts'
import { SddcManagerEmulator } from './support/sddc-manager-emulator.ts'
import { containsPiece, type JobResult } from './support/runner.ts'

vi.setConfig({ maxConcurrency: CONCURRENT_CASES })

interface Case {
  name: string
  route: 'tokens' | 'revoke'
  fault: () => Fault
  attempts: number
  /** Requests the faulty route must have received. */
  tries: number
  /** Each failing try lasts its whole timeout. */
  slow?: boolean
  /** The main step ends with a token (else: what its one error must name). */
  error?: RegExp[]
  /** What the post step must say (a line, or a warning when it starts with 'Could not'). */
  post: RegExp
  then?: (server: SddcManagerEmulator, result: JobResult) => void
}

const REVOKED = /^Revoked the SDDC Manager refresh token; the access token cannot be revoked and stays valid until it expires at /
const NOTHING = /^The main step issued no access token: nothing to revoke\.$/

const CASES: Case[] = [
  {
    name: '429 with Retry-After: 1, once',
    route: 'tokens',
    fault: status(429, 1, retryAfter('1')),
    attempts: 2,
    tries: 2,
    post: REVOKED,
  },
  {
    name: '503 twice',
    route: 'tokens',
    fault: status(503, 2),
    attempts: 3,
    tries: 3,
    post: REVOKED,
  },
  {
    name: 'a 503 storm: every try',
    route: 'tokens',
    fault: status(503, ALWAYS),
    attempts: 3,
    tries: 3,
    error: [/^SDDC Manager token request failed: HTTP 503 Service Unavailable/, /SDDC Manager is busy or unavailable/],
    post: NOTHING,
  },
  {
    name: 'a connection reset before any answer, once',
    route: 'tokens',
    fault: () => ({ reset: true }),
    attempts: 2,
    tries: 2,
    post: REVOKED,
  },
  {
    name: 'an answer lost after the pair was issued: the retry gets a second pair, which the post step revokes',
    route: 'tokens',
    fault: () => ({ reset: 'after-route' }),
    attempts: 2,
    tries: 2,
    post: REVOKED,
    then: (server) => {
      const [lost, used] = server.issued
      expect(server.refreshTokens.get(used.refreshTokenId)?.revoked).toBe(true)
      // The action never saw the first pair: it cannot revoke what it never received.
      expect(server.refreshTokens.get(lost.refreshTokenId)?.revoked).toBe(false)
    },
  },
  {
    name: 'a hang, once: cut at timeout-seconds and retried',
    route: 'tokens',
    fault: () => ({ hang: true }),
    attempts: 2,
    tries: 2,
    slow: true,
    post: REVOKED,
  },
  {
    name: "a proxy's HTML 502 page, every try",
    route: 'tokens',
    fault: () => ({ html: true, times: ALWAYS }),
    attempts: 2,
    tries: 2,
    error: [/HTTP 502 Bad Gateway, an HTML page \("502 Bad Gateway"\) instead of an API answer/],
    post: NOTHING,
  },
  {
    name: 'an HTML page with HTTP 200: not retried',
    route: 'tokens',
    fault: () => ({ html: '<!DOCTYPE html><html><head><title>Portal</title></head><body>Sign in</body></html>', status: 200 }),
    attempts: 3,
    tries: 1,
    error: [/answered HTTP 200 OK, an HTML page instead of an API answer.*expected a token pair\. Check url/],
    post: NOTHING,
  },
  {
    name: 'a body cut short inside the refresh token id: not retried, nothing quoted',
    route: 'tokens',
    fault: () => ({ mapBody: (body) => body.slice(0, body.indexOf('"id"') + 20) }),
    attempts: 3,
    tries: 1,
    error: [/answered HTTP 201 Created with JSON that does not parse, cut short or with extra text/],
    post: NOTHING,
  },
  {
    name: 'the revocation answered 429 with Retry-After: 1, once',
    route: 'revoke',
    fault: status(429, 1, retryAfter('1')),
    attempts: 2,
    tries: 2,
    post: REVOKED,
  },
  {
    name: 'the revocation hangs on every try: a warning',
    route: 'revoke',
    fault: () => ({ hang: true, times: ALWAYS }),
    attempts: 2,
    tries: 2,
    slow: true,
    post: /^Could not revoke: SDDC Manager refresh token revocation at .* failed: no complete answer within 2 s \(timeout-seconds\) \(2 tries\)\. The access token stays valid until it expires at /,
  },
]

describe.concurrent('SDDC Manager faults', () => {
  it.each(CASES.map((testCase) => [testCase.name, testCase] as const))('%s', async (_name, testCase) => {
    const start = () => new SddcManagerEmulator().start()
    const inputs = (sddc: SddcManagerEmulator, limits: Record<string, string>) =>
      reaching(sddc, { provider: 'sddc-manager', ...passwordOf(sddc) }, limits)
    await faultCase(start, testCase.route, testCase, inputs, (server, result, pacing) => {
      const tries = server.requestsTo(testCase.route)
      expectPaced(tries, pacing, testCase.route === 'tokens' ? result.main : result.post!, { count: testCase.tries })
      for (const request of server.requests) expect(containsPiece(request.url, server.password)).toBe(false)
      for (const login of server.requestsTo('tokens')) expect(login.json).toEqual({ username: server.username, password: server.password })

      const post = expectPostHarmless(result)
      if (testCase.error) {
        // A refusal counts its tries; an answer that cannot be read (one try) does not.
        expectFailed(result.main, testCase.error, testCase.tries > 1 ? testCase.tries : undefined)
        expect(result.main.warnings).toEqual([])
        expect(server.requestsTo('revoke')).toEqual([])
      } else {
        expect(result.main.exitCode, logOf(result)).toBe(0)
        expect(result.main.outputs['access-token']).toBe(server.issued.at(-1)!.accessToken)
      }
      // A warning for a failed revocation, a line of the log otherwise.
      const warns = testCase.post.source.startsWith('^Could not')
      expect(
        (warns ? post.warnings : post.log).some((line) => testCase.post.test(line)),
        `post step said:\n${logOf(post)}`,
      ).toBe(true)
      if (!warns) expect(post.warnings).toEqual([])
      testCase.then?.(server, result)
    })
  })
})
