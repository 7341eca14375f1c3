import { describe, expect, it } from 'vitest'
import type { Config } from '../../src/config.ts'
import { InputError, ProviderError } from '../../src/errors.ts'
import { ariaAutomation, DOCUMENTED_LIFETIME_SECONDS } from '../../src/providers/aria-automation.ts'
import { leakedPieces } from './fake-core.ts'
import { harness, jwt, ORG_ID, rejectionOf, secretToken, type Reply, type Seen } from './helpers.ts'
import {
  apiTokenConfig,
  type ApiToken,
  expectCredentialPost,
  failedOnce,
  itKeepsThePortOfTheUrl,
  itPassesANetworkFailureOn,
  itQuotesRefusals,
  itSaysAnHtmlPageCameBack,
  itSaysBusyAfterEveryTry,
  itTakesProxyPagesRedirectsAnd429s,
  onPost,
  registryEntry,
  tokenOf,
} from './provider-kit.ts'

const ARIA = 'https://aria.example.com'
const LOGIN_PATH = '/iaas/api/login'
const EIGHT_HOURS = 8 * 3600
const TEN_YEARS = 315_360_000
const ASSUMED = 'assuming the documented 8 hours, so expires-at is an estimate: the token may end sooner.'
const NEW_TOKEN_ADVICE =
  "Make a new one (in the Aria Automation UI, or with POST /csp/gateway/am/api/login?access_token and the user's name and password, as the README shows) and update the secret."

function ariaConfig(overrides: Partial<Config<ApiToken>> = {}): Config<ApiToken> {
  return apiTokenConfig('aria-automation', ARIA, overrides)
}

/** The exchange as the kit's shared tests take it. */
const EXCHANGE = { provider: ariaAutomation, config: ariaConfig, origin: ARIA, path: LOGIN_PATH, success, title: 'Aria Automation' }

const nowSeconds = (): number => Math.floor(Date.now() / 1000)

/** The claims of a real on-prem access token (notes: terraform-provider-vra issues 95 and 159). */
function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = nowSeconds()
  return {
    iss: 'CN=Prelude Identity Service,OU=CMBU,O=VMware,L=Sofia,ST=Sofia,C=BG',
    iat,
    exp: iat + EIGHT_HOURS,
    context: '[{"mtd":"urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport","iat":1,"id":15}]',
    sub: 'example.local:0e0d4b1e-5d5e-4a8b-9c1d-2f3e4a5b6c7d',
    username: 'ci-bot',
    context_name: ORG_ID,
    ...extra,
  }
}

function answer(tokenClaims: Record<string, unknown> = claims(), tokenType: unknown = 'Bearer') {
  const token = jwt(tokenClaims)
  return { token, body: { tokenType, token } }
}

/** A successful answer of the credential's route, and the access token in it. */
function success(): { accessToken: string; reply: Reply } {
  const { token, body } = answer()
  return { accessToken: token, reply: [200, body] }
}

const onLogin = (seen: Seen[], reply: (request: Seen) => Reply | Promise<Reply>, times = 1) => onPost(ARIA, LOGIN_PATH, seen, reply, times)

