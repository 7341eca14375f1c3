/**
 * End to end, VCF Automation 9: the built bundles run as the runner runs them (support/runner.ts)
 * against the VCF Automation emulator (support/vcfa-emulator.ts) over TLS with a private CA: the
 * provider org, an All Apps org and a VM Apps org, both token path forms, rotation, a proxy. Every
 * run is leak-scanned.
 */
import { describe, expect, it } from 'vitest'
import * as flows from './support/provider-flows.ts'
import { containsPiece, runJob, runStep } from './support/runner.ts'
import { closedAfterAll, shareEmulators } from './support/shared-emulators.ts'
import { VCFA_KUBERNETES_PATH, VcfaEmulator, type VcfaOptions } from './support/vcfa-emulator.ts'

let vcfa: VcfaEmulator

shareEmulators(async () => [(vcfa = await new VcfaEmulator().start())])

const kept = closedAfterAll()
const another = (options: VcfaOptions) => kept(new VcfaEmulator(options).start())

const inputs = (server: VcfaEmulator, extra: Record<string, string>) => flows.reaching(server, { provider: 'vcfa' }, extra)

const scan = flows.scan

/** What the Kubernetes endpoint (/cci/kubernetes) says to the access token: 200 while it lives. */
async function kubernetesStatus(server: VcfaEmulator, accessToken: string): Promise<number> {
  return (await server.request(`${VCFA_KUBERNETES_PATH}/api`, { headers: { Authorization: `Bearer ${accessToken}` } })).status
}

const tokenPaths = (server: VcfaEmulator) => server.requestsTo('token').map((request) => `${request.path} ${request.status}`)

