import nock from 'nock'
import { describe, expect, it } from 'vitest'
import type { Config } from '../../src/config.ts'
import { ProviderError } from '../../src/errors.ts'
import { RequestError } from '../../src/http/request.ts'
import { csp } from '../../src/providers/csp.ts'
import { readJwtClaims } from '../../src/providers/jwt-claims.ts'
import { describeError } from '../../src/secrets.ts'
import { answer, API_TOKEN_PATH, cspConfig, DAY, oauthConfig, OAUTH_PATH, onDetails, onExchange } from './csp-kit.ts'
import { leakedPieces } from './fake-core.ts'
import {
  CSP_DEFAULT_URL,
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
  networkError,
  named,
} from './helpers.ts'
import { expectCredentialPost, expectSays, failedExchange, registryEntry, tokenOf, type Says } from './provider-kit.ts'

describe('csp: API token', () => {
  it('posts the token in a form body, never in the URL, and reads the answer', async () => {
    const cfg = cspConfig({ org: ORG_ID })
    const h = harness(cfg)
    const seen: Seen[] = []
    const { accessToken, body } = answer()
    onExchange(seen, () => [200, { ...body, refresh_token: tokenOf(cfg) }])
    const result = await csp.exchange(h.context)

    expect(seen).toHaveLength(1)
    expectCredentialPost(seen[0], 'application/x-www-form-urlencoded')
    expect(form(seen[0].body)).toEqual({ api_token: tokenOf(cfg) })

    expect(result).toEqual({
      accessToken,
      tokenType: 'Bearer',
      expiresIn: 1799,
      org: ORG_ID,
      subject: 'alice@example.com',
      summaryRows: [],
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
    expect(result).toMatchObject({ accessToken, org: ORG_ID, subject: 'app-7f3e', notices: [] })
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
    // The server quotes the value it parsed (decoded) from the form body.
    onExchange([], (request) => [400, { message: `bad request body: api_token=${form(request.body).api_token}` }])
    const { printed } = await failedExchange(csp, cfg)
    expect(leakedPieces(printed, tokenOf(cfg), 4)).toEqual([])
    expect(printed).toContain('bad request body: api_token=***')
  })

  const FAILURES: { name: string; config: Config; reply: Reply; says: Says; never?: string }[] = [
    {
      name: 'fails when the token is for another org, naming both',
      config: cspConfig({ org: ORG_ID }),
      reply: [200, answer({ context_name: OTHER_ORG_ID, sub: 's' }).body],
      says: [`The token is for CSP org ${OTHER_ORG_ID}, but org is ${ORG_ID}`],
    },
    {
      name: 'fails when org is set but the token names no org (no context_name)',
      config: cspConfig({ org: ORG_ID }),
      reply: [200, answer({ sub: 's', context: OTHER_ORG_ID }).body],
      says: [`org is ${ORG_ID}, but the access token does not say which org it is for (no context_name claim)`],
    },
    {
      name: 'suggests no other host for a host without a sibling',
      config: cspConfig({ baseUrl: 'http://127.0.0.1:8443' }),
      reply: [400, { message: 'invalid_grant' }],
      says: ['CSP refused the API token'],
      never: 'If it was made on',
    },
    {
      name: 'says a redirect is not followed',
      config: cspConfig(),
      reply: [302, '', { Location: 'https://login.example.com/' }],
      says: ['HTTP 302', 'does not follow for a credential; check url'],
    },
  ]

  it.each(named(FAILURES))('%s', async (_name, { config, reply, says, never }) => {
    onExchange([], () => reply, API_TOKEN_PATH, config.baseUrl)
    const { error } = await failedExchange(csp, config)
    expect(error).toBeInstanceOf(ProviderError)
    expectSays(error.message, says)
    if (never !== undefined) expect(error.message).not.toContain(never)
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
    onExchange([], () => [400, { message: 'invalid_grant' }], API_TOKEN_PATH, baseUrl)
    const { error } = await failedExchange(csp, cspConfig({ baseUrl }))
    expect(error.message).toContain(`If it was made on ${sibling}, set url: ${sibling} (the two hosts are separate issuers).`)
  })

  it.each([429, 500, 503])('after every try of HTTP %i says CSP is busy, not that the token is wrong', async (status) => {
    const seen: Seen[] = []
    nock(CSP_DEFAULT_URL)
      .post(API_TOKEN_PATH)
      .times(3)
      .reply(recorder(seen, () => [status, { message: 'try later' }]))
    const { error } = await failedExchange(csp, cspConfig({ maxAttempts: 3 }))
    expect(seen).toHaveLength(3)
    expect(error.message).toContain('(3 tries)')
    expect(error.message).toContain('CSP is busy or unavailable; try again later, or raise max-attempts / timeout-seconds.')
    expect(error.message).not.toContain('refused the API token')
  })

  it('says when CSP asks to wait longer than the action waits, and does not advise more tries', async () => {
    const seen: Seen[] = []
    nock(CSP_DEFAULT_URL)
      .post(API_TOKEN_PATH)
      .reply(recorder(seen, () => [429, { message: 'slow down' }, { 'Retry-After': '90' }]))
    const { error } = await failedExchange(csp, cspConfig({ maxAttempts: 3 }))
    expect(seen).toHaveLength(1)
    expect(error.message).toContain('CSP asked to wait 90 s before trying again')
    expect(error.message).not.toContain('raise max-attempts')
  })

  it('passes a network failure on', async () => {
    nock(CSP_DEFAULT_URL).post(API_TOKEN_PATH).replyWithError(networkError('ECONNRESET', 'reset'))
    const { error } = await failedExchange(csp, cspConfig({ maxAttempts: 1 }))
    expect(error).toBeInstanceOf(RequestError)
    expect(error.message).toBe('CSP API token exchange at console.cloud.vmware.com failed: connection reset (1 try).')
  })
})

describe('csp: odd 200 answers', () => {
  it('says an HTML page came back instead of a token', async () => {
    onExchange([], () => [
      200,
      '<!doctype html><html><head><title>Sign in</title></head><body></body></html>',
      { 'Content-Type': 'text/html' },
    ])
    const { error } = await failedExchange(csp, cspConfig())
    expect(error.message).toBe(
      'CSP (console.cloud.vmware.com) answered HTTP 200 OK, an HTML page instead of an API answer: a proxy, firewall or outage page?; expected a JSON token response.',
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
    ['a byte-order mark', (json: string) => `\uFEFF${json}`],
    ["the )]}' guard", (json: string) => `)]}',\n${json}`],
  ])('reads a token answer with %s in front', async (_name, wrap) => {
    const h = harness(cspConfig())
    const { accessToken, body } = answer()
    onExchange([], () => [200, wrap(JSON.stringify(body)), { 'Content-Type': 'application/json' }])
    expect((await csp.exchange(h.context)).accessToken).toBe(accessToken)
  })

  it.each([
    ['junk after the JSON', (json: string) => `${json} trailing junk`],
    ['a body cut after the token', (json: string) => json.slice(0, json.indexOf('"access_token"') + 40)],
    ['a body cut inside the token', (json: string) => json.slice(0, json.indexOf('"access_token"') + 40 + 20)],
  ])('fails on %s without quoting it, the token masked first', async (_name, mangle) => {
    const h = harness(cspConfig())
    const { accessToken, body } = answer()
    // The access token last, so that a cut keeps its start.
    const { access_token: _, ...rest } = body
    const json = JSON.stringify({ ...rest, access_token: accessToken })
    const mangled = mangle(json)
    onExchange([], () => [200, mangled, { 'Content-Type': 'application/json' }])
    const error = await rejectionOf(csp.exchange(h.context))
    expect(error.message).toMatch(/answered HTTP 200 OK with (JSON that does not parse|a JSON object)/)
    expect(error.message).toContain(`(${mangled.length} bytes)`)
    const shown = mangled.slice(mangled.indexOf('"access_token"') + 16)
    expect(leakedPieces(error.message, shown, 8)).toEqual([])
    // What of the token came is masked, so the runner hides it wherever it shows.
    expect(h.masked.some((value) => accessToken.startsWith(value) && value.length >= 8)).toBe(true)
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

describe('csp: revoke and claims', () => {
  it('takes an API token or an OAuth app, and url defaults to the VMware Cloud Services console', () => {
    expect(registryEntry(csp)).toEqual({
      credentials: ['api-token', 'oauth-app'],
      defaultUrl: 'https://console.cloud.vmware.com',
      revokes: false,
      cannotRevoke: expect.stringMatching(/\w/),
    })
  })

  it('has no revoke, and says why in a sentence of its own', () => {
    expect(csp.revoke).toBeUndefined()
    expect(csp.cannotRevoke).toMatch(/no way to revoke an access token/)
  })

  it('readJwtClaims reads the payload of a JWT, and nothing else', () => {
    expect(readJwtClaims(jwt({ context_name: ORG_ID, perms: ['a'] }))).toEqual({ context_name: ORG_ID, perms: ['a'] })
    expect(readJwtClaims('opaque-token')).toBeUndefined()
    expect(readJwtClaims('a..c')).toBeUndefined()
    expect(readJwtClaims(`x.${Buffer.from('[1,2]').toString('base64url')}.y`)).toBeUndefined()
    expect(readJwtClaims('x.%%%%.y')).toBeUndefined()
  })
})
