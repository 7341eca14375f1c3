/**
 * The vCenter emulator (support/vcenter-emulator.ts) checked on its own, over HTTPS with its private
 * CA: it answers as its header comment says (both session forms, errors, the session cap, the later
 * calls), so that the vcenter provider's e2e tests can rely on it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { ClientReply } from './support/emulator.ts'
import {
  VCENTER_API_SESSION_PATH,
  VCENTER_AUTHENTICATION_REQUIRED_ID,
  VCENTER_MAX_SESSIONS_ID,
  VCENTER_REST_SESSION_PATH,
  VcenterEmulator,
} from './support/vcenter-emulator.ts'

let vc: VcenterEmulator

beforeAll(async () => {
  vc = await new VcenterEmulator().start()
})
afterAll(async () => {
  await vc?.close()
})
afterEach(() => vc.reset())

function basic(user: string, password: string): Record<string, string> {
  return { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` }
}

function json(reply: ClientReply): unknown {
  return JSON.parse(reply.body)
}

/** POST /api/session as govmomi's client sends it (Basic auth, vmware-use-header-authn: true). */
function apiLogin(headers = basic(vc.username, vc.password), server = vc): Promise<ClientReply> {
  return server.request(VCENTER_API_SESSION_PATH, { method: 'POST', headers: { ...headers, 'vmware-use-header-authn': 'true' } })
}

function restLogin(headers = basic(vc.username, vc.password), server = vc): Promise<ClientReply> {
  return server.request(VCENTER_REST_SESSION_PATH, { method: 'POST', headers: { ...headers, 'vmware-use-header-authn': 'true' } })
}

async function apiSession(): Promise<string> {
  const reply = await apiLogin()
  expect(reply.status, reply.body).toBe(201)
  return json(reply) as string
}

const withSession = (id: string): Record<string, string> => ({ 'vmware-api-session-id': id })

function expectApiError(reply: ClientReply, status: number, errorType: string, id?: string): void {
  expect(reply.status, reply.body).toBe(status)
  expect(reply.headers['content-type']).toMatch(/^application\/json/)
  const body = json(reply) as { error_type: string; messages: { id: string; default_message: string; args: unknown[] }[] }
  expect(body.error_type).toBe(errorType)
  expect(body.messages).toEqual([{ id: id ?? expect.any(String), default_message: expect.any(String), args: [] }])
}

function expectRestError(reply: ClientReply, status: number, kind: string, id?: string): void {
  expect(reply.status, reply.body).toBe(status)
  expect(json(reply)).toEqual({
    type: `com.vmware.vapi.std.errors.${kind}`,
    value: { messages: [{ args: [], default_message: expect.any(String), id: id ?? expect.any(String) }] },
  })
}