describe('VCF Automation orgs', () => {
  it('provider org: /oauth/provider/token, version 40.0, the session names; the post step logs out and the token is dead', async () => {
    const job = await runJob({ inputs: inputs(vcfa, { 'api-token': vcfa.providerToken }) })
    scan(vcfa, job)
    expect(job.main.exitCode, job.log.join('\n')).toBe(0)
    expect(tokenPaths(vcfa)).toEqual(['/oauth/provider/token 200'])
    const [exchange] = vcfa.requestsTo('token')
    expect(exchange.form).toEqual({ grant_type: 'refresh_token', refresh_token: vcfa.providerToken })
    for (const request of vcfa.requests) expect(containsPiece(request.url, vcfa.providerToken), request.url).toBe(false)
    expect(vcfa.credentialsInUrl).toEqual([])

    const issued = vcfa.issued.at(-1)!
    const out = job.main.outputs
    expect(out['access-token']).toBe(issued.access_token)
    expect(out['expires-in']).toBe('3600')
    // The highest released version, though 41.0.0-alpha is listed both ways.
    expect(out['api-version']).toBe('40.0')
    expect(out.org).toBe('System')
    expect(out.subject).toBe('serviceadministrator')
    expect(out['refresh-token']).toBeUndefined()
    expect(vcfa.requestsTo('session')[0].headers.accept).toBe('application/json;version=40.0')
    expect(job.main.warnings).toEqual([])
    expect(job.main.summary).toContain('VCF Automation (vcfa)')

    expect(job.post!.exitCode).toBe(0)
    expect(job.post!.warnings).toEqual([])
    expect(vcfa.requestsTo('logout').map((request) => [request.status, request.headers.authorization])).toEqual([
      [204, `Bearer ${issued.access_token}`],
    ])
    expect(vcfa.isAlive(issued.access_token)).toBe(false)
    expect(await kubernetesStatus(vcfa, issued.access_token)).toBe(401)
    expect(job.post!.log.join('\n')).toContain('Logged out of VCF Automation')
  })

  it('All Apps org: /tm/oauth/tenant/<org>/token; the token opens /cci/kubernetes until the post step', async () => {
    const main = await runStep({ inputs: inputs(vcfa, { 'api-token': vcfa.tenantToken, org: 'acme' }) })
    scan(vcfa, main)
    expect(main.exitCode, main.log.join('\n')).toBe(0)
    expect(tokenPaths(vcfa)).toEqual(['/tm/oauth/tenant/acme/token 200'])
    expect(main.outputs).toMatchObject({ org: 'acme', subject: 'acme-ops', 'api-version': '40.0' })
    const token = main.outputs['access-token']
    expect(await kubernetesStatus(vcfa, token)).toBe(200)

    const post = await runStep({ step: 'post', inputs: inputs(vcfa, {}), state: main.state, masks: main.masks })
    scan(vcfa, post)
    expect(post.exitCode).toBe(0)
    expect(post.warnings).toEqual([])
    expect(await kubernetesStatus(vcfa, token)).toBe(401)
  })

  it('the org comes from a /tenant/<org>/ address; a /tm/ or /automation/ address gives the root', async () => {
    const portal = await runStep({
      inputs: inputs(vcfa, { 'api-token': vcfa.tenantToken, url: `${vcfa.url}/tenant/acme/projects`, revoke: 'false' }),
    })
    const tm = await runStep({ inputs: inputs(vcfa, { 'api-token': vcfa.providerToken, url: `${vcfa.url}/tm/`, revoke: 'false' }) })
    const ui = await runStep({
      inputs: inputs(vcfa, { 'api-token': vcfa.providerToken, url: `${vcfa.url}/automation/#/home`, revoke: 'false' }),
    })
    scan(vcfa, [portal, tm, ui])
    for (const step of [portal, tm, ui]) expect(step.exitCode, step.log.join('\n')).toBe(0)
    expect(portal.outputs.org).toBe('acme')
    expect(tokenPaths(vcfa)).toEqual(['/tm/oauth/tenant/acme/token 200', '/oauth/provider/token 200', '/oauth/provider/token 200'])
    expect(vcfa.requests.every((request) => !/^\/(tm|tenant|automation)\/(api|cloudapi)/.test(request.path))).toBe(true)
  })

  it('VM Apps org (sessions/current 404): org and subject from the input and the JWT; the post step warns that the session lives on', async () => {
    const job = await runJob({ inputs: inputs(vcfa, { 'api-token': vcfa.vmAppsToken, org: vcfa.vmAppsOrg }) })
    scan(vcfa, job)
    expect(job.main.exitCode, job.log.join('\n')).toBe(0)
    expect(job.main.outputs).toMatchObject({ org: 'globex', subject: 'globex-ops' })
    expect(vcfa.requestsTo('session').map((request) => request.status)).toEqual([404])
    expect(job.main.warnings).toEqual([])
    expect(job.main.log.join('\n')).toContain(
      "VCF Automation does not serve this token's session at /cloudapi/1.0.0/sessions/current (HTTP 404)",
    )

    const token = job.main.outputs['access-token']
    expect(vcfa.requestsTo('logout').map((request) => request.status)).toEqual([404])
    expect(job.post!.exitCode).toBe(0)
    expect(job.post!.warnings).toHaveLength(1)
    expect(job.post!.warnings[0]).toMatch(
      /^Could not revoke: VCF Automation logout failed: HTTP 404 .*its lookup in the main step was refused too/,
    )
    expect(job.post!.warnings[0]).toMatch(/revoke: false skips the logout\. The access token stays valid until it expires at \S+Z\.$/)
    // Truthful: the session was not ended.
    expect(vcfa.isAlive(token)).toBe(true)
  })

  it('VM Apps org on a build that answers 403: the same names; a 403 logout is a warning too', async () => {
    const strict = await another({ vmAppsSessionStatus: 403 })
    const job = await runJob({ inputs: inputs(strict, { 'api-token': strict.vmAppsToken, org: strict.vmAppsOrg }) })
    scan(strict, job)
    expect(job.main.exitCode, job.log.join('\n')).toBe(0)
    expect(job.main.outputs).toMatchObject({ org: 'globex', subject: 'globex-ops' })
    expect(strict.requestsTo('logout').map((request) => request.status)).toEqual([403])
    expect(job.post!.exitCode).toBe(0)
    expect(job.post!.warnings[0]).toMatch(/VCF Automation logout failed: HTTP 403 .*VM Apps orgs/)
    expect(strict.isAlive(job.main.outputs['access-token'])).toBe(true)
  })

  it('a Cloud Director 10.x host (API 38.1): the token is issued, with a warning to use provider vcd', async () => {
    const old = await another({ maxVersion: '38.1' })
    const job = await runJob({ inputs: inputs(old, { 'api-token': old.providerToken }) })
    scan(old, job)
    expect(job.main.exitCode, job.log.join('\n')).toBe(0)
    expect(job.main.outputs['api-version']).toBe('38.1')
    expect(job.main.warnings).toEqual([
      expect.stringMatching(/lists API versions up to 38\.1: that is a Cloud Director 10\.x.*set provider: vcd/),
    ])
    expect(job.main.summary).toContain('set provider: vcd')
    expect(job.post!.warnings).toEqual([])
    expect(old.isAlive(job.main.outputs['access-token'])).toBe(false)
  })
})

