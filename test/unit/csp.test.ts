import nock from 'nock'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { NetworkError } from '../../src/http.ts'
import { CSP_DEFAULT_URL, type Config } from '../../src/inputs.ts'
import { csp, EXPIRY_LOOKUP_GRACE_MS, readJwtClaims } from '../../src/providers/csp.ts'
import { ProviderError, type PostState } from '../../src/providers/types.ts'
import { describeError } from '../../src/secrets.ts'
import { leakedPieces } from './fake-core.ts'
import {
  config,
  deferred,
  delay,
  form,
  harness,
  jwt,
  ORG_ID,
  OTHER_ORG_ID,
  recorder,
  secretToken,
  upperToken,
  type Reply,
  type Seen,
  rejectionOf,
  fakeClock,
  until,
  watch,
} from './helpers.ts'

const API_TOKEN_PATH = '/csp/gateway/am/api/auth/api-tokens/authorize'
const OAUTH_PATH = '/csp/gateway/am/api/auth/authorize'
const DETAILS_PATH = '/csp/gateway/am/api/auth/api-tokens/details'
const DAY = 86_400_000

beforeAll(() => nock.disableNetConnect())
afterEach(() => {
  nock.abortPendingRequests()
  nock.cleanAll()
  vi.useRealTimers()
})

/** A CSP config; the expiry lookup is off unless a test turns it on. */
function cspConfig(overrides: Partial<Config> = {}): Config {
  return config({ provider: 'csp', baseUrl: CSP_DEFAULT_URL, expiryWarningDays: 0, ...overrides })
}

function oauthConfig(overrides: Partial<Config> = {}): Config {
  return cspConfig({ credential: { kind: 'oauth-app', clientId: 'app-7f3e', clientSecret: secretToken(40) }, ...overrides })
}

function tokenOf(cfg: Config): string {
  if (cfg.credential.kind !== 'api-token') throw new Error('not an API token config')
  return cfg.credential.token
}

/** A CSP token answer as the docs show it, with a JWT access token. */
function answer(
  claims: Record<string, unknown> = { context_name: ORG_ID, username: 'alice@example.com', sub: 'vmware.com:1234' },
  extra: Record<string, unknown> = {},
) {
  const accessToken = jwt(claims)
  return {
    accessToken,
    body: { id_token: null, token_type: 'bearer', expires_in: 1799, scope: 'openid ALL_PERMISSIONS', access_token: accessToken, ...extra },
  }
}

function onExchange(seen: Seen[], reply: (request: Seen) => Reply | Promise<Reply>, path = API_TOKEN_PATH, origin = CSP_DEFAULT_URL) {
  return nock(origin).post(path).query(true).reply(recorder(seen, reply))
}

function onDetails(seen: Seen[], reply: (request: Seen) => Reply | Promise<Reply>, origin = CSP_DEFAULT_URL) {
  return nock(origin).post(DETAILS_PATH).query(true).reply(recorder(seen, reply))
}

