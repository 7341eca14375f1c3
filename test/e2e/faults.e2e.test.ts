/**
 * Reliability end to end: the built dist/index.js, run as the runner runs it (main, then post),
 * against the CSP and Cloud Director emulators over loopback HTTPS with a private CA made at test
 * time, with faults injected into the token exchange, the VCD logout of the post step, the CSP
 * API-token expiry lookup, and the network below HTTP (refused, reset, silent, untrusted TLS,
 * through an https_proxy).
 *
 * For every fault: the run ends the right way (success after retries, or a failed step whose
 * message names what happened and the number of tries); it ends within the bound that
 * timeout-seconds and max-attempts imply (reliability-support.ts); the retries really happened,
 * spaced as the backoff allows (the emulator's recorded requests); the post step never fails the
 * job; and the leak scan of both steps (debug lines included) is clean.
 *
 * Each case has its own emulator and its own processes, so the cases run concurrently.
 */
import { describe, expect, it, vi } from 'vitest'
import { CSP_API_TOKEN_PATH, CspEmulator } from './support/csp-emulator.ts'
import type { Fault, RecordedRequest } from './support/emulator.ts'
import { assertNoLeaks, containsPiece, runJob, runStep, type JobResult, type StepResult } from './support/runner.ts'
import { VCD_SESSION_PATH, VcdEmulator } from './support/vcd-emulator.ts'
import {
  RUN_OVERHEAD_MS,
  expectPacing,
  expectReportedPacing,
  reportedTries,
  requestBoundMs,
  triesText,
  type Pacing,
} from './support/pacing.ts'
import { ConnectProxy, RawServer, closedPort, using } from './support/tcp.ts'

// Every case is a few child processes that mostly wait: run several at once.
vi.setConfig({ maxConcurrency: 8 })

const ALWAYS = Number.POSITIVE_INFINITY

type ProviderName = 'csp' | 'vcd'

/** A fresh emulator of a provider, the route its exchange goes to, and inputs that reach it. */
interface Setup {
  provider: ProviderName
  server: CspEmulator | VcdEmulator
  /** Route name of the token exchange. */
  route: string
  credential: string
  inputs: Record<string, string>
  /** The access token the emulator issued last. */
  issued(): string | undefined
}

