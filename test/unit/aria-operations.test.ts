/** Aria Operations: the token acquire, its answers and refusals, the release, and the provider's input rules. */
import nock from 'nock'
import { describe, expect, it } from 'vitest'
import type { Config } from '../../src/config.ts'
import { InputError, ProviderError, UntrustedStateError } from '../../src/errors.ts'
import { exchangeAndHandOn } from '../../src/issue.ts'
import { ariaOperations, DOCUMENTED_LIFETIME_SECONDS } from '../../src/providers/aria-operations.ts'
import type { RevokeContext } from '../../src/providers/types.ts'
import { leakedPieces } from './fake-core.ts'
import { harness, recorder, rejectionOf, secretToken, type Reply, type Seen } from './helpers.ts'
import { failure, ok } from './inputs-support.ts'
import {
  failedOnce,
  itPassesANetworkFailureOn,
  itQuotesRefusals,
  itSaysBusyAfterEveryTry,
  itTakesProxyPagesRedirectsAnd429s,
  onPost,
  passwordConfig,
  revokeContext as kitRevokeContext,
  type Password,
} from './provider-kit.ts'

const OPS = 'https://ops.example.com'
const ACQUIRE = '/suite-api/api/auth/token/acquire'
const RELEASE = '/suite-api/api/auth/token/release'
const SIX_HOURS = 6 * 3600
const LOGIN_ADVICE =
  "Aria Operations refused the login: check username, password and auth-source (the auth source's name; empty for local users). " +
  'Not retried: repeated failures can lock the account.'

function opsConfig(overrides: Partial<Config<Password>> = {}): Config<Password> {
  return passwordConfig('aria-operations', OPS, 'ci-deployer', overrides)
}

/** The exchange as the kit's shared tests take it. */
const WHO = 'Aria Operations token request for ci-deployer'
const EXCHANGE = { provider: ariaOperations, config: opsConfig, origin: OPS, path: ACQUIRE, success, who: WHO, title: 'Aria Operations' }

/** A Suite API token: two parts joined by '::', as the guides' example (each part a made-up secret here). */
const opsToken = (): string => `${secretToken(36)}::${secretToken(36)}`

/** The auth-token answer: validity in epoch ms (six hours ahead unless given; undefined leaves it out), expiresAt as text, roles. */
function answer(token = opsToken(), ...validity: unknown[]) {
  const expiry = validity.length ? validity[0] : Date.now() + SIX_HOURS * 1000
  return { token, body: { token, validity: expiry, expiresAt: 'Friday, August 5, 2016 6:22:05 PM UTC', roles: ['Administrator'] } }
}

/** A successful answer of the credential's route, and the access token in it. */
function success(): { accessToken: string; reply: Reply } {
  const { token, body } = answer()
  return { accessToken: token, reply: [200, body] }
}

const onAcquire = (seen: Seen[], reply: (request: Seen) => Reply | Promise<Reply>, times = 1) => onPost(OPS, ACQUIRE, seen, reply, times)

function onRelease(seen: Seen[], reply: (request: Seen) => Reply, times = 1) {
  return nock(OPS).post(RELEASE).times(times).reply(recorder(seen, reply))
}

