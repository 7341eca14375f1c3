/** Aria Automation with a user's name and password: the Identity Service login that makes an API token, then the usual exchange. */
import nock from 'nock'
import { describe, expect, it } from 'vitest'
import type { Config } from '../../src/config.ts'
import { ProviderError } from '../../src/errors.ts'
import { ariaAutomation } from '../../src/providers/aria-automation.ts'
import { describeError } from '../../src/secrets.ts'
import { leakedPieces } from './fake-core.ts'
import { harness, jwt, ORG_ID, recorder, rejectionOf, secretToken, type Reply, type Seen } from './helpers.ts'
import { failure, ok } from './inputs-support.ts'
import { passwordConfig, type Password } from './provider-kit.ts'

const ARIA = 'https://aria.example.com'
const CSP_LOGIN = '/csp/gateway/am/api/login'
const IAAS_LOGIN = '/iaas/api/login'
const LOGIN_ADVICE =
  "Aria Automation refused the login: check username, password and auth-source (the user's domain, or user@domain as username; " +
  'empty for local users). Not retried: repeated failures can lock the account.'
/** The identity service's 400 for a wrong user or password, as users of vRA 8.1 and 8.3 quote it (PowervRA issues 228, 251). */
const WRONG_PASSWORD = {
  timestamp: 1593514789820,
  type: 'CLIENT_ERROR',
  status: '400 BAD_REQUEST',
  error: 'Bad Request',
  serverMessage:
    'REST error received: {\n  "error": "invalid_grant",\n  "error_description": "Invalid username or password"\n}, status code: 400 BAD_REQUEST',
}

function ariaConfig(overrides: Partial<Config<Password>> = {}): Config<Password> {
  return passwordConfig('aria-automation', ARIA, 'ci-bot', overrides)
}

function accessAnswer(claims: Record<string, unknown> = { username: 'ci-bot', context_name: ORG_ID }) {
  const token = jwt({ exp: Math.floor(Date.now() / 1000) + 8 * 3600, ...claims })
  return { token, body: { tokenType: 'Bearer', token } }
}

/** The login answers `login`; /iaas/api/login, when reached, `iaas`. */
function serve(login: (request: Seen) => Reply, iaas: (request: Seen) => Reply = () => [200, accessAnswer().body]) {
  const seen: Seen[] = []
  nock(ARIA).post(CSP_LOGIN).query(true).reply(recorder(seen, login))
  nock(ARIA).post(IAAS_LOGIN).optionally().reply(recorder(seen, iaas))
  return seen
}

describe('aria-automation with a password: the login', () => {
  it('logs in at /csp/gateway/am/api/login?access_token with JSON, then exchanges the API token it made; that token goes nowhere else', async () => {
    const cfg = ariaConfig()
    const h = harness(cfg)
    const refreshToken = secretToken(32)
    const { token, body } = accessAnswer()
    const seen = serve(
      () => [200, { refresh_token: refreshToken }],
      () => [200, body],
    )
    const result = await ariaAutomation.exchange(h.context)

    expect(seen.map((request) => `${request.method} ${request.url.pathname}${request.url.search}`)).toEqual([
      `POST ${CSP_LOGIN}?access_token`,
      `POST ${IAAS_LOGIN}`,
    ])
    // access_token is a bare flag: nothing after it, no credential in any URL.
    expect(seen[0].url.searchParams.get('access_token')).toBe('')
    expect(JSON.parse(seen[0].body)).toEqual({ username: 'ci-bot', password: cfg.credential.password })
    expect(seen[0].headers).toMatchObject({ 'content-type': 'application/json', accept: 'application/json' })
    expect(seen[0].headers.authorization).toBeUndefined()
    expect(JSON.parse(seen[1].body)).toEqual({ refreshToken })

    expect(result).toMatchObject({ accessToken: token, tokenType: 'Bearer', org: ORG_ID, subject: 'ci-bot', notices: [] })
    expect(h.masked).toEqual([cfg.credential.password, refreshToken, token])
    // The 90-day API token is never an output, a summary row or saved state.
    expect(leakedPieces(JSON.stringify(result), refreshToken)).toEqual([])
  })

  it('sends auth-source as the domain', async () => {
    const h = harness(ariaConfig({ authSource: 'example.local' }))
    const seen = serve(() => [200, { refresh_token: secretToken(32) }])
    await ariaAutomation.exchange(h.context)
    expect(JSON.parse(seen[0].body)).toEqual({
      username: 'ci-bot',
      password: h.context.config.credential.password,
      domain: 'example.local',
    })
  })

  it('masks every token of the login answer, the Csp-Auth-Token header too', async () => {
    const h = harness(ariaConfig())
    const header = jwt({ sub: 'x' })
    const [refreshToken, accessToken, idToken] = [secretToken(32), secretToken(40), secretToken(40)]
    serve(() => [200, { refresh_token: refreshToken, access_token: accessToken, id_token: idToken }, { 'Csp-Auth-Token': header }])
    await ariaAutomation.exchange(h.context)
    expect(h.masked).toEqual(expect.arrayContaining([header, refreshToken, accessToken, idToken]))
  })

  it('the subject falls back to the username when the access token names nobody', async () => {
    const h = harness(ariaConfig())
    serve(
      () => [200, { refresh_token: secretToken(32) }],
      () => [200, accessAnswer({}).body],
    )
    expect(await ariaAutomation.exchange(h.context)).toMatchObject({ subject: 'ci-bot', org: '' })
  })
})

