/**
 * End to end, Aria Automation 8.x: the built bundles run as the runner runs them (support/runner.ts)
 * against the Aria Automation emulator (support/aria-emulator.ts) over TLS with a private CA, with an
 * API token, or with a username and password (the login makes an API token that must never leave
 * the step: not an output, not the environment, not the saved state, not the log). Every run is
 * leak-scanned.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ARIA_ACCESS_TOKEN_SECONDS,
  ARIA_CATALOG_ITEMS_PATH,
  ARIA_CSP_LOGIN_PATH,
  ARIA_LOGIN_PATH,
  AriaEmulator,
} from './support/aria-emulator.ts'
import { ALWAYS, expectPostHarmless, job, logOf, status } from './support/faults.ts'
import { expectPacing } from './support/pacing.ts'
import { ConnectProxy } from './support/tcp.ts'
import { assertNoLeaks, containsPiece, runJob, runStep, type JobResult, type StepResult } from './support/runner.ts'
import { shareEmulators } from './support/shared-emulators.ts'

let aria: AriaEmulator

shareEmulators(async () => [(aria = await new AriaEmulator().start())])

function inputs(server: AriaEmulator, extra: Record<string, string>): Record<string, string> {
  return {
    provider: 'aria-automation',
    url: server.url,
    'api-token': server.refreshToken,
    'ca-certificate': server.ca,
    'timeout-seconds': '5',
    'max-attempts': '2',
    ...extra,
  }
}

function scan(server: AriaEmulator, result: JobResult | StepResult | (JobResult | StepResult)[]): void {
  assertNoLeaks(result, server.secrets())
}

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
function expectCredentialInBodyOnly(server: AriaEmulator, token: string): void {
  expect(server.requests.length).toBeGreaterThan(0)
  for (const request of server.requests) expect(containsPiece(request.url, token), request.url).toBe(false)
  for (const login of server.requestsTo('login')) {
    expect(login.url).toBe(ARIA_LOGIN_PATH)
    expect(login.json).toEqual({ refreshToken: token })
    expect(login.headers['content-type']).toBe('application/json')
    expect(login.headers.accept).toBe('application/json')
    expect(login.headers.authorization).toBeUndefined()
  }
  expect(server.credentialsInUrl).toEqual([])
}

/** A later step of the job: lists catalog items with the token from VMW_ACCESS_TOKEN, as a workflow would. */
async function laterStep(job: JobResult, server: AriaEmulator): Promise<StepResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vmw-e2e-later-'))
  const script = join(dir, 'list-catalog.mjs')
  writeFileSync(
    script,
    `import https from 'node:https'
const url = process.env.ARIA_URL + '${ARIA_CATALOG_ITEMS_PATH}?apiVersion=2020-08-25'
https.get(url, { ca: process.env.ARIA_CA, headers: { Authorization: 'Bearer ' + process.env.VMW_ACCESS_TOKEN } }, (res) => {
  let body = ''
  res.on('data', (chunk) => (body += chunk))
  res.on('end', () => {
    const names = res.statusCode === 200 ? JSON.parse(body).content.map((item) => item.name) : []
    console.log('HTTP ' + res.statusCode + ': ' + names.join(', '))
    process.exitCode = res.statusCode === 200 ? 0 : 1
  })
})
`,
  )
  try {
    return await runStep({ action: script, jobEnv: job.env, masks: job.main.masks, env: { ARIA_URL: server.url, ARIA_CA: server.ca } })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('Aria Automation: the exchange', () => {
  it('main: one login, the outputs from the JWT; post: cannot be revoked, sends nothing; a later step uses the token', async () => {
    const before = Date.now()
    const job = await runJob({ inputs: inputs(aria, {}) })
    scan(aria, job)
    expect(job.main.exitCode, job.log.join('\n')).toBe(0)
    expect(aria.requestsTo('login').map((request) => request.status)).toEqual([200])
    expectCredentialInBodyOnly(aria, aria.refreshToken)

    const issued = aria.issued.at(-1)!
    const out = job.main.outputs
    expect(out['access-token']).toBe(issued.token)
    expect(out['token-type']).toBe('Bearer')
    // exp - now, floored: at most the lifetime, less only by the seconds the step took.
    const expiresIn = Number(out['expires-in'])
    expect(expiresIn).toBeLessThanOrEqual(ARIA_ACCESS_TOKEN_SECONDS)
    expect(expiresIn).toBeGreaterThanOrEqual(Math.floor((issued.expiresAt - Date.now()) / 1000))
    expect(Date.parse(out['expires-at'])).toBeLessThanOrEqual(issued.expiresAt)
    expect(Date.parse(out['expires-at'])).toBeGreaterThanOrEqual(before + (expiresIn - 1) * 1000)
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

    const later = await laterStep(job, aria)
    scan(aria, later)
    expect(later.exitCode, later.stderr).toBe(0)
    expect(later.log).toContain(`HTTP 200: ${aria.catalogItems.map((item) => item.name).join(', ')}`)
    expect(aria.requestsTo('catalog-items').map((request) => [request.headers.authorization, request.status])).toEqual([
      [`Bearer ${issued.token}`, 200],
    ])
  })

  it('any address on the appliance works: the UI, the API root', async () => {
    for (const url of [`${aria.url}/automation-ui/#/service-broker-ui`, `${aria.url}/iaas/api/`]) {
      const step = await runStep({ inputs: inputs(aria, { url }) })
      scan(aria, step)
      expect(step.exitCode, step.log.join('\n')).toBe(0)
    }
    expect(aria.requestsTo('login').map((request) => request.path)).toEqual([ARIA_LOGIN_PATH, ARIA_LOGIN_PATH])
  })

  it('a lower-case tokenType is Bearer; a tokenType that is not bearer fails the step', async () => {
    aria.tokenType = 'bearer'
    const lower = await runStep({ inputs: inputs(aria, {}) })
    aria.tokenType = 'JWT'
    const other = await runStep({ inputs: inputs(aria, {}) })
    scan(aria, [lower, other])
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
    scan(aria, job)
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
    scan(aria, step)
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
    assertNoLeaks(job, [...aria.secrets(), apiToken])
    expect(job.main.exitCode).toBe(1)
    expect(aria.requestsTo('login').map((request) => request.status)).toEqual([status])
    expect(job.main.errors).toHaveLength(1)
    expect(job.main.errors[0]).toMatch(/^Aria Automation token request failed: /)
    expect(job.main.errors[0]).toMatch(message)
    expect(job.main.outputs).toEqual({})
    expect(job.main.env).toEqual({})
    expectCredentialInBodyOnly(aria, apiToken)
    expect(job.post!.exitCode).toBe(0)
    expect(job.post!.warnings).toEqual([])
    expect(job.post!.log.join('\n')).toContain('The main step issued no access token: nothing to revoke.')
  })

  it.each([
    ['org', { org: 'acme' }, /^Input 'org': is not used by provider aria-automation/],
    [
      'client-id',
      { 'client-id': 'app', 'client-secret': 'S3cretS3cretS3cret', 'api-token': '' },
      /^Input 'client-id': client-id and client-secret are not used/,
    ],
    ['url', { url: '' }, /^Input 'url': is required for provider aria-automation/],
  ])('%s: an input error before any request', async (_name, extra, message) => {
    const step = await runStep({ inputs: inputs(aria, extra) })
    assertNoLeaks(step, [...aria.secrets(), 'S3cretS3cretS3cret'])
    expect(step.exitCode).toBe(1)
    expect(step.errors[0]).toMatch(message)
    expect(aria.requests).toEqual([])
  })

  it('without ca-certificate the private CA is not trusted: the error points at ca-certificate, nothing is sent', async () => {
    const step = await runStep({ inputs: inputs(aria, { 'ca-certificate': '' }) })
    scan(aria, step)
    expect(step.exitCode).toBe(1)
    expect(step.errors[0]).toMatch(/ca-certificate/)
    expect(aria.requests).toEqual([])
  })
})

describe('Aria Automation with a username and password', () => {
  it('main: logs in, exchanges the API token it made, and publishes only the access token; post: cannot revoke', async () => {
    const result = await job(passwordInputs(aria))
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
    const withDomain = await job(passwordInputs(aria, { 'auth-source': aria.domain }))
    const asUpn = await job(passwordInputs(aria, { username: `${aria.username}@${aria.domain}` }))
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
    const stepInputs = passwordInputs(aria, { ...extra, 'max-attempts': '3' })
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
    const result = await job(passwordInputs(aria, { 'max-attempts': '3', 'timeout-seconds': '2' }))
    assertNoLeaks(result, aria.secrets())
    expect(result.main.exitCode, logOf(result)).toBe(0)
    const tries = aria.requestsTo('csp-login')
    expect(tries.map((request) => request.status)).toEqual([503, 503, 200])
    expectPacing(tries, { attempts: 3, timeoutSeconds: 2 }, result.main)
    expect(aria.requestsTo('login').map((request) => request.status)).toEqual([200])
  })

  it('a 503 storm that does not clear: busy, not wrong credentials', async () => {
    aria.fault('csp-login', status(503, ALWAYS)())
    const result = await job(passwordInputs(aria, { 'max-attempts': '2', 'timeout-seconds': '2' }))
    assertNoLeaks(result, aria.secrets())
    expect(result.main.exitCode).toBe(1)
    expect(result.main.errors[0]).toMatch(
      /^Aria Automation login of ci-bot failed: HTTP 503 .*\(2 tries\)\. Aria Automation is busy or unavailable/,
    )
    expect(aria.requestsTo('login')).toEqual([])
  })

  it('api-token and username/password together: an input error, nothing sent', async () => {
    const result = await job(passwordInputs(aria, { 'api-token': aria.refreshToken }))
    assertNoLeaks(result, aria.secrets())
    expect(result.main.errors[0]).toMatch(/^Input 'api-token': give either api-token, or username and password, not both/)
    expect(aria.requests).toEqual([])
  })
})

describe('Aria Automation through an https_proxy', () => {
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

  it('reaches a host only the proxy can resolve; the post step sends nothing', async () => {
    const url = `${behind.urlFor('aria.example.test')}/automation-ui/`
    const job = await runJob({ inputs: inputs(behind, { url }), env: { https_proxy: proxy.url } })
    scan(behind, job)
    expect(job.main.exitCode, job.log.join('\n')).toBe(0)
    expect(job.post!.exitCode).toBe(0)
    expect(proxy.tunnels.map((tunnel) => [tunnel.target, tunnel.status])).toEqual([[`aria.example.test:${behind.port}`, 200]])
    expect(behind.requests.map((request) => [request.route, request.servername, request.status])).toEqual([
      ['login', 'aria.example.test', 200],
    ])
    expect(job.main.outputs['access-token']).toBe(behind.issued.at(-1)!.token)
    expect(JSON.stringify(proxy.tunnels)).not.toContain(behind.refreshToken)
  })

  it('with a password: both requests go through one tunnel to a host only the proxy resolves', async () => {
    behind.reset()
    proxy.tunnels.length = 0
    const result = await job(passwordInputs(behind, { url: `${behind.urlFor('aria.example.test')}/automation-ui/` }), {
      https_proxy: proxy.url,
    })
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
