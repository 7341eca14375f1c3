/**
 * End to end, CSP: the built dist/index.js run as the runner runs it (support/runner.ts) against
 * the CSP emulator (support/csp-emulator.ts) over TLS with a private CA. Every run is leak-scanned.
 */
import { describe, expect, it } from 'vitest'
import { CspEmulator } from './support/csp-emulator.ts'
import { readJwt } from './support/jwt.ts'
import * as flows from './support/provider-flows.ts'
import { runJob, runStep, type JobResult, type StepResult } from './support/runner.ts'
import { shareEmulators } from './support/shared-emulators.ts'

const DAY_MS = 86_400_000

let csp: CspEmulator

shareEmulators(async () => [(csp = await new CspEmulator({ apiTokenExpiresInDays: 5 }).start())])

/** Inputs for the emulator: its url and CA, short limits so that failures stay fast. */
const inputs = (extra: Record<string, string>) => flows.reaching(csp, {}, extra)

const scan = (result: JobResult | StepResult, ...more: string[]) => flows.scan(csp, result, more)

/** No request carried any piece of a credential in its URL. */
const expectNoCredentialInUrls = (...credentials: string[]) => flows.expectNoCredentialInUrls(csp, ...credentials)

describe('CSP API token', () => {
  it('exchanges the token, publishes outputs and env, warns about the API token expiring in 5 days', async () => {
    const before = Date.now()
    const job = await runJob({ inputs: inputs({ 'api-token': csp.apiToken }) })
    scan(job)
    expect(job.main.exitCode, job.log.join('\n')).toBe(0)
    expect(job.main.succeeded).toBe(true)

    // What the emulator received: one exchange, the token in the form body only.
    const [exchange] = csp.requestsTo('api-token')
    expect(csp.requestsTo('api-token')).toHaveLength(1)
    expect(exchange.form).toEqual({ api_token: csp.apiToken })
    expect(exchange.headers['content-type']).toMatch(/application\/x-www-form-urlencoded/)
    expect(exchange.headers.accept).toMatch(/application\/json/)
    expect(exchange.headers.authorization).toBeUndefined()
    expect(csp.requestsTo('details').map((request) => request.json)).toEqual([{ tokenValue: csp.apiToken }])
    expectNoCredentialInUrls(csp.apiToken)

    // Outputs: what the emulator issued, and what its JWT says.
    const issued = csp.issued.at(-1)!
    const out = job.main.outputs
    expect(out['access-token']).toBe(issued.access_token)
    expect(out['token-type']).toBe('Bearer')
    expect(out['expires-in']).toBe(String(csp.expiresIn))
    const expiresAt = Date.parse(out['expires-at'])
    expect(out['expires-at']).toBe(new Date(expiresAt).toISOString())
    expect(expiresAt).toBeGreaterThanOrEqual(before + csp.expiresIn * 1000 - 1000)
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + csp.expiresIn * 1000 + 1000)
    expect(out.org).toBe(readJwt(issued.access_token)?.context_name)
    expect(out.org).toBe(csp.org)
    expect(out.subject).toBe(csp.username)
    expect(out['api-token-expires-at']).toBe(new Date(csp.apiTokens.get(csp.apiToken)!.expiresAt!).toISOString())
    expect(out['refresh-token']).toBeUndefined()
    expect(out['api-version']).toBeUndefined()

    // Env for later steps, and every secret of the response masked.
    expect(job.main.env).toEqual({ VMW_ACCESS_TOKEN: issued.access_token })
    expect(job.main.masks).toEqual(expect.arrayContaining([csp.apiToken, issued.access_token, issued.id_token]))
    expect(job.log.join('\n')).not.toContain(issued.access_token)

    // The API token expires in 5 days (< 30): a warning, and the summary says it too.
    const warning = job.main.warnings.find((line) => line.includes(out['api-token-expires-at']))
    expect(warning, job.main.warnings.join('\n')).toBeDefined()
    expect(job.main.summary).toContain(out['api-token-expires-at'])
    expect(job.main.summary).toMatch(/expires/i)
    expect(job.main.summary).toContain(csp.org)
    expect(job.main.summary).toContain(csp.username)

    // Post step: CSP cannot revoke, says so, and when the token expires; no request made.
    expect(job.post!.exitCode).toBe(0)
    expect(job.post!.warnings).toEqual([])
    expect(job.post!.log.join('\n')).toMatch(/cannot be revoked/i)
    expect(job.post!.log.join('\n')).toContain(out['expires-at'])
    expect(csp.requests).toHaveLength(2)
  })

  it('no warning when the API token is far from expiry; env-name renames the variable', async () => {
    const token = csp.addApiToken({ expiresAt: Date.now() + 200 * DAY_MS })
    const step = await runStep({ inputs: inputs({ 'api-token': token, 'env-name': 'TSM_TOKEN' }) })
    scan(step)
    expect(step.exitCode).toBe(0)
    expect(step.warnings).toEqual([])
    expect(step.env).toEqual({ TSM_TOKEN: step.outputs['access-token'] })
    expect(step.outputs['api-token-expires-at']).toBe(new Date(csp.apiTokens.get(token)!.expiresAt!).toISOString())
  })

  it('a token that never expires gives an empty api-token-expires-at', async () => {
    const token = csp.addApiToken({ expiresAt: null })
    const step = await runStep({ inputs: inputs({ 'api-token': token }) })
    scan(step)
    expect(step.exitCode).toBe(0)
    expect(step.outputs['api-token-expires-at']).toBe('')
    expect(step.warnings).toEqual([])
  })

  it('expiry-warning-days 0 skips the details lookup', async () => {
    const step = await runStep({ inputs: inputs({ 'api-token': csp.apiToken, 'expiry-warning-days': '0' }) })
    scan(step)
    expect(step.exitCode).toBe(0)
    expect(csp.requestsTo('details')).toEqual([])
    expect(step.warnings).toEqual([])
    expect(step.outputs['api-token-expires-at']).toBeUndefined()
  })

  it('export-env false: outputs only, no environment variable', async () => {
    const step = await runStep({ inputs: inputs({ 'api-token': csp.apiToken, 'export-env': 'false' }) })
    scan(step)
    expect(step.exitCode).toBe(0)
    expect(step.env).toEqual({})
    expect(step.outputs['access-token']).toBe(csp.issued.at(-1)!.access_token)
  })

  it('a wrong token fails the step with a redacted provider message and no token in any URL', async () => {
    const wrong = `${csp.apiToken.slice(0, 20)}WRONGwrongWRONG${csp.apiToken.slice(-30, -5)}zZ9q1`
    const job = await runJob({ inputs: inputs({ 'api-token': wrong }) })
    scan(job, wrong)
    expect(job.main.exitCode).toBe(1)
    expect(job.main.errors).toHaveLength(1)
    const [error] = job.main.errors
    // The emulator echoed "xxxxx...zZ9q1": the reason is kept, the tail is not.
    expect(csp.requestsTo('api-token')[0].status).toBe(400)
    expect(error).toMatch(/invalid_grant/)
    expect(error).toMatch(/HTTP 400/)
    expect(error).not.toContain(wrong.slice(-5))
    expect(error).toMatch(/api-token|API token/)
    expect(job.main.outputs).toEqual({})
    expect(job.main.env).toEqual({})
    // 400 is not retried.
    expect(csp.requestsTo('api-token')).toHaveLength(1)
    expectNoCredentialInUrls(wrong)
    // The post step runs (post-if: always()) and has nothing to do.
    expect(job.post!.exitCode).toBe(0)
    expect(job.post!.warnings).toEqual([])
  })

  it('an error body echoing the whole token, or a long tail of it, is redacted', async () => {
    csp.fault('api-token', { times: 1, echo: 'token', status: 401 })
    const whole = await runStep({ inputs: inputs({ 'api-token': csp.apiToken }) })
    scan(whole)
    expect(whole.exitCode).toBe(1)
    expect(whole.errors[0]).toMatch(/invalid_grant/)

    csp.fault('api-token', { times: 1, echo: 'tail', echoTail: 12, status: 403 })
    const tail = await runStep({ inputs: inputs({ 'api-token': csp.apiToken }) })
    scan(tail)
    expect(tail.exitCode).toBe(1)
    expect(tail.errors[0]).not.toContain(csp.apiToken.slice(-5))
  })

  it('org pinning: a token of another org fails the step and publishes nothing', async () => {
    const job = await runJob({ inputs: inputs({ 'api-token': csp.apiToken, org: csp.otherOrg }) })
    scan(job)
    expect(job.main.exitCode).toBe(1)
    expect(job.main.errors[0]).toContain(csp.org)
    expect(job.main.errors[0]).toContain(csp.otherOrg)
    expect(job.main.outputs['access-token']).toBeUndefined()
    expect(job.main.env).toEqual({})
    // The exchange did happen: the token it issued must still be masked.
    expect(job.main.masks).toContain(csp.issued.at(-1)!.access_token)
    expect(job.post!.exitCode).toBe(0)
  })

  it('org pinning: the token of that org passes, whatever the case of the UUID', async () => {
    const step = await runStep({ inputs: inputs({ 'api-token': csp.apiToken, org: csp.org.toUpperCase() }) })
    scan(step)
    expect(step.exitCode).toBe(0)
    expect(step.outputs.org).toBe(csp.org)
  })

  it('retries 503 answers and succeeds', async () => {
    const fault = csp.fault('api-token', { times: 2, status: 503, headers: { 'retry-after': '0' } })
    const step = await runStep({ inputs: inputs({ 'api-token': csp.apiToken, 'max-attempts': '3', 'expiry-warning-days': '0' }) })
    scan(step)
    expect(step.exitCode).toBe(0)
    expect(fault.hits).toBe(2)
    expect(csp.requestsTo('api-token').map((request) => request.status)).toEqual([503, 503, 200])
  })

  it('a server that never answers is cut off by timeout-seconds and the step ends', async () => {
    csp.fault('api-token', { times: Infinity, hang: true })
    const step = await runStep({
      inputs: inputs({ 'api-token': csp.apiToken, 'timeout-seconds': '1', 'max-attempts': '1' }),
      timeoutMs: 15_000,
    })
    scan(step)
    expect(step.timedOut).toBe(false)
    expect(step.exitCode).toBe(1)
    expect(step.errors[0]).toMatch(/timeout-seconds/)
    expect(step.durationMs).toBeLessThan(5000)
  })
})

