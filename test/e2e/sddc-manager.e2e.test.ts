/**
 * End to end, SDDC Manager: the built bundles run as the runner runs them (support/runner.ts) against
 * the SDDC Manager emulator (support/sddc-manager-emulator.ts) over TLS with a private CA: the token
 * pair from a password or an API key, refusals (never retried: a wrong password counts toward a
 * lockout), the inputs, a proxy. Every run is leak-scanned. The post step's revocation has its own
 * file (sddc-manager-revoke.e2e.test.ts), and so do faults (sddc-manager-faults.e2e.test.ts).
 */
import { describe, expect, it } from 'vitest'
import { SDDC_ACCESS_TOKEN_SECONDS, SDDC_DOMAINS_PATH, SDDC_TOKENS_PATH, SddcManagerEmulator } from './support/sddc-manager-emulator.ts'
import * as flows from './support/provider-flows.ts'
import { runJob, runStep } from './support/runner.ts'
import { shareEmulators } from './support/shared-emulators.ts'

let sddc: SddcManagerEmulator

shareEmulators(async () => [(sddc = await new SddcManagerEmulator().start())])

const inputs = (server: SddcManagerEmulator, extra: Record<string, string> = {}) =>
  flows.reaching(server, { provider: 'sddc-manager', ...flows.passwordOf(server) }, extra)

const subject = { server: () => sddc, inputs }

