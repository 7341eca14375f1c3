import nock from 'nock'
import { describe, expect, it } from 'vitest'
import type { Config } from '../../src/config.ts'
import { ProviderError } from '../../src/errors.ts'
import { supervisor } from '../../src/providers/supervisor.ts'
import type { TokenResult } from '../../src/providers/types.ts'
import { leakedPieces } from './fake-core.ts'
import { failedOnce, itKeepsThePortOfTheUrl, onPost, passwordConfig, type Password } from './provider-kit.ts'
import { harness, jwt, recorder, rejectionOf, type Reply, type Seen } from './helpers.ts'

const SUPERVISOR = 'https://supervisor.example.com'
const LOGIN_PATH = '/wcp/login'
const BANNER_PATH = '/wcp/loginbanner'
const TEN_HOURS = 36_000
const USER = 'devops@vsphere.local'
const CHECK_URL = "Check url: the Supervisor's address, e.g. https://supervisor.example.com."
const ASSUMED = 'assuming the documented 10 hours, so expires-at is an estimate: the token may end sooner.'

function supervisorConfig(overrides: Partial<Config<Password>> = {}): Config<Password> {
  return passwordConfig('supervisor', SUPERVISOR, USER, overrides)
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000)

/** A session token as the Supervisor issues it: a JWT of the vCenter identity provider (KB 419236). */
function sessionToken(claims: Record<string, unknown> = {}): string {
  const iat = nowSeconds()
  return jwt({ sub: USER, iss: 'https://vcenter.example.com/openidconnect/vsphere.local', iat, exp: iat + TEN_HOURS, ...claims })
}

const onLogin = (seen: Seen[], reply: (request: Seen) => Reply | Promise<Reply>, times = 1) =>
  onPost(SUPERVISOR, LOGIN_PATH, seen, reply, times)

function onBanner(seen: Seen[], reply: Reply) {
  return nock(SUPERVISOR)
    .get(BANNER_PATH)
    .reply(recorder(seen, () => reply))
}

const success = () => {
  const accessToken = sessionToken()
  return { accessToken, reply: [200, { session_id: accessToken }] as Reply }
}
const EXCHANGE = {
  provider: supervisor,
  config: supervisorConfig,
  origin: SUPERVISOR,
  path: LOGIN_PATH,
  success,
  title: 'vSphere Supervisor',
}

/** The login failing with `reply` (failedOnce), and the login banner answering `banner`. */
async function failureOf(reply: Reply, config?: Config<Password>, banner: Reply = [404, 'Not Found']) {
  const bannerSeen: Seen[] = []
  const failed = await failedOnce(EXCHANGE, reply, config, () => onBanner(bannerSeen, banner))
  return { ...failed, bannerSeen }
}

