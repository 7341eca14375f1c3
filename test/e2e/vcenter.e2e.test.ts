/**
 * End to end, vCenter: the built bundles run as the runner runs them (support/runner.ts) against the
 * vCenter emulator (support/vcenter-emulator.ts) in both API forms, over TLS with a private CA: main,
 * a later step that uses the session, and the post step's logout. Every run is leak-scanned.
 */
import { describe, expect, it } from 'vitest'
import { EmulatorServer } from './support/emulator.ts'
import { expectMessagesClean } from './support/faults.ts'
import * as flows from './support/provider-flows.ts'
import { runJob, runStep, type StepResult } from './support/runner.ts'
import { shareEmulators } from './support/shared-emulators.ts'
import { VCENTER_API_SESSION_PATH, VCENTER_REST_SESSION_PATH, VcenterEmulator, type VcenterForm } from './support/vcenter-emulator.ts'

let vc: VcenterEmulator

shareEmulators(async () => [(vc = await new VcenterEmulator().start())])

const LATER_STEP = new URL('./support/vcenter-later-step.mjs', import.meta.url).pathname

const inputs = (server: VcenterEmulator, extra: Record<string, string> = {}) =>
  flows.reaching(server, { provider: 'vcenter', ...flows.passwordOf(server) }, extra)

const subject = { server: () => vc, inputs }

const basic = (server: VcenterEmulator): string => `Basic ${Buffer.from(`${server.username}:${server.password}`).toString('base64')}`
const logins = (server: VcenterEmulator) => [
  ...server.requestsTo('api-session-create'),
  ...server.requestsTo('rest-session').filter((request) => !request.query['~action']),
]

/** The password went only in the logins' Basic header: in no URL, and in no other request. */
function expectPasswordInLoginsOnly(server: VcenterEmulator): void {
  flows.expectNoCredentialInUrls(server, server.password)
  const sent = logins(server)
  for (const request of server.requests) {
    if (sent.includes(request)) {
      expect(request.headers.authorization).toBe(basic(server))
      expect(request.headers['vmware-use-header-authn']).toBe('true')
    } else {
      expect(request.headers.authorization, request.url).toBeUndefined()
    }
  }
}

