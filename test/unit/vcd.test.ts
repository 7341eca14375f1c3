import nock from 'nock'
import { describe, expect, it } from 'vitest'
import type { Config } from '../../src/config.ts'
import { ProviderError } from '../../src/errors.ts'
import { RequestError } from '../../src/http/request.ts'
import { exchangeAndHandOn } from '../../src/issue.ts'
import { compareVersions, highestVersion } from '../../src/providers/cloud-director-api.ts'
import { tokenPath, vcd } from '../../src/providers/vcd.ts'
import { describeError } from '../../src/secrets.ts'
import { leakedPieces } from './fake-core.ts'
import {
  fakeCloudDirector,
  INVALID_GRANT,
  SESSION_PATH,
  sessionAnswer,
  versionsXml,
  type CloudDirectorRoutes,
  type Route,
} from './cloud-director-kit.ts'
import {
  deferred,
  delay,
  form,
  harness,
  recorder,
  secretToken,
  type Reply,
  type Seen,
  rejectionOf,
  networkError,
  named,
} from './helpers.ts'
import {
  apiTokenConfig,
  type ApiToken,
  expectCredentialPost,
  expectSays,
  failedExchange,
  registryEntry,
  tokenOf,
  type Says,
} from './provider-kit.ts'

const VCD = 'https://vcd.example.com'
const PROVIDER_TOKEN = '/oauth/provider/token'
const VERSIONS = versionsXml(['36.0', '38.1', '37.2', '35.0'])

function vcdConfig(overrides: Partial<Config<ApiToken>> = {}): Config<ApiToken> {
  return apiTokenConfig('vcd', VCD, overrides)
}

function tokenAnswer(extra: Record<string, unknown> = {}) {
  const accessToken = secretToken(64)
  return { accessToken, body: { access_token: accessToken, token_type: 'Bearer', expires_in: 86400, refresh_token: null, ...extra } }
}

interface Routes extends Partial<Omit<CloudDirectorRoutes, 'tokens'>> {
  token?: Route
  tokenPath?: string
}

/** One Cloud Director: the token path of the provider org (or tokenPath), each route answering once. */
function fakeVcd(routes: Routes = {}) {
  const { token = () => [200, tokenAnswer().body], tokenPath = PROVIDER_TOKEN, ...rest } = routes
  return fakeCloudDirector(
    VCD,
    {
      tokens: [{ path: tokenPath, answer: token }],
      versions: () => [200, VERSIONS, { 'Content-Type': 'application/*+xml' }],
      session: () => [200, sessionAnswer('ci-bot', 'System')],
      ...rest,
    },
    { persist: false },
  )
}

describe('vcd: its entry in the registry', () => {
  it('takes an API token only, has no default url (url is required), and revokes', () => {
    expect(registryEntry(vcd)).toEqual({ credentials: ['api-token'], defaultUrl: undefined, revokes: true, cannotRevoke: undefined })
  })
})

