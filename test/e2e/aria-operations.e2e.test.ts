/**
 * End to end, Aria Operations 8.x: the built bundles run as the runner runs them (support/runner.ts)
 * against the Aria Operations emulator (support/aria-operations-emulator.ts) over TLS with a private
 * CA: main step, a later step that uses the token, post step that releases it. Every run is
 * leak-scanned. The faults of both requests are in aria-operations-faults.e2e.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { AriaOperationsEmulator, OPS_ACQUIRE_PATH, OPS_RESOURCES_PATH, OPS_TOKEN_LIFETIME_MS } from './support/aria-operations-emulator.ts'
import * as flows from './support/provider-flows.ts'
import { runJob, runStep, type StepResult } from './support/runner.ts'
import { shareEmulators } from './support/shared-emulators.ts'

let ops: AriaOperationsEmulator

shareEmulators(async () => [(ops = await new AriaOperationsEmulator().start())])

const inputs = (server: AriaOperationsEmulator, extra: Record<string, string> = {}) =>
  flows.reaching(server, { provider: 'aria-operations', ...flows.passwordOf(server) }, extra)

const subject = { server: () => ops, inputs }

/** The README's quick start as a later step of the job (support/aria-operations-later-step.mjs): start or end web-01's maintenance. */
function maintenance(main: StepResult, server: AriaOperationsEmulator, mode: 'start' | 'end'): Promise<StepResult> {
  const script = new URL('./support/aria-operations-later-step.mjs', import.meta.url).pathname
  return flows.laterStep(main, script, { OPS_URL: server.url, OPS_CA: server.ca, OPS_RESOURCES_PATH, MODE: mode })
}

/** Main step, then `between` (the job's later steps), then the post step with main's state and env. */
async function job(stepInputs: Record<string, string>, between?: (main: StepResult) => Promise<void>) {
  const run = await runJob({ inputs: stepInputs, between })
  return { main: run.main, post: run.post!, all: run }
}

