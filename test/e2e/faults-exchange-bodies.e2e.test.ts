/**
 * Faults of the token exchange in what the answer says, for both providers: 200 answers that are
 * no token (empty, not JSON, no access_token, a bad expires_in), error messages that try to inject
 * workflow commands, and error bodies that echo the credential (whole, its tail, or the request
 * body), which must never reach the log. What each case checks is in support/faults.ts.
 */
import { describe, expect, it, vi } from 'vitest'
import { ALWAYS, CONCURRENT_CASES, exchangeCase, fails, succeeds, type ExchangeCase } from './support/faults.ts'

vi.setConfig({ maxConcurrency: CONCURRENT_CASES })

/** A 200 answer the action refuses: one try of three, a message that names the problem and counts no tries. */
const body = (error: RegExp[]) => ({ attempts: 3, tries: 1, error, countsTries: false })

const CASES: ExchangeCase[] = [
  // 200 answers that are no token: not retried, and the message does not count tries
  fails('200 with an empty body', () => ({ replaceBody: '', times: ALWAYS }), body([/HTTP 200/, /empty body/])),
  fails('200 with a non-JSON body', () => ({ replaceBody: 'OK', times: ALWAYS }), body([/HTTP 200/, /JSON/])),
  fails('200 without access_token', () => ({ omit: ['access_token'], times: ALWAYS }), body([/without an access_token/, /expires_in/])),
  succeeds('200 with expires_in as the numeric string "1799": accepted', () => ({ patch: { expires_in: '1799' }, times: ALWAYS }), {
    attempts: 3,
    tries: 1,
    then: (step) => {
      expect(step.outputs['expires-in']).toBe('1799')
      const left = Date.parse(step.outputs['expires-at']) - Date.now()
      expect(left).toBeGreaterThan(1700_000)
      expect(left).toBeLessThanOrEqual(1799_000)
    },
  }),
  // The action received a token it refuses: it must not leave it alive
  fails('200 with expires_in as a non-numeric string', () => ({ patch: { expires_in: 'soon' }, times: ALWAYS }), {
    ...body([/expires_in/, /soon/]),
    receivesToken: true,
  }),
  fails('200 without expires_in', () => ({ omit: ['expires_in'], times: ALWAYS }), { ...body([/expires_in/]), receivesToken: true }),
  // An error message that tries to smuggle workflow commands onto their own lines
  fails(
    '400 whose message tries to inject workflow commands',
    () => ({
      status: 400,
      body: { minorErrorCode: 'invalid_grant', message: 'denied\n::warning::injected\r\n::add-path::/tmp/evil\n::stop-commands::x' },
      times: ALWAYS,
    }),
    { attempts: 3, tries: 1, error: [/HTTP 400/, /denied/] },
  ),
  // Error bodies echoing the credential: never retried for 4xx, retried (and redacted each time) for 5xx
  fails('400 whose message echoes the whole token', () => ({ echo: 'token', status: 400, times: ALWAYS }), {
    attempts: 3,
    tries: 1,
    error: [/HTTP 400/, /Invalid refresh token/],
  }),
  fails("401 whose message echoes the token's last 12 characters", () => ({ echo: 'tail', echoTail: 12, status: 401, times: ALWAYS }), {
    attempts: 3,
    tries: 1,
    error: [/HTTP 401/, /Invalid refresh token/],
  }),
  fails('400 whose message echoes the request body', () => ({ echo: 'request-body', status: 400, times: ALWAYS }), {
    attempts: 3,
    tries: 1,
    error: [/HTTP 400/, /Bad request/],
  }),
  fails('500 echoing the whole token, every time (retried, redacted each time)', () => ({ echo: 'token', status: 500, times: ALWAYS }), {
    attempts: 2,
    tries: 2,
    error: [/HTTP 500/],
  }),
  succeeds("503 echoing the token's tail, once", () => ({ echo: 'tail', echoTail: 20, status: 503, times: 1 }), { attempts: 2, tries: 2 }),
]

describe.concurrent('token exchange faults: CSP API token', () => {
  for (const testCase of CASES) it(testCase.name, () => exchangeCase('csp', testCase))
})

describe.concurrent('token exchange faults: Cloud Director API token', () => {
  for (const testCase of CASES) it(testCase.name, () => exchangeCase('vcd', testCase))
})