describe('vcd: exchange', () => {
  it('posts the token to the provider endpoint in a form body and reads version and session', async () => {
    const cfg = vcdConfig()
    const h = harness(cfg)
    const { accessToken, body } = tokenAnswer()
    const seen = fakeVcd({ token: () => [200, body], session: () => [200, sessionAnswer('administrator', 'System')] })
    const result = await vcd.exchange(h.context)

    expect(seen.token).toHaveLength(1)
    const [token] = seen.token
    expectCredentialPost(token, 'application/x-www-form-urlencoded')
    expect(token.url.pathname).toBe(PROVIDER_TOKEN)
    expect(form(token.body)).toEqual({ grant_type: 'refresh_token', refresh_token: tokenOf(cfg) })

    expect(seen.versions).toHaveLength(1)
    expect(seen.versions[0].headers.accept).toBe('application/*+xml')
    expect(seen.versions[0].headers.authorization).toBeUndefined()
    expect(seen.versions[0].body).toBe('')

    expect(seen.session).toHaveLength(1)
    expect(seen.session[0].headers).toMatchObject({ accept: 'application/json;version=38.1', authorization: `Bearer ${accessToken}` })

    expect(result).toEqual({
      accessToken,
      tokenType: 'Bearer',
      expiresIn: 86400,
      org: 'System',
      subject: 'administrator',
      outputs: { 'api-version': '38.1' },
      summaryRows: [['API version', '38.1']],
      revokeData: { apiVersion: '38.1' },
    })
    expect(h.masked).toEqual([tokenOf(cfg), accessToken])
    expect(h.publishRefreshToken).not.toHaveBeenCalled()
  })

  it('posts to the tenant endpoint of the org, percent-encoded, as spelled', async () => {
    const h = harness(vcdConfig({ org: 'Équipe-42' }))
    const seen = fakeVcd({ tokenPath: '/oauth/tenant/%C3%89quipe-42/token', session: () => [200, sessionAnswer('bob', 'Équipe-42')] })
    const result = await vcd.exchange(h.context)
    expect(seen.token[0].url.pathname).toBe('/oauth/tenant/%C3%89quipe-42/token')
    expect(result).toMatchObject({ org: 'Équipe-42', subject: 'bob' })
  })

  it('tokenPath', () => {
    expect(tokenPath('')).toBe('/oauth/provider/token')
    expect(tokenPath('acme')).toBe('/oauth/tenant/acme/token')
    expect(tokenPath('a%b&c')).toBe('/oauth/tenant/a%25b%26c/token')
  })

  it('keeps a path prefix for every request', async () => {
    const base = `${VCD}/cloud`
    const h = harness(vcdConfig({ baseUrl: base }))
    const seen: Seen[] = []
    nock(VCD)
      .post(`/cloud${PROVIDER_TOKEN}`)
      .reply(recorder(seen, () => [200, tokenAnswer().body]))
      .get('/cloud/api/versions')
      .reply(recorder(seen, () => [200, VERSIONS]))
      .get(`/cloud${SESSION_PATH}`)
      .reply(recorder(seen, () => [200, sessionAnswer('ci-bot', 'System')]))
    await vcd.exchange(h.context)
    expect(seen.map((s) => s.url.pathname).sort()).toEqual(
      [`/cloud${SESSION_PATH}`, '/cloud/api/versions', `/cloud${PROVIDER_TOKEN}`].sort(),
    )
  })

  it('asks for the versions beside the exchange: both requests are in flight before either answers', async () => {
    const h = harness(vcdConfig())
    const arrived = { token: deferred(), versions: deferred() }
    const inFlightTogether = { token: false, versions: false }
    const together = (other: Promise<void>) => Promise.race([other.then(() => true), delay(1500).then(() => false)])
    fakeVcd({
      token: async () => {
        arrived.token.resolve()
        inFlightTogether.token = await together(arrived.versions.promise)
        return [200, tokenAnswer().body]
      },
      versions: async () => {
        arrived.versions.resolve()
        inFlightTogether.versions = await together(arrived.token.promise)
        return [200, VERSIONS]
      },
    })
    await vcd.exchange(h.context)
    expect(inFlightTogether).toEqual({ token: true, versions: true })
  })

  it('reads the session names; without them, the org given and no subject', async () => {
    const h = harness(vcdConfig({ org: 'acme' }))
    fakeVcd({ tokenPath: '/oauth/tenant/acme/token', session: () => [200, { id: 'x', user: {}, org: { name: '' } }] })
    expect(await vcd.exchange(h.context)).toMatchObject({ org: 'acme', subject: '' })
    const h2 = harness(vcdConfig())
    fakeVcd({ session: () => [200, 'not json'] })
    expect(await vcd.exchange(h2.context)).toMatchObject({ org: 'System', subject: '' })
  })

  it('skips the session check below API 34', async () => {
    const h = harness(vcdConfig())
    const seen = fakeVcd({ versions: () => [200, versionsXml(['31.0', '33.0', '32.0'])] })
    const result = await vcd.exchange(h.context)
    expect(seen.session).toEqual([])
    expect(result).toMatchObject({ outputs: { 'api-version': '33.0' }, org: 'System', subject: '' })
  })

  it('fails when the session is refused, saying the exchange itself worked', async () => {
    fakeVcd({ session: () => [403, { minorErrorCode: 'ACCESS_TO_RESOURCE_IS_FORBIDDEN', message: 'No access' }] })
    const { error } = await failedExchange(vcd, vcdConfig({ maxAttempts: 1 }))
    expect(error).toBeInstanceOf(ProviderError)
    expect(error.message).toContain(
      'Cloud Director session check with the new access token failed: HTTP 403 Forbidden: ACCESS_TO_RESOURCE_IS_FORBIDDEN: No access (1 try).',
    )
    expect(error.message).toContain('The token exchange worked but the session was refused')
  })
})

