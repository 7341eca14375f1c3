/**
 * Faults of the token exchange answered with an HTTP status, for both providers (and the CSP
 * OAuth app grant): 429 with and without Retry-After, 408 and 5xx (retried), other 4xx (never
 * retried), HTML error pages, a redirect (never followed with the credential). The built action
 * runs as the runner runs it, main then post, against a fresh emulator per case; what each case
 * checks is in support/faults.ts.
 */
import { describe, expect, it, vi } from 'vitest'
import { CspEmulator } from './support/csp-emulator.ts'
import type { Fault, RecordedRequest } from './support/emulator.ts'
import { ALWAYS, fails, retryAfter, retryAfterDate, status, succeeds, type ExchangeCase } from './support/fault-cases.ts'
import * as faults from './support/faults.ts'
import type { Pacing } from './support/pacing.ts'
import type { JobResult } from './support/runner.ts'
import { using } from './support/tcp.ts'

vi.setConfig({ maxConcurrency: faults.CONCURRENT_CASES })

const CASES: ExchangeCase[] = [
  // 429 and Retry-After
  succeeds('429 with Retry-After: 1 (seconds), once', status(429, 1, retryAfter('1')), { attempts: 2, tries: 2 }),
  succeeds('429 with Retry-After as an HTTP date, once', () => ({ status: 429, times: 1, headers: retryAfterDate(2500) }), {
    attempts: 2,
    tries: 2,
  }),
  succeeds('429 without Retry-After, twice', status(429, 2), { attempts: 3, tries: 3 }),
  succeeds('429 with Retry-After: 0, once', status(429, 1, retryAfter('0')), { attempts: 2, tries: 2 }),
  fails('429 with Retry-After: 1, every time', status(429, ALWAYS, retryAfter('1')), { attempts: 3, tries: 3, error: [/HTTP 429/] }),
  fails('429 without Retry-After, every time', status(429, ALWAYS), { attempts: 2, tries: 2, error: [/HTTP 429/] }),
  fails('429 with Retry-After: 60 (beyond the 30 s cap): no retry at all', status(429, ALWAYS, retryAfter('60')), {
    attempts: 3,
    tries: 1,
    error: [/HTTP 429/],
  }),
  fails(
    '429 with Retry-After as an HTTP date 2 minutes ahead: no retry at all',
    () => ({ status: 429, times: ALWAYS, headers: retryAfterDate(120_000) }),
    { attempts: 3, tries: 1, error: [/HTTP 429/] },
  ),
  // 408 and 5xx: retried
  succeeds('408 once', status(408, 1), { attempts: 2, tries: 2 }),
  ...[500, 502, 503, 504].flatMap((code) => [
    succeeds(`${code} once`, status(code, 1), { attempts: 2, tries: 2 }),
    fails(`${code} every time`, status(code, ALWAYS), { attempts: 3, tries: 3, error: [new RegExp(`HTTP ${code}`)] }),
  ]),
  fails('503 with max-attempts 1: no retry', status(503, ALWAYS), { attempts: 1, tries: 1, error: [/HTTP 503/] }),
  // 4xx other than 408/429: never retried, even with tries left
  ...[400, 401, 403, 404].map((code) =>
    fails(`${code}: not retried`, status(code, ALWAYS), { attempts: 3, tries: 1, error: [new RegExp(`HTTP ${code}`)] }),
  ),
  // HTML error pages, as a proxy, WAF or outage answers
  fails('HTML 502 page every time', () => ({ html: true, status: 502, times: ALWAYS }), {
    attempts: 2,
    tries: 2,
    error: [/HTTP 502/, /HTML page/],
  }),
  succeeds('HTML 503 page once', () => ({ html: true, status: 503, times: 1 }), { attempts: 2, tries: 2 }),
  fails(
    'HTML 403 page (a WAF): not retried',
    () => ({ html: '<html><head><title>Access Denied</title></head><body>Request blocked</body></html>', status: 403, times: ALWAYS }),
    { attempts: 3, tries: 1, error: [/HTTP 403/, /HTML page/, /Access Denied/] },
  ),
  fails('HTML page with status 200 (a captive portal)', () => ({ html: true, status: 200, times: ALWAYS }), {
    attempts: 3,
    tries: 1,
    error: [/HTTP 200/, /HTML page/],
    countsTries: false,
  }),
  // A redirect: never followed with the credential
  fails(
    '307 redirect (to the same path): not followed',
    () => ({ status: 307, headers: { location: '/csp/gateway/am/api/auth/api-tokens/authorize' }, times: ALWAYS }),
    { attempts: 3, tries: 1, error: [/HTTP 307/, /redirect/] },
  ),
]