describe('vCenter: the session', () => {
  it.each([
    ['api', {}, VCENTER_API_SESSION_PATH, 204],
    ['rest', { apiForm: false }, VCENTER_REST_SESSION_PATH, 200],
  ] as const)(
    '/%s: main logs in and learns the user; a later step tags a VM and lists libraries; post logs out',
    async (form: VcenterForm, options, path, logoutStatus) => {
      Object.assign(vc, options)
      const [tag] = vc.tags
      let later: StepResult | undefined
      const job = await runJob({
        inputs: inputs(vc),
        between: async (main) => {
          const env = {
            VC_URL: vc.url,
            VC_CA: vc.ca,
            VC_FORM: form,
            VC_STEPS: 'tag-vm,libraries',
            VC_VM_NAME: 'build-template',
            VC_TAG_ID: tag.id,
          }
          later = await flows.laterStep(main, LATER_STEP, env)
        },
      })
      const { main } = job
      const post = job.post!
      flows.scan(vc, [job, later!])
      expect(main.exitCode, main.log.join('\n')).toBe(0)
      expectPasswordInLoginsOnly(vc)

      const [session] = vc.sessions.values()
      expect(vc.sessions.size).toBe(1)
      expect(session).toMatchObject({ user: vc.username, form })
      expect(main.outputs).toEqual({
        'access-token': session.id,
        'token-type': 'Session',
        'expires-in': '',
        'expires-at': '',
        org: '',
        subject: vc.username,
      })
      expect(main.env).toEqual({ VMW_ACCESS_TOKEN: session.id })
      expect(main.masks).toEqual(expect.arrayContaining([vc.password, basic(vc).slice(6), session.id]))
      expect(main.warnings).toEqual([])
      expect(main.log.join('\n')).toContain(
        `Issued a VMware vCenter access token for ${vc.username}, with no fixed lifetime (it ends at logout or when idle).`,
      )
      expect(main.summary).toContain('VMware vCenter (vcenter)')
      expect(main.summary).toContain(path)
      expect(JSON.stringify(main.state)).not.toContain(vc.password)
      // /api: login and GET; /rest: the /api 404 first, then the login and POST ?~action=get.
      const expected =
        form === 'api'
          ? [`POST ${path} 201`, `GET ${path} 200`]
          : [`POST ${VCENTER_API_SESSION_PATH} 404`, `POST ${path} 200`, `POST ${path}?~action=get 200`]
      expect(vc.requests.slice(0, expected.length).map((request) => `${request.method} ${request.url} ${request.status}`)).toEqual(expected)

      expect(later!.exitCode, later!.log.join('\n')).toBe(0)
      expect(later!.log).toEqual([`tagged vm-43 with ${tag.id}`, `libraries: ${vc.libraries.join(', ')}`])
      expect(vc.tagAttachments).toEqual([{ tagId: tag.id, objectId: { type: 'VirtualMachine', id: 'vm-43' }, session: session.id, form }])

      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([])
      expect(post.log.join('\n')).toContain('Logged out of vCenter: the session is ended.')
      const logouts = vc.requests.filter((request) => request.method === 'DELETE')
      expect(logouts.map((request) => [request.path, request.headers['vmware-api-session-id'], request.status])).toEqual([
        [path, session.id, logoutStatus],
      ])
      expect(vc.sessions.get(session.id)).toMatchObject({ endedBy: 'logout' })
      // The session is dead for every later use.
      const reply = await vc.request(`${path}${form === 'rest' ? '?~action=get' : ''}`, {
        method: form === 'api' ? 'GET' : 'POST',
        headers: { 'vmware-api-session-id': session.id },
      })
      expect(reply.status).toBe(401)
    },
  )

  it('any address of the vCenter a user may paste works: the UI, /api, /rest, /sdk', async () => {
    for (const path of ['/ui/app/home', '/api/', '/rest', '/sdk']) {
      const job = await runJob({ inputs: inputs(vc, { url: `${vc.url}${path}` }) })
      flows.scan(vc, job)
      expect(job.main.exitCode, job.log.join('\n')).toBe(0)
    }
    expect(vc.requestsTo('api-session-create').map((request) => request.path)).toEqual(Array(4).fill(VCENTER_API_SESSION_PATH))
    expect(vc.liveSessions()).toEqual([])
  })

  it('revoke: false leaves the session open, and the post step says so and sends nothing', async () => {
    const job = await runJob({ inputs: inputs(vc, { revoke: 'false' }) })
    flows.scan(vc, job)
    expect(job.main.exitCode, job.log.join('\n')).toBe(0)
    expect(job.main.summary).toContain('no (revoke: false)')
    expect(job.post!.log.join('\n')).toContain(
      'Not revoking: revoke is false. The access token stays valid until the server ends it (it has no fixed lifetime).',
    )
    expect(JSON.stringify(job.main.state)).not.toContain(job.main.outputs['access-token'])
    expect(vc.requests.filter((request) => request.method === 'DELETE')).toEqual([])
    expect(vc.isAlive(job.main.outputs['access-token'])).toBe(true)
  })

  it('a password with spaces at its ends is sent as given; only the line break a stored secret ends with is dropped', async () => {
    const user = { username: 'spaced@vsphere.local', password: ` pw ${vc.password.slice(3)} ` }
    vc.addUser(user.username, user.password)
    const job = await runJob({ inputs: flows.reaching(vc, { provider: 'vcenter', ...user, password: `${user.password}\n` }) })
    flows.scan(vc, job, [user.password.trim()])
    expect(job.main.exitCode, job.main.log.join('\n')).toBe(0)
    expect(job.main.outputs.subject).toBe(user.username)
    expect(vc.requestsTo('api-session-create').map((request) => request.headers.authorization)).toEqual([
      `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`,
    ])
  })

  it('a session the server ended before the post step (idle timeout): already gone, no warning', async () => {
    const main = await runStep({ inputs: inputs(vc) })
    vc.expireSession(main.outputs['access-token'])
    const post = await runStep({ step: 'post', inputs: inputs(vc), state: main.state, jobEnv: main.env, masks: main.masks })
    flows.scan(vc, [main, post])
    expect(post.exitCode).toBe(0)
    expect(post.warnings).toEqual([])
    expect(post.log.join('\n')).toContain('The vCenter session was already gone (HTTP 401): nothing left to end.')
  })

  it('a logout that fails is a warning, never a failed job, and says the session lives on', async () => {
    vc.fault('api-session-delete', { status: 500, times: Infinity })
    const job = await runJob({ inputs: inputs(vc) })
    flows.scan(vc, job)
    expect(job.main.exitCode).toBe(0)
    expect(job.post!.exitCode).toBe(0)
    expect(job.post!.warnings).toHaveLength(1)
    expect(job.post!.warnings[0]).toMatch(
      /^Could not revoke: vCenter logout failed: HTTP 500 .*\(2 tries\)\. .*The access token stays valid until the server ends it \(it has no fixed lifetime\)\.$/,
    )
    expect(vc.requestsTo('api-session-delete')).toHaveLength(2)
  })

  it('a session lookup refused after the login: the main step ends the new session itself, the post step has nothing', async () => {
    vc.fault('api-session-get', { status: 403, times: Infinity })
    const job = await runJob({ inputs: inputs(vc) })
    flows.scan(vc, job)
    expect(job.main.exitCode).toBe(1)
    expect(job.main.errors[0]).toMatch(/^vCenter session lookup failed: HTTP 403 .*so it was ended\./)
    expect(job.main.outputs).toEqual({})
    const [session] = vc.sessions.values()
    expect(vc.requestsTo('api-session-delete').map((request) => [request.headers['vmware-api-session-id'], request.status])).toEqual([
      [session.id, 204],
    ])
    expect(vc.liveSessions()).toEqual([])
    expect(job.post!.log.join('\n')).toContain('The main step issued no access token: nothing to revoke.')
  })
})

