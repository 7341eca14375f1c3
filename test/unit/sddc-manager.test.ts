/** SDDC Manager: the token pair from a password or an API key, its refusals, odd answers and the url/org inputs. */
import { randomUUID } from 'node:crypto'
import nock from 'nock'
import { describe, expect, it } from 'vitest'
import type { Config, CredentialOf } from '../../src/config.ts'
import { InputError, ProviderError } from '../../src/errors.ts'
import { exchangeAndHandOn } from '../../src/issue.ts'
import { DOCUMENTED_LIFETIME_SECONDS, sddcManager } from '../../src/providers/sddc-manager.ts'
import { describeError } from '../../src/secrets.ts'
import { leakedPieces } from './fake-core.ts'
import { failure, ok } from './inputs-support.ts'
import { harness, jwt, recorder, rejectionOf, secretToken, type Reply, type Seen } from './helpers.ts'
import {
  expectCredentialPost,
  failedOnce,
  itPassesANetworkFailureOn,
  itSaysAnHtmlPageCameBack,
  itSaysBusyAfterEveryTry,
  itTakesProxyPagesRedirectsAnd429s,
  onPost,
  passwordConfig,
  registryEntry,
} from './provider-kit.ts'

type Sddc = CredentialOf<'password' | 'api-token'>

const SDDC = 'https://sddc-manager.example.com'
const TOKENS = '/v1/tokens'
const REVOKE = '/v1/tokens/refresh-token'
const USER = 'svc-ci@vsphere.local'
const ASSUMED = 'assuming the documented 1 hour, so expires-at is an estimate: the token may end sooner.'
const LOCKOUT =
  'Do not run the job again until they are fixed: each wrong password counts toward locking the account ' +
  '(vCenter Single Sign-On locks it after a few, Broadcom KB 326186).'

function sddcConfig(overrides: Partial<Config<Sddc>> = {}): Config<Sddc> {
  return passwordConfig<Sddc>('sddc-manager', SDDC, USER, overrides)
}

/** The exchange as the kit's shared tests take it. */
const EXCHANGE = { provider: sddcManager, config: sddcConfig, origin: SDDC, path: TOKENS, success, title: 'SDDC Manager' }

const apiKeyConfig = (overrides: Partial<Config<Sddc>> = {}): Config<Sddc> =>
  sddcConfig({ credential: { kind: 'api-token', token: secretToken(32) }, ...overrides })

const nowSeconds = (): number => Math.floor(Date.now() / 1000)

/** The claims of the Tokens guide's example access token, for a user name. */
function claims(subject = USER, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = nowSeconds()
  return { jti: randomUUID(), iat, sub: subject, iss: 'vcf-auth', aud: 'sddc-services', nbf: iat, exp: iat + 3600, user: subject, ...extra }
}

function pair(tokenClaims: Record<string, unknown> = claims()) {
  const accessToken = jwt(tokenClaims)
  const id = randomUUID()
  return { accessToken, id, body: { accessToken, refreshToken: { id } } }
}

/** A successful answer of the credential's route, and the access token in it. */
function success(): { accessToken: string; reply: Reply } {
  const { accessToken, body } = pair()
  return { accessToken, reply: [201, body] }
}

const onTokens = (seen: Seen[], reply: (request: Seen) => Reply | Promise<Reply>, times = 1) => onPost(SDDC, TOKENS, seen, reply, times)

/** The revocation of a pair issued to a step that then failed: recorded, answered 204. */
function onRevoke(seen: Seen[]) {
  return nock(SDDC)
    .delete(REVOKE)
    .optionally()
    .times(4)
    .reply(recorder(seen, () => [204]))
}

