/**
 * End to end, vCenter against VMware's own simulator (govmomi's vcsim 0.24, support/vcsim.ts), not an
 * emulator of ours: it serves the older /rest session API only, so the action's fallback runs. Main,
 * a later step that calls the vSphere Automation API with the session header, and the post step's
 * logout, after which vcsim refuses the session. Every run is leak-scanned.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assertNoLeaks, runStep, type StepResult } from './support/runner.ts'
import { ConnectProxy } from './support/tcp.ts'
import { startVcsim, vcsimSkipReason, VCSIM_SESSION_PATH, type Vcsim } from './support/vcsim.ts'

const skip = vcsimSkipReason()
const LATER_STEP = new URL('./support/vcenter-later-step.mjs', import.meta.url).pathname

describe.skipIf(skip !== undefined)(`vcenter against vcsim${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let vc: Vcsim
  let proxy: ConnectProxy

  beforeAll(async () => {
    vc = await startVcsim({ names: ['vcenter.example.test'] })
    proxy = await new ConnectProxy({ hosts: { 'vcenter.example.test': '127.0.0.1' } }).start()
  })
  afterAll(async () => {
    await proxy?.close()
    await vc?.close()
  })

  const inputs = (extra: Record<string, string> = {}): Record<string, string> => ({
    provider: 'vcenter',
    url: vc.url,
    username: vc.username,
    password: vc.password,
    'ca-certificate': vc.ca,
    'timeout-seconds': '10',
    'max-attempts': '2',
    ...extra,
  })

  /** What vcsim says of a session: 200 with its user while it lives, 401 once it has ended. */
  async function sessionOf(id: string): Promise<{ status: number; user?: string }> {
    const reply = await vc.request(`${VCSIM_SESSION_PATH}?~action=get`, { method: 'POST', headers: { 'vmware-api-session-id': id } })
    return {
      status: reply.status,
      user: reply.status === 200 ? (JSON.parse(reply.body) as { value: { user: string } }).value.user : undefined,
    }
  }

  async function job(stepInputs: Record<string, string>, env: Record<string, string> = {}): Promise<StepResult[]> {
    const main = await runStep({ inputs: stepInputs, env, debug: true })
    const id = main.outputs['access-token']
    const before = id ? await sessionOf(id) : undefined
    const later = await runStep({
      action: LATER_STEP,
      jobEnv: main.env,
      masks: main.masks,
      // vcsim 0.24 has no VM list on /rest and attaches a tag to any object ID it is given.
      env: {
        VC_URL: vc.url,
        VC_CA: vc.ca,
        VC_FORM: 'rest',
        VC_STEPS: 'new-tag,libraries',
        VC_TAG_NAME: `ci-${Date.now()}`,
        VC_VM_ID: 'vm-42',
      },
    })
    const post = await runStep({
      step: 'post',
      inputs: stepInputs,
      env,
      state: main.state,
      jobEnv: main.env,
      masks: main.masks,
      debug: true,
    })
    const steps = [main, later, post]
    // vcsim's secrets: the password, and the session ID it issued (a UUID, not ours to draw).
    assertNoLeaks(steps, [vc.password, id])
    expect(before).toEqual({ status: 200, user: vc.username })
    return steps
  }

  it('main logs in on the /rest fallback and learns the user; a later step tags with the session; post logs out and vcsim refuses it', async () => {
    const [main, later, post] = await job(inputs())
    expect(main.exitCode, main.log.join('\n')).toBe(0)
    const id = main.outputs['access-token']
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    expect(main.outputs).toMatchObject({ 'token-type': 'Session', 'expires-in': '', 'expires-at': '', org: '', subject: vc.username })
    expect(main.env).toEqual({ VMW_ACCESS_TOKEN: id })
    expect(main.masks).toEqual(expect.arrayContaining([vc.password, id]))
    expect(main.warnings).toEqual([])
    // /api/session is a 404 on vcsim 0.24: the login went to /rest, the user came from ?~action=get.
    expect(main.debug.filter((line) => /^(POST|GET|DELETE) /.test(line))).toEqual([
      expect.stringMatching(/^POST 127\.0\.0\.1:\d+\/api\/session -> 404 /),
      expect.stringMatching(/^POST 127\.0\.0\.1:\d+\/rest\/com\/vmware\/cis\/session -> 200 /),
      expect.stringMatching(/^POST 127\.0\.0\.1:\d+\/rest\/com\/vmware\/cis\/session -> 200 /),
    ])
    expect(main.summary).toContain(VCSIM_SESSION_PATH)

    expect(later.exitCode, later.log.join('\n')).toBe(0)
    expect(later.log).toEqual([expect.stringMatching(/^created tag ci-\d+, attached to vm-42$/), 'libraries: none'])

    expect(post.exitCode).toBe(0)
    expect(post.warnings).toEqual([])
    expect(post.log.join('\n')).toContain('Logged out of vCenter: the session is ended.')
    expect(post.debug.filter((line) => line.startsWith('DELETE '))).toEqual([
      expect.stringMatching(/^DELETE 127\.0\.0\.1:\d+\/rest\/com\/vmware\/cis\/session -> 200 /),
    ])
    expect(await sessionOf(id)).toEqual({ status: 401, user: undefined })
  })

  it('through an https_proxy to a host name only the proxy resolves', async () => {
    const [main, , post] = await job(inputs({ url: `${vc.urlFor('vcenter.example.test')}/ui/` }), { https_proxy: proxy.url })
    expect(main.exitCode, main.log.join('\n')).toBe(0)
    expect(post.log.join('\n')).toContain('Logged out of vCenter')
    expect(proxy.tunnels.map((tunnel) => [tunnel.target, tunnel.status])).toEqual([
      [`vcenter.example.test:${vc.port}`, 200],
      [`vcenter.example.test:${vc.port}`, 200],
    ])
    expect(await sessionOf(main.outputs['access-token'])).toMatchObject({ status: 401 })
  })

  it('a session already ended when the post step runs: vcsim answers 401 with no body, which is success', async () => {
    const main = await runStep({ inputs: inputs() })
    const id = main.outputs['access-token']
    const ended = await vc.request(VCSIM_SESSION_PATH, { method: 'DELETE', headers: { 'vmware-api-session-id': id } })
    expect(ended.status).toBe(200)
    const post = await runStep({ step: 'post', inputs: inputs(), state: main.state, jobEnv: main.env, masks: main.masks })
    assertNoLeaks([main, post], [vc.password, id])
    expect(post.exitCode).toBe(0)
    expect(post.warnings).toEqual([])
    expect(post.log.join('\n')).toContain('The vCenter session was already gone (HTTP 401): nothing left to end.')
  })
})
