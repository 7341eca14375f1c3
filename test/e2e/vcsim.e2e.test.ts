/**
 * VMware's vCenter simulator (support/vcsim.ts) checked on its own, over HTTPS with the test PKI's
 * private CA: it is what the vcenter provider's e2e tests will run against, so what it serves is
 * pinned here (govmomi 0.24 vapi/simulator: the /rest session form only).
 */
import tls from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startVcsim, vcsimSkipReason, VCSIM_SESSION_PATH, type Vcsim } from './support/vcsim.ts'

const skip = vcsimSkipReason()

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
}

describe.skipIf(skip !== undefined)(`vcsim${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let vc: Vcsim

  beforeAll(async () => {
    vc = await startVcsim()
  })
  afterAll(async () => {
    await vc?.close()
  })

  async function login(headers: Record<string, string> = {}): Promise<string> {
    const reply = await vc.request(VCSIM_SESSION_PATH, {
      method: 'POST',
      headers: { Authorization: basic(vc.username, vc.password), 'vmware-use-header-authn': 'true', ...headers },
    })
    expect(reply.status, reply.body).toBe(200)
    const value = (JSON.parse(reply.body) as { value: unknown }).value
    expect(value).toEqual(expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/))
    return value as string
  }

  it('listens on 127.0.0.1 over HTTPS with a certificate of the private CA', async () => {
    expect(vc.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    expect(vc.ca).toContain('BEGIN CERTIFICATE')
    // Trusting the CA is what makes the request work: without it node refuses the certificate.
    await expect(vc.request(VCSIM_SESSION_PATH, { method: 'POST' }).then((reply) => reply.status)).resolves.toBe(401)
    const untrusted = await fetch(new URL(VCSIM_SESSION_PATH, vc.url), { method: 'POST' }).then(
      () => 'trusted',
      (error: Error & { cause?: { code?: string } }) => error.cause?.code ?? error.message,
    )
    expect(untrusted).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|unable to verify/i)
  })

  it('creates a session for Basic auth: 200 {"value": id}, no cookie with vmware-use-header-authn, JSON as text/plain', async () => {
    const reply = await vc.request(VCSIM_SESSION_PATH, {
      method: 'POST',
      headers: { Authorization: basic(vc.username, vc.password), 'vmware-use-header-authn': 'true' },
    })
    expect(reply.status).toBe(200)
    expect(reply.headers['set-cookie']).toBeUndefined()
    expect(reply.headers['content-type']).toMatch(/^text\/plain/)
    expect(Object.keys(JSON.parse(reply.body) as object)).toEqual(['value'])

    const withCookie = await vc.request(VCSIM_SESSION_PATH, { method: 'POST', headers: { Authorization: basic(vc.username, vc.password) } })
    const id = (JSON.parse(withCookie.body) as { value: string }).value
    expect(withCookie.headers['set-cookie']).toEqual([`vmware-api-session-id=${id}; Path=/rest`])
  })

  it('accepts any non-empty user and password, and refuses missing or empty ones with an empty 401', async () => {
    await login({ Authorization: basic('someone@example.local', 'anything') })
    const refused: Record<string, string>[] = [
      {},
      { Authorization: basic(vc.username, '') },
      { Authorization: basic('', vc.password) },
      { Authorization: 'Bearer x' },
    ]
    for (const headers of refused) {
      const reply = await vc.request(VCSIM_SESSION_PATH, { method: 'POST', headers })
      expect(reply.status).toBe(401)
      expect(reply.body).toBe('')
    }
  })

  it('tells the user of a session: POST ?~action=get and GET, by header or cookie', async () => {
    const id = await login()
    const byAction = await vc.request(`${VCSIM_SESSION_PATH}?~action=get`, { method: 'POST', headers: { 'vmware-api-session-id': id } })
    expect(byAction.status, byAction.body).toBe(200)
    const info = (JSON.parse(byAction.body) as { value: Record<string, string> }).value
    expect(info.user).toBe(vc.username)
    expect(Date.parse(info.created_time)).not.toBeNaN()
    expect(Date.parse(info.last_accessed_time)).toBeGreaterThanOrEqual(Date.parse(info.created_time))

    const byGet = await vc.request(VCSIM_SESSION_PATH, { headers: { 'vmware-api-session-id': id } })
    expect((JSON.parse(byGet.body) as { value: { user: string } }).value.user).toBe(vc.username)
    const byCookie = await vc.request(VCSIM_SESSION_PATH, { headers: { Cookie: `vmware-api-session-id=${id}` } })
    expect((JSON.parse(byCookie.body) as { value: { user: string } }).value.user).toBe(vc.username)

    for (const headers of [{}, { 'vmware-api-session-id': 'not-a-session' }] as Record<string, string>[]) {
      const reply = await vc.request(`${VCSIM_SESSION_PATH}?~action=get`, { method: 'POST', headers })
      expect(reply.status).toBe(401)
    }
  })

  it('ends a session with DELETE (200, no body); the id is refused afterwards, a second DELETE too', async () => {
    const id = await login()
    const session = { 'vmware-api-session-id': id }
    const deleted = await vc.request(VCSIM_SESSION_PATH, { method: 'DELETE', headers: session })
    expect(deleted.status).toBe(200)
    expect(deleted.body).toBe('')
    expect((await vc.request(`${VCSIM_SESSION_PATH}?~action=get`, { method: 'POST', headers: session })).status).toBe(401)
    expect((await vc.request(VCSIM_SESSION_PATH, { headers: session })).status).toBe(401)
    expect((await vc.request(VCSIM_SESSION_PATH, { method: 'DELETE', headers: session })).status).toBe(401)
  })

  it('has no /api/session: 404 for every method (the provider falls back to /rest)', async () => {
    for (const method of ['POST', 'GET', 'DELETE']) {
      const reply = await vc.request('/api/session', { method, headers: { Authorization: basic(vc.username, vc.password) } })
      expect(reply.status).toBe(404)
      expect(reply.body).toBe('404 page not found\n')
    }
  })

  it('serves later calls with the session (content libraries), and refuses them without', async () => {
    const id = await login()
    const libraries = await vc.request('/rest/com/vmware/content/library', { headers: { 'vmware-api-session-id': id } })
    expect(libraries.status, libraries.body).toBe(200)
    expect(JSON.parse(libraries.body)).toHaveProperty('value')
    expect((await vc.request('/rest/com/vmware/content/library')).status).toBe(401)
  })

  it('has a certificate for the host names it is given (proxy tests reach it by a made-up name)', async () => {
    const named = await startVcsim({ names: ['vc.example.test'] })
    try {
      expect(named.urlFor('vc.example.test')).toBe(`https://vc.example.test:${named.port}`)
      await expect(handshake(named, 'vc.example.test')).resolves.toBe('trusted')
      await expect(handshake(named, 'other.example.test')).resolves.toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/)
      await expect(handshake(vc, 'vc.example.test')).resolves.toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/)
    } finally {
      await named.close()
    }
  })
})

/** A TLS handshake with 127.0.0.1 asking for `servername`, trusting the server's CA: 'trusted' or the error code. */
function handshake(server: Vcsim, servername: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port: server.port, servername, ca: server.ca }, () => {
      socket.end()
      resolve('trusted')
    })
    socket.on('error', (error: Error & { code?: string }) => resolve(error.code ?? error.message))
  })
}