describe('sddc-manager: the token pair', () => {
  it('posts the user name and password in a JSON body to /v1/tokens, and reads the pair', async () => {
    const cfg = sddcConfig()
    const h = harness(cfg)
    const seen: Seen[] = []
    const { accessToken, id, body } = pair()
    onTokens(seen, () => [201, body])
    const result = await sddcManager.exchange(h.context)

    expect(seen).toHaveLength(1)
    expectCredentialPost(seen[0], 'application/json')
    expect(seen[0].url.href).toBe(`${SDDC}${TOKENS}`)
    const { username, password } = cfg.credential as CredentialOf<'password'>
    expect(seen[0].body).toBe(JSON.stringify({ username, password }))

    expect(result).toEqual({
      accessToken,
      tokenType: 'Bearer',
      expiresIn: expect.any(Number),
      org: '',
      subject: USER,
      summaryRows: [['Revoke covers', 'the refresh token only: the access token cannot be revoked and lives until it expires']],
      notices: [],
      revokeData: { refreshTokenId: id },
    })
    expect(result.expiresIn).toBeGreaterThan(3590)
    expect(result.expiresIn).toBeLessThanOrEqual(3600)
    // The password first (the harness), then both tokens of the pair, before any check.
    expect(h.masked).toEqual([password, accessToken, id])
    expect(h.logs.filter((line) => line.level !== 'debug')).toEqual([])
  })

  it("sends an API key as {apiKey}; the subject is the token's sub, or empty", async () => {
    const cfg = apiKeyConfig()
    const h = harness(cfg)
    const seen: Seen[] = []
    onTokens(seen, () => [201, pair(claims('svc-automation')).body])
    expect((await sddcManager.exchange(h.context)).subject).toBe('svc-automation')
    expect(seen[0].body).toBe(JSON.stringify({ apiKey: (cfg.credential as CredentialOf<'api-token'>).token }))
    onTokens(seen, () => [201, pair(claims('', { sub: undefined })).body])
    expect((await sddcManager.exchange(h.context)).subject).toBe('')
  })

  it.each([200, 201, 202])('takes HTTP %i with a token pair (the specs say 201, the guide shows 200)', async (status) => {
    const h = harness(sddcConfig())
    const { accessToken } = pair()
    onTokens([], () => [status, { accessToken, refreshToken: { id: randomUUID() } }])
    expect((await sddcManager.exchange(h.context)).accessToken).toBe(accessToken)
  })

  it('uses the root of the url, with its port', async () => {
    const h = harness(sddcConfig({ baseUrl: 'https://sddc-manager.example.com:8443' }))
    const seen: Seen[] = []
    nock('https://sddc-manager.example.com:8443')
      .post(TOKENS)
      .reply(recorder(seen, () => [201, pair().body]))
    await sddcManager.exchange(h.context)
    expect(seen.map((request) => request.url.href)).toEqual([`https://sddc-manager.example.com:8443${TOKENS}`])
  })

  it('takes a password (first) or an API key, and revokes (the refresh token)', () => {
    expect(registryEntry(sddcManager)).toEqual({
      credentials: ['password', 'api-token'],
      defaultUrl: undefined,
      revokes: true,
      cannotRevoke: undefined,
    })
    expect(DOCUMENTED_LIFETIME_SECONDS).toBe(3600)
  })
})