describe('CSP OAuth app', () => {
  it('sends Basic client credentials and orgId, and publishes the app token', async () => {
    const job = await runJob({ inputs: inputs({ 'client-id': csp.clientId, 'client-secret': csp.clientSecret, org: csp.org }) })
    scan(job)
    expect(job.main.exitCode, job.log.join('\n')).toBe(0)

    const requests = csp.requestsTo('oauth-app')
    expect(requests).toHaveLength(1)
    const [request] = requests
    expect(request.headers.authorization).toBe(`Basic ${Buffer.from(`${csp.clientId}:${csp.clientSecret}`).toString('base64')}`)
    expect(request.form).toEqual({ grant_type: 'client_credentials', orgId: csp.org })
    expect(request.status).toBe(200)
    // An OAuth app has no API token to look up.
    expect(csp.requestsTo('details')).toEqual([])
    expectNoCredentialInUrls(csp.clientSecret)

    const issued = csp.issued.at(-1)!
    expect(issued.kind).toBe('oauth-app')
    expect(job.main.outputs['access-token']).toBe(issued.access_token)
    expect(job.main.outputs.org).toBe(csp.org)
    // No username claim: the subject is the app.
    expect(readJwt(issued.access_token)?.username).toBeUndefined()
    expect(job.main.outputs.subject).toBe(csp.clientId)
    expect(job.main.outputs['api-token-expires-at']).toBeUndefined()
    expect(job.main.env.VMW_ACCESS_TOKEN).toBe(issued.access_token)
    expect(job.main.masks).toEqual(expect.arrayContaining([csp.clientSecret, issued.access_token]))
    expect(job.post!.exitCode).toBe(0)
    expect(job.post!.log.join('\n')).toMatch(/cannot be revoked/i)
  })

  it('without org, no orgId is sent', async () => {
    const step = await runStep({ inputs: inputs({ 'client-id': csp.clientId, 'client-secret': csp.clientSecret }) })
    scan(step)
    expect(step.exitCode).toBe(0)
    expect(csp.requestsTo('oauth-app')[0].form).toEqual({ grant_type: 'client_credentials' })
  })

  it('a wrong secret fails at once with advice about client-id / client-secret', async () => {
    const wrongSecret = `${csp.clientSecret.slice(0, 24)}XXXXXXXXXXXXXXXXXXXXXXXX`
    const job = await runJob({ inputs: inputs({ 'client-id': csp.clientId, 'client-secret': wrongSecret }) })
    scan(job, wrongSecret, Buffer.from(`${csp.clientId}:${wrongSecret}`).toString('base64'))
    expect(job.main.exitCode).toBe(1)
    expect(csp.requestsTo('oauth-app')).toHaveLength(1)
    expect(csp.requestsTo('oauth-app')[0].status).toBe(401)
    expect(job.main.errors[0]).toMatch(/invalid_client/)
    expect(job.main.errors[0]).toMatch(/client-secret/)
    expect(job.main.outputs).toEqual({})
    expect(job.post!.exitCode).toBe(0)
  })

  it('an app that is not in the org fails with advice about org', async () => {
    const step = await runStep({ inputs: inputs({ 'client-id': csp.clientId, 'client-secret': csp.clientSecret, org: csp.otherOrg }) })
    scan(step)
    expect(step.exitCode).toBe(1)
    expect(csp.requestsTo('oauth-app')[0].form?.orgId).toBe(csp.otherOrg)
    expect(csp.requestsTo('oauth-app')[0].status).toBe(400)
    expect(step.errors[0]).toContain(csp.otherOrg)
    expect(step.errors[0]).toMatch(/\borg\b/)
    expect(step.outputs).toEqual({})
  })
})