describe('POST /api/session (vCenter 7.0 U2 and later)', () => {
  it('answers Basic auth with 201 and the session id as a JSON string', async () => {
    const reply = await apiLogin()
    expect(reply.status, reply.body).toBe(201)
    expect(reply.headers['content-type']).toMatch(/^application\/json/)
    expect(reply.body).toMatch(/^"[0-9a-f]{32}"$/)
    expect(reply.headers['set-cookie']).toBeUndefined()
    const id = json(reply) as string
    expect(vc.isAlive(id)).toBe(true)
    expect(vc.sessions.get(id)).toMatchObject({ user: vc.username, form: 'api' })
    expect(vc.sessions.get(id)).not.toHaveProperty('endedAt')
    expect(vc.liveSessions(vc.username).map((session) => session.id)).toEqual([id])
    expect(vc.secrets()).toEqual(expect.arrayContaining([vc.password, id]))
    const [recorded] = vc.requestsTo('api-session-create')
    expect(recorded.headers['vmware-use-header-authn']).toBe('true')
  })

  it('refuses a wrong password, an unknown user, a user without its domain and no credentials: 401 UNAUTHENTICATED', async () => {
    for (const headers of [
      basic(vc.username, 'wrong'),
      basic('nobody@vsphere.local', vc.password),
      basic('ci-bot', vc.password),
      {},
      { Authorization: 'Bearer x' },
    ]) {
      const reply = await apiLogin(headers)
      expectApiError(reply, 401, 'UNAUTHENTICATED', VCENTER_AUTHENTICATION_REQUIRED_ID)
      expect(json(reply)).toMatchObject({
        messages: [{ default_message: 'Authentication required.' }],
        challenge: expect.stringMatching(/^Basic/),
      })
    }
    expect(vc.sessions.size).toBe(0)
  })

  it('logs in users added with addUser', async () => {
    vc.addUser('deployer@example.local', 'another-pw')
    const reply = await apiLogin(basic('deployer@example.local', 'another-pw'))
    expect(reply.status).toBe(201)
    expect(vc.sessions.get(json(reply) as string)?.user).toBe('deployer@example.local')
  })

  it('refuses and flags a credential in the query string, creating no session', async () => {
    for (const query of [`password=${vc.password}`, `username=${vc.username}`, `x=${vc.password}`]) {
      const reply = await vc.request(`${VCENTER_API_SESSION_PATH}?${query}`, { method: 'POST', headers: basic(vc.username, vc.password) })
      expectApiError(reply, 400, 'INVALID_ARGUMENT')
    }
    expect(vc.credentialsInUrl).toHaveLength(3)
    expect(vc.sessions.size).toBe(0)
  })

  it('caps the live sessions of a user: one more login is a 503 with the max-session message, per user', async () => {
    vc.maxSessionsPerUser = 3
    vc.addUser('other@vsphere.local', 'other-pw')
    const ids = [await apiSession(), await apiSession(), json(await restLogin()) as string]
    const refused = await apiLogin()
    expectApiError(refused, 503, 'SERVICE_UNAVAILABLE', VCENTER_MAX_SESSIONS_ID)
    expect(json(refused)).toMatchObject({
      messages: [{ default_message: `User session count is limited to 3. Existing session count is 3 for user ${vc.username}` }],
    })
    expectRestError(await restLogin(), 503, 'service_unavailable', VCENTER_MAX_SESSIONS_ID)
    expect((await apiLogin(basic('other@vsphere.local', 'other-pw'))).status).toBe(201)

    // A logout makes room again.
    expect((await vc.request(VCENTER_API_SESSION_PATH, { method: 'DELETE', headers: withSession(ids[0]) })).status).toBe(204)
    expect((await apiLogin()).status).toBe(201)
  })

  it('has the cap of tanzu-cli issue 749 by default: 550 leaked sessions lock the user out', async () => {
    vc.leakSessions(550)
    expect(vc.liveSessions(vc.username)).toHaveLength(550)
    const reply = await apiLogin()
    expectApiError(reply, 503, 'SERVICE_UNAVAILABLE', VCENTER_MAX_SESSIONS_ID)
    expect(json(reply)).toMatchObject({
      messages: [{ default_message: `User session count is limited to 550. Existing session count is 550 for user ${vc.username}` }],
    })
  })
})