describe('sddc-manager: the lifetime, from the JWT', () => {
  it.each([
    ['no exp claim', pair(claims(USER, { exp: undefined })).accessToken, 'has no usable expiry claim (exp)'],
    ['a token that is no JWT', secretToken(48), 'is not a JWT, so it does not say when it expires'],
  ])('%s: the documented hour, with a warning that says so', async (_name, accessToken, why) => {
    const h = harness(sddcConfig())
    onTokens([], () => [201, { accessToken, refreshToken: { id: randomUUID() } }])
    const result = await sddcManager.exchange(h.context)
    expect(result.expiresIn).toBe(3600)
    expect(result.notices).toEqual([`The SDDC Manager access token ${why}; ${ASSUMED}`])
    expect(h.masked).toContain(accessToken)
  })

  it('an exp already past fails the step, and the new refresh token is revoked at once, with one try', async () => {
    const h = harness(sddcConfig({ maxAttempts: 3 }))
    const exp = nowSeconds() - 60
    const { accessToken, id, body } = pair(claims(USER, { exp }))
    onTokens([], () => [201, body])
    const revoked: Seen[] = []
    nock(SDDC)
      .delete(REVOKE)
      .times(3)
      .optionally()
      .reply(recorder(revoked, () => [503]))
    const error = await rejectionOf(exchangeAndHandOn(sddcManager, h.context))
    expect(error).toBeInstanceOf(ProviderError)
    expect(error.message).toBe(
      `The access token SDDC Manager issued expired at ${new Date(exp * 1000).toISOString()} (its exp claim), by this runner's clock. ` +
        "Check the appliance's clock (NTP): a clock that is hours behind issues tokens that are already expired.",
    )
    expect(revoked.map((request) => [request.body, request.headers.authorization])).toEqual([[JSON.stringify(id), `Bearer ${accessToken}`]])
    expect(
      h.logs.some(
        (line) =>
          line.level === 'debug' &&
          line.message.includes(
            'the step failed after the token was issued, and ending it failed too: SDDC Manager refresh token revocation failed',
          ),
      ),
    ).toBe(true)
  })

  it('an exp over ten years away fails the step, the refresh token revoked', async () => {
    const h = harness(sddcConfig())
    const { id, body } = pair(claims(USER, { exp: nowSeconds() + 315_360_000 + 60 }))
    onTokens([], () => [201, body])
    const revoked: Seen[] = []
    onRevoke(revoked)
    expect((await rejectionOf(exchangeAndHandOn(sddcManager, h.context))).message).toContain('more than ten years away')
    expect(revoked.map((request) => request.body)).toEqual([JSON.stringify(id)])
    expect(
      h.logs.some((line) => line.message.includes('the step failed after the token was issued: Revoked the SDDC Manager refresh token')),
    ).toBe(true)
  })
})

describe('sddc-manager: odd 2xx answers', () => {
  itSaysAnHtmlPageCameBack(
    EXCHANGE,
    'expected a token pair. Check url: it must be the address of an SDDC Manager appliance (VMware Cloud Foundation 4.x or 5.x).',
  )

  it.each([
    ['no accessToken', (_token: string, id: string) => ({ refreshToken: { id } }), 'without an accessToken; fields present: refreshToken.'],
    ['an empty accessToken', (_token: string, id: string) => ({ accessToken: ' ', refreshToken: { id } }), 'without an accessToken'],
    ['no refreshToken', (token: string) => ({ accessToken: token }), 'without a usable refresh token id (refreshToken.id)'],
    ['a refreshToken that is a string', (token: string, id: string) => ({ accessToken: token, refreshToken: id }), 'without a usable'],
    ['a refresh token id that is a number', (token: string) => ({ accessToken: token, refreshToken: { id: 42 } }), 'without a usable'],
    ['a refresh token id with a quote', (token: string) => ({ accessToken: token, refreshToken: { id: 'abc"defgh' } }), 'without a usable'],
    ['a refresh token id too short', (token: string) => ({ accessToken: token, refreshToken: { id: 'abc' } }), 'without a usable'],
  ])('%s: an error naming the fields, every token masked first', async (_name, answer, message) => {
    const h = harness(sddcConfig())
    const { accessToken, id } = pair()
    onTokens([], () => [201, answer(accessToken, id)])
    const revoked: Seen[] = []
    onRevoke(revoked)
    const error = await rejectionOf(exchangeAndHandOn(sddcManager, h.context))
    expect(error.message).toContain(`SDDC Manager (sddc-manager.example.com) answered HTTP 201 ${message}`)
    for (const secret of [accessToken, id]) expect(leakedPieces(describeError(error, h.secrets), secret)).toEqual([])
    expect(revoked).toEqual([])
  })

  it.each([
    ['junk after the JSON', (json: string) => `${json} trailing junk`],
    ['a body cut inside the refresh token id', (json: string) => json.slice(0, json.indexOf('"id"') + 20)],
    ['a body cut inside the access token', (json: string) => json.slice(0, json.indexOf('"accessToken"') + 60)],
  ])('%s: fails without quoting it, what came of either token masked first', async (_name, mangle) => {
    const h = harness(sddcConfig())
    const accessToken = jwt(claims())
    const id = secretToken(36)
    const mangled = mangle(JSON.stringify({ accessToken, refreshToken: { id } }))
    onTokens([], () => [201, mangled, { 'Content-Type': 'application/json' }])
    const error = await rejectionOf(exchangeAndHandOn(sddcManager, h.context))
    expect(error.message).toMatch(/answered HTTP 201 Created with JSON that does not parse/)
    for (const secret of [accessToken, id]) {
      let length = secret.length
      while (length > 0 && !mangled.includes(secret.slice(0, length))) length--
      if (length >= 8) expect(h.masked.some((value) => value.length >= 8 && secret.startsWith(value))).toBe(true)
      expect(leakedPieces(error.message, secret)).toEqual([])
    }
  })
})