describe('aria-operations: the acquire', () => {
  it('posts the name and password as JSON, asks for JSON, and reads the answer', async () => {
    const cfg = opsConfig()
    const h = harness(cfg)
    const seen: Seen[] = []
    const validity = Date.now() + SIX_HOURS * 1000
    const { token, body } = answer(undefined, validity)
    onAcquire(seen, () => [200, body])
    const before = Date.now()
    const result = await ariaOperations.exchange(h.context)
    const after = Date.now()

    expect(seen).toHaveLength(1)
    expect(seen[0].method).toBe('POST')
    expect(seen[0].url.href).toBe(`${OPS}${ACQUIRE}`)
    // authSource left out for a local user; nothing of the credential anywhere but the body.
    expect(JSON.parse(seen[0].body)).toEqual({ username: 'ci-deployer', password: cfg.credential.password })
    expect(seen[0].headers).toMatchObject({ 'content-type': 'application/json', accept: 'application/json' })
    expect(seen[0].headers.authorization).toBeUndefined()

    expect(result).toEqual({
      accessToken: token,
      tokenType: 'OpsToken',
      expiresIn: result.expiresIn,
      org: '',
      subject: 'ci-deployer',
      summaryRows: [['Lifetime', 'extended by use: to 6 hours after the last API call']],
      notices: [],
    })
    expect(result.expiresIn).toBeGreaterThanOrEqual(Math.floor((validity - after) / 1000))
    expect(result.expiresIn).toBeLessThanOrEqual(Math.floor((validity - before) / 1000))
    expect(h.masked).toEqual([cfg.credential.password, token])
    expect(h.logs.filter((line) => line.level !== 'debug')).toEqual([])
  })

  it('sends auth-source as authSource, as given', async () => {
    const h = harness(opsConfig({ authSource: 'Corp LDAP' }))
    const seen: Seen[] = []
    onAcquire(seen, () => [200, answer().body])
    await ariaOperations.exchange(h.context)
    expect(JSON.parse(seen[0].body)).toMatchObject({ username: 'ci-deployer', authSource: 'Corp LDAP' })
  })

  it('takes a validity sent as a string of digits', async () => {
    const h = harness(opsConfig())
    onAcquire([], () => [200, answer(undefined, String(Date.now() + 3600_000)).body])
    const { expiresIn } = await ariaOperations.exchange(h.context)
    expect(expiresIn).toBeGreaterThan(3590)
    expect(expiresIn).toBeLessThanOrEqual(3600)
  })

  it.each([
    ['no validity', undefined],
    ['a validity that is no number', 'tomorrow'],
    ['a validity of 0', 0],
    ['a negative validity', -5],
  ])('%s: the documented 6 hours, with a notice that says so', async (_name, validity) => {
    const h = harness(opsConfig())
    onAcquire([], () => [200, answer(undefined, validity).body])
    const result = await ariaOperations.exchange(h.context)
    expect(DOCUMENTED_LIFETIME_SECONDS).toBe(SIX_HOURS)
    expect(result.expiresIn).toBe(SIX_HOURS)
    expect(result.notices).toEqual([
      'Aria Operations did not say when the token expires (no usable validity); assuming the documented 6 hours.',
    ])
  })

  it.each([
    ['an hour ago', -3600_000, /expired at .* \(its validity\), by this runner's clock\. Check the appliance's clock \(NTP\)/],
    ['eleven years away', 11 * 365 * 86_400_000, /\(its validity\), more than ten years away; the token's lifetime is unknown/],
  ])('a validity of %s fails the step and releases the token at once', async (_name, offset, message) => {
    const h = harness(opsConfig())
    const { token, body } = answer(undefined, Date.now() + offset)
    onAcquire([], () => [200, body])
    const released: Seen[] = []
    onRelease(released, () => [200])
    const error = await rejectionOf(exchangeAndHandOn(ariaOperations, h.context))
    expect(error).toBeInstanceOf(ProviderError)
    expect(error.message).toMatch(/^The token Aria Operations issued (expired|expires) at /)
    expect(error.message).toMatch(message)
    expect(h.masked).toContain(token)
    expect(released.map((request) => request.headers.authorization)).toEqual([`OpsToken ${token}`])
    expect(h.logs.map((line) => line.message)).toContain(
      'the step failed after the token was issued: Released the Aria Operations token: it no longer works.',
    )
  })

  it('a release that fails after a refused answer is logged, and the step fails for its own reason', async () => {
    const h = harness(opsConfig())
    onAcquire([], () => [200, answer(undefined, Date.now() - 1000).body])
    const released: Seen[] = []
    onRelease(released, () => [500, { message: 'down', httpStatusCode: 500 }], 3)
    const error = await rejectionOf(exchangeAndHandOn(ariaOperations, h.context))
    expect(error.message).toMatch(/expired at/)
    // One try only: the step is failing anyway.
    expect(released).toHaveLength(1)
    expect(h.logs.map((line) => line.message).join('\n')).toMatch(
      /the step failed after the token was issued, and ending it failed too: .*HTTP 500/,
    )
  })
})

describe('aria-operations: refusals of the acquire', () => {
  itQuotesRefusals(
    EXCHANGE,
    [
      [400, 'Bad Request', 'username and password are required', LOGIN_ADVICE],
      [401, 'Unauthorized', 'Authentication failed', LOGIN_ADVICE],
      [
        403,
        'Forbidden',
        'User is locked',
        'Aria Operations refused the user (its message says why): the account may be disabled or locked.',
      ],
      [
        404,
        'Not Found',
        'Not found',
        'There is no /suite-api/api/auth/token/acquire at this address (no /suite-api). Check url: it must be the address of an Aria Operations (vRealize Operations) 8.x appliance.',
      ],
      [415, 'Unsupported Media Type', 'Unsupported Media Type', 'Check url, username, password and auth-source.'],
    ],
    (status, message) => [status, { message, httpStatusCode: status }],
  )

  it('a 401 with an empty body still names username, password and auth-source', async () => {
    const { error, seen } = await failedOnce(EXCHANGE, [401, ''])
    expect(seen).toHaveLength(1)
    expect(error.message).toBe(
      `Aria Operations token request for ci-deployer failed: HTTP 401 Unauthorized, empty body (1 try). ${LOGIN_ADVICE}`,
    )
  })

  it('redacts the password where an answer echoes it', async () => {
    const cfg = opsConfig()
    const { printed } = await failedOnce(EXCHANGE, [401, { message: `Bad password ${cfg.credential.password} for ci-deployer` }], cfg)
    expect(leakedPieces(printed, cfg.credential.password, 4)).toEqual([])
    expect(printed).toContain('HTTP 401 Unauthorized: Bad password *** for ci-deployer')
  })

  itTakesProxyPagesRedirectsAnd429s(EXCHANGE, [429, { message: 'Too many requests' }, { 'Retry-After': '1' }])

  itSaysBusyAfterEveryTry(EXCHANGE, (status) => [status, { message: 'try later', httpStatusCode: status }], 'try later', 'password')
  itPassesANetworkFailureOn(EXCHANGE)
})

describe('aria-operations: odd 2xx answers', () => {
  it('XML (the Accept header lost on the way): the token masked and released, the body never quoted', async () => {
    const h = harness(opsConfig())
    const token = opsToken()
    const xml =
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><ops:auth-token xmlns:ops="http://webservice.vmware.com/vRealizeOpsMgr/1.0/">' +
      `<ops:token>${token}</ops:token><ops:validity>1470421325035</ops:validity></ops:auth-token>`
    onAcquire([], () => [200, xml, { 'Content-Type': 'application/xml' }])
    const released: Seen[] = []
    onRelease(released, () => [200])
    const error = await rejectionOf(exchangeAndHandOn(ariaOperations, h.context))
    expect(error.message).toBe(
      `Aria Operations (ops.example.com) answered HTTP 200 OK with a body that is not JSON (${xml.length} bytes); expected a JSON answer with a token. ` +
        'Check url: it must be the address of an Aria Operations (vRealize Operations) 8.x appliance.',
    )
    expect(h.masked).toContain(token)
    expect(released.map((request) => request.headers.authorization)).toEqual([`OpsToken ${token}`])
  })

  it('names the fields of an answer without a token, never their values; nothing to release', async () => {
    const h = harness(opsConfig())
    for (const body of [{ validity: 1, roles: [] }, { token: '  ' }, { token: 42 }]) {
      onAcquire([], () => [200, body])
      const error = await rejectionOf(exchangeAndHandOn(ariaOperations, h.context))
      expect(error.message).toMatch(
        /^Aria Operations \(ops\.example\.com\) answered HTTP 200 without a token; fields present: (validity, roles|token)\.$/,
      )
    }
  })

  it.each([
    ['an HTML page', () => '<!doctype html><html><head><title>Sign in</title></head></html>', /an HTML page instead of an API answer/],
    ['a body cut inside the token', (token: string) => `{"token": "${token.slice(0, 30)}`, /JSON that does not parse/],
  ])('fails on %s without quoting it, what came of a token masked first', async (_name, make, message) => {
    const h = harness(opsConfig())
    const token = opsToken()
    onAcquire([], () => [200, make(token)])
    const error = await rejectionOf(exchangeAndHandOn(ariaOperations, h.context))
    expect(error.message).toMatch(message)
    expect(leakedPieces(error.message, token)).toEqual([])
  })
})

describe('aria-operations: the release in the post step', () => {
  /** The kit's revoke context, with a token of Aria Operations' own shape. */
  function revokeContext(data: Record<string, string> = {}): RevokeContext {
    return { ...kitRevokeContext(OPS, data).context, accessToken: opsToken() }
  }
  const revoke = ariaOperations.revoke!

  it.each([200, 204])('posts release with OpsToken and no body; %i is released', async (status) => {
    const context = revokeContext()
    const seen: Seen[] = []
    onRelease(seen, () => [status])
    expect(await revoke(context)).toBe('Released the Aria Operations token: it no longer works.')
    expect(seen).toHaveLength(1)
    expect(seen[0].url.href).toBe(`${OPS}${RELEASE}`)
    expect(seen[0].body).toBe('')
    expect(seen[0].headers).toMatchObject({ authorization: `OpsToken ${context.accessToken}`, accept: 'application/json' })
  })

  it('a 401 is tried once more in the older vRealizeOpsToken form: a build that knows only that one releases it', async () => {
    const context = revokeContext()
    const seen: Seen[] = []
    onRelease(seen, (request) => (request.headers.authorization.startsWith('OpsToken ') ? [401, { httpStatusCode: 401 }] : [200]), 2)
    expect(await revoke(context)).toBe('Released the Aria Operations token (in the older vRealizeOpsToken form): it no longer works.')
    expect(seen.map((request) => request.headers.authorization)).toEqual([
      `OpsToken ${context.accessToken}`,
      `vRealizeOpsToken ${context.accessToken}`,
    ])
  })

  it('401 in both forms: already released or expired, which is success', async () => {
    const context = revokeContext()
    const seen: Seen[] = []
    const expired = 'The provided token for auth scheme "vRealizeOpsToken" is either invalid or has expired.'
    onRelease(seen, () => [401, { message: expired, httpStatusCode: 401, apiErrorCode: 1512 }], 2)
    expect(await revoke(context)).toBe('The Aria Operations token was already released or expired (HTTP 401): nothing left to revoke.')
    expect(seen).toHaveLength(2)
  })

  it.each([
    [403, 1, /HTTP 403 Forbidden: no \(1 try\)/],
    [500, 2, /HTTP 500 Internal Server Error: no \(2 tries\)\. Aria Operations is busy or unavailable/],
  ])('HTTP %i fails the release with the reason and the tries', async (status, tries, message) => {
    const context = revokeContext()
    const seen: Seen[] = []
    onRelease(seen, () => [status, { message: 'no', httpStatusCode: status }], 2)
    const error = await rejectionOf(revoke(context))
    expect(error.message).toMatch(/^Aria Operations token release failed: /)
    expect(error.message).toMatch(message)
    expect(seen).toHaveLength(tries)
  })

  it('refuses saved data it never writes, sending nothing', async () => {
    const error = await rejectionOf(revoke(revokeContext({ apiVersion: '38.1' })))
    expect(error).toBeInstanceOf(UntrustedStateError)
    expect(nock.pendingMocks()).toEqual([])
  })
})

describe('aria-operations: inputs', () => {
  const ops = (extra: Record<string, string>) => ({
    provider: 'aria-operations',
    url: OPS,
    username: 'ci-deployer',
    password: secretToken(24),
    ...extra,
  })

  it.each([
    ['https://ops.example.com/ui/index.action#/dashboards', 'https://ops.example.com'],
    ['https://ops.example.com/suite-api/api/resources', 'https://ops.example.com'],
    ['https://OPS.example.com:8443/suite-api/', 'https://ops.example.com:8443'],
    ['http://127.0.0.1:9443/ui/', 'http://127.0.0.1:9443'],
  ])('the root of %s is %s', async (url, baseUrl) => {
    expect(await ok(ops({ url }))).toMatchObject({ provider: 'aria-operations', baseUrl, org: '', authSource: '' })
  })

  it.each([
    ['a line break', 'Corp\nLDAP'],
    ['over 256 characters', 'x'.repeat(257)],
  ])('refuses an auth-source with %s, naming it', async (_, source) => {
    const error = await failure(ops({ 'auth-source': source }))
    expect(error.input).toBe('auth-source')
    expect(error.message).toMatch(/is not an identity source name: printable characters on one line, at most 256\.$/)
  })

  it('takes auth-source with the password, refuses org and api-token, and requires both username and password', async () => {
    expect((await ok(ops({ 'auth-source': 'Corp LDAP' }))).authSource).toBe('Corp LDAP')
    expect((await failure(ops({ org: 'acme' }))).message).toBe(
      "Input 'org': is not used by provider aria-operations: Aria Operations has no organizations. Remove org.",
    )
    expect((await failure(ops({ 'api-token': secretToken(32) }))).message).toMatch(
      /^Input 'api-token': api-token is not used by provider aria-operations \(VMware Aria Operations\), which takes username and password/,
    )
    expect((await failure(ops({ username: '' }))).message).toBe("Input 'username': is required when password is given (the user's name).")
    expect((await failure(ops({ username: '', password: '' }))).message).toMatch(
      /^Input 'username': is required with password: an Aria Operations user's name and password\. .*vars\.ARIA_OPERATIONS_USERNAME .*secrets\.ARIA_OPERATIONS_PASSWORD/,
    )
    expect((await failure(ops({ url: '' }))).message).toBe(
      "Input 'url': is required for provider aria-operations: the VMware Aria Operations address, e.g. https://ops.example.com.",
    )
  })

  it('parseOrg takes only an empty org', () => {
    expect(ariaOperations.parseOrg('')).toBe('')
    expect(() => ariaOperations.parseOrg('x')).toThrow(InputError)
  })
})