describe('supervisor: the login', () => {
  it('posts to /wcp/login with Basic auth, JSON Accept and Content-Type, no body and nothing in the URL; reads session_id', async () => {
    const cfg = supervisorConfig()
    const h = harness(cfg)
    const seen: Seen[] = []
    const token = sessionToken()
    onLogin(seen, () => [200, { session_id: token }])
    const before = Date.now()
    const result = await supervisor.exchange(h.context)

    expect(seen).toHaveLength(1)
    const [login] = seen
    expect(login.method).toBe('POST')
    expect(login.url.href).toBe(`${SUPERVISOR}${LOGIN_PATH}`)
    expect(login.body).toBe('')
    const basic = Buffer.from(`${USER}:${cfg.credential.password}`).toString('base64')
    expect(login.headers).toMatchObject({ authorization: `Basic ${basic}`, accept: 'application/json', 'content-type': 'application/json' })
    expect(result).toEqual({ accessToken: token, tokenType: 'Bearer', expiresIn: result.expiresIn, org: '', subject: USER })
    expect(result.expiresIn).toBeLessThanOrEqual(TEN_HOURS)
    expect(result.expiresIn).toBeGreaterThanOrEqual(TEN_HOURS - Math.ceil((Date.now() - before) / 1000) - 1)
    // The password, the Basic value that carries it, then the token: each masked before anything else.
    expect(h.masked.slice(0, 2)).toEqual([cfg.credential.password, basic])
    expect(h.masked).toContain(token)
    expect(h.logs.filter((line) => line.level !== 'debug')).toEqual([])
  })

  itKeepsThePortOfTheUrl(EXCHANGE, 'https://10.0.0.5:6443')

  it.each([
    [
      'an opaque token',
      'opaque-session-token-0123456789',
      `The vSphere Supervisor access token is not a JWT, so it does not say when it expires; ${ASSUMED}`,
    ],
    ['a JWT without exp', jwt({ sub: USER }), `The vSphere Supervisor access token has no usable expiry claim (exp); ${ASSUMED}`],
  ])('%s: the documented 10 hours, with a notice that says so', async (_name, token, notice) => {
    const h = harness(supervisorConfig())
    onLogin([], () => [200, { session_id: token }])
    const result = await supervisor.exchange(h.context)
    expect(result).toMatchObject({ accessToken: token, expiresIn: TEN_HOURS, notices: [notice] })
    expect(h.masked).toContain(token)
  })

  it('an exp in the past is a clock problem', async () => {
    const token = sessionToken({ exp: nowSeconds() - 60 })
    const { error, h } = await failureOfAnswer({ session_id: token })
    expect(error.message).toMatch(
      /^The access token vSphere Supervisor issued expired at \S+ \(its exp claim\), by this runner's clock\. Check the clocks of vCenter and the Supervisor \(NTP\)/,
    )
    expect(h.masked).toContain(token)
  })

  it.each([
    [{ token: 'x' }, 'vSphere Supervisor (supervisor.example.com) answered HTTP 200 without a session_id; fields present: token.'],
    [{ session_id: '' }, 'vSphere Supervisor (supervisor.example.com) answered HTTP 200 without a session_id; fields present: session_id.'],
    [
      { session_id: 'has a space' },
      'vSphere Supervisor (supervisor.example.com) answered HTTP 200 without a session_id; fields present: session_id.',
    ],
    ['<html><body>Welcome</body></html>', 'vSphere Supervisor (supervisor.example.com) answered HTTP 200 OK, an HTML page'],
    [
      '{"session_id": "eyJhbGciOi',
      'vSphere Supervisor (supervisor.example.com) answered HTTP 200 OK with JSON that does not parse, cut short',
    ],
  ])('a 2xx answer without a usable session_id (%j) fails, saying what came, never quoting it', async (body, message) => {
    const { error } = await failureOfAnswer(body)
    expect(error).toBeInstanceOf(ProviderError)
    expect(error.message).toContain(message)
    expect(error.message.endsWith(CHECK_URL), error.message).toBe(true)
  })

  it('has no revoke, says why, and takes only a name and password', () => {
    expect(supervisor.revoke).toBeUndefined()
    expect(supervisor.cannotRevoke).toBe('the Supervisor has no documented API that ends a /wcp/login session')
    expect(supervisor.credentials).toEqual(['password'])
    expect(supervisor.defaultUrl).toBeUndefined()
    expect(supervisor.resolveUrl(new URL('https://sv.example.com:8443/wcp/login?x#y'))).toEqual({
      baseUrl: 'https://sv.example.com:8443',
      orgFromUrl: '',
    })
  })
})

async function failureOfAnswer(body: string | Record<string, unknown>) {
  const h = harness(supervisorConfig())
  onLogin([], () => [200, body])
  return { error: await rejectionOf(supervisor.exchange(h.context)), h }
}

