/**
 * End to end, Aria Automation 8.x: the built bundles run as the runner runs them (support/runner.ts)
 * against the Aria Automation emulator (support/aria-emulator.ts) over TLS with a private CA, with an
 * API token, or with a username and password (the login makes an API token that must never leave
 * the step: not an output, not the environment, not the saved state, not the log). Every run is
 * leak-scanned.
 */
import { describe, expect, it } from 'vitest'
import { ARIA_CATALOG_ITEMS_PATH, ARIA_CSP_LOGIN_PATH, ARIA_LOGIN_PATH, AriaEmulator } from './support/aria-emulator.ts'
import { ALWAYS, status } from './support/fault-cases.ts'
import { expectPostHarmless, job, logOf } from './support/faults.ts'
import { expectPacing } from './support/pacing.ts'
import * as flows from './support/provider-flows.ts'
import { containsPiece, runJob, runStep, type JobResult } from './support/runner.ts'
import { shareEmulators } from './support/shared-emulators.ts'

let aria: AriaEmulator

shareEmulators(async () => [(aria = await new AriaEmulator().start())])

const inputs = (server: AriaEmulator, extra: Record<string, string>) =>
  flows.reaching(server, { provider: 'aria-automation', 'api-token': server.refreshToken }, extra)

const subject = { server: () => aria, inputs }

