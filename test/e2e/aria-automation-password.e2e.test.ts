/**
 * End to end, Aria Automation 8.x with a user's name and password: the built bundles log in at the
 * emulator's identity service (csp-login), which makes an API token, and exchange that token at
 * /iaas/api/login, over TLS with a private CA, directly and through a proxy. The API token made on
 * the way must never leave the step: not an output, not the environment, not the saved state, not
 * the log. Every run is leak-scanned.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ARIA_CSP_LOGIN_PATH, ARIA_LOGIN_PATH, AriaEmulator } from './support/aria-emulator.ts'
import { ALWAYS, expectPostHarmless, job, logOf, status } from './support/faults.ts'
import { expectPacing } from './support/pacing.ts'
import { assertNoLeaks, containsPiece, type JobResult } from './support/runner.ts'
import { ConnectProxy } from './support/tcp.ts'

let aria: AriaEmulator

beforeAll(async () => {
  aria = await new AriaEmulator().start()
})
afterAll(async () => {
  await aria?.close()
})
afterEach(() => aria.reset())

function inputs(server: AriaEmulator, extra: Record<string, string> = {}): Record<string, string> {
  return {
    provider: 'aria-automation',
    url: server.url,
    username: server.username,
    password: server.password,
    'ca-certificate': server.ca,
    'timeout-seconds': '5',
    'max-attempts': '2',
    ...extra,
  }
}

/** The API tokens the logins made: the refresh tokens /iaas/api/login received. */
function madeApiTokens(server: AriaEmulator): string[] {
  return server.requestsTo('login').map((request) => (request.json as { refreshToken: string }).refreshToken)
}

/** The API token made on the way appears nowhere the job can see, whole or in pieces, masked or not. */
function expectApiTokenKept(result: JobResult, server: AriaEmulator): void {
  const made = madeApiTokens(server)
  expect(made.length).toBeGreaterThan(0)
  for (const token of made) {
    for (const step of [result.main, result.post!]) {
      const visible = [
        step.stdout,
        step.stderr,
        step.summary,
        JSON.stringify(step.outputs),
        JSON.stringify(step.env),
        JSON.stringify(step.state),
      ]
      for (const text of visible) {
        // Masked it may be (::add-mask:: carries it): nowhere else.
        expect(containsPiece(text.replace(/^::add-mask::.*$/gm, ''), token)).toBe(false)
      }
    }
    expect(result.main.masks).toContain(token)
  }
}