describe('vcd: rotated refresh token', () => {
  it('publishes a rotated refresh token, masked, before a failing session check can throw', async () => {
    const cfg = vcdConfig({ maxAttempts: 1 })
    const events: string[] = []
    const h = harness(cfg, { events })
    const rotated = secretToken(32)
    let maskedWhenPublished = false
    h.publishRefreshToken.mockImplementation((token) => {
      events.push('publish')
      maskedWhenPublished = h.masked.includes(token)
    })
    const seen = fakeVcd({
      token: () => [200, tokenAnswer({ refresh_token: rotated }).body],
      session: () => [401, { message: 'session refused' }],
    })
    const error = await rejectionOf(vcd.exchange(h.context))
    expect(error.message).toContain('session check')
    expect(seen.session).toHaveLength(1)
    expect(h.publishRefreshToken).toHaveBeenCalledTimes(1)
    expect(h.publishRefreshToken).toHaveBeenCalledWith(rotated)
    expect(maskedWhenPublished).toBe(true)
    expect(events.at(-1)).toBe('publish')
  })

  it('publishes a rotated refresh token before a failing version lookup can throw', async () => {
    const h = harness(vcdConfig({ maxAttempts: 2 }))
    const rotated = secretToken(32)
    fakeVcd({ token: () => [200, tokenAnswer({ refresh_token: rotated }).body], versions: () => [503, 'down'] })
    nock(VCD).get('/api/versions').reply(503, 'still down')
    const error = await rejectionOf(vcd.exchange(h.context))
    expect(error.message).toContain('Cloud Director version lookup failed: HTTP 503')
    expect(error.message).toContain('busy or unavailable')
    expect(h.publishRefreshToken).toHaveBeenCalledWith(rotated)
  })

  it('publishes nothing when the refresh token is the one given, or null', async () => {
    for (const refresh of ['same', null, '']) {
      const cfg = vcdConfig()
      const h = harness(cfg)
      fakeVcd({ token: () => [200, tokenAnswer({ refresh_token: refresh === 'same' ? tokenOf(cfg) : refresh }).body] })
      await vcd.exchange(h.context)
      expect(h.publishRefreshToken, String(refresh)).not.toHaveBeenCalled()
    }
  })

  // PROVIDERS.md 2b: the old token is spent once the server answered 200 with a new one, so it is
  // published before anything else in the answer is checked.
  it('publishes a rotated refresh token even when the rest of the 200 answer is unusable', async () => {
    for (const body of [
      { access_token: secretToken(64), token_type: 'Bearer' },
      { token_type: 'Bearer', expires_in: 3600 },
      { access_token: secretToken(64), expires_in: 'soon' },
    ]) {
      const h = harness(vcdConfig())
      const rotated = secretToken(32)
      fakeVcd({ token: () => [200, { ...body, refresh_token: rotated }] })
      const error = await rejectionOf(vcd.exchange(h.context))
      expect(error).toBeInstanceOf(ProviderError)
      expect(h.publishRefreshToken).toHaveBeenCalledWith(rotated)
      expect(h.masked).toContain(rotated)
    }
  })
})

