/**
 * The Aria Operations emulator (support/aria-operations-emulator.ts) checked on its own, over HTTPS with
 * its private CA: it answers as its header comment (and notes/aria-operations.md) says, so that the
 * provider's e2e tests can rely on it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  AriaOperationsEmulator,
  OPS_ACQUIRE_FAILED_MESSAGE,
  OPS_ACQUIRE_PATH,
  OPS_RELEASE_PATH,
  OPS_RESOURCES_PATH,
  OPS_TOKEN_ERROR,
  OPS_TOKEN_LIFETIME_MS,
  opsExpiresAt,
} from './support/aria-operations-emulator.ts'
import type { ClientReply } from './support/emulator.ts'

let ops: AriaOperationsEmulator

beforeAll(async () => {
  ops = await new AriaOperationsEmulator().start()
})
afterAll(async () => {
  await ops?.close()
})
afterEach(() => ops.reset())

const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json' }
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'

function acquire(body: unknown, headers: Record<string, string> = JSON_HEADERS, path = OPS_ACQUIRE_PATH): Promise<ClientReply> {
  return ops.request(path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) })
}

function json(reply: ClientReply): Record<string, unknown> {
  return JSON.parse(reply.body) as Record<string, unknown>
}

async function token(body: unknown = { username: ops.username, password: ops.password }): Promise<string> {
  const reply = await acquire(body)
  expect(reply.status, reply.body).toBe(200)
  return String(json(reply).token)
}

function call(path: string, authorization: string | undefined, method = 'GET'): Promise<ClientReply> {
  return ops.request(path, { method, headers: { Accept: 'application/json', ...(authorization ? { Authorization: authorization } : {}) } })
}

function expectTokenError(reply: ClientReply): void {
  expect(reply.status, reply.body).toBe(401)
  expect(json(reply)).toEqual(OPS_TOKEN_ERROR)
}

describe('POST /suite-api/api/auth/token/acquire', () => {
  it('answers {token, validity, expiresAt, roles}: a number of epoch ms 6 hours ahead and its text form', async () => {
    const before = Date.now()
    const reply = await acquire({ username: ops.username, password: ops.password })
    expect(reply.status, reply.body).toBe(200)
    expect(reply.headers['content-type']).toMatch(/^application\/json/)
    const body = json(reply)
    expect(Object.keys(body).sort()).toEqual(['expiresAt', 'roles', 'token', 'validity'])
    expect(body.token).toMatch(new RegExp(`^${UUID}::${UUID}$`))
    expect(typeof body.validity).toBe('number')
    expect(Number(body.validity)).toBeGreaterThanOrEqual(before + OPS_TOKEN_LIFETIME_MS)
    expect(Number(body.validity)).toBeLessThanOrEqual(Date.now() + OPS_TOKEN_LIFETIME_MS)
    expect(body.expiresAt).toBe(opsExpiresAt(Number(body.validity)))
    expect(body.roles).toEqual(['Administrator'])
    expect(ops.issued.at(-1)).toMatchObject({ token: body.token, username: ops.username, validity: body.validity, released: false })
    expect(ops.isAlive(String(body.token))).toBe(true)
    expect(ops.secrets()).toEqual(expect.arrayContaining([ops.password, body.token]))
  })

  it('writes expiresAt exactly as the programming guide shows it', () => {
    expect(opsExpiresAt(1470421325035)).toBe('Friday, August 5, 2016 6:22:05 PM UTC')
    expect(opsExpiresAt(Date.UTC(2026, 0, 1, 0, 5, 9))).toBe('Thursday, January 1, 2026 12:05:09 AM UTC')
    expect(opsExpiresAt(Date.UTC(2026, 6, 4, 12, 0, 0))).toBe('Saturday, July 4, 2026 12:00:00 PM UTC')
  })

  it('takes local users without authSource, with authSource null or LOCAL (any case)', async () => {
    for (const authSource of [undefined, null, 'LOCAL', 'local']) {
      expect((await acquire({ username: ops.username, password: ops.password, authSource })).status).toBe(200)
    }
  })

  it('takes a user of a named auth source only with that auth source', async () => {
    const body = { username: ops.sourceUsername, password: ops.sourcePassword }
    expect((await acquire({ ...body, authSource: ops.authSource })).status).toBe(200)
    expect(ops.issued.at(-1)).toMatchObject({ username: ops.sourceUsername, authSource: ops.authSource })
    for (const authSource of [undefined, 'LOCAL', 'corp ldap', 'Other LDAP']) {
      expect((await acquire({ ...body, authSource })).status).toBe(401)
    }
    expect((await acquire({ username: ops.username, password: ops.password, authSource: ops.authSource })).status).toBe(401)
  })

  it('answers a wrong user, password or auth source with 401 {message, httpStatusCode}', async () => {
    const issuedBefore = ops.issued.length
    for (const body of [
      { username: ops.username, password: 'wrong' },
      { username: 'nobody', password: ops.password },
      { username: ops.username, password: ops.password, authSource: 'Nowhere' },
    ]) {
      const reply = await acquire(body)
      expect(reply.status).toBe(401)
      expect(json(reply)).toEqual({ message: OPS_ACQUIRE_FAILED_MESSAGE, httpStatusCode: 401 })
    }
    expect(ops.issued).toHaveLength(issuedBefore)
  })

  it('refuses a body without username or password (400) and one that is not JSON (415)', async () => {
    expect((await acquire({ username: ops.username })).status).toBe(400)
    expect((await acquire({ password: ops.password })).status).toBe(400)
    expect((await acquire('username=x&password=y', { 'Content-Type': 'application/x-www-form-urlencoded' })).status).toBe(415)
  })

  it('answers XML without Accept: application/json, as the Suite API does by default', async () => {
    const reply = await acquire({ username: ops.username, password: ops.password }, { 'Content-Type': 'application/json' })
    expect(reply.status).toBe(200)
    expect(reply.headers['content-type']).toMatch(/^application\/xml/)
    expect(reply.body).toMatch(/<ops:auth-token xmlns:ops="http:\/\/webservice\.vmware\.com\/vRealizeOpsMgr\/1\.0\/">/)
    const issued = ops.issued.at(-1)!
    expect(reply.body).toContain(`<ops:token>${issued.token}</ops:token><ops:validity>${issued.validity}</ops:validity>`)
  })

  it('refuses and flags credentials in the query string, even with a valid body', async () => {
    const body = { username: ops.username, password: ops.password }
    const issuedBefore = ops.issued.length
    for (const query of [`password=${ops.password}`, 'username=ci-deployer', 'token=x']) {
      expect((await acquire(body, JSON_HEADERS, `${OPS_ACQUIRE_PATH}?${query}`)).status).toBe(400)
    }
    expect(ops.credentialsInUrl).toHaveLength(3)
    expect(ops.issued).toHaveLength(issuedBefore)
  })
})

describe('using the token: OpsToken or vRealizeOpsToken, extended by use', () => {
  it('lists resources by name with either scheme, 401 with the documented body otherwise', async () => {
    const live = await token()
    for (const scheme of ['OpsToken', 'vRealizeOpsToken']) {
      const reply = await call(`${OPS_RESOURCES_PATH}?name=web-01`, `${scheme} ${live}`)
      expect(reply.status, reply.body).toBe(200)
      const page = json(reply)
      expect(page.pageInfo).toEqual({ totalCount: 1, page: 0, pageSize: 1000 })
      const [resource] = page.resourceList as { identifier: string; resourceKey: Record<string, unknown> }[]
      expect(resource.identifier).toBe(ops.resources[0].identifier)
      expect(resource.resourceKey).toMatchObject({ name: 'web-01', adapterKindKey: 'VMWARE', resourceKindKey: 'VirtualMachine' })
    }
    expect((json(await call(OPS_RESOURCES_PATH, `OpsToken ${live}`)).resourceList as unknown[]).length).toBe(3)
    expectTokenError(await call(OPS_RESOURCES_PATH, undefined))
    expectTokenError(await call(OPS_RESOURCES_PATH, `Bearer ${live}`))
    expectTokenError(await call(OPS_RESOURCES_PATH, `OpsToken ${live}x`))
    expect(ops.secrets()).toContain(`${live}x`)
  })

  it('moves validity to 6 hours after each use; an expired token is dead', async () => {
    const live = await token()
    const issued = ops.issued.at(-1)!
    issued.validity = Date.now() + 1000
    const before = Date.now()
    expect((await call(OPS_RESOURCES_PATH, `OpsToken ${live}`)).status).toBe(200)
    expect(issued.validity).toBeGreaterThanOrEqual(before + OPS_TOKEN_LIFETIME_MS)
    ops.expireToken(live)
    expect(ops.isAlive(live)).toBe(false)
    expectTokenError(await call(OPS_RESOURCES_PATH, `OpsToken ${live}`))
  })

  it('extendOnUse false and another lifetime leave validity where acquire set it', async () => {
    const fixed = new AriaOperationsEmulator({ extendOnUse: false, tokenLifetimeMs: 60_000 })
    await fixed.start()
    try {
      const reply = await fixed.request(OPS_ACQUIRE_PATH, {
        method: 'POST',
        headers: JSON_HEADERS,
        body: JSON.stringify({ username: fixed.username, password: fixed.password }),
      })
      const body = json(reply)
      expect(Number(body.validity) - fixed.issued[0].time).toBe(60_000)
      const use = await fixed.request(OPS_RESOURCES_PATH, { headers: { Authorization: `OpsToken ${String(body.token)}` } })
      expect(use.status).toBe(200)
      expect(fixed.issued[0].validity).toBe(body.validity)
    } finally {
      await fixed.close()
    }
  })

  it('authSchemes [vRealizeOpsToken] refuses OpsToken, as an older build would', async () => {
    const live = await token()
    ops.authSchemes = ['vRealizeOpsToken']
    expectTokenError(await call(OPS_RESOURCES_PATH, `OpsToken ${live}`))
    expect((await call(OPS_RESOURCES_PATH, `vRealizeOpsToken ${live}`)).status).toBe(200)
  })

  it('puts a resource in maintenance for a duration, until an end, or manually, and ends it', async () => {
    const live = await token()
    const [web1, web2, db1] = ops.resources
    const path = (id: string, query = '') => `${OPS_RESOURCES_PATH}/${id}/maintained${query}`
    const before = Date.now()
    expect((await call(path(web1.identifier, '?duration=60'), `OpsToken ${live}`, 'PUT')).status).toBe(200)
    expect(web1.maintenance).toMatchObject({ state: 'MAINTAINED', by: ops.username })
    expect(web1.maintenance!.until).toBeGreaterThanOrEqual(before + 3_600_000)
    expect((await call(path(web2.identifier, '?duration=5&end=1900000000000'), `OpsToken ${live}`, 'PUT')).status).toBe(200)
    expect(web2.maintenance).toMatchObject({ state: 'MAINTAINED', until: 1900000000000 })
    expect((await call(path(db1.identifier), `vRealizeOpsToken ${live}`, 'PUT')).status).toBe(200)
    expect(db1.maintenance).toEqual({ state: 'MAINTAINED_MANUAL', until: undefined, by: ops.username })

    expect((await call(path(db1.identifier), `OpsToken ${live}`, 'DELETE')).status).toBe(200)
    expect(db1.maintenance).toBeUndefined()
    expect((await call(path(web1.identifier, '?duration=soon'), `OpsToken ${live}`, 'PUT')).status).toBe(400)
    expect((await call(path('00000000-0000-0000-0000-000000000000'), `OpsToken ${live}`, 'PUT')).status).toBe(404)
    expectTokenError(await call(path(web1.identifier), undefined, 'DELETE'))
    expect(ops.requestsTo('maintenance')).toHaveLength(7)
  })

  it('answers a readOnly user 403 on maintenance', async () => {
    const user = ops.addUser({ username: 'viewer', password: `pw-viewer-${ops.password}`, readOnly: true })
    const live = await token({ username: user.username, password: user.password })
    const reply = await call(`${OPS_RESOURCES_PATH}/${ops.resources[0].identifier}/maintained`, `OpsToken ${live}`, 'PUT')
    expect(reply.status).toBe(403)
    expect(json(reply)).toMatchObject({ httpStatusCode: 403 })
  })
})

describe('POST /suite-api/api/auth/token/release', () => {
  it('releases the token (200, empty): it is dead, and a second release is 401', async () => {
    const live = await token()
    const reply = await call(OPS_RELEASE_PATH, `OpsToken ${live}`, 'POST')
    expect(reply.status).toBe(200)
    expect(reply.body).toBe('')
    expect(ops.isAlive(live)).toBe(false)
    expect(ops.issued.at(-1)!.released).toBe(true)
    expectTokenError(await call(OPS_RELEASE_PATH, `OpsToken ${live}`, 'POST'))
    expectTokenError(await call(OPS_RESOURCES_PATH, `OpsToken ${live}`))
  })

  it('takes the vRealizeOpsToken form, answers releaseStatus, and 401 without a token', async () => {
    ops.releaseStatus = 204
    const live = await token()
    expect((await call(OPS_RELEASE_PATH, `vRealizeOpsToken ${live}`, 'POST')).status).toBe(204)
    expectTokenError(await call(OPS_RELEASE_PATH, undefined, 'POST'))
    const expired = await token()
    ops.expireToken(expired)
    expectTokenError(await call(OPS_RELEASE_PATH, `OpsToken ${expired}`, 'POST'))
  })
})

describe('faults and reset', () => {
  it('serves canned errors in the Suite API shape, and reset() restores the options', async () => {
    ops.fault('acquire', { status: 503, times: 1 })
    const reply = await acquire({ username: ops.username, password: ops.password })
    expect(reply.status).toBe(503)
    expect(json(reply)).toEqual({ message: 'Service Unavailable', httpStatusCode: 503 })
    ops.fault('acquire', { echo: 'token', status: 401 })
    const echoed = await acquire({ username: ops.username, password: ops.password })
    expect(json(echoed).message).toContain(ops.password)

    ops.authSchemes = ['vRealizeOpsToken']
    ops.releaseStatus = 204
    ops.reset()
    expect(ops.authSchemes).toEqual(['OpsToken', 'vRealizeOpsToken'])
    expect(ops.releaseStatus).toBe(200)
    expect(ops.requests).toHaveLength(0)
    expect((await acquire({ username: ops.username, password: ops.password })).status).toBe(200)
  })
})