describe('Aria Operations: the token', () => {
  it('main: one acquire, the outputs from the answer; later steps mark a deployment with the token; post: releases it', async () => {
    const before = Date.now()
    const later: StepResult[] = []
    const web01 = () => ops.resources.find((resource) => resource.name === 'web-01')!
    const { main, post, all } = await job(inputs(ops), async (step) => {
      later.push(await maintenance(step, ops, 'start'))
      expect(web01().maintenance).toMatchObject({ state: 'MAINTAINED', by: ops.username })
      later.push(await maintenance(step, ops, 'end'))
      expect(web01().maintenance).toBeUndefined()
    })
    flows.scan(ops, [all, ...later])
    for (const step of later) expect(step.exitCode, step.stderr).toBe(0)
    expect(later.map((step) => step.log.at(-1))).toEqual(['maintenance of web-01: start', 'maintenance of web-01: end'])
    expect(ops.requestsTo('maintenance').map((request) => [request.method, request.headers.authorization, request.status])).toEqual([
      ['PUT', `OpsToken ${main.outputs['access-token']}`, 200],
      ['DELETE', `OpsToken ${main.outputs['access-token']}`, 200],
    ])
    expect(main.exitCode, main.log.join('\n')).toBe(0)
    expect(ops.requestsTo('acquire').map((request) => request.status)).toEqual([200])
    flows.expectCredentialInJsonOnly(ops, 'acquire', OPS_ACQUIRE_PATH, { username: ops.username, password: ops.password }, [
      ops.password,
      ops.sourcePassword,
    ])

    const issued = ops.issued.at(-1)!
    const out = main.outputs
    expect(out['access-token']).toBe(issued.token)
    expect(out['token-type']).toBe('OpsToken')
    flows.expectExpiry(out, before, OPS_TOKEN_LIFETIME_MS / 1000, issued.time + OPS_TOKEN_LIFETIME_MS)
    expect(out.org).toBe('')
    expect(out.subject).toBe(ops.username)
    for (const name of ['refresh-token', 'api-version', 'api-token-expires-at']) expect(out[name], name).toBeUndefined()
    expect(main.env).toEqual({ VMW_ACCESS_TOKEN: issued.token })
    expect(main.masks).toEqual(expect.arrayContaining([ops.password, issued.token]))
    expect(main.warnings).toEqual([])
    expect(main.log.join('\n')).toContain(
      `Issued a VMware Aria Operations access token for ${ops.username}, valid until ${out['expires-at']}.`,
    )
    expect(main.summary).toContain('VMware Aria Operations (aria-operations)')
    expect(main.summary).toContain('| Lifetime | extended by use: to 6 hours after the last API call |')
    expect(main.summary).toContain('yes, in the post step at the end of the job')

    expect(post.exitCode).toBe(0)
    expect(post.warnings).toEqual([])
    expect(post.log.join('\n')).toContain('Released the Aria Operations token: it no longer works.')
    expect(ops.requestsTo('release').map((request) => [request.headers.authorization, request.status])).toEqual([
      [`OpsToken ${issued.token}`, 200],
    ])
    expect(issued.released).toBe(true)
    expect(ops.isAlive(issued.token)).toBe(false)
  })

  it('any address on the appliance works: the UI, the Suite API root', async () => {
    for (const url of [`${ops.url}/ui/index.action#/dashboards`, `${ops.url}/suite-api/`]) {
      const step = await runStep({ inputs: inputs(ops, { url, revoke: 'false' }) })
      flows.scan(ops, step)
      expect(step.exitCode, step.log.join('\n')).toBe(0)
    }
    expect(ops.requestsTo('acquire').map((request) => request.path)).toEqual([OPS_ACQUIRE_PATH, OPS_ACQUIRE_PATH])
  })

  it('a user of an auth source: auth-source is sent as authSource', async () => {
    const stepInputs = inputs(ops, { username: ops.sourceUsername, password: ops.sourcePassword, 'auth-source': ops.authSource })
    const { main, post, all } = await job(stepInputs)
    flows.scan(ops, all)
    expect(main.exitCode, main.log.join('\n')).toBe(0)
    flows.expectCredentialInJsonOnly(
      ops,
      'acquire',
      OPS_ACQUIRE_PATH,
      { username: ops.sourceUsername, password: ops.sourcePassword, authSource: ops.authSource },
      [ops.password, ops.sourcePassword],
    )
    expect(main.outputs.subject).toBe(ops.sourceUsername)
    expect(post.log.join('\n')).toContain('Released the Aria Operations token')
  })

  it('revoke: false keeps the token alive and the post step says until when', async () => {
    const { main, post, all } = await job(inputs(ops, { revoke: 'false' }))
    flows.scan(ops, all)
    expect(main.exitCode).toBe(0)
    expect(JSON.stringify(main.state)).not.toContain(main.outputs['access-token'])
    expect(post.log.join('\n')).toContain(
      `Not revoking: revoke is false. The access token stays valid until it expires at ${main.outputs['expires-at']}.`,
    )
    expect(ops.requestsTo('release')).toEqual([])
    expect(ops.isAlive(ops.issued.at(-1)!.token)).toBe(true)
  })
})

