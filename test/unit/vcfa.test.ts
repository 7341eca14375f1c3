import nock from 'nock'
import { describe, expect, it } from 'vitest'
import type { Config } from '../../src/config.ts'
import { ProviderError, UntrustedStateError } from '../../src/errors.ts'
import { exchangeAndHandOn } from '../../src/issue.ts'
import { tokenPaths, vcfa } from '../../src/providers/vcfa.ts'
import { describeError } from '../../src/secrets.ts'
import {
  fakeCloudDirector,
  INVALID_GRANT,
  onLogout,
  paths,
  SESSION_PATH,
  sessionAnswer,
  versionsXml,
  type CloudDirectorRoutes,
  type Route,
} from './cloud-director-kit.ts'
import { leakedPieces } from './fake-core.ts'
import { form, harness, jwt, rejectionOf, secretToken, type Reply, named } from './helpers.ts'
import {
  apiTokenConfig,
  type ApiToken,
  expectCredentialPost,
  expectSays,
  failedExchange,
  registryEntry,
  revokeContext,
  tokenOf,
  type Says,
} from './provider-kit.ts'

const VCFA = 'https://vcfa.example.com'

function vcfaConfig(overrides: Partial<Config<ApiToken>> = {}): Config<ApiToken> {
  return apiTokenConfig('vcfa', VCFA, { org: 'acme', ...overrides })
}

/** The versions VCF Automation lists, with a pre-release that never counts. */
const versions = (list: string[]) => versionsXml(list, { origin: VCFA, alpha: '41.0.0-alpha' })
const VERSIONS = versions(['39.1', '40.0', '38.1'])

/** A JWT access token with preferred_username, as VCF Automation issues (terraform-provider-vcfa reads it). */
function tokenAnswer(
  extra: Record<string, unknown> = {},
  claims: Record<string, unknown> = { preferred_username: 'acme-ops', sub: 'sub-id' },
) {
  const accessToken = jwt(claims)
  return { accessToken, body: { access_token: accessToken, token_type: 'Bearer', expires_in: 3600, ...extra } }
}

interface Routes extends Partial<Omit<CloudDirectorRoutes, 'tokens'>> {
  /** The answer of every token path that is served. */
  token?: Route
  /** Token path forms answering 404. */
  missing?: ('tm' | 'root')[]
}

/** One VCF Automation: both token path forms for cfg's org, every route answering every request. */
function fakeVcfa(cfg: Config, routes: Routes = {}) {
  const { token = () => [200, tokenAnswer().body], missing = [], ...rest } = routes
  const notFound: Route = () => [404, { minorErrorCode: 'NOT_FOUND', message: 'Not Found' }]
  const tokens = tokenPaths(cfg.org).map((path) => ({
    path,
    answer: missing.includes(path.startsWith('/tm/') ? 'tm' : 'root') ? notFound : token,
  }))
  return fakeCloudDirector(
    VCFA,
    { tokens, versions: () => [200, VERSIONS], session: () => [200, sessionAnswer('acme-ops', 'acme')], ...rest },
    { persist: true },
  )
}

describe('vcfa: its entry in the registry', () => {
  it('takes an API token only, has no default url (url is required), and revokes', () => {
    expect(registryEntry(vcfa)).toEqual({ credentials: ['api-token'], defaultUrl: undefined, revokes: true, cannotRevoke: undefined })
  })
})

describe('vcfa: token paths', () => {
  it('tenants try /tm first, the provider org /oauth first; the org percent-encoded as spelled', () => {
    expect(tokenPaths('acme')).toEqual(['/tm/oauth/tenant/acme/token', '/oauth/tenant/acme/token'])
    expect(tokenPaths('')).toEqual(['/oauth/provider/token', '/tm/oauth/provider/token'])
    expect(tokenPaths('Équipe&1')).toEqual(['/tm/oauth/tenant/%C3%89quipe%261/token', '/oauth/tenant/%C3%89quipe%261/token'])
  })
})