describe('GET and DELETE /api/session', () => {
  it('tells the session: {user, created_time, last_accessed_time}, by header or cookie', async () => {
    const id = await apiSession()
    const reply = await vc.request(VCENTER_API_SESSION_PATH, { headers: withSession(id) })
    expect(reply.status, reply.body).toBe(200)
    const info = json(reply) as Record<string, string>
    expect(Object.keys(info).sort()).toEqual(['created_time', 'last_accessed_time', 'user'])
    expect(info.user).toBe(vc.username)
    expect(Date.parse(info.last_accessed_time)).toBeGreaterThanOrEqual(Date.parse(info.created_time))
    const byCookie = await vc.request(VCENTER_API_SESSION_PATH, { headers: { Cookie: `vmware-api-session-id=${id}` } })
    expect((json(byCookie) as { user: string }).user).toBe(vc.username)
    expectApiError(await vc.request(VCENTER_API_SESSION_PATH), 401, 'UNAUTHENTICATED', VCENTER_AUTHENTICATION_REQUIRED_ID)
    expectApiError(await vc.request(VCENTER_API_SESSION_PATH, { headers: withSession('0'.repeat(32)) }), 401, 'UNAUTHENTICATED')
  })

  it('ends the session: 204 with no body, then 401 for every use (a second DELETE too)', async () => {
    const id = await apiSession()
    const deleted = await vc.request(VCENTER_API_SESSION_PATH, { method: 'DELETE', headers: withSession(id) })
    expect(deleted.status).toBe(204)
    expect(deleted.body).toBe('')
    expect(vc.isAlive(id)).toBe(false)
    expect(vc.sessions.get(id)).toMatchObject({ endedBy: 'logout', endedAt: expect.any(Number) })
    expectApiError(await vc.request(VCENTER_API_SESSION_PATH, { headers: withSession(id) }), 401, 'UNAUTHENTICATED')
    expectApiError(await vc.request(VCENTER_API_SESSION_PATH, { method: 'DELETE', headers: withSession(id) }), 401, 'UNAUTHENTICATED')
  })

  it('treats a session the server ended (idle timeout) as unknown', async () => {
    const id = await apiSession()
    vc.expireSession(id)
    expect(vc.sessions.get(id)?.endedBy).toBe('expired')
    expectApiError(await vc.request(VCENTER_API_SESSION_PATH, { method: 'DELETE', headers: withSession(id) }), 401, 'UNAUTHENTICATED')
  })
})

describe('/rest/com/vmware/cis/session (vCenter 6.5 to 7.0 U1, still served later)', () => {
  it('logs in: 200 {"value": id}; a cookie only without vmware-use-header-authn', async () => {
    const reply = await restLogin()
    expect(reply.status, reply.body).toBe(200)
    expect(reply.headers['set-cookie']).toBeUndefined()
    const id = (json(reply) as { value: string }).value
    expect(id).toMatch(/^[0-9a-f]{32}$/)
    expect(vc.sessions.get(id)).toMatchObject({ user: vc.username, form: 'rest' })

    const plain = await vc.request(VCENTER_REST_SESSION_PATH, { method: 'POST', headers: basic(vc.username, vc.password) })
    const cookieId = (json(plain) as { value: string }).value
    expect(plain.headers['set-cookie']).toEqual([`vmware-api-session-id=${cookieId}; Path=/rest`])
  })

  it('tells the user by POST ?~action=get and GET: {"value": {user, ...}}', async () => {
    const id = (json(await restLogin()) as { value: string }).value
    for (const reply of [
      await vc.request(`${VCENTER_REST_SESSION_PATH}?~action=get`, { method: 'POST', headers: withSession(id) }),
      await vc.request(VCENTER_REST_SESSION_PATH, { headers: withSession(id) }),
    ]) {
      expect(reply.status, reply.body).toBe(200)
      expect(json(reply)).toEqual({
        value: { user: vc.username, created_time: expect.any(String), last_accessed_time: expect.any(String) },
      })
    }
    expectRestError(await vc.request(`${VCENTER_REST_SESSION_PATH}?~action=get`, { method: 'POST' }), 401, 'unauthenticated')
  })

  it('logs out with DELETE: 200 with no body; the id is then refused', async () => {
    const id = (json(await restLogin()) as { value: string }).value
    const deleted = await vc.request(VCENTER_REST_SESSION_PATH, { method: 'DELETE', headers: withSession(id) })
    expect(deleted.status).toBe(200)
    expect(deleted.body).toBe('')
    expect(vc.isAlive(id)).toBe(false)
    expectRestError(await vc.request(VCENTER_REST_SESSION_PATH, { method: 'DELETE', headers: withSession(id) }), 401, 'unauthenticated')
  })

  it('refuses bad credentials in the /rest shape: 401 by default, restRejectStatus otherwise', async () => {
    const reply = await restLogin(basic(vc.username, 'wrong'))
    expectRestError(reply, 401, 'unauthenticated', VCENTER_AUTHENTICATION_REQUIRED_ID)
    expect(json(reply)).toMatchObject({ value: { messages: [{ default_message: 'Authentication required.' }] } })
    vc.restRejectStatus = 403
    expectRestError(await restLogin(basic(vc.username, 'wrong')), 403, 'unauthorized', VCENTER_AUTHENTICATION_REQUIRED_ID)
  })

  it('shares sessions between the forms, as one vCenter does', async () => {
    const apiId = await apiSession()
    const restId = (json(await restLogin()) as { value: string }).value
    expect((await vc.request(VCENTER_REST_SESSION_PATH, { headers: withSession(apiId) })).status).toBe(200)
    expect((await vc.request(VCENTER_API_SESSION_PATH, { headers: withSession(restId) })).status).toBe(200)
  })
})