describe.concurrent('token exchange faults: CSP API token', () => {
  for (const testCase of CASES) it(testCase.name, () => faults.exchangeCase('csp', testCase))
})

describe.concurrent('token exchange faults: Cloud Director API token', () => {
  for (const testCase of CASES) it(testCase.name, () => faults.exchangeCase('vcd', testCase))
})

describe.concurrent('token exchange: a Retry-After beyond the 30 s cap', () => {
  // With Retry-After: 60 the action stops after one try; its message must say why (the wait asked
  // for is beyond the cap), and not advise raising max-attempts, which cannot help.
  for (const provider of ['csp', 'vcd'] as const) {
    it(`${provider}: the failure says the server asked to wait longer than the action will`, async () => {
      const pacing: Pacing = { attempts: 3, timeoutSeconds: 2 }
      const setup = await faults.setUp(provider, pacing)
      await using([setup.server], async () => {
        const result = await faults.faultedJob(
          setup.server,
          setup.route,
          { status: 429, headers: retryAfter('60'), times: ALWAYS },
          pacing,
          setup.inputs,
        )
        expect(setup.server.requestsTo(setup.route)).toHaveLength(1)
        const message = faults.expectFailed(result.main, [/HTTP 429/], 1)
        expect(message).toMatch(/Retry-After|retry after|60 s/i)
        expect(message).not.toMatch(/raise max-attempts/)
      })
    })
  }
})

// CSP OAuth app: the same retry rules on the other grant; the client secret is never printed.
describe.concurrent('token exchange faults: CSP OAuth app', () => {
  async function oauthCase(fault: Fault, pacing: Pacing): Promise<{ result: JobResult; server: CspEmulator; tries: RecordedRequest[] }> {
    const server = await new CspEmulator().start()
    return using([server], async () => {
      const app = { 'client-id': server.clientId, 'client-secret': server.clientSecret, org: server.org }
      const inputs = { url: server.url, 'ca-certificate': server.ca, ...app, ...faults.limitsOf(pacing) }
      const result = await faults.faultedJob(server, 'oauth-app', fault, pacing, inputs)
      const tries = server.requestsTo('oauth-app')
      faults.expectPaced(tries, pacing, result.main)
      faults.expectPostHarmless(result)
      // The same Basic credential and form on every try; no API-token lookup for an app.
      const basic = `Basic ${Buffer.from(`${server.clientId}:${server.clientSecret}`).toString('base64')}`
      for (const request of tries) {
        expect(request.headers.authorization).toBe(basic)
        expect(request.form).toEqual({ grant_type: 'client_credentials', orgId: server.org })
      }
      expect(server.requestsTo('details')).toEqual([])
      return { result, server, tries }
    })
  }

  it('429 with Retry-After: 1, once: succeeds on the second try', async () => {
    const { result, server, tries } = await oauthCase({ status: 429, headers: retryAfter('1') }, { attempts: 3, timeoutSeconds: 2 })
    expect(tries.map((request) => request.status)).toEqual([429, 200])
    expect(result.main.exitCode).toBe(0)
    expect(result.main.outputs['access-token']).toBe(server.issued.at(-1)!.access_token)
  })

  it('503 every time: fails after max-attempts, saying so', async () => {
    const { result, tries } = await oauthCase({ status: 503, times: ALWAYS }, { attempts: 3, timeoutSeconds: 2 })
    expect(tries).toHaveLength(3)
    faults.expectFailed(result.main, [/HTTP 503/, /busy or unavailable/], 3)
  })

  it('401 echoing the client secret: one try, secret redacted', async () => {
    const { result, tries } = await oauthCase({ echo: 'token', status: 401, times: ALWAYS }, { attempts: 3, timeoutSeconds: 2 })
    expect(tries).toHaveLength(1)
    faults.expectFailed(result.main, [/HTTP 401/, /client-secret/], 1)
  })

  it('never answers: each try cut at timeout-seconds', async () => {
    const { result, tries } = await oauthCase({ hang: true, times: ALWAYS }, { attempts: 2, timeoutSeconds: 1, slow: true })
    expect(tries).toHaveLength(2)
    faults.expectFailed(result.main, [/timeout-seconds/], 2)
  })
})