describe('aria-automation: the exchange', () => {
  it('posts the API token in a JSON body to /iaas/api/login, never in the URL, and reads the answer', async () => {
    const cfg = ariaConfig()
    const h = harness(cfg)
    const seen: Seen[] = []
    const { token, body } = answer()
    const exp = Number(claims().exp)
    onLogin(seen, () => [200, body])
    const before = Date.now()
    const result = await ariaAutomation.exchange(h.context)
    const after = Date.now()

    expect(seen).toHaveLength(1)
    expectCredentialPost(seen[0], 'application/json')
    expect(seen[0].url.origin + seen[0].url.pathname).toBe(`${ARIA}${LOGIN_PATH}`)
    expect(seen[0].body).toBe(JSON.stringify({ refreshToken: tokenOf(cfg) }))

    expect(result).toEqual({
      accessToken: token,
      tokenType: 'Bearer',
      expiresIn: result.expiresIn,
      org: ORG_ID,
      subject: 'ci-bot',
      notices: [],
    })
    // exp - now, floored, with now somewhere between before and after.
    expect(result.expiresIn).toBeGreaterThanOrEqual(Math.floor(exp - after / 1000))
    expect(result.expiresIn).toBeLessThanOrEqual(Math.floor(exp - before / 1000))
    expect(h.masked).toEqual([tokenOf(cfg), token])
    expect(h.logs.filter((line) => line.level !== 'debug')).toEqual([])
  })

  itKeepsThePortOfTheUrl(EXCHANGE, 'https://aria.example.com:8443')

  it.each([['Bearer'], ['bearer'], ['BEARER'], [' Bearer '], [undefined], ['']])('takes tokenType %j as Bearer', async (tokenType) => {
    const h = harness(ariaConfig())
    onLogin([], () => [200, answer(claims(), tokenType).body])
    expect((await ariaAutomation.exchange(h.context)).tokenType).toBe('Bearer')
  })

  it.each(['JWT', 'mac', 'Basic'])('refuses tokenType %s, with the token masked first', async (tokenType) => {
    const h = harness(ariaConfig())
    const { token, body } = answer(claims(), tokenType)
    onLogin([], () => [200, body])
    const error = await rejectionOf(ariaAutomation.exchange(h.context))
    expect(error).toBeInstanceOf(ProviderError)
    expect(error.message).toBe(
      `Aria Automation (aria.example.com) answered tokenType '${tokenType}', not Bearer: the action hands on bearer tokens only. ` +
        'Check url: it must be the address of an Aria Automation 8.x appliance.',
    )
    expect(h.masked).toContain(token)
  })

  it('reports the subject: preferred_username, then username, then sub', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ preferred_username: 'jdoe@example.local', username: 'jdoe' }, 'jdoe@example.local'],
      [{ preferred_username: '', username: 'jdoe' }, 'jdoe'],
      [{ username: undefined }, 'example.local:0e0d4b1e-5d5e-4a8b-9c1d-2f3e4a5b6c7d'],
      [{ username: 42, sub: undefined }, ''],
    ]
    for (const [extra, subject] of cases) {
      const h = harness(ariaConfig())
      onLogin([], () => [200, answer(claims(extra)).body])
      expect((await ariaAutomation.exchange(h.context)).subject, JSON.stringify(extra)).toBe(subject)
    }
  })

  it('reports the org from context_name, never from context; none: empty', async () => {
    const h = harness(ariaConfig())
    onLogin([], () => [200, answer(claims({ context_name: undefined })).body])
    expect((await ariaAutomation.exchange(h.context)).org).toBe('')
    onLogin([], () => [200, answer(claims({ context_name: 'ABCDEF01-2345-6789-ABCD-EF0123456789' })).body])
    expect((await ariaAutomation.exchange(h.context)).org).toBe('ABCDEF01-2345-6789-ABCD-EF0123456789')
  })

  it('has no outputs of its own, no revoke, and says why it cannot revoke', () => {
    expect(ariaAutomation.revoke).toBeUndefined()
    expect(registryEntry(ariaAutomation)).toEqual({
      credentials: ['api-token', 'password'],
      defaultUrl: undefined,
      revokes: false,
      cannotRevoke: 'Aria Automation 8.x has no API that revokes an access token or the API token it came from',
    })
  })
})