describe('vCenter: the session cap', () => {
  it('a pipeline run many times leaves no session behind; without the post step it locks itself out', async () => {
    vc.maxSessionsPerUser = 3
    for (let run = 1; run <= 5; run++) {
      const job = await runJob({ inputs: inputs(vc) })
      flows.scan(vc, job)
      expect(job.main.exitCode, `run ${run}: ${job.log.join('\n')}`).toBe(0)
      expect(vc.liveSessions(vc.username), `run ${run}`).toEqual([])
    }
    expect([...vc.sessions.values()].map((session) => session.endedBy)).toEqual(Array(5).fill('logout'))

    // The same pipeline with its sessions left open: the cap stops the fourth run.
    const leaked = []
    for (let run = 1; run <= 4; run++) leaked.push(await runStep({ inputs: inputs(vc) }))
    flows.scan(vc, leaked)
    expect(leaked.map((step) => step.exitCode)).toEqual([0, 0, 0, 1])
    expect(leaked[3].errors[0]).toContain('failedToLoginMaxUserSessionCountReached')
  })

  it('past the cap: a 503 that says what it means and that this action logs out; the post step sends nothing', async () => {
    vc.leakSessions(550)
    const job = await runJob({ inputs: inputs(vc) })
    flows.scan(vc, job)
    expect(job.main.exitCode).toBe(1)
    const [error] = job.main.errors
    expect(error).toContain(
      `vCenter login failed: HTTP 503 Service Unavailable: SERVICE_UNAVAILABLE: User session count is limited to 550. Existing session count is 550 for user ${vc.username} (2 tries).`,
    )
    expect(error).toContain(
      'com.vmware.vapi.endpoint.failedToLoginMaxUserSessionCountReached: the user has as many API sessions as vCenter allows.',
    )
    expect(error).toContain('this action always logs its own out.')
    expect(vc.liveSessions(vc.username)).toHaveLength(550)
    expect(job.post!.log.join('\n')).toContain('nothing to revoke')
  })
})