describe('SDDC Manager: the token pair', () => {
  it('main: one login with the password, the outputs from the JWT, the refresh token only in the state; a later step uses the token; post: revokes the refresh token', async () => {
    const before = Date.now()
    const job = await runJob({ inputs: inputs(sddc) })
    flows.scan(sddc, job)
    expect(job.main.exitCode, job.log.join('\n')).toBe(0)
    expect(sddc.requestsTo('tokens').map((request) => request.status)).toEqual([201])
    flows.expectCredentialInJsonOnly(sddc, 'tokens', SDDC_TOKENS_PATH, { username: sddc.username, password: sddc.password }, [
      sddc.password,
    ])

    const issued = sddc.issued.at(-1)!
    const out = job.main.outputs
    expect(out['access-token']).toBe(issued.accessToken)
    expect(out['token-type']).toBe('Bearer')
    flows.expectExpiry(out, before, SDDC_ACCESS_TOKEN_SECONDS, issued.expiresAt)
    expect(out.org).toBe('')
    expect(out.subject).toBe(sddc.username)
    for (const name of ['refresh-token', 'api-version', 'api-token-expires-at']) expect(out[name], name).toBeUndefined()
    expect(job.main.env).toEqual({ VMW_ACCESS_TOKEN: issued.accessToken })
    // The refresh token id: masked, kept for the post step only.
    expect(job.main.masks).toEqual(expect.arrayContaining([sddc.password, issued.accessToken, issued.refreshTokenId]))
    expect(JSON.stringify([out, job.main.env])).not.toContain(issued.refreshTokenId)
    expect(JSON.stringify(job.main.state)).toContain(issued.refreshTokenId)
    expect(job.main.warnings).toEqual([])
    expect(job.main.log.join('\n')).toContain(
      `Issued a VMware SDDC Manager access token for ${sddc.username}, valid until ${out['expires-at']}.`,
    )
    expect(job.main.summary).toContain(
      '| Revoke covers | the refresh token only: the access token cannot be revoked and lives until it expires |',
    )

    expect(job.post!.exitCode).toBe(0)
    expect(job.post!.warnings).toEqual([])
    expect(job.post!.log.join('\n')).toContain(
      `Revoked the SDDC Manager refresh token; the access token cannot be revoked and stays valid until it expires at ${out['expires-at']}.`,
    )
    expect(sddc.requestsTo('revoke').map((request) => [request.body, request.headers.authorization, request.status])).toEqual([
      [JSON.stringify(issued.refreshTokenId), `Bearer ${issued.accessToken}`, 204],
    ])
    expect(sddc.refreshTokens.get(issued.refreshTokenId)).toMatchObject({ revoked: true, revokedWith: 'json-string' })

    // As SDDC Manager documents it: the access token outlives its refresh token.
    const names = sddc.domains.map((domain) => String(domain.name))
    const domains = { url: sddc.url + SDDC_DOMAINS_PATH, key: 'elements', route: 'domains', names }
    await flows.expectListedLater(job.main, sddc, domains, issued.accessToken)
  })

  it("an automation account's API key: {apiKey}, the subject from the token's sub", async () => {
    const job = await runJob({ inputs: inputs(sddc, { username: '', password: '', 'api-token': sddc.apiKey }) })
    flows.scan(sddc, job)
    expect(job.main.exitCode, job.log.join('\n')).toBe(0)
    flows.expectCredentialInJsonOnly(sddc, 'tokens', SDDC_TOKENS_PATH, { apiKey: sddc.apiKey }, [sddc.apiKey])
    expect(job.main.outputs.subject).toBe(sddc.serviceUser)
    expect(job.main.masks).toContain(sddc.apiKey)
    expect(job.post!.log.join('\n')).toContain('Revoked the SDDC Manager refresh token')
    expect(sddc.refreshTokens.get(sddc.issued.at(-1)!.refreshTokenId)?.revoked).toBe(true)
  })

  it("a hostile sub claim of an API key's token is shown broken, and sets no output", async () => {
    sddc.extraClaims = { sub: 'svc ##[set-output name=refresh-token;]junk' }
    const job = await runJob({ inputs: inputs(sddc, { username: '', password: '', 'api-token': sddc.apiKey }) })
    flows.scan(sddc, job)
    expect(job.main.exitCode, job.log.join('\n')).toBe(0)
    expect(job.main.commands.filter((command) => command.form === 'legacy')).toEqual([])
    expect(job.main.log.find((line) => line.startsWith('Issued a '))).toContain('svc # #[set-output name=refresh-token;]junk')
    expect(job.main.outputs['refresh-token']).toBeUndefined()
    expect(job.main.outputs.subject).toBe('svc ##[set-output name=refresh-token;]junk')
  })

  it('HTTP 200 (spec 5.1.1 and the guide) works as 201 does; any address on the appliance works', async () => {
    sddc.tokenStatus = 200
    const steps = []
    for (const url of [`${sddc.url}/ui/sddc-manager/inventory/domains`, `${sddc.url}/v1/domains/`]) {
      steps.push(await runStep({ inputs: inputs(sddc, { url }) }))
    }
    flows.scan(sddc, steps)
    for (const step of steps) expect(step.exitCode, step.log.join('\n')).toBe(0)
    expect(sddc.requestsTo('tokens').map((request) => [request.path, request.status])).toEqual([
      [SDDC_TOKENS_PATH, 200],
      [SDDC_TOKENS_PATH, 200],
    ])
  })

  it('a JWT without exp: the documented hour, with a warning in the log and the summary', async () => {
    sddc.omitClaims = ['exp']
    const job = await runJob({ inputs: inputs(sddc) })
    flows.scan(sddc, job)
    expect(job.main.exitCode, job.log.join('\n')).toBe(0)
    expect(job.main.outputs['expires-in']).toBe('3600')
    expect(job.main.warnings).toEqual([
      'The SDDC Manager access token has no usable expiry claim (exp); assuming the documented 1 hour, so expires-at is an estimate: the token may end sooner.',
    ])
    expect(job.main.summary).toContain('assuming the documented 1 hour')
    expect(job.post!.log.join('\n')).toContain(`stays valid until it expires at ${job.main.outputs['expires-at']}`)
  })
})