describe('supervisor: refusals', () => {
  it.each([401, 403])('HTTP %i: the reason, advice naming username and password, no retry, no banner check', async (status) => {
    const { error, seen, bannerSeen, h } = await failureOf([status, { message: 'Invalid username or password' }])
    expect(seen).toHaveLength(1)
    expect(bannerSeen).toEqual([])
    expect(h.sleeps).toEqual([])
    expect(error.message).toMatch(
      new RegExp(
        `^vSphere Supervisor login failed: HTTP ${status} \\w+: Invalid username or password \\(1 try\\)\\. Check username and password \\(a vCenter Single Sign-On user\\)\\.$`,
      ),
    )
  })

  it('a 404 and no login banner: not a Supervisor, from one unauthenticated GET /wcp/loginbanner', async () => {
    const { error, seen, bannerSeen } = await failureOf([404, 'Not Found'])
    expect(seen).toHaveLength(1)
    expect(bannerSeen).toHaveLength(1)
    expect(bannerSeen[0].headers.authorization).toBeUndefined()
    expect(error.message).toBe(
      `vSphere Supervisor login failed: HTTP 404 Not Found: Not Found (1 try). This is not a Supervisor: /wcp/loginbanner answered HTTP 404, not 200. ${CHECK_URL}`,
    )
  })

  it('an HTML page where the login should be, on a host that has a login banner: check url', async () => {
    const { error, bannerSeen } = await failureOf([400, '<html><title>Bad host</title></html>'], undefined, [200, 'Authorized use only.'])
    expect(bannerSeen).toHaveLength(1)
    expect(error.message).toBe(
      `vSphere Supervisor login failed: HTTP 400 Bad Request, an HTML page ("Bad host") instead of an API answer: a proxy, firewall or outage page? (1 try). ${CHECK_URL}`,
    )
  })

  it('a banner check that cannot connect says so', async () => {
    const h = harness(supervisorConfig())
    onLogin([], () => [404, ''])
    nock(SUPERVISOR).get(BANNER_PATH).replyWithError('socket hang up')
    const error = await rejectionOf(supervisor.exchange(h.context))
    expect(error.message).toMatch(
      /^vSphere Supervisor login failed: HTTP 404 Not Found, empty body \(1 try\)\. \/wcp\/loginbanner could not be read either \(vSphere Supervisor check at supervisor\.example\.com failed: .+\)\. Check url/,
    )
  })

  it('another 4xx: check url and credentials, no retry', async () => {
    const { error, seen } = await failureOf([409, { message: 'Conflict' }])
    expect(seen).toHaveLength(1)
    expect(error.message).toBe('vSphere Supervisor login failed: HTTP 409 Conflict: Conflict (1 try). Check url, username and password.')
  })

  it('retries a 429, then succeeds', async () => {
    const h = harness(supervisorConfig({ maxAttempts: 3 }))
    const seen: Seen[] = []
    const token = sessionToken()
    let calls = 0
    onLogin(seen, () => (++calls === 1 ? [429, { message: 'slow down' }] : [200, { session_id: token }]), 2)
    expect((await supervisor.exchange(h.context)).accessToken).toBe(token)
    expect(seen).toHaveLength(2)
    expect(seen[1].headers.authorization).toBe(seen[0].headers.authorization)
    expect(h.sleeps).toHaveLength(1)
  })

  it.each([500, 503])(
    'after every try of HTTP %i (an HTML page from a proxy): busy, not wrong credentials; no banner check',
    async (status) => {
      const h = harness(supervisorConfig({ maxAttempts: 3 }))
      const seen: Seen[] = []
      onLogin(seen, () => [status, '<html><title>try later</title></html>'], 3)
      const banner = onBanner([], [200, 'banner'])
      const error = await rejectionOf(supervisor.exchange(h.context))
      expect(seen).toHaveLength(3)
      expect(banner.isDone()).toBe(false)
      expect(error.message).toMatch(
        /\("try later"\) instead of an API answer: a proxy, firewall or outage page\? \(3 tries\)\. vSphere Supervisor is busy or unavailable; try again later/,
      )
    },
  )

  it('never prints the password, nor the Basic value, that an error echoes', async () => {
    const cfg = supervisorConfig()
    const basic = Buffer.from(`${USER}:${cfg.credential.password}`).toString('base64')
    const { printed } = await failureOf([401, { message: `bad credentials ${cfg.credential.password} (Basic ${basic})` }], cfg)
    expect(leakedPieces(printed, cfg.credential.password)).toEqual([])
    expect(leakedPieces(printed, basic)).toEqual([])
    expect(printed).toContain('bad credentials *** (Basic ***)')
  })
})

describe('supervisor: the kubeconfig', () => {
  const result = (subject = USER): TokenResult => ({ accessToken: 'token-1234', tokenType: 'Bearer', expiresIn: 60, org: '', subject })

  it('without kube-namespace: one context named after the host, on the login URL', async () => {
    const h = harness(supervisorConfig())
    expect(await supervisor.kubernetes!.contexts(h.context, result())).toEqual({
      clusters: [{ name: 'supervisor.example.com', server: SUPERVISOR }],
      user: `wcp:supervisor.example.com:${USER}`,
      contexts: [
        { name: 'supervisor.example.com', cluster: 'supervisor.example.com', user: `wcp:supervisor.example.com:${USER}`, namespace: '' },
      ],
      currentContext: 'supervisor.example.com',
    })
  })

  it('with kube-namespace: the context is named after the vSphere namespace and sets it; a port is kept', async () => {
    const h = harness(supervisorConfig({ baseUrl: 'https://10.0.0.5:6443', kubeconfig: true, kubeNamespace: 'ci-apps' }))
    expect(await supervisor.kubernetes!.contexts(h.context, result())).toEqual({
      clusters: [{ name: '10.0.0.5:6443', server: 'https://10.0.0.5:6443' }],
      user: `wcp:10.0.0.5:6443:${USER}`,
      contexts: [{ name: 'ci-apps', cluster: '10.0.0.5:6443', user: `wcp:10.0.0.5:6443:${USER}`, namespace: 'ci-apps' }],
      currentContext: 'ci-apps',
    })
  })

  it('takes a vSphere namespace name as kube-namespace', () => {
    expect(supervisor.kubernetes!.parseNamespace('ci-apps')).toBe('ci-apps')
    expect(() => supervisor.kubernetes!.parseNamespace('CI')).toThrow(/^Input 'kube-namespace': 'CI' is not a vSphere namespace name/)
  })
})