describe('csp: API token', () => {
  it('posts the token in a form body, never in the URL, and reads the answer', async () => {
    const cfg = cspConfig({ org: ORG_ID })
    const h = harness(cfg)
    const seen: Seen[] = []
    const { accessToken, body } = answer()
    onExchange(seen, () => [200, { ...body, refresh_token: tokenOf(cfg) }])
    const result = await csp.exchange(h.context)

    expect(seen).toHaveLength(1)
    expect(seen[0].method).toBe('POST')
    expect(seen[0].url.search).toBe('')
    expect(form(seen[0].body)).toEqual({ api_token: tokenOf(cfg) })
    expect(seen[0].headers).toMatchObject({
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      'user-agent': 'vmw-token-action/test',
    })
    expect(seen[0].headers.authorization).toBeUndefined()

    expect(result).toEqual({
      accessToken,
      tokenType: 'Bearer',
      expiresIn: 1799,
      org: ORG_ID,
      subject: 'alice@example.com',
      apiTokenExpiresAt: undefined,
      notices: [],
    })
    expect(h.masked).toEqual([tokenOf(cfg), accessToken])
  })

  it('reports the org and subject from the claims: username, then sub, then azp, then cid', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ context_name: ORG_ID, username: 'u@example.com', sub: 's', azp: 'a' }, 'u@example.com'],
      [{ context_name: ORG_ID, sub: 'vmware.com:42', azp: 'a' }, 'vmware.com:42'],
      [{ context_name: ORG_ID, username: '', azp: 'my-app' }, 'my-app'],
      [{ context_name: ORG_ID, cid: 'client-9' }, 'client-9'],
      [{ context_name: ORG_ID, username: 42 }, ''],
    ]
    for (const [claims, subject] of cases) {
      const h = harness(cspConfig())
      onExchange([], () => [200, answer(claims).body])
      const result = await csp.exchange(h.context)
      expect(result.subject, JSON.stringify(claims)).toBe(subject)
      expect(result.org).toBe(ORG_ID)
    }
  })

  it('takes an opaque (non-JWT) access token, reporting no org or subject', async () => {
    const h = harness(cspConfig())
    const opaque = secretToken(48)
    onExchange([], () => [200, { access_token: opaque, token_type: 'bearer', expires_in: 1799 }])
    expect(await csp.exchange(h.context)).toMatchObject({ accessToken: opaque, org: '', subject: '' })
  })

  it('accepts the org in any case and reports it as the token says', async () => {
    const h = harness(cspConfig({ org: ORG_ID }))
    onExchange([], () => [200, answer({ context_name: ORG_ID.toUpperCase(), sub: 's' }).body])
    expect((await csp.exchange(h.context)).org).toBe(ORG_ID.toUpperCase())
  })

  it('fails when the token is for another org, naming both', async () => {
    const h = harness(cspConfig({ org: ORG_ID }))
    onExchange([], () => [200, answer({ context_name: OTHER_ORG_ID, sub: 's' }).body])
    const error = await rejectionOf(csp.exchange(h.context))
    expect(error).toBeInstanceOf(ProviderError)
    expect(error.message).toContain(`The token is for CSP org ${OTHER_ORG_ID}, but org is ${ORG_ID}`)
  })

  it('fails when org is set but the token names no org (no context_name)', async () => {
    const h = harness(cspConfig({ org: ORG_ID }))
    onExchange([], () => [200, answer({ sub: 's', context: OTHER_ORG_ID }).body])
    const error = await rejectionOf(csp.exchange(h.context))
    expect(error.message).toContain(`org is ${ORG_ID}, but the access token does not say which org it is for (no context_name claim)`)
  })

  it('masks refresh_token and id_token of the answer', async () => {
    const h = harness(cspConfig())
    const [refresh, id] = [secretToken(40), jwt({ sub: 'x' })]
    const { accessToken, body } = answer()
    onExchange([], () => [200, { ...body, refresh_token: refresh, id_token: id }])
    await csp.exchange(h.context)
    expect(h.masked).toEqual(expect.arrayContaining([accessToken, refresh, id]))
  })
})