describe('aria-automation: the lifetime, from the JWT', () => {
  it.each([
    ['no exp claim', { exp: undefined }],
    ['an exp that is not a number', { exp: 'tomorrow' }],
    ['an exp of 0', { exp: 0 }],
  ])('%s: the documented 8 hours, with a warning that says so', async (_name, extra) => {
    const h = harness(ariaConfig())
    onLogin([], () => [200, answer(claims(extra)).body])
    const result = await ariaAutomation.exchange(h.context)
    expect(DOCUMENTED_LIFETIME_SECONDS).toBe(EIGHT_HOURS)
    expect(result.expiresIn).toBe(EIGHT_HOURS)
    const notice = `The Aria Automation access token has no usable expiry claim (exp); ${ASSUMED}`
    // Returned for the core to print and put in the summary; the provider prints nothing itself.
    expect(result.notices).toEqual([notice])
    expect(h.logs.filter((line) => line.level === 'warning')).toEqual([])
    expect(result.org).toBe(ORG_ID)
  })

  it('an opaque (non-JWT) token: the documented 8 hours, a warning, no org or subject', async () => {
    const h = harness(ariaConfig())
    const opaque = secretToken(48)
    onLogin([], () => [200, { tokenType: 'Bearer', token: opaque }])
    const result = await ariaAutomation.exchange(h.context)
    const notice = `The Aria Automation access token is not a JWT, so it does not say when it expires; ${ASSUMED}`
    expect(result).toEqual({ accessToken: opaque, tokenType: 'Bearer', expiresIn: EIGHT_HOURS, org: '', subject: '', notices: [notice] })
    expect(h.logs.filter((line) => line.level === 'warning')).toEqual([])
    expect(h.masked).toContain(opaque)
  })

  it.each([
    ['an hour ago', -3600],
    ['this very second', 0],
  ])('an exp of %s is an error naming the time and the clock, the token masked first', async (_name, offset) => {
    const h = harness(ariaConfig())
    const exp = nowSeconds() + offset
    const { token, body } = answer(claims({ exp }))
    onLogin([], () => [200, body])
    const error = await rejectionOf(ariaAutomation.exchange(h.context))
    expect(error).toBeInstanceOf(ProviderError)
    expect(error.message).toBe(
      `The access token Aria Automation issued expired at ${new Date(exp * 1000).toISOString()} (its exp claim), by this runner's clock. ` +
        "Check the appliance's clock (NTP): a clock that is hours behind issues tokens that are already expired.",
    )
    expect(h.masked).toContain(token)
  })

  it('an exp more than ten years away is an error; just under ten years is taken', async () => {
    const h = harness(ariaConfig())
    onLogin([], () => [200, answer(claims({ exp: nowSeconds() + TEN_YEARS + 60 })).body])
    expect((await rejectionOf(ariaAutomation.exchange(h.context))).message).toContain(
      "more than ten years away; the token's lifetime is unknown",
    )
    onLogin([], () => [200, answer(claims({ exp: nowSeconds() + TEN_YEARS - 60 })).body])
    expect((await ariaAutomation.exchange(h.context)).expiresIn).toBeGreaterThan(TEN_YEARS - 120)
  })
})

describe('aria-automation: refusals', () => {
  const serviceError = (status: number, message: string) => ({
    message,
    statusCode: status,
    errorCode: 0,
    serverErrorId: '9d523367-0a1b-4c2d-8e3f-405162738495',
    documentKind: 'com:vmware:xenon:common:ServiceErrorResponse',
  })

  itQuotesRefusals(
    EXCHANGE,
    [
      [
        400,
        'Bad Request',
        'Invalid refresh token.',
        `Aria Automation refused the API token: it is wrong, or has expired (API tokens last 90 days). ${NEW_TOKEN_ADVICE}`,
      ],
      [
        401,
        'Unauthorized',
        'The refresh token has expired.',
        `The API token has expired or is not valid: Aria Automation API tokens last 90 days and cannot be renewed. ${NEW_TOKEN_ADVICE}`,
      ],
      [
        403,
        'Forbidden',
        'User is not authorized.',
        'Aria Automation refused the user the API token belongs to (its message says why): check that the user is active and has a role in Cloud Assembly or Service Broker.',
      ],
      [
        404,
        'Not Found',
        'Not found',
        'There is no /iaas/api/login at this address. Check url: it must be the address of an Aria Automation 8.x appliance. (vRealize Automation 7 has no such API.)',
      ],
      [409, 'Conflict', 'Conflict', 'Check url and api-token.'],
    ],
    (status, message) => [status, serviceError(status, message)],
    (message) => `${message} (serverErrorId 9d523367-0a1b-4c2d-8e3f-405162738495)`,
  )

  it('quotes a message without serverErrorId, and the usual fields of an error without a message', async () => {
    const gateway = await failedOnce(EXCHANGE, [401, { message: 'Unauthorized' }])
    expect(gateway.error.message).toContain('failed: HTTP 401 Unauthorized: Unauthorized (1 try). The API token has expired')
    const { error } = await failedOnce(EXCHANGE, [400, { error: 'invalid_request' }])
    expect(error.message).toContain('failed: HTTP 400 Bad Request: invalid_request (1 try). Aria Automation refused the API token')
  })

  it('redacts the API token echoed whole, or its tail after x-es', async () => {
    // Every 4-character piece holds a '~', so none can match the message's own text (serverErrorId digits) by chance.
    const token = secretToken(32)
    const cfg = ariaConfig({ credential: { kind: 'api-token', token } })
    const whole = await failedOnce(EXCHANGE, [400, serviceError(400, `Invalid refresh token ${token}`)], cfg)
    expect(leakedPieces(whole.printed, token, 4)).toEqual([])
    expect(whole.printed).toContain('HTTP 400 Bad Request: Invalid refresh token *** (serverErrorId')
    const tail = await failedOnce(
      EXCHANGE,
      [400, serviceError(400, `invalid_grant: Invalid refresh token: xxxxx...${token.slice(-5)}`)],
      cfg,
    )
    expect(leakedPieces(tail.printed, token, 4)).toEqual([])
    expect(tail.printed).toContain('Invalid refresh token: xxxxx...*** (serverErrorId')
  })

  itTakesProxyPagesRedirectsAnd429s(EXCHANGE, [429, serviceError(429, 'Too many requests')])

  itSaysBusyAfterEveryTry(
    EXCHANGE,
    (status) => [status, serviceError(status, 'try later')],
    'try later (serverErrorId 9d523367-0a1b-4c2d-8e3f-405162738495)',
    'API token',
  )
  itPassesANetworkFailureOn(EXCHANGE)
})