describe('Aria Automation with a username and password', () => {
  it('main: logs in, exchanges the API token it made, and publishes only the access token; post: cannot revoke', async () => {
    const result = await job(inputs(aria))
    assertNoLeaks(result, aria.secrets())
    expect(result.main.exitCode, logOf(result)).toBe(0)
    expect(aria.requests.map((request) => [request.route, request.url, request.status])).toEqual([
      ['csp-login', `${ARIA_CSP_LOGIN_PATH}?access_token`, 200],
      ['login', ARIA_LOGIN_PATH, 200],
    ])
    const [login] = aria.requestsTo('csp-login')
    expect(login.json).toEqual({ username: aria.username, password: aria.password })
    expect(login.headers).toMatchObject({ 'content-type': 'application/json', accept: 'application/json' })
    expect(aria.credentialsInUrl).toEqual([])
    expectApiTokenKept(result, aria)

    const issued = aria.issued.at(-1)!
    expect(result.main.outputs).toMatchObject({
      'access-token': issued.token,
      'token-type': 'Bearer',
      org: aria.org,
      subject: aria.username,
    })
    expect(Object.keys(result.main.outputs).sort()).toEqual(['access-token', 'expires-at', 'expires-in', 'org', 'subject', 'token-type'])
    expect(result.main.env).toEqual({ VMW_ACCESS_TOKEN: issued.token })
    expect(result.main.warnings).toEqual([])
    const post = expectPostHarmless(result)
    expect(logOf(post)).toContain('The access token cannot be revoked (Aria Automation 8.x has no API that revokes')
    expect(aria.requests).toHaveLength(2)
  })

  it('auth-source is sent as the domain; user@domain without auth-source works too', async () => {
    const withDomain = await job(inputs(aria, { 'auth-source': aria.domain }))
    const asUpn = await job(inputs(aria, { username: `${aria.username}@${aria.domain}` }))
    assertNoLeaks([withDomain, asUpn], aria.secrets())
    expect(withDomain.main.exitCode, logOf(withDomain)).toBe(0)
    expect(asUpn.main.exitCode, logOf(asUpn)).toBe(0)
    expect(aria.requestsTo('csp-login').map((request) => request.json)).toEqual([
      { username: aria.username, password: aria.password, domain: aria.domain },
      { username: `${aria.username}@${aria.domain}`, password: aria.password },
    ])
  })

  it.each([
    ['a wrong password', { password: 'Wr0ngPassw0rdWr0ngPassw0rd' }],
    ['a wrong domain', { 'auth-source': 'other.example' }],
  ])('%s: HTTP 400, one try, the inputs to check named, nothing exchanged', async (_name, extra) => {
    const stepInputs = inputs(aria, { ...extra, 'max-attempts': '3' })
    const result = await job(stepInputs)
    assertNoLeaks(result, [...aria.secrets(), stepInputs.password])
    expect(result.main.exitCode).toBe(1)
    expect(aria.requests.map((request) => [request.route, request.status])).toEqual([['csp-login', 400]])
    expect(result.main.errors).toEqual([
      `Aria Automation login of ${aria.username} failed: HTTP 400 Bad Request: Invalid username or password (1 try). ` +
        "Aria Automation refused the login: check username, password and auth-source (the user's domain, or user@domain as username; " +
        'empty for local users). Not retried: repeated failures can lock the account.',
    ])
    expect(result.main.outputs).toEqual({})
    expect(logOf(expectPostHarmless(result))).toContain('nothing to revoke')
  })

  it('a 503 storm at the login that clears: retried, paced, then the exchange', async () => {
    aria.fault('csp-login', status(503, 2)())
    const result = await job(inputs(aria, { 'max-attempts': '3', 'timeout-seconds': '2' }))
    assertNoLeaks(result, aria.secrets())
    expect(result.main.exitCode, logOf(result)).toBe(0)
    const tries = aria.requestsTo('csp-login')
    expect(tries.map((request) => request.status)).toEqual([503, 503, 200])
    expectPacing(tries, { attempts: 3, timeoutSeconds: 2 }, result.main)
    expect(aria.requestsTo('login').map((request) => request.status)).toEqual([200])
  })

  it('a 503 storm that does not clear: busy, not wrong credentials', async () => {
    aria.fault('csp-login', status(503, ALWAYS)())
    const result = await job(inputs(aria, { 'max-attempts': '2', 'timeout-seconds': '2' }))
    assertNoLeaks(result, aria.secrets())
    expect(result.main.exitCode).toBe(1)
    expect(result.main.errors[0]).toMatch(
      /^Aria Automation login of ci-bot failed: HTTP 503 .*\(2 tries\)\. Aria Automation is busy or unavailable/,
    )
    expect(aria.requestsTo('login')).toEqual([])
  })

  it('api-token and username/password together: an input error, nothing sent', async () => {
    const result = await job(inputs(aria, { 'api-token': aria.refreshToken }))
    assertNoLeaks(result, aria.secrets())
    expect(result.main.errors[0]).toMatch(/^Input 'api-token': give either api-token, or username and password, not both/)
    expect(aria.requests).toEqual([])
  })
})

describe('Aria Automation with a password through an https_proxy', () => {
  let behind: AriaEmulator
  let proxy: ConnectProxy

  beforeAll(async () => {
    behind = await new AriaEmulator({ names: ['aria.example.test'] }).start()
    proxy = await new ConnectProxy({ hosts: { 'aria.example.test': '127.0.0.1' } }).start()
  })
  afterAll(async () => {
    await proxy?.close()
    await behind?.close()
  })

  it('both requests go through one tunnel to a host only the proxy resolves', async () => {
    const result = await job(inputs(behind, { url: `${behind.urlFor('aria.example.test')}/automation-ui/` }), { https_proxy: proxy.url })
    assertNoLeaks(result, behind.secrets())
    expect(result.main.exitCode, logOf(result)).toBe(0)
    expect(behind.requests.map((request) => [request.route, request.servername, request.status])).toEqual([
      ['csp-login', 'aria.example.test', 200],
      ['login', 'aria.example.test', 200],
    ])
    expect(proxy.tunnels.map((tunnel) => [tunnel.target, tunnel.status])).toEqual([[`aria.example.test:${behind.port}`, 200]])
    expect(JSON.stringify(proxy.tunnels)).not.toContain(behind.password)
    expectApiTokenKept(result, behind)
  })
})