describe('csp: OAuth app', () => {
  it('sends Basic base64(client-id:client-secret), masked, and grant_type=client_credentials without orgId', async () => {
    const cfg = oauthConfig()
    const h = harness(cfg)
    const seen: Seen[] = []
    const details: Seen[] = []
    onDetails(details, () => [200, { expiresAt: Date.now() + DAY }])
    const { accessToken, body } = answer({ context_name: ORG_ID, sub: 'app-7f3e', azp: 'app-7f3e' })
    onExchange(seen, () => [200, body], OAUTH_PATH)
    const result = await csp.exchange(h.context)

    expect(seen).toHaveLength(1)
    const authorization = seen[0].headers.authorization
    expect(authorization).toMatch(/^Basic [A-Za-z0-9+/=]+$/)
    const basic = authorization.slice('Basic '.length)
    expect(Buffer.from(basic, 'base64').toString()).toBe(
      `${cfg.credential.kind === 'oauth-app' ? `${cfg.credential.clientId}:${cfg.credential.clientSecret}` : ''}`,
    )
    expect(h.masked).toContain(basic)
    expect(form(seen[0].body)).toEqual({ grant_type: 'client_credentials' })
    expect(seen[0].url.search).toBe('')
    expect(seen[0].headers).toMatchObject({ 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' })
    expect(result).toMatchObject({ accessToken, org: ORG_ID, subject: 'app-7f3e', apiTokenExpiresAt: undefined, notices: [] })
    // No expiry lookup for OAuth apps, whatever expiry-warning-days says.
    expect(details).toEqual([])
  })

  it('sends orgId when org is set', async () => {
    const h = harness(oauthConfig({ org: ORG_ID, expiryWarningDays: 30 }))
    const seen: Seen[] = []
    onExchange(seen, () => [200, answer({ context_name: ORG_ID, sub: 'app' }).body], OAUTH_PATH)
    await csp.exchange(h.context)
    expect(form(seen[0].body)).toEqual({ grant_type: 'client_credentials', orgId: ORG_ID })
  })

  it('advises on client-id and client-secret, and on the org', async () => {
    for (const org of ['', ORG_ID]) {
      const h = harness(oauthConfig({ org }))
      onExchange([], () => [401, { statusCode: 401, message: 'invalid_client: Bad client credentials' }], OAUTH_PATH)
      const error = await rejectionOf(csp.exchange(h.context))
      expect(error.message).toContain(
        'CSP OAuth app token request failed: HTTP 401 Unauthorized: invalid_client: Bad client credentials (1 try).',
      )
      expect(error.message).toContain('Check client-id and client-secret')
      expect(error.message).toContain(org ? `has been added to org ${ORG_ID}` : 'set org to the org ID to use')
      expect(error.message).toContain('https://console.tanzu.broadcom.com')
    }
  })
})

describe('csp: refusals', () => {
  it('redacts the tail of the token CSP echoes in invalid_grant, leaving no 4-character piece of it', async () => {
    const token = upperToken(65)
    const cfg = cspConfig({ credential: { kind: 'api-token', token } })
    const h = harness(cfg)
    const seen: Seen[] = []
    onExchange(seen, () => [
      400,
      {
        statusCode: 400,
        moduleCode: '513',
        message: `invalid_grant: Invalid refresh token: xxxxx...${token.slice(-5)}`,
        requestId: 'b1a2c3',
        cspErrorCode: '513.400',
      },
    ])
    const error = await rejectionOf(csp.exchange(h.context))
    expect(seen).toHaveLength(1)
    expect(error).toBeInstanceOf(ProviderError)
    const printed = describeError(error, h.secrets)
    expect(leakedPieces(printed, token, 4)).toEqual([])
    expect(printed).toContain(
      'CSP API token exchange failed: HTTP 400 Bad Request: invalid_grant: Invalid refresh token: xxxxx...*** (1 try).',
    )
    expect(printed).toContain('CSP refused the API token: it is wrong, expired or revoked')
    expect(printed).toContain('If it was made on https://console.tanzu.broadcom.com, set url: https://console.tanzu.broadcom.com')
  })

  it('redacts a whole token echoed back', async () => {
    const cfg = cspConfig()
    const h = harness(cfg)
    // The server quotes the value it parsed (decoded) from the form body.
    onExchange([], (request) => [400, { message: `bad request body: api_token=${form(request.body).api_token}` }])
    const printed = describeError(await rejectionOf(csp.exchange(h.context)), h.secrets)
    expect(leakedPieces(printed, tokenOf(cfg), 4)).toEqual([])
    expect(printed).toContain('bad request body: api_token=***')
  })

  it.each([401, 403, 404])('fails at once on HTTP %i, with advice', async (status) => {
    const h = harness(cspConfig({ maxAttempts: 4 }))
    const seen: Seen[] = []
    onExchange(seen, () => [status, { statusCode: status, message: 'nope' }])
    nock(CSP_DEFAULT_URL).post(API_TOKEN_PATH).optionally().reply(200, answer().body)
    const error = await rejectionOf(csp.exchange(h.context))
    expect(seen).toHaveLength(1)
    expect(h.sleeps).toEqual([])
    expect(error.message).toMatch(
      new RegExp(`^CSP API token exchange failed: HTTP ${status} [A-Za-z ]+: nope \\(1 try\\)\\. CSP refused the API token`),
    )
  })

  it.each([
    ['https://console.cloud.vmware.com', 'https://console.tanzu.broadcom.com'],
    ['https://console.tanzu.broadcom.com', 'https://console.cloud.vmware.com'],
    ['https://console-stg.cloud.vmware.com', 'https://console-stg.tanzu.broadcom.com'],
    ['https://console-stg.tanzu.broadcom.com', 'https://console-stg.cloud.vmware.com'],
  ])('on %s suggests the sibling host %s', async (baseUrl, sibling) => {
    const h = harness(cspConfig({ baseUrl }))
    onExchange([], () => [400, { message: 'invalid_grant' }], API_TOKEN_PATH, baseUrl)
    const error = await rejectionOf(csp.exchange(h.context))
    expect(error.message).toContain(`If it was made on ${sibling}, set url: ${sibling} (the two hosts are separate issuers).`)
  })

  it('suggests no other host for a host without a sibling', async () => {
    const baseUrl = 'http://127.0.0.1:8443'
    const h = harness(cspConfig({ baseUrl }))
    onExchange([], () => [400, { message: 'invalid_grant' }], API_TOKEN_PATH, baseUrl)
    const error = await rejectionOf(csp.exchange(h.context))
    expect(error.message).toContain('CSP refused the API token')
    expect(error.message).not.toContain('If it was made on')
  })

  it.each([429, 500, 503])('after every try of HTTP %i says CSP is busy, not that the token is wrong', async (status) => {
    const h = harness(cspConfig({ maxAttempts: 3 }))
    const seen: Seen[] = []
    nock(CSP_DEFAULT_URL)
      .post(API_TOKEN_PATH)
      .times(3)
      .reply(recorder(seen, () => [status, { message: 'try later' }]))
    const error = await rejectionOf(csp.exchange(h.context))
    expect(seen).toHaveLength(3)
    expect(error.message).toContain('(3 tries)')
    expect(error.message).toContain('CSP is busy or unavailable; try again later, or raise max-attempts / timeout-seconds.')
    expect(error.message).not.toContain('refused the API token')
  })

  it('says when CSP asks to wait longer than the action waits, and does not advise more tries', async () => {
    const h = harness(cspConfig({ maxAttempts: 3 }))
    const seen: Seen[] = []
    nock(CSP_DEFAULT_URL)
      .post(API_TOKEN_PATH)
      .reply(recorder(seen, () => [429, { message: 'slow down' }, { 'Retry-After': '90' }]))
    const error = await rejectionOf(csp.exchange(h.context))
    expect(seen).toHaveLength(1)
    expect(error.message).toContain('CSP asked to wait 90 s before trying again')
    expect(error.message).not.toContain('raise max-attempts')
  })

  it('says a redirect is not followed', async () => {
    const h = harness(cspConfig())
    onExchange([], () => [302, '', { Location: 'https://login.example.com/' }])
    const error = await rejectionOf(csp.exchange(h.context))
    expect(error.message).toContain('HTTP 302')
    expect(error.message).toContain('does not follow for a credential; check url')
  })

  it('passes a network failure on', async () => {
    const h = harness(cspConfig({ maxAttempts: 1 }))
    nock(CSP_DEFAULT_URL)
      .post(API_TOKEN_PATH)
      .replyWithError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))
    const error = await rejectionOf(csp.exchange(h.context))
    expect(error).toBeInstanceOf(NetworkError)
    expect(error.message).toBe('CSP API token exchange at console.cloud.vmware.com failed: connection reset (1 try).')
  })
})