describe('a vCenter 6.x (apiForm: false)', () => {
  it('answers every /api path with a 404 and no body, and serves the /rest form', async () => {
    const old = await new VcenterEmulator({ apiForm: false }).start()
    try {
      for (const method of ['POST', 'GET', 'DELETE']) {
        const reply = await old.request(VCENTER_API_SESSION_PATH, { method, headers: basic(old.username, old.password) })
        expect(reply.status).toBe(404)
        expect(reply.body).toBe('')
      }
      expect(old.requestsTo('api-session-create')).toHaveLength(1)
      const id = (json(await restLogin(basic(old.username, old.password), old)) as { value: string }).value
      expect((await old.request('/api/vcenter/vm', { headers: withSession(id) })).status).toBe(404)
      expect((await old.request('/rest/vcenter/vm', { headers: withSession(id) })).status).toBe(200)
      expect(old.sessions.size).toBe(1)
    } finally {
      await old.close()
    }
  })

  it('can be switched to and back as a field, and reset() restores the option', async () => {
    vc.apiForm = false
    expect((await apiLogin()).status).toBe(404)
    vc.reset()
    expect((await apiLogin()).status).toBe(201)
  })
})

describe('later calls with the session', () => {
  it('lists VMs: GET /api/vcenter/vm (names filter), /rest/vcenter/vm wrapped; 401 without a live session', async () => {
    const id = await apiSession()
    const reply = await vc.request('/api/vcenter/vm', { headers: withSession(id) })
    expect(reply.status, reply.body).toBe(200)
    expect(json(reply)).toEqual(vc.vms)
    const filtered = await vc.request('/api/vcenter/vm?names=build-template', { headers: withSession(id) })
    expect((json(filtered) as { vm: string }[]).map((vm) => vm.vm)).toEqual(['vm-43'])
    expect(json(await vc.request('/rest/vcenter/vm', { headers: withSession(id) }))).toEqual({ value: vc.vms })

    expectApiError(await vc.request('/api/vcenter/vm'), 401, 'UNAUTHENTICATED')
    expectRestError(await vc.request('/rest/vcenter/vm', { headers: withSession('nope') }), 401, 'unauthenticated')
    await vc.request(VCENTER_API_SESSION_PATH, { method: 'DELETE', headers: withSession(id) })
    expectApiError(await vc.request('/api/vcenter/vm', { headers: withSession(id) }), 401, 'UNAUTHENTICATED')
  })

  it('attaches a tag: POST /api/cis/tagging/tag-association/{tag}?action=attach, 204, recorded with its session', async () => {
    const id = await apiSession()
    const [tag] = vc.tags
    const attach = (tagId: string, body: unknown, query = '?action=attach', headers = withSession(id)) =>
      vc.request(`/api/cis/tagging/tag-association/${encodeURIComponent(tagId)}${query}`, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      })
    const reply = await attach(tag.id, { object_id: { type: 'VirtualMachine', id: 'vm-42' } })
    expect(reply.status, reply.body).toBe(204)
    expect(vc.tagAttachments).toEqual([{ tagId: tag.id, objectId: { type: 'VirtualMachine', id: 'vm-42' }, session: id, form: 'api' }])

    expectApiError(
      await attach('urn:vmomi:InventoryServiceTag:none:GLOBAL', { object_id: { type: 'VirtualMachine', id: 'vm-42' } }),
      404,
      'NOT_FOUND',
    )
    expectApiError(await attach(tag.id, {}), 400, 'INVALID_ARGUMENT')
    expectApiError(await attach(tag.id, { object_id: { type: 'VirtualMachine', id: 'vm-1' } }), 404, 'NOT_FOUND')
    expectApiError(await attach(tag.id, { object_id: { type: 'VirtualMachine', id: 'vm-42' } }, '?action=detach'), 404, 'NOT_FOUND')
    expectApiError(
      await attach(tag.id, { object_id: { type: 'VirtualMachine', id: 'vm-42' } }, '?action=attach', {}),
      401,
      'UNAUTHENTICATED',
    )
    expect(vc.tagAttachments).toHaveLength(1)
  })

  it('attaches a tag on /rest (.../id:{tag}?~action=attach, 200) and lists content libraries on both', async () => {
    const id = (json(await restLogin()) as { value: string }).value
    const reply = await vc.request(`/rest/com/vmware/cis/tagging/tag-association/id:${vc.tags[0].id}?~action=attach`, {
      method: 'POST',
      headers: { ...withSession(id), 'Content-Type': 'application/json' },
      body: JSON.stringify({ object_id: { type: 'VirtualMachine', id: 'vm-43' } }),
    })
    expect(reply.status, reply.body).toBe(200)
    expect(vc.tagAttachments.at(-1)).toMatchObject({ objectId: { id: 'vm-43' }, form: 'rest' })
    expect(json(await vc.request('/api/content/library', { headers: withSession(id) }))).toEqual(vc.libraries)
    expect(json(await vc.request('/rest/com/vmware/content/library', { headers: withSession(id) }))).toEqual({ value: vc.libraries })
    expectApiError(await vc.request('/api/content/library'), 401, 'UNAUTHENTICATED')
  })
})