describe('SDDC Manager: refusals', () => {
  it.each([
    [
      401,
      'password',
      /HTTP 401 Unauthorized: Invalid username or password\. Check the user name and password, or the API key, and try again\. \(1 try\)\. SDDC Manager refused the user name or password: check username .* and password\. Do not run the job again until they are fixed/,
    ],
    [400, 'password', /HTTP 400 Bad Request: Invalid username or password\. .*\(1 try\)\. SDDC Manager refused the user name or password/],
    [401, 'api-token', /HTTP 401 Unauthorized: The API key is not valid\. .*\(1 try\)\. SDDC Manager refused the API key: check api-token/],
  ])('HTTP %i for a wrong %s: one request (never retried), the inputs named, nothing to revoke', async (status, kind, message) => {
    sddc.rejectStatus = status
    const wrong: Record<string, string> =
      kind === 'password'
        ? { password: 'Wr0ng-Passw0rd-Wr0ng' }
        : { username: '', password: '', 'api-token': 'Wr0ngKeyWr0ngKeyWr0ngKeyWr0ngKey' }
    const job = await runJob({ inputs: inputs(sddc, { ...wrong, 'max-attempts': '4' }) })
    flows.scan(sddc, job, Object.values(wrong).filter(Boolean))
    flows.expectNothingIssued(job)
    expect(sddc.requestsTo('tokens').map((request) => request.status)).toEqual([status])
    expect(job.main.errors[0]).toMatch(/^SDDC Manager token request failed: /)
    expect(job.main.errors[0]).toMatch(message)
    expect(sddc.requestsTo('revoke')).toEqual([])
  })

  it('a wrong password counts once per run: a server that locks after 3 is not locked by 2 runs, and the right password then works', async () => {
    sddc.lockoutAfter = 3
    const runs = [await runJob({ inputs: inputs(sddc, { password: 'Wr0ng-Passw0rd-1', 'max-attempts': '4' }) })]
    runs.push(await runJob({ inputs: inputs(sddc, { password: 'Wr0ng-Passw0rd-2', 'max-attempts': '4' }) }))
    expect(sddc.users.get(sddc.username)).toMatchObject({ failures: 2, locked: false })
    runs.push(await runJob({ inputs: inputs(sddc) }))
    flows.scan(sddc, runs, ['Wr0ng-Passw0rd-1', 'Wr0ng-Passw0rd-2'])
    expect(runs.map((run) => run.main.exitCode)).toEqual([1, 1, 0])
    expect(sddc.requestsTo('tokens').map((request) => request.status)).toEqual([401, 401, 201])
  })

  it('a locked account: its message quoted, one request', async () => {
    sddc.lockoutAfter = 1
    await runStep({ inputs: inputs(sddc, { password: 'Wr0ng-Passw0rd-Wr0ng' }) })
    const step = await runStep({ inputs: inputs(sddc, { 'max-attempts': '4' }) })
    flows.scan(sddc, step, ['Wr0ng-Passw0rd-Wr0ng'])
    expect(step.exitCode).toBe(1)
    expect(step.errors[0]).toContain(`HTTP 401 Unauthorized: The account ${sddc.username} is locked.`)
    expect(sddc.requestsTo('tokens')).toHaveLength(2)
  })

  flows.itRefusesBeforeAnyRequest(subject, [
    ['org', { org: 'acme' }, /^Input 'org': is not used by provider sddc-manager: SDDC Manager has no organizations\. Remove org\.$/],
    [
      'api-token beside the password',
      { 'api-token': flows.MADE_UP_SECRET },
      /^Input 'api-token': give either username and password, or api-token, not both/,
    ],
    ['no password', { password: '' }, /^Input 'password': is required when username is given/],
    ['auth-source', { 'auth-source': 'corp.example' }, /^Input 'auth-source': is not used by provider sddc-manager/],
    ['url', { url: '' }, /^Input 'url': is required for provider sddc-manager/],
  ])

  flows.itDistrustsThePrivateCa(subject, /ca-certificate/)
})

describe('SDDC Manager through an https_proxy', () => {
  const behind = flows.behindProxy('sddc-manager.example.test', (names) => new SddcManagerEmulator({ names }).start())

  it('reaches a host only the proxy can resolve, main and post, one tunnel each', async () => {
    await flows.jobThroughProxy(behind, inputs(behind.server, { url: `${behind.url}/ui/` }))
    flows.expectTunnelled(behind, 2, ['tokens 201', 'revoke 204'], behind.server.password)
  })
})