describe('csp: odd 200 answers', () => {
  it('says an HTML page came back instead of a token', async () => {
    const h = harness(cspConfig())
    onExchange([], () => [
      200,
      '<!doctype html><html><head><title>Sign in</title></head><body></body></html>',
      { 'Content-Type': 'text/html' },
    ])
    const error = await rejectionOf(csp.exchange(h.context))
    expect(error.message).toBe(
      'CSP (console.cloud.vmware.com) answered HTTP 200 OK, an HTML page ("Sign in") instead of an API answer: a proxy, firewall or outage page?; expected a JSON token response.',
    )
  })

  it('says which fields came without access_token', async () => {
    const h = harness(cspConfig())
    onExchange([], () => [200, { token_type: 'bearer', expires_in: 1799 }])
    expect((await rejectionOf(csp.exchange(h.context))).message).toBe(
      'CSP (console.cloud.vmware.com) answered HTTP 200 without an access_token; fields present: token_type, expires_in.',
    )
    onExchange([], () => [200, {}])
    expect((await rejectionOf(csp.exchange(h.context))).message).toContain('fields present: none.')
    onExchange([], () => [200, { access_token: '  ', expires_in: 1799 }])
    expect((await rejectionOf(csp.exchange(h.context))).message).toContain('without an access_token')
  })

  it.each([
    [undefined, 'got none'],
    ['abc', 'got "abc"'],
    [0, 'got 0'],
    [-5, 'got -5'],
    [null, 'got null'],
    ['', 'got ""'],
  ])('refuses expires_in %j (%s), and masks the token first', async (expiresIn, got) => {
    const h = harness(cspConfig())
    const { accessToken, body } = answer()
    onExchange([], () => [200, { ...body, expires_in: expiresIn }])
    const error = await rejectionOf(csp.exchange(h.context))
    expect(error.message).toContain(`answered without a valid expires_in (${got}); the token's lifetime is unknown.`)
    expect(h.masked).toContain(accessToken)
  })

  it('refuses an expires_in over ten years, which would make no valid expiry date', async () => {
    const h = harness(cspConfig())
    onExchange([], () => [200, { ...answer().body, expires_in: 315_360_001 }])
    expect((await rejectionOf(csp.exchange(h.context))).message).toContain('without a valid expires_in (got 315360001)')
    onExchange([], () => [200, { ...answer().body, expires_in: 1e300 }])
    expect((await rejectionOf(csp.exchange(h.context))).message).toContain('without a valid expires_in')
  })

  it.each([
    ['1799', 1799],
    [3600, 3600],
    [1799.9, 1799],
    [315_360_000, 315_360_000],
  ])('accepts expires_in %j as %i seconds', async (expiresIn, seconds) => {
    const h = harness(cspConfig())
    onExchange([], () => [200, { ...answer().body, expires_in: expiresIn }])
    expect((await csp.exchange(h.context)).expiresIn).toBe(seconds)
  })

  it.each([
    ['bearer', 'Bearer'],
    ['BEARER', 'Bearer'],
    ['Bearer', 'Bearer'],
    [undefined, 'Bearer'],
    ['', 'Bearer'],
    ['mac', 'mac'],
  ])('token_type %j -> %s', async (tokenType, expected) => {
    const h = harness(cspConfig())
    onExchange([], () => [200, { ...answer().body, token_type: tokenType }])
    expect((await csp.exchange(h.context)).tokenType).toBe(expected)
  })
})