describe('faults', () => {
  it('answers a canned 503 or 429 in the /api error shape, creating no session', async () => {
    vc.fault('api-session-create', { status: 503 })
    expectApiError(await apiLogin(), 503, 'SERVICE_UNAVAILABLE')
    vc.fault('api-session-create', { status: 429, headers: { 'retry-after': '1' } })
    const busy = await apiLogin()
    expectApiError(busy, 429, 'RESOURCE_BUSY')
    expect(busy.headers['retry-after']).toBe('1')
    expect(vc.sessions.size).toBe(0)
    expect((await apiLogin()).status).toBe(201)
  })

  it('can fault the /rest login alone, leaving ?~action=get alone', async () => {
    const id = (json(await restLogin()) as { value: string }).value
    vc.fault('rest-session', { when: (request) => !request.query['~action'], status: 503, times: Infinity })
    expect((await restLogin()).status).toBe(503)
    expect((await vc.request(`${VCENTER_REST_SESSION_PATH}?~action=get`, { method: 'POST', headers: withSession(id) })).status).toBe(200)
  })

  it('can echo the password of a login in an error (for redaction tests), or the session id of a later call', async () => {
    vc.fault('api-session-create', { echo: 'token', status: 401 })
    expect((await apiLogin()).body).toContain(vc.password)
    const id = await apiSession()
    vc.fault('vm-list', { echo: 'token', status: 400 })
    expect((await vc.request('/api/vcenter/vm', { headers: withSession(id) })).body).toContain(id)
  })

  it('logs out after the route ran but loses the answer (reset after-route): the session is gone', async () => {
    const id = await apiSession()
    vc.fault('api-session-delete', { reset: 'after-route' })
    await expect(vc.request(VCENTER_API_SESSION_PATH, { method: 'DELETE', headers: withSession(id) })).rejects.toThrow()
    expect(vc.isAlive(id)).toBe(false)
  })
})
