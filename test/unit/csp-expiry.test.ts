/** The CSP API-token expiry lookup beside the exchange: one try, a grace period, never a failure of the step. */
import nock from 'nock'
import { describe, expect, it } from 'vitest'
import type { Config } from '../../src/config.ts'
import { csp, EXPIRY_LOOKUP_GRACE_MS } from '../../src/providers/csp.ts'
import type { TokenResult } from '../../src/providers/types.ts'
import { answer, cspConfig, type CspCredential, DAY, DETAILS_PATH, onDetails, onExchange } from './csp-kit.ts'
import { leakedPieces } from './fake-core.ts'
import {
  CSP_DEFAULT_URL,
  deferred,
  delay,
  expectSettlesIn,
  fakeClock,
  harness,
  ORG_ID,
  OTHER_ORG_ID,
  recorder,
  rejectionOf,
  until,
  watch,
  type Reply,
  type Seen,
  networkError,
} from './helpers.ts'
import { tokenOf } from './provider-kit.ts'

/** The api-token-expires-at output: undefined when the lookup did not run, '' when it learnt nothing. */
function apiTokenExpiresAt(result: TokenResult): string | undefined {
  return result.outputs?.['api-token-expires-at']
}

describe('csp: API token expiry lookup', () => {
  function lookupConfig(overrides: Partial<Config<CspCredential>> = {}): Config<CspCredential> {
    return cspConfig({ expiryWarningDays: 30, ...overrides })
  }

  /** On a fake clock, an exchange answered at once beside a details lookup answered only after `lookupMs`: the exchange's answer has arrived. */
  async function exchangedBeforeLookup(overrides: Partial<Config<CspCredential>>, lookupMs: number) {
    const clock = fakeClock()
    const h = harness(lookupConfig(overrides))
    onExchange([], () => [200, answer().body])
    nock(CSP_DEFAULT_URL)
      .post(DETAILS_PATH)
      .delay(lookupMs)
      .reply(200, { expiresAt: Date.now() + DAY })
    const exchanged = watch(csp.exchange(h.context))
    expect(await until(() => h.logs.some((l) => / -> 200 \(try 1 of/.test(l.message)))).toBe(true)
    return { clock, h, exchanged }
  }

  it('asks for the details with the token in a JSON body, beside the exchange', async () => {
    const cfg = lookupConfig()
    const h = harness(cfg)
    const [exchange, details] = [[] as Seen[], [] as Seen[]]
    // Each answers only once the other has arrived: they must be in flight together.
    const arrived = { exchange: deferred(), details: deferred() }
    const together = (other: Promise<void>) => Promise.race([other.then(() => true), delay(1500).then(() => false)])
    const inParallel = [false, false]
    const expiresAt = Date.now() + 200 * DAY
    onExchange(exchange, async () => {
      arrived.exchange.resolve()
      inParallel[0] = await together(arrived.details.promise)
      return [200, answer().body]
    })
    onDetails(details, async () => {
      arrived.details.resolve()
      inParallel[1] = await together(arrived.exchange.promise)
      return [200, { expiresAt, tokenName: 'ci', token: tokenOf(cfg) }]
    })
    const result = await csp.exchange(h.context)
    expect(inParallel).toEqual([true, true])
    expect(details).toHaveLength(1)
    expect(details[0].url.search).toBe('')
    expect(JSON.parse(details[0].body)).toEqual({ tokenValue: tokenOf(cfg) })
    expect(details[0].headers).toMatchObject({ 'content-type': 'application/json', accept: 'application/json' })
    expect(apiTokenExpiresAt(result)).toBe(new Date(expiresAt).toISOString())
    expect(result.summaryRows).toEqual([['API token expires', new Date(expiresAt).toISOString()]])
    expect(result.notices).toEqual([])
    expect(h.logs.filter((l) => l.level === 'warning')).toEqual([])
  })

  it('warns, with a notice for the summary, when the API token expires within expiry-warning-days', async () => {
    const h = harness(lookupConfig())
    const expiresAt = Date.now() + 5 * DAY + 3_600_000
    onExchange([], () => [200, answer().body])
    onDetails([], () => [200, { expiresAt }])
    const result = await csp.exchange(h.context)
    const iso = new Date(expiresAt).toISOString()
    expect(apiTokenExpiresAt(result)).toBe(iso)
    // Returned for the core to print and put in the summary; the provider prints nothing itself.
    expect(result.notices).toHaveLength(1)
    expect(result.notices?.[0]).toContain(`The CSP API token expires on ${iso} (in 5 days).`)
    expect(result.notices?.[0]).toContain('Make a new API token')
    expect(h.logs.filter((l) => l.level === 'warning')).toEqual([])
  })

  it('says "in 1 day" for an API token expiring tomorrow', async () => {
    const h = harness(lookupConfig())
    onExchange([], () => [200, answer().body])
    onDetails([], () => [200, { expiresAt: Date.now() + DAY + 2 * 3_600_000 }])
    const result = await csp.exchange(h.context)
    expect(result.notices?.[0]).toContain('(in 1 day)')
  })

  it('says "in less than a day" for an API token about to expire', async () => {
    const h = harness(lookupConfig())
    onExchange([], () => [200, answer().body])
    onDetails([], () => [200, { expiresAt: Date.now() + 3_600_000 }])
    const result = await csp.exchange(h.context)
    expect(result.notices?.[0]).toContain('(in less than a day)')
  })

  it.each([
    [29, 30, true],
    [31, 30, false],
    [2, 1, false],
    [364, 365, true],
  ])('expiring in %i days with expiry-warning-days %i: warning %s', async (days, warnDays, warns) => {
    const h = harness(lookupConfig({ expiryWarningDays: warnDays }))
    onExchange([], () => [200, answer().body])
    onDetails([], () => [200, { expiresAt: Date.now() + days * DAY + 60_000 }])
    const result = await csp.exchange(h.context)
    expect(result.notices).toHaveLength(warns ? 1 : 0)
  })

  it.each([
    ['null', null],
    ['negative', -1],
    ['zero', 0],
    ['beyond the last date', 9e15],
    ['a string', '2030-01-01T00:00:00Z'],
  ])('treats an expiresAt of %s as never: null, no warning', async (_name, expiresAt) => {
    const h = harness(lookupConfig())
    onExchange([], () => [200, answer().body])
    onDetails([], () => [200, { expiresAt }])
    const result = await csp.exchange(h.context)
    expect(apiTokenExpiresAt(result)).toBe('')
    expect(result.notices).toEqual([])
  })

  it.each([
    ['HTTP 404', [404, { message: 'not found' }] as Reply, 'answered HTTP 404'],
    ['HTTP 500 (not retried)', [500, 'oops'] as Reply, 'answered HTTP 500'],
    ['garbage', [200, 'not json at all'] as Reply, 'answered HTTP 200'],
    ['no expiresAt', [200, { tokenName: 'ci' }] as Reply, 'answered HTTP 200 without expiresAt'],
  ])('with %s gives an unknown expiry (null) and one debug line only', async (_name, reply, debugText) => {
    const cfg = lookupConfig({ maxAttempts: 4 })
    const h = harness(cfg)
    const details: Seen[] = []
    onExchange([], () => [200, answer().body])
    onDetails(details, () => reply)
    nock(CSP_DEFAULT_URL)
      .post(DETAILS_PATH)
      .optionally()
      .reply(200, { expiresAt: Date.now() + DAY })
    const result = await csp.exchange(h.context)
    expect(details).toHaveLength(1)
    expect(apiTokenExpiresAt(result)).toBe('')
    expect(result.notices).toEqual([])
    const unknown = h.logs.filter((l) => l.message.startsWith('API token expiry unknown'))
    expect(unknown).toEqual([{ level: 'debug', message: `API token expiry unknown: the details lookup ${debugText}` }])
    expect(h.logs.filter((l) => l.level !== 'debug')).toEqual([])
  })

  it('gives up on a lookup that fails on the network with a debug line naming no more than the error kind', async () => {
    const h = harness(lookupConfig())
    onExchange([], () => [200, answer().body])
    nock(CSP_DEFAULT_URL).post(DETAILS_PATH).replyWithError(networkError('ECONNRESET', 'reset'))
    const result = await csp.exchange(h.context)
    expect(apiTokenExpiresAt(result)).toBe('')
    expect(h.logs.map((l) => l.message)).toContain('API token expiry unknown: the details lookup failed (RequestError)')
  })

  it('waits no longer than the grace period for a lookup that hangs', async () => {
    // The grace is counted from the exchange's answer.
    const { clock, h, exchanged } = await exchangedBeforeLookup({ timeoutMs: 20_000 }, 15_000)
    expect(EXPIRY_LOOKUP_GRACE_MS).toBeLessThanOrEqual(2000)
    await expectSettlesIn(clock, exchanged, EXPIRY_LOOKUP_GRACE_MS)
    const result = await exchanged.promise
    expect(apiTokenExpiresAt(result)).toBe('')
    expect(h.logs.map((l) => l.message)).toContain(
      `API token expiry unknown: no answer from the details lookup within ${EXPIRY_LOOKUP_GRACE_MS} ms of the exchange`,
    )
  })

  it('is cut by timeout-seconds like any request, without delaying the step', async () => {
    const { clock, h, exchanged } = await exchangedBeforeLookup({ timeoutMs: 150 }, 10_000)
    await clock.advance(149)
    expect(exchanged.settled()).toBe(false)
    // The lookup's own deadline (150 ms from its start, beside the exchange) ends it, long before the grace.
    await clock.advance(1)
    expect(await until(() => exchanged.settled())).toBe(true)
    const result = await exchanged.promise
    expect(apiTokenExpiresAt(result)).toBe('')
    expect(h.logs.map((l) => l.message)).toContain('API token expiry unknown: the details lookup failed (RequestError)')
  })

  it('sends no lookup at all with expiry-warning-days 0', async () => {
    const h = harness(lookupConfig({ expiryWarningDays: 0 }))
    const details: Seen[] = []
    onExchange([], () => [200, answer().body])
    nock(CSP_DEFAULT_URL)
      .post(DETAILS_PATH)
      .optionally()
      .reply(recorder(details, () => [200, { expiresAt: Date.now() + DAY }]))
    const result = await csp.exchange(h.context)
    expect(details).toEqual([])
    expect(apiTokenExpiresAt(result)).toBeUndefined()
    expect(result.outputs).toBeUndefined()
  })

  // The details lookup carries the API token: when the exchange is refused, or answers 2xx but the
  // answer is refused (HTML page, no access_token, bad expires_in, another org), it must be
  // cancelled, not left to run on.
  it.each([
    ['the exchange is refused', {}, (): Reply => [401, { message: 'invalid_grant' }]],
    ['the token is of another org', { org: ORG_ID }, (): Reply => [200, answer({ context_name: OTHER_ORG_ID }).body]],
    ['the 200 answer is unreadable', {}, (): Reply => [200, '<html><body>proxy</body></html>']],
  ] as const)('is abandoned quietly when %s', async (_name, overrides, reply) => {
    const h = harness(lookupConfig({ timeoutMs: 150, ...overrides }))
    onExchange([], reply)
    nock(CSP_DEFAULT_URL)
      .post(DETAILS_PATH)
      .delay(10_000)
      .reply(200, { expiresAt: Date.now() + DAY })
    await rejectionOf(csp.exchange(h.context))
    // Had it not been abandoned, its deadline would end it with a debug line by now.
    await delay(400)
    expect(h.logs.filter((l) => l.message.startsWith('API token expiry unknown'))).toEqual([])
  })

  it('never puts the API token in a log line', async () => {
    const cfg = lookupConfig()
    const h = harness(cfg)
    onExchange([], () => [200, answer().body])
    onDetails([], () => [500, { message: `no details for ${tokenOf(cfg)}` }])
    await csp.exchange(h.context)
    for (const line of h.logs) expect(leakedPieces(line.message, tokenOf(cfg), 4)).toEqual([])
  })
})