describe('sddc-manager: refusals', () => {
  const sddcError = (message: string, remediationMessage?: string, referenceToken?: string) => ({
    errorCode: 'AUTHENTICATION_FAILED',
    arguments: [],
    context: {},
    message,
    ...(remediationMessage ? { remediationMessage } : {}),
    ...(referenceToken ? { referenceToken } : {}),
    causes: [],
  })
  const PASSWORD_ADVICE = `SDDC Manager refused the user name or password: check username (with its domain, e.g. svc-ci@vsphere.local) and password. ${LOCKOUT}`
  const KEY_ADVICE = 'SDDC Manager refused the API key: check api-token (the API key of an SDDC Manager automation account).'
  const CHECK_URL = 'Check url: it must be the address of an SDDC Manager appliance (VMware Cloud Foundation 4.x or 5.x).'

  it.each([
    ['password', 400, 'Bad Request', PASSWORD_ADVICE],
    ['password', 401, 'Unauthorized', PASSWORD_ADVICE],
    ['api-token', 400, 'Bad Request', KEY_ADVICE],
    ['api-token', 401, 'Unauthorized', KEY_ADVICE],
    [
      'password',
      403,
      'Forbidden',
      'SDDC Manager refused the user (its message says why): check that it has a role in SDDC Manager (ADMIN, OPERATOR or VIEWER) and is not locked.',
    ],
    [
      'api-token',
      403,
      'Forbidden',
      'SDDC Manager refused the automation account (its message says why): check that it has a role in SDDC Manager (ADMIN, OPERATOR or VIEWER) and is not locked.',
    ],
    ['password', 404, 'Not Found', `There is no /v1/tokens at this address. ${CHECK_URL}`],
    ['password', 409, 'Conflict', 'Check url and username and password.'],
    ['api-token', 409, 'Conflict', 'Check url and api-token.'],
  ])('%s, HTTP %i: quotes message and remediationMessage, names the inputs, and sends it once', async (kind, status, text, advice) => {
    const cfg = kind === 'password' ? sddcConfig({ maxAttempts: 4 }) : apiKeyConfig({ maxAttempts: 4 })
    const { error, seen, h } = await failedOnce(
      EXCHANGE,
      [status, sddcError('Invalid credentials.', 'Check the credentials and try again.')],
      cfg,
    )
    expect(seen).toHaveLength(1)
    expect(h.sleeps).toEqual([])
    expect(error).toBeInstanceOf(ProviderError)
    expect(error.message).toBe(
      `SDDC Manager token request failed: HTTP ${status} ${text}: Invalid credentials. Check the credentials and try again. (1 try). ${advice}`,
    )
  })

  it('quotes a message alone, names the reference token, and falls back to the usual fields', async () => {
    const alone = await failedOnce(EXCHANGE, [401, sddcError('Bad credentials')])
    expect(alone.error.message).toContain('failed: HTTP 401 Unauthorized: Bad credentials (1 try).')
    const referenced = await failedOnce(EXCHANGE, [400, sddcError('Login failed.', undefined, 'QX4C2B')])
    expect(referenced.error.message).toContain(
      'HTTP 400 Bad Request: Login failed. (reference token QX4C2B in the SDDC Manager logs) (1 try).',
    )
    const remedyOnly = await failedOnce(EXCHANGE, [400, { remediationMessage: 'Retry with valid input.' }])
    expect(remedyOnly.error.message).toContain('HTTP 400 Bad Request: Retry with valid input. (1 try).')
    const other = await failedOnce(EXCHANGE, [401, { error: 'unauthorized' }])
    expect(other.error.message).toContain('HTTP 401 Unauthorized: unauthorized (1 try).')
  })

  it('redacts a password or an API key the message echoes', async () => {
    const password = sddcConfig({ credential: { kind: 'password', username: USER, password: secretToken(20) } })
    const { password: secret } = password.credential as CredentialOf<'password'>
    const echoed = await failedOnce(EXCHANGE, [400, sddcError(`Invalid password ${secret} for ${USER}`)], password)
    expect(leakedPieces(echoed.printed, secret, 4)).toEqual([])
    expect(echoed.printed).toContain(`Invalid password *** for ${USER}`)
    const key = apiKeyConfig()
    const { token } = key.credential as CredentialOf<'api-token'>
    const keyEcho = await failedOnce(EXCHANGE, [401, sddcError(`API key ${token} is not valid.`)], key)
    expect(leakedPieces(keyEcho.printed, token, 4)).toEqual([])
    expect(keyEcho.printed).toContain('API key *** is not valid.')
  })

  itTakesProxyPagesRedirectsAnd429s(EXCHANGE, [429, sddcError('Too many requests')])

  itSaysBusyAfterEveryTry(EXCHANGE, (status) => [status, sddcError('try later')], 'try later', 'password')
  itPassesANetworkFailureOn(EXCHANGE)
})