describe('aria-automation with a password: refusals', () => {
  it('a wrong user, password or domain (400): one try, the reason from serverMessage, and advice naming all three inputs', async () => {
    const cfg = ariaConfig({ maxAttempts: 4 })
    const h = harness(cfg)
    const seen = serve(() => [400, WRONG_PASSWORD])
    const error = await rejectionOf(ariaAutomation.exchange(h.context))
    expect(seen).toHaveLength(1)
    expect(h.sleeps).toEqual([])
    expect(error).toBeInstanceOf(ProviderError)
    expect(error.message).toBe(
      `Aria Automation login of ci-bot failed: HTTP 400 Bad Request: Invalid username or password (1 try). ${LOGIN_ADVICE}`,
    )
  })

  it.each([
    [401, { message: 'Unauthorized' }, `HTTP 401 Unauthorized: Unauthorized (1 try). ${LOGIN_ADVICE}`],
    [
      403,
      { message: 'User is locked', serverErrorId: 'e1' },
      'HTTP 403 Forbidden: User is locked (serverErrorId e1) (1 try). Aria Automation refused the user (its message says why): the account may be disabled or locked.',
    ],
    [
      404,
      {},
      'HTTP 404 Not Found: {} (1 try). There is no /csp/gateway/am/api/login at this address. Check url: it must be the address of an Aria Automation 8.x appliance.',
    ],
  ])('HTTP %i: the reason and advice, never retried', async (status, body, message) => {
    const h = harness(ariaConfig({ maxAttempts: 3 }))
    const seen = serve(() => [status, body])
    expect((await rejectionOf(ariaAutomation.exchange(h.context))).message).toBe(`Aria Automation login of ci-bot failed: ${message}`)
    expect(seen).toHaveLength(1)
  })

  it('redacts the password where the identity service echoes it', async () => {
    const cfg = ariaConfig()
    const h = harness(cfg)
    serve(() => [400, { message: `no user for password ${cfg.credential.password}` }])
    const printed = describeError(await rejectionOf(ariaAutomation.exchange(h.context)), h.secrets)
    expect(leakedPieces(printed, cfg.credential.password, 4)).toEqual([])
    expect(printed).toContain('HTTP 400 Bad Request: no user for password ***')
  })

  it('503 on every try: busy, not wrong credentials', async () => {
    const h = harness(ariaConfig({ maxAttempts: 2 }))
    const seen: Seen[] = []
    nock(ARIA)
      .post(CSP_LOGIN)
      .query(true)
      .times(2)
      .reply(recorder(seen, () => [503, { message: 'down' }]))
    const error = await rejectionOf(ariaAutomation.exchange(h.context))
    expect(seen).toHaveLength(2)
    expect(error.message).toMatch(
      /^Aria Automation login of ci-bot failed: HTTP 503 Service Unavailable: down \(2 tries\)\. Aria Automation is busy/,
    )
  })

  it.each([
    [
      'an HTML page',
      '<!doctype html><html><head><title>Sign in</title></head></html>',
      /^Aria Automation \(aria\.example\.com\) answered the login HTTP 200 OK, an HTML page instead of an API answer.*; expected JSON with a refresh_token\. Check url/,
    ],
    [
      'JSON without a refresh_token',
      { cspAuthToken: 'x' },
      /^Aria Automation \(aria\.example\.com\) answered the login with HTTP 200 but no refresh_token; fields present: cspAuthToken\.$/,
    ],
  ])('a 2xx login answer of %s fails the step before any exchange', async (_name, body, message) => {
    const h = harness(ariaConfig())
    const seen = serve(() => [200, body])
    expect((await rejectionOf(ariaAutomation.exchange(h.context))).message).toMatch(message)
    expect(seen).toHaveLength(1)
  })

  it.each([
    [
      400,
      'Aria Automation refused the API token it had just made for ci-bot: check that the user has a role in Cloud Assembly or Service Broker.',
    ],
    [
      403,
      'Aria Automation refused the user the API token belongs to (its message says why): check that the user is active and has a role in Cloud Assembly or Service Broker.',
    ],
  ])('/iaas/api/login refusing the API token just made (HTTP %i) blames the user, not a secret to update', async (status, advice) => {
    const h = harness(ariaConfig())
    serve(
      () => [200, { refresh_token: secretToken(32) }],
      () => [status, { message: 'no' }],
    )
    const error = await rejectionOf(ariaAutomation.exchange(h.context))
    expect(error.message).toMatch(/^Aria Automation token request failed: HTTP 40[03] [\w ]+: no \(1 try\)\. /)
    expect(error.message.endsWith(advice)).toBe(true)
    expect(error.message).not.toMatch(/update the secret/)
  })
})

describe('aria-automation with a password: inputs', () => {
  const aria = (extra: Record<string, string>) => ({ provider: 'aria-automation', url: ARIA, ...extra })

  it('takes username and password, with auth-source as the domain', async () => {
    const password = secretToken(24)
    expect(await ok(aria({ username: 'ci-bot', password, 'auth-source': 'example.local' }))).toMatchObject({
      credential: { kind: 'password', username: 'ci-bot', password },
      authSource: 'example.local',
    })
  })

  it('refuses an API token with a password, and auth-source with an API token', async () => {
    const both = await failure(aria({ 'api-token': secretToken(32), username: 'ci-bot', password: secretToken(24) }))
    expect(both.message).toMatch(
      /^Input 'api-token': give either api-token, or username and password, not both \(api-token, username, password are set\)/,
    )
    const source = await failure(aria({ 'api-token': secretToken(32), 'auth-source': 'example.local' }))
    expect(source.input).toBe('auth-source')
    expect(source.message).toMatch(/goes with username and password \(it is the domain of the user's identity source/)
  })
})