describe('aria-automation: odd 2xx answers', () => {
  itSaysAnHtmlPageCameBack(
    EXCHANGE,
    'expected a JSON answer with a token. Check url: it must be the address of an Aria Automation 8.x appliance.',
  )

  it('names the fields of an answer without a token, never their values', async () => {
    const h = harness(ariaConfig())
    const other = jwt({ sub: 'x' })
    onLogin([], () => [200, { tokenType: 'Bearer', access_token: other }])
    const error = await rejectionOf(ariaAutomation.exchange(h.context))
    expect(error.message).toBe(
      'Aria Automation (aria.example.com) answered HTTP 200 without a token; fields present: tokenType, access_token.',
    )
    expect(h.masked).toContain(other)
    for (const empty of [{ token: '  ' }, { token: 42 }, {}]) {
      onLogin([], () => [200, empty])
      expect((await rejectionOf(ariaAutomation.exchange(h.context))).message).toMatch(/without a token; fields present: (token|none)\.$/)
    }
  })

  it.each([
    ['junk after the JSON', (json: string) => `${json} trailing junk`],
    ['a body cut inside the token', (json: string) => json.slice(0, json.indexOf('"token"') + 40)],
  ])('fails on %s without quoting it, what came of the token masked first', async (_name, mangle) => {
    const h = harness(ariaConfig())
    const { token } = answer()
    const mangled = mangle(JSON.stringify({ tokenType: 'Bearer', token }))
    onLogin([], () => [200, mangled, { 'Content-Type': 'application/json' }])
    const error = await rejectionOf(ariaAutomation.exchange(h.context))
    expect(error.message).toMatch(/answered HTTP 200 OK with JSON that does not parse/)
    expect(error.message).toContain(`(${mangled.length} bytes)`)
    expect(leakedPieces(error.message, token, 8)).toEqual([])
    expect(h.masked.some((value) => token.startsWith(value) && value.length >= 8)).toBe(true)
  })
})

describe('aria-automation: inputs', () => {
  it.each([
    ['https://aria.example.com', 'https://aria.example.com'],
    ['https://aria.example.com/automation-ui/#/service-broker-ui;ash=%2Fcatalog', 'https://aria.example.com'],
    ['https://aria.example.com/iaas/api', 'https://aria.example.com'],
    ['https://aria.example.com/csp/gateway/portal/', 'https://aria.example.com'],
    ['https://Aria.Example.com:8443/catalog/api/items', 'https://aria.example.com:8443'],
    ['http://127.0.0.1:9443/iaas/api/login', 'http://127.0.0.1:9443'],
  ])('the root of %s is %s, with no org', (url, root) => {
    expect(ariaAutomation.resolveUrl(new URL(url))).toEqual({ baseUrl: root, orgFromUrl: '' })
  })

  it('refuses any org, takes none', () => {
    expect(ariaAutomation.parseOrg('')).toBe('')
    for (const org of ['acme', ORG_ID]) {
      const error = (() => {
        try {
          ariaAutomation.parseOrg(org)
        } catch (caught) {
          return caught as InputError
        }
        throw new Error('expected an InputError')
      })()
      expect(error).toBeInstanceOf(InputError)
      expect(error.input).toBe('org')
      expect(error.message).toMatch(/^Input 'org': is not used by provider aria-automation: .* Remove org\.$/)
    }
  })
})