/** Inputs for the password login instead of the API token. */
function passwordInputs(server: AriaEmulator, extra: Record<string, string> = {}): Record<string, string> {
  return inputs(server, { 'api-token': '', username: server.username, password: server.password, ...extra })
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

/** Every login carried the API token in its JSON body, and no request any piece of it in its URL. */
const expectCredentialInBodyOnly = (server: AriaEmulator, token: string) =>
  flows.expectCredentialInJsonOnly(server, 'login', ARIA_LOGIN_PATH, { refreshToken: token }, [token])

describe('Aria Automation: the exchange', () => {
  it('main: one login, the outputs from the JWT; post: cannot be revoked, sends nothing; a later step uses the token', async () => {
    const before = Date.now()
    const job = await runJob({ inputs: inputs(aria, {}) })
    flows.scan(aria, job)
    expect(job.main.exitCode, job.log.join('\n')).toBe(0)
    expect(aria.requestsTo('login').map((request) => request.status)).toEqual([200])
    expectCredentialInBodyOnly(aria, aria.refreshToken)

    const issued = aria.issued.at(-1)!
    const out = job.main.outputs
    expect(out['access-token']).toBe(issued.token)
    expect(out['token-type']).toBe('Bearer')
    // exp - now, floored: at most the lifetime, less only by the seconds the step took.
    flows.expectExpiry(out, before, aria.accessTokenLifetime, issued.expiresAt)
    expect(out.org).toBe(aria.org)
    expect(out.subject).toBe(aria.username)
    for (const name of ['refresh-token', 'api-version', 'api-token-expires-at']) expect(out[name], name).toBeUndefined()
    expect(job.main.env).toEqual({ VMW_ACCESS_TOKEN: issued.token })
    expect(job.main.masks).toEqual(expect.arrayContaining([aria.refreshToken, issued.token]))
    expect(job.main.warnings).toEqual([])
    expect(job.main.log.join('\n')).toContain(
      `Issued a VMware Aria Automation access token for ${aria.username} in org ${aria.org}, valid until ${out['expires-at']}.`,
    )
    expect(job.main.summary).toContain('VMware Aria Automation (aria-automation)')
    expect(job.main.summary).toContain('not possible (Aria Automation 8.x has no API that revokes')

    expect(job.post!.exitCode).toBe(0)
    expect(job.post!.warnings).toEqual([])
    expect(job.post!.log.join('\n')).toContain(
      `The access token cannot be revoked (Aria Automation 8.x has no API that revokes an access token or the API token it came from); it stays valid until it expires at ${out['expires-at']}.`,
    )
    // Nothing kept for a post step that sends nothing, and nothing sent.
    expect(JSON.stringify(job.main.state)).not.toContain(issued.token)
    expect(aria.requests).toHaveLength(1)
    expect(aria.isAlive(issued.token)).toBe(true)

    const url = `${aria.url}${ARIA_CATALOG_ITEMS_PATH}?apiVersion=2020-08-25`
    const catalog = { url, key: 'content', route: 'catalog-items', names: aria.catalogItems.map((item) => item.name) }
    await flows.expectListedLater(job.main, aria, catalog, issued.token)
  })

  it('any address on the appliance works: the UI, the API root', async () => {
    for (const url of [`${aria.url}/automation-ui/#/service-broker-ui`, `${aria.url}/iaas/api/`]) {
      const step = await runStep({ inputs: inputs(aria, { url }) })
      flows.scan(aria, step)
      expect(step.exitCode, step.log.join('\n')).toBe(0)
    }
    expect(aria.requestsTo('login').map((request) => request.path)).toEqual([ARIA_LOGIN_PATH, ARIA_LOGIN_PATH])
  })

  it('a lower-case tokenType is Bearer; a tokenType that is not bearer fails the step', async () => {
    aria.tokenType = 'bearer'
    const lower = await runStep({ inputs: inputs(aria, {}) })
    aria.tokenType = 'JWT'
    const other = await runStep({ inputs: inputs(aria, {}) })
    flows.scan(aria, [lower, other])
    expect(lower.exitCode, lower.log.join('\n')).toBe(0)
    expect(lower.outputs['token-type']).toBe('Bearer')
    expect(other.exitCode).toBe(1)
    expect(other.errors[0]).toMatch(/answered tokenType 'JWT', not Bearer/)
    expect(other.outputs).toEqual({})
    expect(other.masks).toContain(aria.issued.at(-1)!.token)
  })

  it('a JWT without exp: the documented 8 hours, with a warning in the log and the summary', async () => {
    aria.omitClaims = ['exp']
    const job = await runJob({ inputs: inputs(aria, {}) })
    flows.scan(aria, job)
    expect(job.main.exitCode, job.log.join('\n')).toBe(0)
    expect(job.main.outputs['expires-in']).toBe(String(8 * 3600))
    expect(job.main.warnings).toEqual([
      'The Aria Automation access token has no usable expiry claim (exp); assuming the documented 8 hours, so expires-at is an estimate: the token may end sooner.',
    ])
    expect(job.main.summary).toContain('assuming the documented 8 hours')
    expect(job.post!.exitCode).toBe(0)
    expect(job.post!.log.join('\n')).toContain(job.main.outputs['expires-at'])
  })

  it('retries a 429 and succeeds', async () => {
    const fault = aria.fault('login', { times: 1, status: 429, headers: { 'retry-after': '0' } })
    const step = await runStep({ inputs: inputs(aria, { 'max-attempts': '3' }) })
    flows.scan(aria, step)
    expect(step.exitCode, step.log.join('\n')).toBe(0)
    expect(fault.hits).toBe(1)
    expect(aria.requestsTo('login').map((request) => request.status)).toEqual([429, 200])
    expectCredentialInBodyOnly(aria, aria.refreshToken)
  })
})

describe('Aria Automation: refusals', () => {
  it.each([
    [
      'an unknown API token',
      400,
      () => 'Wr0ngTok3nWr0ngTok3nWr0ngTok3n12',
      /HTTP 400 Bad Request: Invalid refresh token\. \(serverErrorId [0-9a-f-]{36}\) \(1 try\)\. Aria Automation refused the API token: it is wrong, or has expired/,
    ],
    [
      'an expired API token',
      401,
      () => {
        const token = aria.addRefreshToken({})
        aria.expireRefreshToken(token)
        return token
      },
      /HTTP 401 Unauthorized: The refresh token has expired\. .*The API token has expired or is not valid: Aria Automation API tokens last 90 days and cannot be renewed\. Make a new one .*\/csp\/gateway\/am\/api\/login\?access_token/,
    ],
    [
      'a user refused',
      403,
      () => aria.addRefreshToken({ forbidden: true }),
      /HTTP 403 Forbidden: User is not authorized to access this organization\. .*refused the user the API token belongs to/,
    ],
  ])('%s: HTTP %i, the message quoted and advice, no retry, nothing to revoke', async (_name, status, token, message) => {
    const apiToken = token()
    const job = await runJob({ inputs: inputs(aria, { 'api-token': apiToken, 'max-attempts': '3' }) })
    flows.scan(aria, job, [apiToken])
    flows.expectNothingIssued(job)
    expect(aria.requestsTo('login').map((request) => request.status)).toEqual([status])
    expect(job.main.errors[0]).toMatch(/^Aria Automation token request failed: /)
    expect(job.main.errors[0]).toMatch(message)
    expectCredentialInBodyOnly(aria, apiToken)
    expect(job.post!.warnings).toEqual([])
  })

  flows.itRefusesBeforeAnyRequest(subject, [
    ['org', { org: 'acme' }, /^Input 'org': is not used by provider aria-automation/],
    [
      'client-id',
      { 'client-id': 'app', 'client-secret': flows.MADE_UP_SECRET, 'api-token': '' },
      /^Input 'client-id': client-id and client-secret are not used/,
    ],
    ['url', { url: '' }, /^Input 'url': is required for provider aria-automation/],
  ])

  flows.itDistrustsThePrivateCa(subject, /ca-certificate/)
})

describe('Aria Automation with a username and password', () => {
  it('main: logs in, exchanges the API token it made, and publishes only the access token; post: cannot revoke', async () => {
    const result = await job(passwordInputs(aria))
    flows.scan(aria, result)
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
    const withDomain = await job(passwordInputs(aria, { 'auth-source': aria.domain }))
    const asUpn = await job(passwordInputs(aria, { username: `${aria.username}@${aria.domain}` }))
    flows.scan(aria, [withDomain, asUpn])
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
    const stepInputs = passwordInputs(aria, { ...extra, 'max-attempts': '3' })
    const result = await job(stepInputs)
    flows.scan(aria, result, [stepInputs.password])
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
    const result = await job(passwordInputs(aria, { 'max-attempts': '3', 'timeout-seconds': '2' }))
    flows.scan(aria, result)
    expect(result.main.exitCode, logOf(result)).toBe(0)
    const tries = aria.requestsTo('csp-login')
    expect(tries.map((request) => request.status)).toEqual([503, 503, 200])
    expectPacing(tries, { attempts: 3, timeoutSeconds: 2 }, result.main)
    expect(aria.requestsTo('login').map((request) => request.status)).toEqual([200])
  })

  it('a 503 storm that does not clear: busy, not wrong credentials', async () => {
    aria.fault('csp-login', status(503, ALWAYS)())
    const result = await job(passwordInputs(aria, { 'max-attempts': '2', 'timeout-seconds': '2' }))
    flows.scan(aria, result)
    expect(result.main.exitCode).toBe(1)
    expect(result.main.errors[0]).toMatch(
      /^Aria Automation login of ci-bot failed: HTTP 503 .*\(2 tries\)\. Aria Automation is busy or unavailable/,
    )
    expect(aria.requestsTo('login')).toEqual([])
  })

  it('api-token and username/password together: an input error, nothing sent', async () => {
    const result = await job(passwordInputs(aria, { 'api-token': aria.refreshToken }))
    flows.scan(aria, result)
    expect(result.main.errors[0]).toMatch(/^Input 'api-token': give either api-token, or username and password, not both/)
    expect(aria.requests).toEqual([])
  })
})

describe('Aria Automation through an https_proxy', () => {
  const behind = flows.behindProxy('aria.example.test', (names) => new AriaEmulator({ names }).start())

  it('reaches a host only the proxy can resolve; the post step sends nothing', async () => {
    const job = await flows.jobThroughProxy(behind, inputs(behind.server, { url: `${behind.url}/automation-ui/` }))
    flows.expectTunnelled(behind, 1, ['login 200'], behind.server.refreshToken)
    expect(job.main.outputs['access-token']).toBe(behind.server.issued.at(-1)!.token)
  })

  it('with a password: both requests go through one tunnel to a host only the proxy resolves', async () => {
    behind.server.reset()
    behind.proxy.tunnels.length = 0
    const result = await flows.jobThroughProxy(behind, passwordInputs(behind.server, { url: `${behind.url}/automation-ui/` }), {
      debug: true,
      timeoutMs: 40_000,
    })
    flows.expectTunnelled(behind, 1, ['csp-login 200', 'login 200'], behind.server.password)
    expectApiTokenKept(result, behind.server)
  })
})