describe('VCF Automation token paths', () => {
  it('a build without the /tm form: the tenant token goes to /oauth/tenant/<org>/token after one 404', async () => {
    vcfa.tokenForms.delete('tm')
    const step = await runStep({ inputs: inputs(vcfa, { 'api-token': vcfa.tenantToken, org: 'acme', revoke: 'false' }) })
    scan(vcfa, step)
    expect(step.exitCode, step.log.join('\n')).toBe(0)
    expect(tokenPaths(vcfa)).toEqual(['/tm/oauth/tenant/acme/token 404', '/oauth/tenant/acme/token 200'])
  })

  it('a build without the root form: the provider token goes to /tm/oauth/provider/token after one 404', async () => {
    vcfa.tokenForms.delete('root')
    const step = await runStep({ inputs: inputs(vcfa, { 'api-token': vcfa.providerToken, revoke: 'false' }) })
    scan(vcfa, step)
    expect(step.exitCode, step.log.join('\n')).toBe(0)
    expect(tokenPaths(vcfa)).toEqual(['/oauth/provider/token 404', '/tm/oauth/provider/token 200'])
  })

  it('neither form: a message about url, after one request to each', async () => {
    vcfa.tokenForms.clear()
    const step = await runStep({ inputs: inputs(vcfa, { 'api-token': vcfa.providerToken }) })
    scan(vcfa, step)
    expect(step.exitCode).toBe(1)
    expect(tokenPaths(vcfa)).toEqual(['/oauth/provider/token 404', '/tm/oauth/provider/token 404'])
    expect(step.errors[0]).toMatch(
      /answered HTTP 404 at both \/oauth\/provider\/token and \/tm\/oauth\/provider\/token: it does not look like VCF Automation\. Check url/,
    )
  })

  it('a refused token (400) is final: no other form, no retry; the message names org and the 90-day expiry', async () => {
    const step = await runStep({ inputs: inputs(vcfa, { 'api-token': vcfa.tenantToken, org: vcfa.vmAppsOrg }) })
    scan(vcfa, step)
    expect(step.exitCode).toBe(1)
    expect(tokenPaths(vcfa)).toEqual(['/tm/oauth/tenant/globex/token 400'])
    expect(step.errors[0]).toMatch(/^VCF Automation token exchange for org 'globex' failed: HTTP 400 .*invalid_grant/)
    expect(step.errors[0]).toContain('about 90 days')
    expect(step.errors[0]).toContain("another org than 'globex' (org input)")
  })

  it('429 then success: the same path again after the wait asked for', async () => {
    const fault = vcfa.fault('token', { status: 429, headers: { 'retry-after': '0' } })
    const step = await runStep({ inputs: inputs(vcfa, { 'api-token': vcfa.tenantToken, org: 'acme', revoke: 'false' }) })
    scan(vcfa, step)
    expect(step.exitCode, step.log.join('\n')).toBe(0)
    expect(fault.hits).toBe(1)
    expect(tokenPaths(vcfa)).toEqual(['/tm/oauth/tenant/acme/token 429', '/tm/oauth/tenant/acme/token 200'])
  })
})