describe('vcfa: exchange', () => {
  it('a tenant token: one form-encoded POST to /tm, the versions beside it, the session with the version found', async () => {
    const cfg = vcfaConfig()
    const h = harness(cfg)
    const { accessToken, body } = tokenAnswer()
    const seen = fakeVcfa(cfg, { token: () => [200, body] })
    const result = await vcfa.exchange(h.context)

    expect(paths(seen.token)).toEqual(['/tm/oauth/tenant/acme/token'])
    const [token] = seen.token
    expectCredentialPost(token, 'application/x-www-form-urlencoded')
    expect(form(token.body)).toEqual({ grant_type: 'refresh_token', refresh_token: tokenOf(cfg) })

    expect(seen.versions).toHaveLength(1)
    expect(seen.versions[0].headers.authorization).toBeUndefined()
    expect(seen.session).toHaveLength(1)
    expect(seen.session[0].headers).toMatchObject({ accept: 'application/json;version=40.0', authorization: `Bearer ${accessToken}` })
    expect(seen.session[0].url.search).toBe('')

    expect(result).toEqual({
      accessToken,
      tokenType: 'Bearer',
      expiresIn: 3600,
      org: 'acme',
      subject: 'acme-ops',
      outputs: { 'api-version': '40.0' },
      summaryRows: [['API version', '40.0']],
      notices: [],
      revokeData: { apiVersion: '40.0', session: 'served' },
    })
    expect(h.masked).toEqual([tokenOf(cfg), accessToken])
    expect(h.publishRefreshToken).not.toHaveBeenCalled()
    expect(h.logs.filter((line) => line.level !== 'debug')).toEqual([])
  })

  it('the provider org: /oauth/provider/token first, org System', async () => {
    const cfg = vcfaConfig({ org: '' })
    const h = harness(cfg)
    const seen = fakeVcfa(cfg, { session: () => [200, sessionAnswer('serviceadministrator', 'System')] })
    const result = await vcfa.exchange(h.context)
    expect(paths(seen.token)).toEqual(['/oauth/provider/token'])
    expect(result).toMatchObject({ org: 'System', subject: 'serviceadministrator' })
  })

  it.each([
    ['acme', 'tm', ['/tm/oauth/tenant/acme/token', '/oauth/tenant/acme/token']],
    ['', 'root', ['/oauth/provider/token', '/tm/oauth/provider/token']],
  ] as const)('org %j: a 404 from the %s form tries the other form once, with the same form body', async (org, missing, expected) => {
    const cfg = vcfaConfig({ org, maxAttempts: 3 })
    const h = harness(cfg)
    const seen = fakeVcfa(cfg, { missing: [missing] })
    const result = await vcfa.exchange(h.context)
    expect(paths(seen.token)).toEqual(expected)
    expect(seen.token.map((request) => form(request.body))).toEqual(
      [0, 1].map(() => ({ grant_type: 'refresh_token', refresh_token: tokenOf(cfg) })),
    )
    expect(h.sleeps).toEqual([])
    expect(result.accessToken).toMatch(/\w/)
  })

  it.each([400, 401, 403])('a refused token (HTTP %i) fails at once: no retry, no other form', async (status) => {
    const cfg = vcfaConfig({ maxAttempts: 3 })
    const h = harness(cfg)
    const seen = fakeVcfa(cfg, { token: () => [status, INVALID_GRANT] })
    const error = await rejectionOf(vcfa.exchange(h.context))
    expect(error).toBeInstanceOf(ProviderError)
    expect(paths(seen.token)).toEqual(['/tm/oauth/tenant/acme/token'])
    expect(error.message).toMatch(
      new RegExp(
        `^VCF Automation token exchange for org 'acme' failed: HTTP ${status} \\w+.*: invalid_grant: Invalid refresh token \\(1 try\\)\\. `,
      ),
    )
    expect(error.message).toContain(
      "VCF Automation refused the token: it is wrong, expired (API tokens made in the UI last about 90 days) or revoked, or it belongs to another org than 'acme' (org input).",
    )
    expect(error.message).toContain('store the refresh-token output')
    expect(h.publishRefreshToken).not.toHaveBeenCalled()
  })

  const FAILURES: { name: string; config?: Partial<Config<ApiToken>>; routes: Routes; says: Says; never?: string; asked?: string[] }[] = [
    {
      name: 'a refusal for the provider org says a tenant token needs org',
      config: { org: '' },
      routes: { token: () => [400, INVALID_GRANT] },
      says: [
        /^VCF Automation token exchange for the provider \(System\) org failed: HTTP 400/,
        "it is a tenant's token (set org to that organization)",
      ],
    },
    {
      name: 'a 401 without invalid_grant (an unknown org) says to check org',
      config: { org: 'nosuchorg' },
      routes: { token: () => [401, { minorErrorCode: 'UNAUTHORIZED', message: 'Unauthorized' }] },
      says: ["Check org: 'nosuchorg' may not exist"],
    },
    {
      name: '5xx on every try: busy, and never the other form',
      config: { maxAttempts: 2 },
      routes: { token: () => [502, { message: 'bad gateway' }] },
      says: ['HTTP 502 Bad Gateway: bad gateway (2 tries). VCF Automation is busy or unavailable'],
      asked: Array(2).fill('/tm/oauth/tenant/acme/token'),
    },
    {
      name: 'an HTML page for 200 is not a token answer, and is not quoted',
      routes: { token: () => [200, '<!doctype html><html><body>Sign in to VCF Automation</body></html>'] },
      says: [
        /^VCF Automation \(vcfa\.example\.com\) answered HTTP 200 OK, an HTML page instead of an API answer.*expected a JSON token response\.$/,
      ],
      never: 'Sign in',
    },
  ]

  it.each(named(FAILURES))('%s', async (_name, { config, routes, says, never, asked }) => {
    const cfg = vcfaConfig(config)
    const seen = fakeVcfa(cfg, routes)
    const { error } = await failedExchange(vcfa, cfg)
    expectSays(error.message, says)
    if (never !== undefined) expect(error.message).not.toContain(never)
    if (asked !== undefined) expect(paths(seen.token)).toEqual(asked)
  })

  it('404 at both forms of a VCF Automation (API 40): check org', async () => {
    const cfg = vcfaConfig({ org: 'Acme' })
    const seen = fakeVcfa(cfg, { missing: ['tm', 'root'] })
    const { error } = await failedExchange(vcfa, cfg)
    expect(seen.token).toHaveLength(2)
    expect(error.message).toBe(
      "VCF Automation token exchange for org 'Acme' failed: vcfa.example.com answered HTTP 404 at both /tm/oauth/tenant/Acme/token and " +
        "/oauth/tenant/Acme/token, though it is VCF Automation (API 40.0). Check org: 'Acme' may not exist (org names are case-sensitive).",
    )
  })

  it.each([
    ['a tenant on a host without versions', 'acme', () => [404, '<html><body>Not Found</body></html>'] as Reply],
    ['the provider org', '', () => [200, VERSIONS] as Reply],
  ])('404 at both forms for %s: not VCF Automation, check url', async (_name, org, versions) => {
    const cfg = vcfaConfig({ org })
    fakeVcfa(cfg, { missing: ['tm', 'root'], versions })
    const { error } = await failedExchange(vcfa, cfg)
    expect(error.message).toMatch(
      /answered HTTP 404 at both \/\S+ and \/\S+: it does not look like VCF Automation\. Check url: give the VCF Automation address, e\.g\. https:\/\/vcfa\.example\.com\.$/,
    )
  })

  it('an HTML refusal on a host whose /api/versions is no version list: not VCF Automation', async () => {
    const cfg = vcfaConfig()
    fakeVcfa(cfg, { token: () => [403, '<html><title>Access denied</title></html>'], versions: () => [200, '<html>portal</html>'] })
    const { error } = await failedExchange(vcfa, cfg)
    expect(error.message).toBe(
      'vcfa.example.com does not look like VCF Automation: GET /api/versions answered HTTP 200 without any API version. ' +
        'Check url: give the VCF Automation address, e.g. https://vcfa.example.com.',
    )
  })

  it('retries 429 and 5xx on the same form and succeeds', async () => {
    const cfg = vcfaConfig({ maxAttempts: 3 })
    const h = harness(cfg)
    const answers: Reply[] = [
      [429, { message: 'slow down' }, { 'Retry-After': '1' }],
      [503, 'busy'],
      [200, tokenAnswer().body],
    ]
    const seen = fakeVcfa(cfg, { token: () => answers.shift()! })
    await vcfa.exchange(h.context)
    expect(paths(seen.token)).toEqual(Array(3).fill('/tm/oauth/tenant/acme/token'))
    expect(h.sleeps).toHaveLength(2)
    expect(h.sleeps[0]).toBeGreaterThanOrEqual(1000)
  })

  it('never shows the token when an error echoes it', async () => {
    const cfg = vcfaConfig()
    const h = harness(cfg)
    fakeVcfa(cfg, {
      token: (request) => [400, { minorErrorCode: 'invalid_grant', message: `Invalid refresh token ${form(request.body).refresh_token}` }],
    })
    const printed = describeError(await rejectionOf(vcfa.exchange(h.context)), h.secrets)
    expect(printed).toContain('Invalid refresh token ***')
    expect(leakedPieces(printed, tokenOf(cfg), 4)).toEqual([])
  })
})