describe('csp: API token expiry lookup', () => {
  function lookupConfig(overrides: Partial<Config> = {}): Config {
    return cspConfig({ expiryWarningDays: 30, ...overrides })
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
    expect(result.apiTokenExpiresAt).toEqual(new Date(expiresAt))
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
    expect(result.apiTokenExpiresAt?.toISOString()).toBe(iso)
    const warnings = h.logs.filter((l) => l.level === 'warning').map((l) => l.message)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain(`The CSP API token expires on ${iso} (in 5 days).`)
    expect(warnings[0]).toContain('Make a new API token')
    expect(result.notices).toEqual(warnings)
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
    expect(h.logs.some((l) => l.level === 'warning')).toBe(warns)
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
    expect(result.apiTokenExpiresAt).toBeNull()
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
    expect(result.apiTokenExpiresAt).toBeNull()
    expect(result.notices).toEqual([])
    const unknown = h.logs.filter((l) => l.message.startsWith('API token expiry unknown'))
    expect(unknown).toEqual([{ level: 'debug', message: `API token expiry unknown: the details lookup ${debugText}` }])
    expect(h.logs.filter((l) => l.level !== 'debug')).toEqual([])
  })

  it('gives up on a lookup that fails on the network with a debug line naming no more than the error kind', async () => {
    const h = harness(lookupConfig())
    onExchange([], () => [200, answer().body])
    nock(CSP_DEFAULT_URL)
      .post(DETAILS_PATH)
      .replyWithError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))
    const result = await csp.exchange(h.context)
    expect(result.apiTokenExpiresAt).toBeNull()
    expect(h.logs.map((l) => l.message)).toContain('API token expiry unknown: the details lookup failed (NetworkError)')
  })

  it('waits no longer than the grace period for a lookup that hangs', async () => {
    const clock = fakeClock()
    const h = harness(lookupConfig({ timeoutMs: 20_000 }))
    onExchange([], () => [200, answer().body])
    nock(CSP_DEFAULT_URL)
      .post(DETAILS_PATH)
      .delay(15_000)
      .reply(200, { expiresAt: Date.now() + DAY })
    const exchanged = watch(csp.exchange(h.context))
    // The grace is counted from the exchange's answer.
    expect(await until(() => h.logs.some((l) => / -> 200 \(try 1 of/.test(l.message)))).toBe(true)
    expect(EXPIRY_LOOKUP_GRACE_MS).toBeLessThanOrEqual(2000)
    await clock.advance(EXPIRY_LOOKUP_GRACE_MS - 1)
    expect(exchanged.settled()).toBe(false)
    await clock.advance(1)
    expect(exchanged.settled()).toBe(true)
    const result = await exchanged.promise
    expect(result.apiTokenExpiresAt).toBeNull()
    expect(h.logs.map((l) => l.message)).toContain(
      `API token expiry unknown: no answer from the details lookup within ${EXPIRY_LOOKUP_GRACE_MS} ms of the exchange`,
    )
  })

  it('is cut by timeout-seconds like any request, without delaying the step', async () => {
    const clock = fakeClock()
    const h = harness(lookupConfig({ timeoutMs: 150 }))
    onExchange([], () => [200, answer().body])
    nock(CSP_DEFAULT_URL)
      .post(DETAILS_PATH)
      .delay(10_000)
      .reply(200, { expiresAt: Date.now() + DAY })
    const exchanged = watch(csp.exchange(h.context))
    expect(await until(() => h.logs.some((l) => / -> 200 \(try 1 of/.test(l.message)))).toBe(true)
    await clock.advance(149)
    expect(exchanged.settled()).toBe(false)
    // The lookup's own deadline (150 ms from its start, beside the exchange) ends it, long before the grace.
    await clock.advance(1)
    expect(await until(() => exchanged.settled())).toBe(true)
    const result = await exchanged.promise
    expect(result.apiTokenExpiresAt).toBeNull()
    expect(h.logs.map((l) => l.message)).toContain('API token expiry unknown: the details lookup failed (NetworkError)')
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
    expect(result.apiTokenExpiresAt).toBeUndefined()
  })

  it('is abandoned quietly when the exchange is refused', async () => {
    const h = harness(lookupConfig({ timeoutMs: 150 }))
    onExchange([], () => [401, { message: 'invalid_grant' }])
    nock(CSP_DEFAULT_URL)
      .post(DETAILS_PATH)
      .delay(10_000)
      .reply(200, { expiresAt: Date.now() + DAY })
    await rejectionOf(csp.exchange(h.context))
    // Had it not been abandoned, its deadline would end it with a debug line by now.
    await delay(400)
    expect(h.logs.filter((l) => l.message.startsWith('API token expiry unknown'))).toEqual([])
  })

  it('is abandoned quietly when the token is of another org', async () => {
    const h = harness(lookupConfig({ timeoutMs: 150, org: ORG_ID }))
    onExchange([], () => [200, answer({ context_name: OTHER_ORG_ID }).body])
    nock(CSP_DEFAULT_URL)
      .post(DETAILS_PATH)
      .delay(10_000)
      .reply(200, { expiresAt: Date.now() + DAY })
    await rejectionOf(csp.exchange(h.context))
    await delay(400)
    expect(h.logs.filter((l) => l.message.startsWith('API token expiry unknown'))).toEqual([])
  })

  // The details lookup carries the API token: when the exchange answers 2xx but the answer is
  // refused (HTML page, no access_token, bad expires_in), it must be cancelled, not left to run on.
  it('is abandoned quietly when the 200 answer is unreadable', async () => {
    const h = harness(lookupConfig({ timeoutMs: 150 }))
    onExchange([], () => [200, '<html><body>proxy</body></html>'])
    nock(CSP_DEFAULT_URL)
      .post(DETAILS_PATH)
      .delay(10_000)
      .reply(200, { expiresAt: Date.now() + DAY })
    await rejectionOf(csp.exchange(h.context))
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

describe('csp: revoke and claims', () => {
  it('says plainly that a CSP access token cannot be revoked, and when it expires, without a request', async () => {
    const state: PostState = {
      provider: 'csp',
      baseUrl: CSP_DEFAULT_URL,
      expiresAt: '2031-02-03T04:05:06.000Z',
      revoke: true,
      timeoutMs: 1000,
      maxAttempts: 1,
    }
    const send = () => Promise.reject(new Error('no request expected'))
    const message = await csp.revoke({ state, send, log: { info() {}, warning() {}, debug() {} } })
    expect(message).toContain('cannot be revoked')
    expect(message).toContain('2031-02-03T04:05:06.000Z')
    expect(csp.revocable).toBe(false)
  })

  it('readJwtClaims reads the payload of a JWT, and nothing else', () => {
    expect(readJwtClaims(jwt({ context_name: ORG_ID, perms: ['a'] }))).toEqual({ context_name: ORG_ID, perms: ['a'] })
    expect(readJwtClaims('opaque-token')).toBeUndefined()
    expect(readJwtClaims('a..c')).toBeUndefined()
    expect(readJwtClaims(`x.${Buffer.from('[1,2]').toString('base64url')}.y`)).toBeUndefined()
    expect(readJwtClaims('x.%%%%.y')).toBeUndefined()
  })
})