describe('vCenter: refusals', () => {
  const WRONG = 'pw-Wr0ngPassw0rd~'

  it.each([
    ['a wrong password: sent once, never retried, never to /rest', {}, { password: WRONG }, '', [VCENTER_API_SESSION_PATH]],
    ['a user name without its domain', {}, { username: 'ci-bot' }, ' (the one given has none)', [VCENTER_API_SESSION_PATH]],
    [
      'a 6.x refusing with 403: one login on /rest after the 404 of /api',
      { apiForm: false, restRejectStatus: 403 },
      { password: WRONG },
      '',
      [VCENTER_API_SESSION_PATH, VCENTER_REST_SESSION_PATH],
    ],
  ])('%s', async (_name, fields, extra: Record<string, string>, none, paths) => {
    Object.assign(vc, fields)
    const job = await runJob({ inputs: inputs(vc, { 'max-attempts': '4', ...extra }) })
    flows.scan(vc, job, [WRONG])
    expect(job.main.exitCode).toBe(1)
    expect(logins(vc).map((request) => request.path)).toEqual(paths)
    expect(job.main.errors).toEqual([
      expect.stringMatching(
        new RegExp(
          `^vCenter login failed: HTTP 40[13] .*Authentication required\\. \\(1 try\\)\\. vCenter refused the user name or password\\. ` +
            `Check username and password: the user name needs its domain, e.g\\. user@vsphere\\.local${none.replace(/[()]/g, '\\$&')}\\. ` +
            'The action sends a login once: repeated failures can lock the account\\.$',
        ),
      ),
    ])
    expect(vc.sessions.size).toBe(0)
    expect(job.post!.warnings).toEqual([])
  })

  it.each([
    ['the login echoing the password', 'api-session-create', 401, /^vCenter login failed: HTTP 401 .*\*\*\*/],
    ['the lookup echoing the session ID', 'api-session-get', 400, /^vCenter session lookup failed: HTTP 400 .*\*\*\*/],
  ])('%s: redacted wherever it is printed', async (_name, route, status, message) => {
    vc.fault(route, { echo: 'token', status })
    const job = await runJob({ inputs: inputs(vc) })
    flows.scan(vc, job)
    expectMessagesClean(job.main, vc.secrets())
    expect(job.main.exitCode).toBe(1)
    expect(job.main.errors[0]).toMatch(message)
    expect(vc.liveSessions()).toEqual([])
  })

  it('a server with neither session path: not a vCenter', async () => {
    const other = await new EmulatorServer({ routes: [] }).start()
    try {
      const step = await runStep({ inputs: { ...inputs(vc), url: other.url, 'ca-certificate': other.ca } })
      expect(step.exitCode).toBe(1)
      expect(step.errors[0]).toMatch(
        /^There is no vSphere Automation API at this address: \/api\/session and \/rest\/com\/vmware\/cis\/session both answered 404 \(HTTP 404 .*\)\. Check url: it must be the vCenter's address/,
      )
      expect(other.requests.map((request) => request.path)).toEqual([VCENTER_API_SESSION_PATH, VCENTER_REST_SESSION_PATH])
    } finally {
      await other.close()
    }
  })

  flows.itRefusesBeforeAnyRequest(subject, [
    ['org', { org: 'acme' }, /^Input 'org': is not used by provider vcenter/],
    ['auth-source', { 'auth-source': 'vsphere.local' }, /^Input 'auth-source': is not used by provider vcenter/],
    [
      'api-token',
      { 'api-token': flows.MADE_UP_SECRET },
      /^Input 'api-token': api-token is not used by provider vcenter .* which takes username and password/,
    ],
    ['password', { password: '' }, /^Input 'password': is required when username is given/],
  ])

  flows.itDistrustsThePrivateCa(
    subject,
    /TLS certificate is not trusted .*ca-certificate input \(1 try\)\. A vCenter's is usually from its own CA, the VMCA/,
    { title: 'without ca-certificate the VMCA-style private CA is not trusted: the error points at ca-certificate and the VMCA' },
  )
})

describe('vCenter through an https_proxy', () => {
  const behind = flows.behindProxy('vcenter.example.test', (names) => new VcenterEmulator({ names }).start())

  it('reaches a host only the proxy can resolve, in main and post; one tunnel a step', async () => {
    await flows.jobThroughProxy(behind, inputs(behind.server, { url: `${behind.url}/ui/` }))
    flows.expectTunnelled(behind, 2, ['api-session-create 201', 'api-session-get 200', 'api-session-delete 204'], behind.server.password)
    expect(behind.server.liveSessions()).toEqual([])
  })
})