describe('vcd: a step failing after the exchange logs its session out at once', () => {
  it('logs out once with the new token when the session check fails, and reports the session failure', async () => {
    const h = harness(vcdConfig({ maxAttempts: 3 }))
    const { accessToken, body } = tokenAnswer()
    const seen = fakeVcd({ token: () => [200, body], session: () => [403, { message: 'No access' }], logout: () => [503, 'busy'] })
    const error = await rejectionOf(exchangeAndHandOn(vcd, h.context))
    expect(error.message).toContain('Cloud Director session check with the new access token failed: HTTP 403')
    // One try only, whatever max-attempts says, and a debug line about it.
    expect(seen.logout).toHaveLength(1)
    expect(seen.logout[0].url.pathname).toBe(SESSION_PATH)
    expect(seen.logout[0].headers).toMatchObject({ authorization: `Bearer ${accessToken}`, accept: 'application/json;version=38.1' })
    // A logout the server refused is not reported as done.
    const line = h.logs.map((l) => l.message).find((message) => message.includes('after the token was issued'))
    expect(line).toBe(
      'the step failed after the token was issued, and ending it failed too: Cloud Director logout failed: ' +
        'HTTP 503 Service Unavailable: busy (1 try). Cloud Director is busy or unavailable; try again later, or raise max-attempts / timeout-seconds.',
    )
  })

  it('says it logged the session out only when the server agreed', async () => {
    const h = harness(vcdConfig({ maxAttempts: 1 }))
    fakeVcd({ session: () => [403, { message: 'No access' }] })
    await rejectionOf(exchangeAndHandOn(vcd, h.context))
    expect(h.logs.map((l) => l.message)).toContain(
      'the step failed after the token was issued: Logged out of Cloud Director: the access token is revoked.',
    )
  })

  it('logs out without a version when the version lookup failed', async () => {
    const { accessToken, body } = tokenAnswer()
    const seen = fakeVcd({ token: () => [200, body], versions: () => [500, 'oops'] })
    const { error } = await failedExchange(vcd, vcdConfig({ maxAttempts: 1 }))
    expect(error.message).toContain('Cloud Director version lookup failed: HTTP 500')
    expect(seen.logout).toHaveLength(1)
    expect(seen.logout[0].url.pathname).toBe(SESSION_PATH)
    expect(seen.logout[0].headers.authorization).toBe(`Bearer ${accessToken}`)
    // CloudAPI wants a version in Accept; without a known one, some version that has the DELETE.
    expect(seen.logout[0].headers.accept).toMatch(/^application\/json(;version=(3[6-9]|[4-9]\d)\.\d+)?$/)
  })

  it('uses the legacy logout below API 36', async () => {
    const h = harness(vcdConfig({ maxAttempts: 1 }))
    const seen = fakeVcd({ versions: () => [200, versionsXml(['34.0', '35.0'])], session: () => [401, { message: 'no' }] })
    await rejectionOf(exchangeAndHandOn(vcd, h.context))
    expect(seen.logout.map((s) => s.url.pathname)).toEqual(['/api/session'])
    expect(seen.logout[0].headers.accept).toBe('application/*+xml;version=35.0')
  })

  it('logs out when the 200 answer has an access token but is otherwise unusable', async () => {
    const accessToken = secretToken(64)
    const seen = fakeVcd({ token: () => [200, { access_token: accessToken, token_type: 'Bearer' }] })
    const { error } = await failedExchange(vcd, vcdConfig())
    expect(error.message).toContain('expires_in')
    expect(seen.logout.map((s) => s.headers.authorization)).toEqual([`Bearer ${accessToken}`])
  })

  it('sends no logout for an answer without an access token', async () => {
    const h = harness(vcdConfig())
    const seen = fakeVcd({ token: () => [200, { token_type: 'Bearer', expires_in: 3600 }] })
    await rejectionOf(exchangeAndHandOn(vcd, h.context))
    expect(seen.logout).toEqual([])
  })

  it('keeps the original error when the logout cannot be sent', async () => {
    const h = harness(vcdConfig({ maxAttempts: 1 }))
    fakeVcd({ session: () => [403, { message: 'No access' }], logoutError: networkError('ECONNRESET', 'reset') })
    const error = await rejectionOf(exchangeAndHandOn(vcd, h.context))
    expect(error.message).toContain('session check')
    expect(h.logs.map((l) => l.message)).toContain(
      'the step failed after the token was issued, and ending it failed too: Cloud Director logout at vcd.example.com failed: connection reset (1 try).',
    )
  })

  it('sends no logout on success', async () => {
    const h = harness(vcdConfig())
    const seen = fakeVcd()
    await exchangeAndHandOn(vcd, h.context)
    expect(seen.logout).toEqual([])
  })
})