describe('vcfa: rotated refresh token', () => {
  it('is published, masked, before a session refusal fails the step', async () => {
    const cfg = vcfaConfig({ maxAttempts: 1 })
    const h = harness(cfg)
    const rotated = secretToken(32)
    let maskedWhenPublished = false
    h.publishRefreshToken.mockImplementation((token) => {
      maskedWhenPublished = h.masked.includes(token)
    })
    const seen = fakeVcfa(cfg, {
      token: () => [200, tokenAnswer({ refresh_token: rotated }).body],
      session: () => [401, { message: 'expired' }],
    })
    const error = await rejectionOf(exchangeAndHandOn(vcfa, h.context))
    expect(error.message).toContain('VCF Automation session check with the new access token failed: HTTP 401')
    expect(error.message).toContain('does not accept the new access token')
    expect(h.publishRefreshToken).toHaveBeenCalledExactlyOnceWith(rotated)
    expect(maskedWhenPublished).toBe(true)
    // The failed step ends the session it opened, once (as vcd does).
    expect(seen.logout).toHaveLength(1)
  })

  it('is published before a failed version lookup fails the step', async () => {
    const cfg = vcfaConfig({ maxAttempts: 2 })
    const h = harness(cfg)
    const rotated = secretToken(32)
    fakeVcfa(cfg, { token: () => [200, tokenAnswer({ refresh_token: rotated }).body], versions: () => [503, 'down'] })
    const error = await rejectionOf(vcfa.exchange(h.context))
    expect(error.message).toContain('VCF Automation version lookup failed: HTTP 503')
    expect(h.publishRefreshToken).toHaveBeenCalledWith(rotated)
  })

  it('is published from a cut 200 body that does not parse, which is never quoted', async () => {
    const cfg = vcfaConfig()
    const h = harness(cfg)
    const rotated = secretToken(32)
    const accessToken = secretToken(64)
    fakeVcfa(cfg, { token: () => [200, `{"access_token": "${accessToken}", "refresh_token": "${rotated}", "expires_in": 36`] })
    const error = await rejectionOf(vcfa.exchange(h.context))
    expect(error.message).toContain('JSON that does not parse')
    expect(h.publishRefreshToken).toHaveBeenCalledWith(rotated)
    expect(h.masked).toEqual(expect.arrayContaining([rotated, accessToken]))
    expect(leakedPieces(error.message, accessToken, 6)).toEqual([])
  })

  it.each([['absent'], ['null'], ['empty'], ['the same']])('is not published when %s', async (kind) => {
    const cfg = vcfaConfig()
    const h = harness(cfg)
    const extra = { absent: {}, null: { refresh_token: null }, empty: { refresh_token: '' }, 'the same': { refresh_token: tokenOf(cfg) } }[
      kind
    ]
    fakeVcfa(cfg, { token: () => [200, tokenAnswer(extra).body] })
    await vcfa.exchange(h.context)
    expect(h.publishRefreshToken).not.toHaveBeenCalled()
  })
})