describe('readInputs: sddc-manager', () => {
  const sddc = (extra: Record<string, string>) => ({ provider: 'sddc-manager', username: USER, password: secretToken(20), ...extra })

  it.each([
    ['https://sddc-manager.example.com', 'https://sddc-manager.example.com'],
    ['https://sddc-manager.example.com/ui/sddc-manager/inventory/domains', 'https://sddc-manager.example.com'],
    ['https://SDDC-Manager.example.com:8443/v1/domains', 'https://sddc-manager.example.com:8443'],
    ['https://sddc-manager.example.com/v1/tokens/', 'https://sddc-manager.example.com'],
    ['http://127.0.0.1:9443/ui/', 'http://127.0.0.1:9443'],
  ])('the root of %s is %s', async (url, baseUrl) => {
    expect(await ok(sddc({ url }))).toMatchObject({ provider: 'sddc-manager', baseUrl, org: '' })
    expect(sddcManager.resolveUrl(new URL(url))).toEqual({ baseUrl, orgFromUrl: '' })
  })

  it('takes a password or an API key, never both; refuses org and auth-source', async () => {
    const url = 'https://sddc-manager.example.com'
    expect((await ok(sddc({ url }))).credential).toMatchObject({ kind: 'password', username: USER })
    expect((await ok({ provider: 'sddc-manager', url, 'api-token': secretToken(32) })).credential.kind).toBe('api-token')
    expect((await failure(sddc({ url, 'api-token': secretToken(32) }))).message).toMatch(
      /^Input 'api-token': give either username and password, or api-token, not both/,
    )
    expect((await failure({ provider: 'sddc-manager', url })).message).toMatch(
      /^Input 'username': is required with password \(or api-token instead\): the name and password of a vCenter Single Sign-On .*secrets\.SDDC_MANAGER_PASSWORD/,
    )
    const org = await failure(sddc({ url, org: 'acme' }))
    expect([org.input, org.message]).toEqual([
      'org',
      "Input 'org': is not used by provider sddc-manager: SDDC Manager has no organizations. Remove org.",
    ])
    expect((await failure(sddc({ url, 'auth-source': 'corp.example' }))).input).toBe('auth-source')
    expect(() => sddcManager.parseOrg('System')).toThrow(InputError)
    expect(sddcManager.parseOrg('')).toBe('')
  })
})