describe('VCF Automation rotation', () => {
  it('service account: the rotated token is published masked with a warning; the old one is spent, the new one works next run', async () => {
    const original = vcfa.addToken({ org: 'acme', user: 'ci-robot', kind: 'service-account' })
    const first = await runJob({ inputs: inputs(vcfa, { 'api-token': original, org: 'acme' }) })
    scan(vcfa, first)
    expect(first.main.exitCode, first.log.join('\n')).toBe(0)
    const rotated = flows.expectRotationPublished(first.main, original, vcfa.latestRefreshToken(original))
    expect(first.main.warnings).toEqual([expect.stringMatching(/rotated the refresh token.*Store the refresh-token output/)])
    expect(first.main.outputs.subject).toBe('ci-robot')

    const spent = await runStep({ inputs: inputs(vcfa, { 'api-token': original, org: 'acme' }) })
    scan(vcfa, spent)
    expect(spent.exitCode).toBe(1)
    expect(spent.errors[0]).toMatch(/invalid_grant.*store the refresh-token output/)

    const next = await runStep({ inputs: inputs(vcfa, { 'api-token': rotated, org: 'acme', revoke: 'false' }) })
    scan(vcfa, next)
    expect(next.exitCode, next.log.join('\n')).toBe(0)
    expect(next.outputs['refresh-token']).toBe(vcfa.latestRefreshToken(original))
  })

  it('an API-token rotation policy: the plain API token rotates, and the rotated one is usable next run', async () => {
    const rotating = await another({ tokenRotation: 'api-tokens' })
    const first = await runStep({ inputs: inputs(rotating, { 'api-token': rotating.tenantToken, org: 'acme', revoke: 'false' }) })
    scan(rotating, first)
    expect(first.exitCode, first.log.join('\n')).toBe(0)
    const rotated = first.outputs['refresh-token']
    expect(rotated).toBe(rotating.latestRefreshToken(rotating.tenantToken))
    const next = await runStep({ inputs: inputs(rotating, { 'api-token': rotated, org: 'acme', revoke: 'false' }) })
    scan(rotating, next)
    expect(next.exitCode, next.log.join('\n')).toBe(0)
    expect(next.outputs.subject).toBe('acme-ops')
  })

  it('an answer cut short after rotating: the step fails without printing it, and the rotated token is published', async () => {
    const original = vcfa.addToken({ org: 'acme', user: 'ci-robot', kind: 'service-account' })
    vcfa.cutTokenAnswers = 1
    const step = await runStep({ inputs: inputs(vcfa, { 'api-token': original, org: 'acme' }) })
    scan(vcfa, step)
    expect(step.exitCode).toBe(1)
    expect(step.errors[0]).toMatch(/JSON that does not parse.*The refresh token it held is in the refresh-token output: store it\./)
    expect(step.outputs['refresh-token']).toBe(vcfa.latestRefreshToken(original))
    expect(step.outputs['access-token']).toBeUndefined()
    expect(step.masks).toContain(vcfa.issued.at(-1)!.access_token)
  })
})

describe('VCF Automation network', () => {
  const proxied = flows.behindProxy('vcfa.example.test', (names) => new VcfaEmulator({ names }).start())

  flows.itDistrustsThePrivateCa({ server: () => vcfa, inputs }, /TLS certificate is not trusted .*ca-certificate/, {
    title: 'a private CA is trusted only through ca-certificate',
    extra: () => ({ 'api-token': vcfa.providerToken }),
  })

  it('through an https_proxy to a host only the proxy can resolve, main and post step', async () => {
    const { server: behind, proxy, url } = proxied
    await flows.jobThroughProxy(proxied, inputs(behind, { 'api-token': behind.tenantToken, org: 'acme', url }))
    flows.expectEveryRequestTunnelled(proxied)
    expect(behind.requestsTo('logout').map((request) => request.status)).toEqual([204])
    expect(JSON.stringify(proxy.tunnels)).not.toContain(behind.tenantToken)
  })
})