describe('vcd: refusals', () => {
  const invalidGrant: [string, Reply][] = [
    ['JSON 400', [400, INVALID_GRANT]],
    ['JSON 401', [401, { error: 'invalid_grant', error_description: 'Invalid refresh token' }]],
    [
      'XML 400',
      [
        400,
        '<?xml version="1.0" encoding="UTF-8"?><Error xmlns="http://www.vmware.com/vcloud/v1.5" minorErrorCode="invalid_grant" message="Invalid refresh token" majorErrorCode="400"/>',
        { 'Content-Type': 'application/*+xml' },
      ],
    ],
    ['HTML 400', [400, '<html><head><title>Bad Request</title></head><body>invalid_grant</body></html>', { 'Content-Type': 'text/html' }]],
  ]

  it.each(invalidGrant)('%s invalid_grant for a tenant: token wrong, revoked or of another org', async (_name, reply) => {
    const h = harness(vcdConfig({ org: 'acme', maxAttempts: 3 }))
    const seen = fakeVcd({ tokenPath: '/oauth/tenant/acme/token', token: () => reply })
    const error = await rejectionOf(vcd.exchange(h.context))
    expect(seen.token).toHaveLength(1)
    expect(error.message).toMatch(/^Cloud Director token exchange for org 'acme' failed: HTTP 40[01]/)
    expect(error.message).toContain(
      "Cloud Director refused the token: it is wrong or revoked, or it belongs to another org than 'acme' (org input).",
    )
    expect(error.message).toContain('A service-account token is spent by each use')
    expect(error.message).not.toContain('An earlier try')
    expect(h.publishRefreshToken).not.toHaveBeenCalled()
  })

  it.each(invalidGrant)('%s invalid_grant for the provider org: maybe a tenant token, set org', async (_name, reply) => {
    fakeVcd({ token: () => reply })
    const { error } = await failedExchange(vcd, vcdConfig())
    expect(error.message).toMatch(/^Cloud Director token exchange for the provider \(System\) org failed: HTTP 40[01]/)
    expect(error.message).toContain("it is a tenant's token (set org to that organization)")
  })

  const FAILURES: { name: string; config?: Partial<Config<ApiToken>>; routes: Routes; nextTokenAnswers?: Reply[]; says: Says }[] = [
    {
      name: 'says an earlier try may have spent a service-account token when a retry got invalid_grant',
      config: { maxAttempts: 3 },
      routes: { token: () => [502, 'bad gateway'] },
      nextTokenAnswers: [[400, INVALID_GRANT]],
      says: ['(2 tries)', 'An earlier try of this run may have reached the server and spent it'],
    },
    {
      name: 'tells to check org when the tenant endpoint answers 404',
      config: { org: 'nosuchorg' },
      routes: { tokenPath: '/oauth/tenant/nosuchorg/token', token: () => [404, { minorErrorCode: 'NOT_FOUND', message: 'Org not found' }] },
      says: ["Check org: 'nosuchorg' may not exist"],
    },
    {
      name: 'tells to check api-token (or set org) for another refusal at the provider endpoint',
      routes: { token: () => [403, { message: 'Forbidden' }] },
      says: ["Check api-token; if it belongs to a tenant organization, set org to that organization's name."],
    },
    {
      name: 'blames the token, not the host, when the versions are fine',
      routes: { token: () => [404, '<html><body>Not Found</body></html>'] },
      says: [/^Cloud Director token exchange for the provider \(System\) org failed: HTTP 404/],
    },
    {
      name: 'fails after the exchange when the host lists no API version',
      routes: { versions: () => [200, versionsXml([])] },
      says: ['does not look like a Cloud Director: GET /api/versions answered HTTP 200 without any API version'],
    },
    {
      name: 'says Cloud Director is busy after every try of 5xx',
      config: { maxAttempts: 2 },
      routes: { token: () => [503, { message: 'maintenance' }] },
      nextTokenAnswers: [[503, { message: 'maintenance' }]],
      says: ['HTTP 503 Service Unavailable: maintenance (2 tries). Cloud Director is busy or unavailable'],
    },
    {
      name: 'says a redirect is not followed',
      routes: { token: () => [301, '', { Location: 'https://elsewhere.example/' }] },
      says: ['Cloud Director answered with a redirect, which the action does not follow'],
    },
  ]

  it.each(named(FAILURES))('%s', async (_name, { config, routes, nextTokenAnswers = [], says }) => {
    fakeVcd(routes)
    for (const answer of nextTokenAnswers)
      nock(VCD)
        .post(PROVIDER_TOKEN)
        .reply(() => answer)
    expectSays((await failedExchange(vcd, vcdConfig(config))).error.message, says)
  })

  it.each([
    ['404 with an HTML page', [404, '<html><body>Not Found</body></html>'] as Reply, [404, '<html><body>Not Found</body></html>'] as Reply],
    [
      'an HTML page',
      [200, '<!doctype html><html><body>Welcome to nginx</body></html>'] as Reply,
      [405, '<!DOCTYPE html><html><title>405</title></html>'] as Reply,
    ],
    ['no versions', [200, '<SupportedVersions/>'] as Reply, [404, '{"message": "no route"}'] as Reply],
  ])('says a host whose /api/versions gives %s is no Cloud Director', async (_name, versions, token) => {
    const cfg = vcdConfig()
    fakeVcd({ versions: () => versions, token: () => token })
    const { error } = await failedExchange(vcd, cfg)
    expect(error).toBeInstanceOf(ProviderError)
    expect(error.message).toMatch(/^vcd\.example\.com does not look like a Cloud Director: GET \/api\/versions answered /)
    expect(error.message).toContain('Check url')
  })

  it('passes a network failure on and abandons the version lookup', async () => {
    const h = harness(vcdConfig({ timeoutMs: 150, maxAttempts: 1 }))
    nock(VCD).post(PROVIDER_TOKEN).replyWithError(networkError('ENOTFOUND', 'getaddrinfo ENOTFOUND'))
    nock(VCD).get('/api/versions').delay(10_000).reply(200, VERSIONS)
    const error = await rejectionOf(vcd.exchange(h.context))
    expect(error).toBeInstanceOf(RequestError)
    expect(error.message).toContain('host name not found (check url)')
    // An abandoned lookup ends without a line of its own; one left running would time out with one.
    await delay(400)
    expect(h.logs.filter((l) => l.message.includes('/api/versions'))).toEqual([])
  })

  it('never shows the token in an error, even when the server echoes it', async () => {
    const cfg = vcdConfig()
    const h = harness(cfg)
    fakeVcd({
      token: (request) => [400, { minorErrorCode: 'invalid_grant', message: `Invalid refresh token ${form(request.body).refresh_token}` }],
    })
    const printed = describeError(await rejectionOf(vcd.exchange(h.context)), h.secrets)
    expect(printed).toContain('Invalid refresh token ***')
    expect(leakedPieces(printed, tokenOf(cfg), 4)).toEqual([])
  })
})