async function setUp(provider: ProviderName, pacing: Pacing, options: { names?: string[] } = {}): Promise<Setup> {
  const limits = { 'timeout-seconds': String(pacing.timeoutSeconds), 'max-attempts': String(pacing.attempts) }
  if (provider === 'csp') {
    const server = await new CspEmulator(options).start()
    return {
      provider,
      server,
      route: 'api-token',
      credential: server.apiToken,
      // The expiry lookup has its own tests below; here it would only add a request.
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
function job(inputs: Record<string, string>, env?: Record<string, string>): Promise<JobResult> {
  return runJob({ inputs, env, debug: true, timeoutMs: 40_000 })
}

function logOf(result: JobResult | StepResult): string {
  return result.log.join('\n')
}

/** A run within the bound its inputs imply, and not killed by the harness. */
function expectWithinBound(step: StepResult, pacing: Pacing, firstTryAt?: number): void {
  expect(step.timedOut).toBe(false)
  const bound = requestBoundMs(pacing, firstTryAt) + RUN_OVERHEAD_MS
  expect(step.durationMs, `${step.step} step took ${Math.round(step.durationMs)} ms; bound ${bound} ms`).toBeLessThanOrEqual(bound)
}

/** The post step never fails the job: exit 0, no ::error::. */
function expectPostHarmless(result: JobResult): StepResult {
  const post = result.post!
  expect(post.exitCode, logOf(post)).toBe(0)
  expect(post.succeeded).toBe(true)
  expect(post.errors).toEqual([])
  return post
}

/** The main step failed with one ::error:: that says what happened; nothing was published. */
function expectFailed(step: StepResult, patterns: RegExp[], tries?: number): string {
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
function expectMessagesClean(step: StepResult, secrets: (string | null | undefined)[]): void {
  for (const message of [...step.errors, ...step.warnings]) {
    for (const secret of secrets) if (secret) expect(containsPiece(message, secret), message).toBe(false)
  }
}

// ---------------------------------------------------------------------------------------------
// The token exchange, for both providers.

interface ExchangeCase {
  name: string
  fault: () => Fault
  attempts: number
  timeoutSeconds: number
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

const retryAfterOf = (fault: Fault): string | undefined => fault.headers?.['retry-after']

const status =
  (code: number, times: number, headers?: Record<string, string>): (() => Fault) =>
  () => ({ status: code, times, headers })

const EXCHANGE_CASES: ExchangeCase[] = [
  // 429 and Retry-After
  {
    name: '429 with Retry-After: 1 (seconds), once',
    fault: status(429, 1, { 'retry-after': '1' }),
    attempts: 2,
    timeoutSeconds: 2,
    tries: 2,
    ok: true,
  },
  {
    name: '429 with Retry-After as an HTTP date, once',
    fault: () => ({ status: 429, times: 1, headers: { 'retry-after': new Date(Date.now() + 2500).toUTCString() } }),
    attempts: 2,
    timeoutSeconds: 2,
    tries: 2,
    ok: true,
  },
  { name: '429 without Retry-After, twice', fault: status(429, 2), attempts: 3, timeoutSeconds: 2, tries: 3, ok: true },
  {
    name: '429 with Retry-After: 0, once',
    fault: status(429, 1, { 'retry-after': '0' }),
    attempts: 2,
    timeoutSeconds: 2,
    tries: 2,
    ok: true,
  },
  {
    name: '429 with Retry-After: 1, every time',
    fault: status(429, ALWAYS, { 'retry-after': '1' }),
    attempts: 3,
    timeoutSeconds: 2,
    tries: 3,
    ok: false,
    error: [/HTTP 429/],
    countsTries: true,
  },
  {
    name: '429 without Retry-After, every time',
    fault: status(429, ALWAYS),
    attempts: 2,
    timeoutSeconds: 2,
    tries: 2,
    ok: false,
    error: [/HTTP 429/],
    countsTries: true,
  },
  {
    name: '429 with Retry-After: 60 (beyond the 30 s cap): no retry at all',
    fault: status(429, ALWAYS, { 'retry-after': '60' }),
    attempts: 3,
    timeoutSeconds: 2,
    tries: 1,
    ok: false,
    error: [/HTTP 429/],
    countsTries: true,
  },
  {
    name: '429 with Retry-After as an HTTP date 2 minutes ahead: no retry at all',
    fault: () => ({ status: 429, times: ALWAYS, headers: { 'retry-after': new Date(Date.now() + 120_000).toUTCString() } }),
    attempts: 3,
    timeoutSeconds: 2,
    tries: 1,
    ok: false,
    error: [/HTTP 429/],
    countsTries: true,
  },
  // 408 and 5xx: retried
  { name: '408 once', fault: status(408, 1), attempts: 2, timeoutSeconds: 2, tries: 2, ok: true },
  ...[500, 502, 503, 504].flatMap((code): ExchangeCase[] => [
    { name: `${code} once`, fault: status(code, 1), attempts: 2, timeoutSeconds: 2, tries: 2, ok: true },
    {
      name: `${code} every time`,
      fault: status(code, ALWAYS),
      attempts: 3,
      timeoutSeconds: 2,
      tries: 3,
      ok: false,
      error: [new RegExp(`HTTP ${code}`)],
      countsTries: true,
    },
  ]),
  {
    name: '503 with max-attempts 1: no retry',
    fault: status(503, ALWAYS),
    attempts: 1,
    timeoutSeconds: 2,
    tries: 1,
    ok: false,
    error: [/HTTP 503/],
    countsTries: true,
  },
  // 4xx other than 408/429: never retried, even with tries left
  ...[400, 401, 403, 404].map((code): ExchangeCase => ({
    name: `${code}: not retried`,
    fault: status(code, ALWAYS),
    attempts: 3,
    timeoutSeconds: 2,
    tries: 1,
    ok: false,
    error: [new RegExp(`HTTP ${code}`)],
    countsTries: true,
  })),
  // Connection reset
  { name: 'connection reset once', fault: () => ({ reset: true, times: 1 }), attempts: 2, timeoutSeconds: 2, tries: 2, ok: true },
  {
    name: 'connection reset every time',
    fault: () => ({ reset: true, times: ALWAYS }),
    attempts: 3,
    timeoutSeconds: 2,
    tries: 3,
    ok: false,
    error: [/connection reset/],
    countsTries: true,
  },
  {
    name: 'connection reset after the server issued a token (answer lost), once',
    fault: () => ({ reset: 'after-route', times: 1 }),
    attempts: 2,
    timeoutSeconds: 2,
    tries: 2,
    ok: true,
  },
  // A server that accepts and never answers: cut at timeout-seconds per try
  {
    name: 'never answers, every time',
    fault: () => ({ hang: true, times: ALWAYS }),
    attempts: 2,
    timeoutSeconds: 1,
    tries: 2,
    ok: false,
    slow: true,
    error: [/timeout-seconds/, /within 1 s/],
    countsTries: true,
  },
  { name: 'never answers, once', fault: () => ({ hang: true, times: 1 }), attempts: 2, timeoutSeconds: 1, tries: 2, ok: true, slow: true },
  {
    name: 'never answers after issuing a token, once',
    fault: () => ({ hang: 'after-route', times: 1 }),
    attempts: 2,
    timeoutSeconds: 1,
    tries: 2,
    ok: true,
    slow: true,
  },
  // A slow trickle: headers at once, the body a byte every 200 ms
  {
    name: 'slow trickle, every time',
    fault: () => ({ trickle: { chunkBytes: 1, intervalMs: 200 }, times: ALWAYS }),
    attempts: 2,
    timeoutSeconds: 1,
    tries: 2,
    ok: false,
    slow: true,
    error: [/timeout-seconds/],
    countsTries: true,
  },
  {
    name: 'slow trickle, once',
    fault: () => ({ trickle: { chunkBytes: 1, intervalMs: 200 }, times: 1 }),
    attempts: 2,
    timeoutSeconds: 1,
    tries: 2,
    ok: true,
    slow: true,
  },
  {
    name: 'a trickle that completes within timeout-seconds is accepted in one try',
    fault: () => ({ trickle: { chunkBytes: 200, intervalMs: 50 }, times: 1 }),
    attempts: 2,
    timeoutSeconds: 4,
    tries: 1,
    ok: true,
  },
  // HTML error pages, as a proxy, WAF or outage answers
  {
    name: 'HTML 502 page every time',
    fault: () => ({ html: true, status: 502, times: ALWAYS }),
    attempts: 2,
    timeoutSeconds: 2,
    tries: 2,
    ok: false,
    error: [/HTTP 502/, /HTML page/],
    countsTries: true,
  },
  { name: 'HTML 503 page once', fault: () => ({ html: true, status: 503, times: 1 }), attempts: 2, timeoutSeconds: 2, tries: 2, ok: true },
  {
    name: 'HTML 403 page (a WAF): not retried',
    fault: () => ({
      html: '<html><head><title>Access Denied</title></head><body>Request blocked</body></html>',
      status: 403,
      times: ALWAYS,
    }),
    attempts: 3,
    timeoutSeconds: 2,
    tries: 1,
    ok: false,
    error: [/HTTP 403/, /HTML page/, /Access Denied/],
    countsTries: true,
  },
  {
    name: 'HTML page with status 200 (a captive portal)',
    fault: () => ({ html: true, status: 200, times: ALWAYS }),
    attempts: 3,
    timeoutSeconds: 2,
    tries: 1,
    ok: false,
    error: [/HTTP 200/, /HTML page/],
  },
  // 200 answers that are no token
  {
    name: '200 with an empty body',
    fault: () => ({ replaceBody: '', times: ALWAYS }),
    attempts: 3,
    timeoutSeconds: 2,
    tries: 1,
    ok: false,
    error: [/HTTP 200/, /empty body/],
  },
  {
    name: '200 with a non-JSON body',
    fault: () => ({ replaceBody: 'OK', times: ALWAYS }),
    attempts: 3,
    timeoutSeconds: 2,
    tries: 1,
    ok: false,
    error: [/HTTP 200/, /JSON/],
  },
  {
    name: '200 without access_token',
    fault: () => ({ omit: ['access_token'], times: ALWAYS }),
    attempts: 3,
    timeoutSeconds: 2,
    tries: 1,
    ok: false,
    error: [/without an access_token/, /expires_in/],
  },
  {
    name: '200 with expires_in as the numeric string "1799": accepted',
    fault: () => ({ patch: { expires_in: '1799' }, times: ALWAYS }),
    attempts: 3,
    timeoutSeconds: 2,
    tries: 1,
    ok: true,
    then: (step) => {
      expect(step.outputs['expires-in']).toBe('1799')
      const left = Date.parse(step.outputs['expires-at']) - Date.now()
      expect(left).toBeGreaterThan(1700_000)
      expect(left).toBeLessThanOrEqual(1799_000)
    },
  },
  {
    name: '200 with expires_in as a non-numeric string',
    fault: () => ({ patch: { expires_in: 'soon' }, times: ALWAYS }),
    attempts: 3,
    timeoutSeconds: 2,
    tries: 1,
    ok: false,
    receivesToken: true,
    error: [/expires_in/, /soon/],
  },
  {
    name: '200 without expires_in',
    fault: () => ({ omit: ['expires_in'], times: ALWAYS }),
    attempts: 3,
    timeoutSeconds: 2,
    tries: 1,
    ok: false,
    receivesToken: true,
    error: [/expires_in/],
  },
  // A redirect: never followed with the credential
  {
    name: '307 redirect (to the same path): not followed',
    fault: () => ({ status: 307, headers: { location: '/csp/gateway/am/api/auth/api-tokens/authorize' }, times: ALWAYS }),
    attempts: 3,
    timeoutSeconds: 2,
    tries: 1,
    ok: false,
    error: [/HTTP 307/, /redirect/],
    countsTries: true,
  },
  // An error message that tries to smuggle workflow commands onto their own lines
  {
    name: '400 whose message tries to inject workflow commands',
    fault: () => ({
      status: 400,
      body: { minorErrorCode: 'invalid_grant', message: 'denied\n::warning::injected\r\n::add-path::/tmp/evil\n::stop-commands::x' },
      times: ALWAYS,
    }),
    attempts: 3,
    timeoutSeconds: 2,
    tries: 1,
    ok: false,
    error: [/HTTP 400/, /denied/],
    countsTries: true,
  },
  // Error bodies echoing the credential
  {
    name: '400 whose message echoes the whole token',
    fault: () => ({ echo: 'token', status: 400, times: ALWAYS }),
    attempts: 3,
    timeoutSeconds: 2,
    tries: 1,
    ok: false,
    error: [/HTTP 400/, /Invalid refresh token/],
    countsTries: true,
  },
  {
    name: "401 whose message echoes the token's last 12 characters",
    fault: () => ({ echo: 'tail', echoTail: 12, status: 401, times: ALWAYS }),
    attempts: 3,
    timeoutSeconds: 2,
    tries: 1,
    ok: false,
    error: [/HTTP 401/, /Invalid refresh token/],
    countsTries: true,
  },
  {
    name: '400 whose message echoes the request body',
    fault: () => ({ echo: 'request-body', status: 400, times: ALWAYS }),
    attempts: 3,
    timeoutSeconds: 2,
    tries: 1,
    ok: false,
    error: [/HTTP 400/, /Bad request/],
    countsTries: true,
  },
  {
    name: '500 echoing the whole token, every time (retried, redacted each time)',
    fault: () => ({ echo: 'token', status: 500, times: ALWAYS }),
    attempts: 2,
    timeoutSeconds: 2,
    tries: 2,
    ok: false,
    error: [/HTTP 500/],
    countsTries: true,
  },
  {
    name: "503 echoing the token's tail, once",
    fault: () => ({ echo: 'tail', echoTail: 20, status: 503, times: 1 }),
    attempts: 2,
    timeoutSeconds: 2,
    tries: 2,
    ok: true,
  },
]

async function exchangeCase(provider: ProviderName, testCase: ExchangeCase): Promise<void> {
  const pacing: Pacing = { attempts: testCase.attempts, timeoutSeconds: testCase.timeoutSeconds, slow: testCase.slow }
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

describe.concurrent('token exchange faults: CSP API token', () => {
  for (const testCase of EXCHANGE_CASES) it(testCase.name, () => exchangeCase('csp', testCase))
})

describe.concurrent('token exchange faults: Cloud Director API token', () => {
  for (const testCase of EXCHANGE_CASES) it(testCase.name, () => exchangeCase('vcd', testCase))
})

describe.concurrent('token exchange: a Retry-After beyond the 30 s cap', () => {
  // With Retry-After: 60 the action stops after one try; its message must say why (the wait asked
  // for is beyond the cap), and not advise raising max-attempts, which cannot help.
  for (const provider of ['csp', 'vcd'] as const) {
    it(`${provider}: the failure says the server asked to wait longer than the action will`, async () => {
      const pacing: Pacing = { attempts: 3, timeoutSeconds: 2, retryAfter: '60' }
      const setup = await setUp(provider, pacing)
      await using([setup.server], async () => {
        setup.server.fault(setup.route, { status: 429, headers: { 'retry-after': '60' }, times: ALWAYS })
        const result = await job(setup.inputs)
        assertNoLeaks(result, setup.server.secrets())
        expect(setup.server.requestsTo(setup.route)).toHaveLength(1)
        const message = expectFailed(result.main, [/HTTP 429/], 1)
        expect(message).toMatch(/Retry-After|retry after|60 s/i)
        expect(message).not.toMatch(/raise max-attempts/)
      })
    })
  }
})

// ---------------------------------------------------------------------------------------------
// CSP OAuth app: the same retry rules on the other grant; the client secret is never printed.

describe.concurrent('token exchange faults: CSP OAuth app', () => {
  async function oauthCase(fault: Fault, pacing: Pacing): Promise<{ result: JobResult; server: CspEmulator; tries: RecordedRequest[] }> {
    const server = await new CspEmulator().start()
    return using([server], async () => {
      pacing.retryAfter = retryAfterOf(fault)
      server.fault('oauth-app', fault)
      const result = await job({
        url: server.url,
        'ca-certificate': server.ca,
        'client-id': server.clientId,
        'client-secret': server.clientSecret,
        org: server.org,
        'timeout-seconds': String(pacing.timeoutSeconds),
        'max-attempts': String(pacing.attempts),
      })
      assertNoLeaks(result, server.secrets())
      expectMessagesClean(result.main, server.secrets())
      const tries = server.requestsTo('oauth-app')
      expectPacing(tries, pacing, result.main)
      expectWithinBound(result.main, pacing, tries[0]?.time)
      expectPostHarmless(result)
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
    const { result, server, tries } = await oauthCase({ status: 429, headers: { 'retry-after': '1' } }, { attempts: 3, timeoutSeconds: 2 })
    expect(tries.map((request) => request.status)).toEqual([429, 200])
    expect(result.main.exitCode).toBe(0)
    expect(result.main.outputs['access-token']).toBe(server.issued.at(-1)!.access_token)
  })

  it('503 every time: fails after max-attempts, saying so', async () => {
    const { result, tries } = await oauthCase({ status: 503, times: ALWAYS }, { attempts: 3, timeoutSeconds: 2 })
    expect(tries).toHaveLength(3)
    expectFailed(result.main, [/HTTP 503/, /busy or unavailable/], 3)
  })

  it('401 echoing the client secret: one try, secret redacted', async () => {
    const { result, tries } = await oauthCase({ echo: 'token', status: 401, times: ALWAYS }, { attempts: 3, timeoutSeconds: 2 })
    expect(tries).toHaveLength(1)
    expectFailed(result.main, [/HTTP 401/, /client-secret/], 1)
  })

  it('never answers: each try cut at timeout-seconds', async () => {
    const { result, tries } = await oauthCase({ hang: true, times: ALWAYS }, { attempts: 2, timeoutSeconds: 1, slow: true })
    expect(tries).toHaveLength(2)
    expectFailed(result.main, [/timeout-seconds/], 2)
  })
})

// ---------------------------------------------------------------------------------------------
// Faults below HTTP: refused, reset, silent, untrusted TLS.

describe.concurrent('network faults below HTTP', () => {
  for (const provider of ['csp', 'vcd'] as const) {
    it(`${provider}: an untrusted TLS certificate is not retried and points at ca-certificate`, async () => {
      const pacing: Pacing = { attempts: 3, timeoutSeconds: 2 }
      const setup = await setUp(provider, pacing)
      // The forwarder counts TCP connections: the emulator never sees a request when TLS fails.
      const counter = await new RawServer({ forwardTo: setup.server.port }).start()
      await using([setup.server, counter], async () => {
        const inputs: Record<string, string> = { ...setup.inputs, url: counter.url }
        delete inputs['ca-certificate']
        const result = await job(inputs)
        assertNoLeaks(result, setup.server.secrets())
        expectFailed(result.main, [/ca-certificate/, /certificate is not trusted/], 1)
        expect(setup.server.requests).toEqual([])
        // One connection for the exchange (VCD: and one for its version lookup beside it).
        expect(counter.connections.length).toBe(provider === 'vcd' ? 2 : 1)
        expectWithinBound(result.main, { ...pacing, attempts: 1 })
        expectPostHarmless(result)
      })
    })
  }

  it('connection refused: retried up to max-attempts, then a message that says so', async () => {
    const pacing: Pacing = { attempts: 3, timeoutSeconds: 2 }
    const port = await closedPort()
    const result = await job({
      url: `https://127.0.0.1:${port}`,
      'api-token': 'A'.repeat(30) + 'Yt6Ui2Op9Gf4',
      'max-attempts': '3',
      'timeout-seconds': '2',
      'expiry-warning-days': '0',
    })
    assertNoLeaks(result, ['A'.repeat(30) + 'Yt6Ui2Op9Gf4'])
    expectFailed(result.main, [/connection refused/, /127\.0\.0\.1/], 3)
    expectWithinBound(result.main, pacing)
    expectPostHarmless(result)
  })

  it('a port that accepts and never speaks (no TLS handshake): each try cut at timeout-seconds', async () => {
    const pacing: Pacing = { attempts: 2, timeoutSeconds: 1, slow: true }
    const silent = await new RawServer('silent').start()
    await using([silent], async () => {
      const token = 'S'.repeat(20) + 'Hj3Lk8Qw5Zx1Cv7N'
      const result = await job({
        url: silent.url,
        'api-token': token,
        'max-attempts': '2',
        'timeout-seconds': '1',
        'expiry-warning-days': '0',
      })
      assertNoLeaks(result, [token])
      expectFailed(result.main, [/timeout-seconds/], 2)
      expect(silent.connections).toHaveLength(2)
      // Each try cut at timeout-seconds by the action's own clock (its deadline starts before the
      // connection, so the gap between the two accepted connections says nothing about it) ...
      expectReportedPacing(reportedTries(result.main, CSP_API_TOKEN_PATH), pacing)
      // ... and, by the runner's clock, the step outlived both deadlines.
      expect(result.main.durationMs).toBeGreaterThanOrEqual(2000)
      expectWithinBound(result.main, pacing)
      expectPostHarmless(result)
    })
  })

  it('a port that resets every connection: retried, then "connection reset"', async () => {
    const pacing: Pacing = { attempts: 3, timeoutSeconds: 2 }
    const reset = await new RawServer('reset').start()
    await using([reset], async () => {
      const token = 'R'.repeat(20) + 'Kq7Zw9Xv2Mn4Bp8T'
      const result = await job({
        url: reset.url,
        'api-token': token,
        'max-attempts': '3',
        'timeout-seconds': '2',
        'expiry-warning-days': '0',
      })
      assertNoLeaks(result, [token])
      expectFailed(result.main, [/connection reset|disconnected|socket/i], 3)
      expect(reset.connections).toHaveLength(3)
      expectWithinBound(result.main, pacing)
      expectPostHarmless(result)
    })
  })
})

// ---------------------------------------------------------------------------------------------
// A proxy in between (https_proxy). The emulator answers for a made-up name only the proxy
// resolves, so every request provably went through the proxy.

describe.concurrent('faults through an https_proxy', () => {
  const HOST = 'csp.example.test'

  async function behindProxy(
    fault: Fault | undefined,
    pacing: Pacing,
    proxyOptions: { refuseWith?: number } = {},
  ): Promise<{ result: JobResult; server: CspEmulator; proxy: ConnectProxy; tries: RecordedRequest[] }> {
    const server = await new CspEmulator({ names: [HOST] }).start()
    const proxy = await new ConnectProxy({ hosts: { [HOST]: '127.0.0.1' }, ...proxyOptions }).start()
    return using([proxy, server], async () => {
      if (fault) server.fault('api-token', fault)
      pacing.retryAfter = fault && retryAfterOf(fault)
      const result = await job(
        {
          url: server.urlFor(HOST),
          'ca-certificate': server.ca,
          'api-token': server.apiToken,
          'expiry-warning-days': '0',
          'timeout-seconds': String(pacing.timeoutSeconds),
          'max-attempts': String(pacing.attempts),
        },
        { https_proxy: proxy.url },
      )
      assertNoLeaks(result, server.secrets())
      expectMessagesClean(result.main, server.secrets())
      const tries = server.requestsTo('api-token')
      expectPacing(tries, pacing, result.main)
      expectWithinBound(result.main, pacing, tries[0]?.time)
      expectPostHarmless(result)
      // Only host names reached the proxy, and every try that reached the server came through it.
      expect(JSON.stringify(proxy.tunnels)).not.toContain(server.apiToken)
      expect(proxy.tunnels.every((tunnel) => tunnel.target === `${HOST}:${server.port}`)).toBe(true)
      for (const request of tries) expect(request.servername).toBe(HOST)
      return { result, server, proxy, tries }
    })
  }

  it('503 once: retried through the proxy, one tunnel per try', async () => {
    const { result, proxy, tries } = await behindProxy({ status: 503, times: 1 }, { attempts: 3, timeoutSeconds: 2 })
    expect(result.main.exitCode, logOf(result)).toBe(0)
    expect(tries.map((request) => request.status)).toEqual([503, 200])
    expect(proxy.tunnels).toHaveLength(2)
  })

  it('429 with Retry-After: 1 through the proxy', async () => {
    const { result, tries } = await behindProxy(
      { status: 429, times: 1, headers: { 'retry-after': '1' } },
      { attempts: 2, timeoutSeconds: 2 },
    )
    expect(result.main.exitCode, logOf(result)).toBe(0)
    expect(tries.map((request) => request.status)).toEqual([429, 200])
  })

  it('a server behind the proxy that never answers: each try cut at timeout-seconds', async () => {
    const { result, proxy, tries } = await behindProxy({ hang: true, times: ALWAYS }, { attempts: 2, timeoutSeconds: 1, slow: true })
    expectFailed(result.main, [/timeout-seconds/], 2)
    expect(tries).toHaveLength(2)
    expect(proxy.tunnels).toHaveLength(2)
  })

  it('a proxy that wants credentials (407): not retried, the message names the proxy and the status', async () => {
    const { result, proxy, server } = await behindProxy(undefined, { attempts: 3, timeoutSeconds: 2 }, { refuseWith: 407 })
    expect(server.requests).toEqual([])
    expect(proxy.tunnels.map((tunnel) => tunnel.status)).toEqual([407])
    expectFailed(result.main, [/csp\.example\.test/, /proxy/, /407/], 1)
  })

  it('a proxy that cannot reach the host (502): retried, then a failure naming the proxy', async () => {
    const { result, proxy, server } = await behindProxy(undefined, { attempts: 2, timeoutSeconds: 2 }, { refuseWith: 502 })
    expect(server.requests).toEqual([])
    expect(proxy.tunnels.map((tunnel) => tunnel.status)).toEqual([502, 502])
    expectFailed(result.main, [/csp\.example\.test/, /proxy/, /502/], 2)
  })

  it('a proxy that accepts and never answers the CONNECT: each try cut at timeout-seconds', async () => {
    const pacing: Pacing = { attempts: 2, timeoutSeconds: 1, slow: true }
    const server = await new CspEmulator({ names: [HOST] }).start()
    const deadProxy = await new RawServer('silent').start()
    await using([server, deadProxy], async () => {
      const result = await job(
        {
          url: server.urlFor(HOST),
          'ca-certificate': server.ca,
          'api-token': server.apiToken,
          'expiry-warning-days': '0',
          'timeout-seconds': '1',
          'max-attempts': '2',
        },
        { https_proxy: `http://127.0.0.1:${deadProxy.port}` },
      )
      assertNoLeaks(result, server.secrets())
      expectFailed(result.main, [/timeout-seconds/], 2)
      expect(deadProxy.connections).toHaveLength(2)
      expectReportedPacing(reportedTries(result.main, CSP_API_TOKEN_PATH), pacing)
      expect(server.requests).toEqual([])
      expectWithinBound(result.main, pacing)
      expectPostHarmless(result)
    })
  })
})

// ---------------------------------------------------------------------------------------------
// The post step: VCD logout failing in every way. Never a failed job; a failure is one
// ::warning:: that says what happened and how many tries; "session already gone" is success.

interface LogoutCase {
  name: string
  fault: () => Fault
  attempts: number
  timeoutSeconds: number
  tries: number
  /** The post step counts the token as revoked (no warning). */
  revoked: boolean
  /** The emulator's session really ended (false when a canned 401/404 stood in for the logout). */
  ended?: boolean
  warning?: RegExp[]
  slow?: boolean
}

const LOGOUT_CASES: LogoutCase[] = [
  {
    name: '429 with Retry-After: 1, once',
    fault: status(429, 1, { 'retry-after': '1' }),
    attempts: 2,
    timeoutSeconds: 2,
    tries: 2,
    revoked: true,
  },
  {
    name: '429 with Retry-After as an HTTP date, once',
    fault: () => ({ status: 429, times: 1, headers: { 'retry-after': new Date(Date.now() + 2500).toUTCString() } }),
    attempts: 2,
    timeoutSeconds: 2,
    tries: 2,
    revoked: true,
  },
  {
    name: '429 without Retry-After, every time',
    fault: status(429, ALWAYS),
    attempts: 2,
    timeoutSeconds: 2,
    tries: 2,
    revoked: false,
    warning: [/HTTP 429/],
  },
  {
    name: '429 with Retry-After: 60, every time: one try',
    fault: status(429, ALWAYS, { 'retry-after': '60' }),
    attempts: 3,
    timeoutSeconds: 2,
    tries: 1,
    revoked: false,
    warning: [/HTTP 429/],
  },
  ...[500, 502, 503, 504].map((code): LogoutCase => ({
    name: `${code} every time`,
    fault: status(code, ALWAYS),
    attempts: 3,
    timeoutSeconds: 2,
    tries: 3,
    revoked: false,
    warning: [new RegExp(`HTTP ${code}`)],
  })),
  { name: '503 once', fault: status(503, 1), attempts: 2, timeoutSeconds: 2, tries: 2, revoked: true },
  { name: '400: not retried', fault: status(400, ALWAYS), attempts: 3, timeoutSeconds: 2, tries: 1, revoked: false, warning: [/HTTP 400/] },
  { name: '403: not retried', fault: status(403, ALWAYS), attempts: 3, timeoutSeconds: 2, tries: 1, revoked: false, warning: [/HTTP 403/] },
  {
    name: 'connection reset every time',
    fault: () => ({ reset: true, times: ALWAYS }),
    attempts: 2,
    timeoutSeconds: 2,
    tries: 2,
    revoked: false,
    warning: [/connection reset/],
  },
  { name: 'connection reset once', fault: () => ({ reset: true, times: 1 }), attempts: 2, timeoutSeconds: 2, tries: 2, revoked: true },
  {
    name: 'never answers, every time',
    fault: () => ({ hang: true, times: ALWAYS }),
    attempts: 2,
    timeoutSeconds: 1,
    tries: 2,
    revoked: false,
    slow: true,
    warning: [/timeout-seconds/],
  },
  {
    // The server logged out but its answer was lost: the retry finds the session gone (401), which is success.
    name: 'never answers after logging out, once: the retry finds the session gone',
    fault: () => ({ hang: 'after-route', times: 1 }),
    attempts: 2,
    timeoutSeconds: 1,
    tries: 2,
    revoked: true,
    slow: true,
  },
  {
    name: 'slow trickle, every time',
    fault: () => ({ status: 500, trickle: { chunkBytes: 1, intervalMs: 200 }, times: ALWAYS }),
    attempts: 2,
    timeoutSeconds: 1,
    tries: 2,
    revoked: false,
    slow: true,
    warning: [/timeout-seconds/],
  },
  {
    name: 'HTML 502 page every time',
    fault: () => ({ html: true, status: 502, times: ALWAYS }),
    attempts: 2,
    timeoutSeconds: 2,
    tries: 2,
    revoked: false,
    warning: [/HTTP 502/, /HTML page/],
  },
  {
    name: '500 echoing the access token, every time',
    fault: () => ({ echo: 'token', status: 500, times: ALWAYS }),
    attempts: 2,
    timeoutSeconds: 2,
    tries: 2,
    revoked: false,
    warning: [/HTTP 500/],
  },
  {
    name: "400 echoing the access token's tail",
    fault: () => ({ echo: 'tail', echoTail: 16, status: 400, times: ALWAYS }),
    attempts: 3,
    timeoutSeconds: 2,
    tries: 1,
    revoked: false,
    warning: [/HTTP 400/],
  },
  {
    name: '400 echoing the request body (empty for a DELETE)',
    fault: () => ({ echo: 'request-body', status: 400, times: ALWAYS }),
    attempts: 3,
    timeoutSeconds: 2,
    tries: 1,
    revoked: false,
    warning: [/HTTP 400/],
  },
  {
    name: '401 (session already gone) is success',
    fault: status(401, ALWAYS),
    attempts: 3,
    timeoutSeconds: 2,
    tries: 1,
    revoked: true,
    ended: false,
  },
  {
    name: '404 (session already gone) is success',
    fault: status(404, ALWAYS),
    attempts: 3,
    timeoutSeconds: 2,
    tries: 1,
    revoked: true,
    ended: false,
  },
]

describe.concurrent('post step: Cloud Director logout faults', () => {
  for (const testCase of LOGOUT_CASES) {
    it(testCase.name, async () => {
      const pacing: Pacing = { attempts: testCase.attempts, timeoutSeconds: testCase.timeoutSeconds, slow: testCase.slow }
      const { server, inputs } = await setUp('vcd', pacing)
      const vcd = server as VcdEmulator
      await using([vcd], async () => {
        const fault = testCase.fault()
        pacing.retryAfter = retryAfterOf(fault)
        vcd.fault('logout', fault)
        const result = await job(inputs)
        assertNoLeaks(result, vcd.secrets())
        expect(result.main.exitCode, logOf(result)).toBe(0)
        const token = result.main.outputs['access-token']
        const post = expectPostHarmless(result)
        expectMessagesClean(post, vcd.secrets())

        const tries = vcd.requestsTo('logout')
        expect(tries.length, logOf(post)).toBe(testCase.tries)
        for (const request of tries) expect(request.headers.authorization).toBe(`Bearer ${token}`)
        expectPacing(tries, pacing, post)
        expectWithinBound(post, pacing, tries[0]?.time)

        if (testCase.revoked) {
          expect(post.warnings).toEqual([])
          expect(logOf(post)).toMatch(/revoked|already gone/)
          if (testCase.ended === false) return expect(logOf(post)).toMatch(/already gone/)
          // The token opens nothing any more.
          const reply = await vcd.request(VCD_SESSION_PATH, {
            headers: { Accept: `application/json;version=${vcd.maxVersion}`, Authorization: `Bearer ${token}` },
          })
          expect(reply.status).toBe(401)
        } else {
          expect(post.warnings).toHaveLength(1)
          const [warning] = post.warnings
          expect(warning).toMatch(/Could not revoke/)
          expect(warning).toContain(triesText(testCase.tries))
          for (const pattern of testCase.warning ?? []) expect(warning).toMatch(pattern)
          // When the server answered, it says until when the token stays valid.
          if (testCase.warning?.some((pattern) => pattern.source.startsWith('HTTP')))
            expect(warning).toContain(result.main.outputs['expires-at'])
          expect(vcd.isAlive(token)).toBe(true)
        }
      })
    })
  }

  it('the server is gone by the post step (connection refused): a warning, exit 0', async () => {
    const pacing: Pacing = { attempts: 2, timeoutSeconds: 2 }
    const { server, inputs } = await setUp('vcd', pacing)
    const main = await runStep({ inputs, debug: true })
    await server.close()
    const post = await runStep({ step: 'post', inputs, state: main.state, jobEnv: main.env, masks: main.masks, debug: true })
    assertNoLeaks([main, post], server.secrets())
    expect(main.exitCode).toBe(0)
    expect(post.exitCode).toBe(0)
    expect(post.errors).toEqual([])
    expect(post.warnings).toHaveLength(1)
    expect(post.warnings[0]).toMatch(/Could not revoke.*connection refused/)
    expect(post.warnings[0]).toContain(triesText(2))
    expectWithinBound(post, pacing)
  })

  it('through an https_proxy, a logout failing with 502 is a warning', async () => {
    const host = 'vcd.example.test'
    const vcd = await new VcdEmulator({ names: [host] }).start()
    const proxy = await new ConnectProxy({ hosts: { [host]: '127.0.0.1' } }).start()
    await using([proxy, vcd], async () => {
      vcd.fault('logout', { status: 502, times: ALWAYS })
      const result = await job(
        {
          provider: 'vcd',
          url: vcd.urlFor(host),
          'ca-certificate': vcd.ca,
          'api-token': vcd.providerToken,
          'timeout-seconds': '2',
          'max-attempts': '2',
        },
        { https_proxy: proxy.url },
      )
      assertNoLeaks(result, vcd.secrets())
      expect(result.main.exitCode, logOf(result)).toBe(0)
      const post = expectPostHarmless(result)
      expect(post.warnings).toHaveLength(1)
      expect(post.warnings[0]).toMatch(/HTTP 502/)
      expect(post.warnings[0]).toContain(triesText(2))
      const logouts = vcd.requestsTo('logout')
      expect(logouts).toHaveLength(2)
      expect(logouts.every((request) => request.servername === host)).toBe(true)
      expect(proxy.tunnels.length).toBe(vcd.requests.length)
    })
  })
})

// ---------------------------------------------------------------------------------------------
// Cloud Director: the other requests of the exchange, and a spent service-account token.

describe.concurrent('Cloud Director: versions lookup and service accounts under faults', () => {
  it('versions lookup answering 503 once is retried; the run succeeds', async () => {
    const pacing: Pacing = { attempts: 2, timeoutSeconds: 2 }
    const { server, inputs } = await setUp('vcd', pacing)
    await using([server], async () => {
      server.fault('versions', { status: 503, times: 1 })
      const result = await job(inputs)
      assertNoLeaks(result, server.secrets())
      expect(result.main.exitCode, logOf(result)).toBe(0)
      expect(server.requestsTo('versions').map((request) => request.status)).toEqual([503, 200])
      expect(result.main.outputs['api-version']).toBe((server as VcdEmulator).maxVersion)
      expectWithinBound(result.main, pacing)
      expectPostHarmless(result)
    })
  })

  it('versions lookup that never answers fails the step after its tries, naming the lookup', async () => {
    const pacing: Pacing = { attempts: 2, timeoutSeconds: 1, slow: true }
    const { server, inputs } = await setUp('vcd', pacing)
    await using([server], async () => {
      server.fault('versions', { hang: true, times: ALWAYS })
      const result = await job(inputs)
      assertNoLeaks(result, server.secrets())
      expectFailed(result.main, [/version lookup/, /timeout-seconds/], 2)
      expect(server.requestsTo('versions')).toHaveLength(2)
      expectWithinBound(result.main, pacing)
      expectPostHarmless(result)
    })
  })

  it('a session check answering 503 every time: retried, then the step fails and the main step logs the session out', async () => {
    const pacing: Pacing = { attempts: 2, timeoutSeconds: 2 }
    const { server, inputs } = await setUp('vcd', pacing)
    const vcd = server as VcdEmulator
    await using([vcd], async () => {
      vcd.fault('session', { status: 503, times: ALWAYS })
      const result = await job(inputs)
      assertNoLeaks(result, vcd.secrets())
      expect(vcd.requestsTo('session')).toHaveLength(2)
      expectFailed(result.main, [/session check/, /HTTP 503/], 2)
      expectWithinBound(result.main, pacing)
      // The token the step could not hand out does not outlive the step.
      const [issued] = vcd.issued
      expect(vcd.isAlive(issued.access_token)).toBe(false)
      expect(vcd.requestsTo('logout').map((request) => request.headers.authorization)).toEqual([`Bearer ${issued.access_token}`])
      const post = expectPostHarmless(result)
      expect(post.warnings).toEqual([])
    })
  })

  it('a service-account token spent by a try whose answer was lost: the failure says an earlier try may have spent it', async () => {
    const pacing: Pacing = { attempts: 2, timeoutSeconds: 2 }
    const { server, inputs } = await setUp('vcd', pacing)
    const vcd = server as VcdEmulator
    await using([vcd], async () => {
      vcd.fault('token', { reset: 'after-route', times: 1 })
      const result = await job({ ...inputs, 'api-token': vcd.serviceAccountToken, org: vcd.tenantOrg })
      assertNoLeaks(result, vcd.secrets())
      expect(vcd.requestsTo('token')).toHaveLength(2)
      expectFailed(result.main, [/invalid_grant|Invalid refresh token/, /earlier try/], 2)
      expectPostHarmless(result)
    })
  })
})

// ---------------------------------------------------------------------------------------------
// The CSP API-token expiry lookup (POST .../api-tokens/details): one try, never fails the step,
// and costs at most ~2 s when it hangs.

describe.concurrent('CSP API-token expiry lookup', () => {
  const GRACE_MS = 2000
  const TIMEOUT_SECONDS = 10
  /**
   * How much later than an answered lookup a hung one may end the run. The grace the action used is
   * read from its own debug line (and pinned with a fake clock in the unit tests); the run times
   * only have to show that the grace ended the wait, not timeout-seconds: halfway between the two.
   */
  const HANG_COST_BOUND_MS = (GRACE_MS + TIMEOUT_SECONDS * 1000) / 2
  const GRACE_LINE = `API token expiry unknown: no answer from the details lookup within ${GRACE_MS} ms of the exchange`

  async function lookupRun(
    fault: Fault | undefined,
    extra: Record<string, string> = {},
  ): Promise<{ result: JobResult; server: CspEmulator }> {
    const server = await new CspEmulator({ apiTokenExpiresInDays: 200 }).start()
    return using([server], async () => {
      if (fault) server.fault('details', fault)
      const result = await job({
        url: server.url,
        'ca-certificate': server.ca,
        'api-token': server.apiToken,
        'timeout-seconds': String(TIMEOUT_SECONDS),
        'max-attempts': '3',
        ...extra,
      })
      assertNoLeaks(result, server.secrets())
      expectMessagesClean(result.main, server.secrets())
      expectPostHarmless(result)
      // One try, whatever happened.
      expect(server.requestsTo('details')).toHaveLength(1)
      return { result, server }
    })
  }

  it('a hanging lookup delays the run by at most ~2 s compared with an answering one', async () => {
    const [answered, hung] = await Promise.all([lookupRun(undefined), lookupRun({ hang: true, times: ALWAYS })])
    for (const { result } of [answered, hung]) expect(result.main.exitCode, logOf(result)).toBe(0)
    expect(answered.result.main.outputs['api-token-expires-at']).toBe(
      new Date(answered.server.apiTokens.get(answered.server.apiToken)!.expiresAt!).toISOString(),
    )
    // Unknown, not a failure; and no warning about it.
    expect(hung.result.main.outputs['api-token-expires-at']).toBe('')
    expect(hung.result.main.warnings).toEqual([])
    // The action gave up after the grace, by its own clock; the answered run never waited for it.
    expect(hung.result.main.debug).toContain(GRACE_LINE)
    expect(answered.result.main.debug).not.toContain(GRACE_LINE)
    const cost = hung.result.main.durationMs - answered.result.main.durationMs
    console.log(
      `expiry lookup: answered run ${Math.round(answered.result.main.durationMs)} ms, hung run ${Math.round(hung.result.main.durationMs)} ms, cost ${Math.round(cost)} ms`,
    )
    expect(cost).toBeLessThanOrEqual(HANG_COST_BOUND_MS)
    // Far from timeout-seconds: the grace period, not the request timeout, ended the wait.
    expect(hung.result.main.durationMs).toBeLessThan(answered.result.main.durationMs + HANG_COST_BOUND_MS)
  })

  it('a trickling lookup is abandoned after the same grace', async () => {
    const [answered, slow] = await Promise.all([
      lookupRun(undefined),
      lookupRun({ trickle: { chunkBytes: 1, intervalMs: 300 }, times: ALWAYS }),
    ])
    expect(slow.result.main.exitCode, logOf(slow.result)).toBe(0)
    expect(slow.result.main.outputs['api-token-expires-at']).toBe('')
    expect(slow.result.main.debug).toContain(GRACE_LINE)
    expect(slow.result.main.durationMs - answered.result.main.durationMs).toBeLessThanOrEqual(HANG_COST_BOUND_MS)
  })

  for (const [name, fault] of [
    ['429 with Retry-After: 1', { status: 429, headers: { 'retry-after': '1' }, times: ALWAYS }],
    ['503', { status: 503, times: ALWAYS }],
    ['connection reset', { reset: true, times: ALWAYS }],
    ['HTML 502 page', { html: true, times: ALWAYS }],
    ['500 echoing the API token', { echo: 'token', status: 500, times: ALWAYS }],
    ['200 with an empty body', { replaceBody: '', times: ALWAYS }],
  ] as [string, Fault][]) {
    it(`${name}: one try, the step succeeds with the expiry unknown`, async () => {
      const { result } = await lookupRun(fault)
      expect(result.main.exitCode, logOf(result)).toBe(0)
      expect(result.main.outputs['api-token-expires-at']).toBe('')
      expect(result.main.warnings).toEqual([])
      expect(result.main.durationMs).toBeLessThan(RUN_OVERHEAD_MS + 1000)
    })
  }

  it('a hanging lookup does not hold a failing exchange: the failure comes at once', async () => {
    const server = await new CspEmulator().start()
    await using([server], async () => {
      server.fault('details', { hang: true, times: ALWAYS })
      server.fault('api-token', { status: 403, times: ALWAYS })
      const step = await runStep({
        inputs: {
          url: server.url,
          'ca-certificate': server.ca,
          'api-token': server.apiToken,
          'timeout-seconds': '10',
          'max-attempts': '3',
        },
        debug: true,
      })
      assertNoLeaks(step, server.secrets())
      expectFailed(step, [/HTTP 403/], 1)
      // No grace wait began (the failure cancels the lookup), and the step did not wait for timeout-seconds.
      expect(step.debug).not.toContain(GRACE_LINE)
      expect(step.durationMs).toBeLessThan(RUN_OVERHEAD_MS)
    })
  })
})