describe('vcfa: who the token acts for', () => {
  it.each([404, 403])('sessions/current answering %i (a VM Apps org): subject from the JWT, org from the input', async (status) => {
    const cfg = vcfaConfig({ org: 'globex' })
    const h = harness(cfg)
    const { body } = tokenAnswer({}, { preferred_username: 'globex-ops', username: 'other', sub: 'x' })
    fakeVcfa(cfg, { token: () => [200, body], session: () => [status, { message: 'no' }] })
    const result = await vcfa.exchange(h.context)
    expect(result).toMatchObject({ org: 'globex', subject: 'globex-ops', revokeData: { apiVersion: '40.0', session: 'refused' } })
    expect(h.logs.filter((line) => line.level === 'info').map((line) => line.message)).toEqual([
      `VCF Automation does not serve this token's session at ${SESSION_PATH} (HTTP ${status}), as it may not for VM Apps orgs: org comes from the org input, subject from the access token.`,
    ])
  })

  it('takes username, then sub, when the JWT has no preferred_username; the provider org is System', async () => {
    for (const [claims, subject] of [
      [{ username: 'u1', sub: 's1' }, 'u1'],
      [{ sub: 's2' }, 's2'],
      [{}, ''],
    ] as const) {
      nock.cleanAll()
      const cfg = vcfaConfig({ org: '' })
      const h = harness(cfg)
      fakeVcfa(cfg, { token: () => [200, tokenAnswer({}, claims).body], session: () => [404, ''] })
      expect(await vcfa.exchange(h.context)).toMatchObject({ org: 'System', subject })
    }
  })

  it('a session answer without names falls back the same way', async () => {
    const cfg = vcfaConfig()
    const h = harness(cfg)
    fakeVcfa(cfg, { session: () => [200, 'not json'] })
    expect(await vcfa.exchange(h.context)).toMatchObject({ org: 'acme', subject: 'acme-ops', revokeData: { session: 'served' } })
  })

  it('a session lookup failing with 5xx fails the step as busy, and ends the session', async () => {
    const cfg = vcfaConfig({ maxAttempts: 2 })
    const seen = fakeVcfa(cfg, { session: () => [500, { message: 'oops' }] })
    const { error } = await failedExchange(vcfa, cfg)
    expect(seen.session).toHaveLength(2)
    expect(error.message).toContain('session check with the new access token failed: HTTP 500')
    expect(error.message).toContain('busy or unavailable')
    expect(seen.logout).toHaveLength(1)
  })

  it('a Cloud Director 10.x (API below 40): a notice, the rotated token out; the token is used', async () => {
    const cfg = vcfaConfig()
    const h = harness(cfg)
    const rotated = secretToken(32)
    const seen = fakeVcfa(cfg, {
      token: () => [200, tokenAnswer({ refresh_token: rotated }).body],
      versions: () => [200, versions(['37.2', '38.1'])],
    })
    const result = await vcfa.exchange(h.context)
    const notice =
      'vcfa.example.com lists API versions up to 38.1: that is a Cloud Director 10.x, not VCF Automation 9 (API 40.0 and later). ' +
      'The token works; set provider: vcd for a Cloud Director.'
    expect(result).toMatchObject({ outputs: { 'api-version': '38.1' }, notices: [notice], org: 'acme' })
    // Returned for the core to print (after the exchange, so after the rotated token is out).
    expect(h.logs.filter((line) => line.level === 'warning')).toEqual([])
    expect(h.publishRefreshToken).toHaveBeenCalledWith(rotated)
    expect(seen.session[0].headers.accept).toBe('application/json;version=38.1')
    expect(seen.logout).toEqual([])
  })

  it('below API 34 there is no sessions/current to ask', async () => {
    const cfg = vcfaConfig()
    const h = harness(cfg)
    const seen = fakeVcfa(cfg, { versions: () => [200, versions(['33.0'])] })
    expect(await vcfa.exchange(h.context)).toMatchObject({ subject: 'acme-ops', revokeData: { apiVersion: '33.0', session: 'served' } })
    expect(seen.session).toEqual([])
  })
})