describe('CSP with a private CA', () => {
  it('without ca-certificate the TLS failure points at ca-certificate, and is not retried', async () => {
    const { 'ca-certificate': _omitted, ...rest } = inputs({ 'api-token': csp.apiToken, 'max-attempts': '3' })
    const job = await runJob({ inputs: rest })
    scan(job)
    expect(job.main.exitCode).toBe(1)
    expect(job.main.errors[0]).toMatch(/ca-certificate/)
    expect(job.main.errors[0]).toMatch(/certificate/i)
    // The handshake failed: the emulator never saw a request.
    expect(csp.requests).toEqual([])
    expect(job.main.durationMs).toBeLessThan(3000)
    expect(job.post!.exitCode).toBe(0)
  })

  it('with the CA in ca-certificate the same server is trusted', async () => {
    const step = await runStep({ inputs: inputs({ 'api-token': csp.apiToken }) })
    scan(step)
    expect(step.exitCode).toBe(0)
    expect(csp.requestsTo('api-token')).toHaveLength(1)
  })

  it('a self-signed server certificate is trusted when given as ca-certificate', async () => {
    const selfSigned = await new CspEmulator({ tls: 'self-signed' }).start()
    try {
      const bad = await runStep({
        inputs: { ...inputs({ 'api-token': selfSigned.apiToken }), url: selfSigned.url, 'ca-certificate': csp.ca },
      })
      expect(bad.exitCode).toBe(1)
      expect(bad.errors[0]).toMatch(/ca-certificate/)
      const good = await runStep({
        inputs: { ...inputs({ 'api-token': selfSigned.apiToken }), url: selfSigned.url, 'ca-certificate': selfSigned.ca },
      })
      flows.scan(selfSigned, [bad, good])
      expect(good.exitCode).toBe(0)
      expect(good.outputs['access-token']).toBe(selfSigned.issued.at(-1)!.access_token)
    } finally {
      await selfSigned.close()
    }
  })
})