describe('Aria Operations: the release', () => {
  it('a build that predates the OpsToken scheme: the release is sent again in the vRealizeOpsToken form and ends the token', async () => {
    ops.authSchemes = ['vRealizeOpsToken']
    const { main, post, all } = await job(inputs(ops))
    flows.scan(ops, all)
    expect(main.exitCode).toBe(0)
    const token = main.outputs['access-token']
    expect(post.warnings).toEqual([])
    expect(post.log.join('\n')).toContain('Released the Aria Operations token (in the older vRealizeOpsToken form): it no longer works.')
    expect(ops.requestsTo('release').map((request) => [request.headers.authorization, request.status])).toEqual([
      [`OpsToken ${token}`, 401],
      [`vRealizeOpsToken ${token}`, 200],
    ])
    expect(ops.isAlive(token)).toBe(false)
  })

  it('a token that is already gone (released elsewhere or idle 6 hours): 401 in both forms is success', async () => {
    const { main, post, all } = await job(inputs(ops), async (step) => ops.expireToken(step.outputs['access-token']))
    flows.scan(ops, all)
    expect(main.exitCode).toBe(0)
    expect(post.exitCode).toBe(0)
    expect(post.warnings).toEqual([])
    expect(post.log.join('\n')).toContain('The Aria Operations token was already released or expired (HTTP 401): nothing left to revoke.')
    expect(ops.requestsTo('release').map((request) => request.status)).toEqual([401, 401])
  })

  it('a failed release is a warning that says until when the token stays valid; the job stays green', async () => {
    ops.fault('release', { status: 500, times: Number.POSITIVE_INFINITY })
    const { main, post, all } = await job(inputs(ops))
    flows.scan(ops, all)
    expect(post.exitCode).toBe(0)
    expect(post.errors).toEqual([])
    expect(post.warnings).toHaveLength(1)
    expect(post.warnings[0]).toMatch(
      /^Could not revoke: Aria Operations token release failed: HTTP 500 .*\(2 tries\)\. Aria Operations is busy or unavailable.* The access token stays valid until it expires at /,
    )
    expect(post.warnings[0]).toContain(main.outputs['expires-at'])
    expect(post.summary).toContain('Could not revoke: ')
    expect(ops.isAlive(main.outputs['access-token'])).toBe(true)
  })
})

describe('Aria Operations: refusals', () => {
  it.each([
    ['a wrong password', () => ({ password: 'Wr0ngPassw0rdWr0ngPassw0rd' })],
    ['a directory user without auth-source', () => ({ username: ops.sourceUsername, password: ops.sourcePassword })],
    ['a local user with an auth-source', () => ({ 'auth-source': ops.authSource })],
  ])('%s: HTTP 401, one try, all three inputs named, nothing published or released', async (_name, extra) => {
    const stepInputs = inputs(ops, { ...extra(), 'max-attempts': '3' })
    const { main, all } = await job(stepInputs)
    flows.scan(ops, all, [stepInputs.password])
    flows.expectNothingIssued(all)
    expect(ops.requestsTo('acquire').map((request) => request.status)).toEqual([401])
    expect(main.errors[0]).toMatch(/^Aria Operations token request for \S+ failed: HTTP 401 Unauthorized: .*\(1 try\)\. /)
    expect(main.errors[0]).toContain('check username, password and auth-source')
    expect(main.errors[0]).toContain('Not retried: repeated failures can lock the account.')
    expect(ops.requestsTo('release')).toEqual([])
  })

  it('a server that is no Aria Operations (no /suite-api): 404 says so', async () => {
    ops.fault('acquire', { status: 404, body: '<html><head><title>Not Found</title></head></html>', times: 1 })
    const step = await runStep({ inputs: inputs(ops) })
    flows.scan(ops, step)
    expect(step.exitCode).toBe(1)
    expect(step.errors[0]).toMatch(
      /HTTP 404 Not Found, an HTML page \("Not Found"\).*\(1 try\)\. There is no \/suite-api\/api\/auth\/token\/acquire at this address/,
    )
  })

  flows.itDistrustsThePrivateCa(
    subject,
    /^Aria Operations token request for ci-deployer at 127\.0\.0\.1:\d+ failed: the server's TLS certificate is not trusted .*ca-certificate/,
  )

  flows.itRefusesBeforeAnyRequest(subject, [
    ['org', { org: 'acme' }, /^Input 'org': is not used by provider aria-operations: Aria Operations has no organizations\. Remove org\.$/],
    ['api-token', { 'api-token': flows.MADE_UP_SECRET }, /^Input 'api-token': api-token is not used by provider aria-operations/],
    ['password', { password: '' }, /^Input 'password': is required when username is given/],
    ['url', { url: '' }, /^Input 'url': is required for provider aria-operations/],
  ])
})

describe('Aria Operations through an https_proxy', () => {
  const behind = flows.behindProxy('ops.example.test', (names) => new AriaOperationsEmulator({ names }).start())

  it('reaches a host only the proxy can resolve, the acquire and the release both', async () => {
    await flows.jobThroughProxy(behind, inputs(behind.server, { url: `${behind.url}/ui/` }))
    flows.expectTunnelled(behind, 2, ['acquire 200', 'release 200'], behind.server.password)
  })
})