describe('vcfa: revoke', () => {
  const contextOf = (data: Record<string, string>) => revokeContext(VCFA, data).context
  const logoutAnswering = (reply: Reply) => onLogout(VCFA, reply)
  const revoke = vcfa.revoke!

  it('logs out with DELETE sessions/current, the access token and the saved version', async () => {
    const context = contextOf({ apiVersion: '40.0', session: 'served' })
    const seen = logoutAnswering([204])
    expect(await revoke(context)).toBe('Logged out of VCF Automation: the access token is revoked.')
    expect(seen[0].headers).toMatchObject({ accept: 'application/json;version=40.0', authorization: `Bearer ${context.accessToken}` })
    expect(seen[0].url.search).toBe('')
  })

  it.each([
    [401, 'served'],
    [404, 'served'],
    [401, 'refused'],
  ])('HTTP %i for a session the lookup %s: already gone', async (status, session) => {
    logoutAnswering([status, { message: 'gone' }])
    expect(await revoke(contextOf({ apiVersion: '40.0', session }))).toBe(
      `The VCF Automation session was already gone (HTTP ${status}): nothing left to revoke.`,
    )
  })

  it('HTTP 404 for a session the lookup was refused: not served, so not ended', async () => {
    logoutAnswering([404, { minorErrorCode: 'NOT_FOUND', message: 'Not Found' }])
    const error = await rejectionOf(revoke(contextOf({ apiVersion: '40.0', session: 'refused' })))
    expect(error.message).toBe(
      `VCF Automation logout failed: HTTP 404 Not Found: NOT_FOUND: Not Found (1 try). VCF Automation does not serve this token's session at ${SESSION_PATH} ` +
        '(its lookup in the main step was refused too), as it may not for VM Apps orgs. For an org whose sessions cannot be logged out, revoke: false skips the logout.',
    )
  })

  it('HTTP 403: the session lives on, and the warning says why it may', async () => {
    logoutAnswering([403, { minorErrorCode: 'ACCESS_TO_RESOURCE_IS_FORBIDDEN', message: 'Forbidden' }])
    const error = await rejectionOf(revoke(contextOf({ apiVersion: '40.0', session: 'served' })))
    expect(error.message).toBe(
      'VCF Automation logout failed: HTTP 403 Forbidden: ACCESS_TO_RESOURCE_IS_FORBIDDEN: Forbidden (1 try). VCF Automation did not let this token end its session ' +
        `(VM Apps orgs may not be served by ${SESSION_PATH}). For an org whose sessions cannot be logged out, revoke: false skips the logout.`,
    )
  })

  it.each([
    { apiVersion: '40.0', session: 'yes' },
    { apiVersion: '40.0; x', session: 'served' },
  ])('refuses saved data %j, sending nothing', async (data) => {
    const seen = logoutAnswering([204])
    expect(await rejectionOf(revoke(contextOf(data)))).toBeInstanceOf(UntrustedStateError)
    expect(seen).toEqual([])
  })
})