describe('highestVersion and compareVersions', () => {
  it('finds the highest version in an unsorted list, numerically', () => {
    expect(highestVersion(versionsXml(['9.0', '38.1', '10.0', '37.2']))).toBe('38.1')
    expect(highestVersion(versionsXml(['38.9', '38.10', '38.2']))).toBe('38.10')
    expect(highestVersion(versionsXml(['40.0', '39.1.0', '38.1']))).toBe('40.0')
  })

  it('skips pre-release entries', () => {
    expect(highestVersion(versionsXml(['36.3', '37.0.0-alpha', '37.0-beta']))).toBe('36.3')
    expect(highestVersion(versionsXml(['37.0.0-alpha']))).toBeUndefined()
  })

  it('prefers versions not deprecated; takes a deprecated one when nothing else is there', () => {
    expect(highestVersion(versionsXml([{ version: '39.0', deprecated: true }, '38.0', { version: '37.0', deprecated: true }]))).toBe('38.0')
    expect(
      highestVersion(
        versionsXml([
          { version: '33.0', deprecated: true },
          { version: '32.0', deprecated: true },
        ]),
      ),
    ).toBe('33.0')
  })

  it('reads namespaced tags', () => {
    expect(highestVersion(versionsXml(['35.0', '38.1', '36.0'], { prefix: 'vcloud' }))).toBe('38.1')
  })

  it('finds nothing in a page that is no version list', () => {
    expect(highestVersion('')).toBeUndefined()
    expect(highestVersion('<html><body>38.1</body></html>')).toBeUndefined()
    expect(highestVersion(versionsXml([]))).toBeUndefined()
  })

  it('compareVersions orders numerically, missing parts as 0', () => {
    expect(compareVersions('38.1', '38.1.0')).toBe(0)
    expect(compareVersions('9.0', '10.0')).toBeLessThan(0)
    expect(compareVersions('38.10', '38.9')).toBeGreaterThan(0)
    expect(compareVersions('38', '37.99')).toBeGreaterThan(0)
    expect(['38.1', '9.0', '36.0', '38.0.1'].sort(compareVersions)).toEqual(['9.0', '36.0', '38.0.1', '38.1'])
  })
})
