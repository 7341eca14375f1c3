/**
 * The SDDC Manager emulator (support/sddc-manager-emulator.ts) checked on its own, over HTTPS with its
 * private CA: it answers as its header comment (and notes/sddc-manager.md) says, so that the provider's
 * e2e tests can rely on it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { ClientReply } from './support/emulator.ts'
import { readJwt } from './support/jwt.ts'
import {
  SDDC_ACCESS_TOKEN_SECONDS,
  SDDC_ADMIN_SCOPE,
  SDDC_AUDIENCE,
  SDDC_CREDENTIALS_PATH,
  SDDC_DOMAINS_PATH,
  SDDC_ISSUER,
  SDDC_REFRESH_PATH,
  SDDC_REVOKE_PATH,
  SDDC_TASKS_PATH,
  SDDC_TOKENS_PATH,
  SddcManagerEmulator,
} from './support/sddc-manager-emulator.ts'

let sddc: SddcManagerEmulator

beforeAll(async () => {
  sddc = await new SddcManagerEmulator().start()
})
afterAll(async () => {
  await sddc?.close()
})
afterEach(() => sddc.reset())

const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json' }
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
/** The body PowerVCF ships as samples/credentials/rotateCredentialSpec.json. */
const ROTATE_SPEC = {
  operationType: 'ROTATE',
  elements: [
    { resourceName: 'sfo01-m01-esx01.sfo.rainpole.io', resourceType: 'ESXI', credentials: [{ credentialType: 'SSH', username: 'root' }] },
  ],
}

function post(body: unknown, path = SDDC_TOKENS_PATH): Promise<ClientReply> {
  return sddc.request(path, { method: 'POST', headers: JSON_HEADERS, body: typeof body === 'string' ? body : JSON.stringify(body) })
}

function json(reply: ClientReply): Record<string, unknown> {
  return JSON.parse(reply.body) as Record<string, unknown>
}

async function pair(body: unknown = { username: sddc.username, password: sddc.password }): Promise<{ accessToken: string; id: string }> {
  const reply = await post(body)
  expect(reply.status, reply.body).toBe(201)
  const answer = json(reply) as { accessToken: string; refreshToken: { id: string } }
  return { accessToken: answer.accessToken, id: answer.refreshToken.id }
}

function withBody(path: string, method: string, body: string, bearer?: string): Promise<ClientReply> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}) }
  return sddc.request(path, { method, headers, body })
}

function bearerGet(path: string, token?: string): Promise<ClientReply> {
  return sddc.request(path, { headers: { Accept: 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) } })
}

function expectError(reply: ClientReply, status: number, errorCode?: string): Record<string, unknown> {
  expect(reply.status, reply.body).toBe(status)
  const body = json(reply)
  expect(body).toMatchObject({ arguments: [], context: {}, causes: [] })
  expect(typeof body.message).toBe('string')
  if (errorCode) expect(body.errorCode).toBe(errorCode)
  return body
}

describe('POST /v1/tokens', () => {
  it('gives 201 {accessToken: an HS256 JWT with the claims of the guide, refreshToken: {id: uuid}} for a password', async () => {
    const reply = await post({ username: sddc.username, password: sddc.password })
    expect(reply.status, reply.body).toBe(201)
    const body = json(reply) as { accessToken: string; refreshToken: { id: string } }
    expect(Object.keys(body).sort()).toEqual(['accessToken', 'refreshToken'])
    expect(Object.keys(body.refreshToken)).toEqual(['id'])
    expect(body.refreshToken.id).toMatch(UUID)
    const [header, , signature] = body.accessToken.split('.')
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg: 'HS256' })
    expect(Buffer.from(signature, 'base64url')).toHaveLength(32)
    const claims = readJwt(body.accessToken)!
    expect(claims).toMatchObject({ sub: sddc.username, user: sddc.username, name: sddc.username, iss: SDDC_ISSUER, aud: SDDC_AUDIENCE })
    expect(claims.scope).toEqual(SDDC_ADMIN_SCOPE)
    expect(Number(claims.exp) - Number(claims.iat)).toBe(SDDC_ACCESS_TOKEN_SECONDS)
    expect(claims.nbf).toBe(claims.iat)
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/)
    expect(sddc.issued.at(-1)).toMatchObject({
      accessToken: body.accessToken,
      refreshTokenId: body.refreshToken.id,
      credential: 'password',
    })
    expect(sddc.refreshTokens.get(body.refreshToken.id)).toEqual({ subject: sddc.username, credential: 'password', revoked: false })
    expect(sddc.isAlive(body.accessToken)).toBe(true)
    expect(sddc.secrets()).toEqual(expect.arrayContaining([sddc.password, sddc.apiKey, body.accessToken, body.refreshToken.id]))
  })

  it('gives a pair for an API key, with the service user as sub; 200 with tokenStatus 200', async () => {
    const { accessToken } = await pair({ apiKey: sddc.apiKey })
    expect(readJwt(accessToken)).toMatchObject({ sub: sddc.serviceUser, user: sddc.serviceUser })
    expect(sddc.issued.at(-1)!.credential).toBe('apiKey')
    sddc.tokenStatus = 200
    expect((await post({ apiKey: sddc.apiKey })).status).toBe(200)
  })

  it('rejects wrong credentials with rejectStatus (401, or 400) and an Error with message and remediationMessage', async () => {
    for (const body of [
      { username: sddc.username, password: 'wrong' },
      { username: 'nobody@vsphere.local', password: sddc.password },
      { apiKey: 'nope' },
    ]) {
      const error = expectError(await post(body), 401, 'AUTHENTICATION_FAILED')
      expect(error.remediationMessage).toMatch(/user name and password, or the API key/)
    }
    sddc.rejectStatus = 400
    expectError(await post({ username: sddc.username, password: 'wrong' }), 400, 'AUTHENTICATION_FAILED')
  })

  it('refuses a spec with neither or both kinds of credential, or no JSON, with 400', async () => {
    expectError(await post({}), 400, 'TOKEN_SPEC_INVALID')
    expectError(await post({ username: sddc.username }), 400)
    expectError(await post({ username: sddc.username, password: sddc.password, apiKey: sddc.apiKey }), 400)
    expectError(await post('username=x'), 400)
  })

  it('locks a user after lockoutAfter wrong passwords in a row, even for the right one, until unlocked', async () => {
    sddc.lockoutAfter = 3
    await post({ username: sddc.username, password: 'wrong-1' })
    await post({ username: sddc.username, password: 'wrong-2' })
    await pair()
    expect(sddc.users.get(sddc.username)!.failures).toBe(0)
    for (let attempt = 1; attempt <= 3; attempt++) await post({ username: sddc.username, password: `wrong-${attempt}` })
    expect(sddc.users.get(sddc.username)!.locked).toBe(true)
    const locked = expectError(await post({ username: sddc.username, password: sddc.password }), 401, 'ACCOUNT_LOCKED')
    expect(locked.message).toMatch(/locked/)
    sddc.unlock(sddc.username)
    await pair()
  })

  it('issues what the options say: another lifetime, claims left out or added', async () => {
    sddc.accessTokenLifetime = 600
    sddc.omitClaims = ['exp']
    sddc.extraClaims = { tenant: 'acme' }
    const claims = readJwt((await pair()).accessToken)!
    expect(claims).not.toHaveProperty('exp')
    expect(claims.tenant).toBe('acme')
    expect(sddc.issued.at(-1)!.expiresAt).toBe((Number(claims.iat) + 600) * 1000)
  })

  it('refuses and flags credentials in the query string', async () => {
    for (const query of [`password=${sddc.password}`, `apiKey=${sddc.apiKey}`]) {
      expectError(await post({ apiKey: sddc.apiKey }, `${SDDC_TOKENS_PATH}?${query}`), 400)
    }
    expect(sddc.credentialsInUrl).toHaveLength(2)
  })
})

describe('DELETE /v1/tokens/refresh-token', () => {
  it('revokes the id sent as a JSON string (204): the refresh token is dead, the access token lives on', async () => {
    const { accessToken, id } = await pair()
    const reply = await withBody(SDDC_REVOKE_PATH, 'DELETE', JSON.stringify(id))
    expect(reply.status, reply.body).toBe(204)
    expect(reply.body).toBe('')
    expect(sddc.refreshTokens.get(id)).toMatchObject({ revoked: true, revokedWith: 'json-string' })
    expectError(await withBody(SDDC_REFRESH_PATH, 'PATCH', JSON.stringify(id)), 404, 'REFRESH_TOKEN_NOT_FOUND')
    expectError(await withBody(SDDC_REVOKE_PATH, 'DELETE', JSON.stringify(id)), 404)
    expect(sddc.isAlive(accessToken)).toBe(true)
    expect((await bearerGet(SDDC_DOMAINS_PATH, accessToken)).status).toBe(200)
  })

  it('revokes the raw id too (both forms by default); an unknown id gets unknownRefreshStatus', async () => {
    const { id } = await pair()
    expect((await withBody(SDDC_REVOKE_PATH, 'DELETE', id)).status).toBe(204)
    expect(sddc.refreshTokens.get(id)!.revokedWith).toBe('raw')
    expectError(await withBody(SDDC_REVOKE_PATH, 'DELETE', '"00000000-0000-4000-8000-000000000000"'), 404)
    sddc.unknownRefreshStatus = 400
    expectError(await withBody(SDDC_REVOKE_PATH, 'DELETE', id), 400, 'REFRESH_TOKEN_NOT_FOUND')
    expectError(await withBody(SDDC_REVOKE_PATH, 'DELETE', ''), 400, 'REFRESH_TOKEN_REQUIRED')
  })

  it("revokeForms ['raw']: a JSON string is not found (404), the raw id then works", async () => {
    sddc.revokeForms = ['raw']
    const { id } = await pair()
    expectError(await withBody(SDDC_REVOKE_PATH, 'DELETE', JSON.stringify(id)), 404)
    expect(sddc.refreshTokens.get(id)!.revoked).toBe(false)
    expect((await withBody(SDDC_REVOKE_PATH, 'DELETE', id)).status).toBe(204)
  })

  it("revokeForms ['json-string']: a raw id is malformed JSON (400), the JSON string then works", async () => {
    sddc.revokeForms = ['json-string']
    const { id } = await pair()
    expectError(await withBody(SDDC_REVOKE_PATH, 'DELETE', id), 400, 'MALFORMED_REQUEST')
    expect((await withBody(SDDC_REVOKE_PATH, 'DELETE', JSON.stringify(id))).status).toBe(204)
  })

  it('revokeNeedsBearer: 401 without a live access token, 204 with one', async () => {
    sddc.revokeNeedsBearer = true
    const { accessToken, id } = await pair()
    expectError(await withBody(SDDC_REVOKE_PATH, 'DELETE', JSON.stringify(id)), 401, 'UNAUTHORIZED')
    expect((await withBody(SDDC_REVOKE_PATH, 'DELETE', JSON.stringify(id), accessToken)).status).toBe(204)
  })
})

describe('PATCH /v1/tokens/access-token/refresh', () => {
  it('gives a new access token of the same user as a JSON string, for either body form', async () => {
    const { id } = await pair()
    for (const body of [JSON.stringify(id), id]) {
      const reply = await withBody(SDDC_REFRESH_PATH, 'PATCH', body)
      expect(reply.status, reply.body).toBe(200)
      const accessToken = JSON.parse(reply.body) as string
      expect(readJwt(accessToken)!.sub).toBe(sddc.username)
      expect(sddc.issued.at(-1)).toMatchObject({ accessToken, refreshTokenId: id, credential: 'refresh' })
    }
  })
})

describe('later steps with the Bearer token', () => {
  it('lists workload domains (PageOfDomain), filtered by type; 401 without a live token', async () => {
    const { accessToken, id } = await pair()
    const page = json(await bearerGet(SDDC_DOMAINS_PATH, accessToken))
    expect((page.elements as { name: string }[]).map((domain) => domain.name)).toEqual(['sfo-m01', 'sfo-w01'])
    expect(page.pageMetadata).toEqual({ pageNumber: 0, pageSize: 2, totalElements: 2, totalPages: 1 })
    const vi = json(await bearerGet(`${SDDC_DOMAINS_PATH}?type=VI`, accessToken))
    expect(vi.elements).toEqual([sddc.domains[1]])

    expectError(await bearerGet(SDDC_DOMAINS_PATH), 401, 'UNAUTHORIZED')
    expectError(await bearerGet(SDDC_DOMAINS_PATH, id), 401)
    sddc.issued.find((entry) => entry.accessToken === accessToken)!.expiresAt = Date.now() - 1
    expect(sddc.isAlive(accessToken)).toBe(false)
    expectError(await bearerGet(SDDC_DOMAINS_PATH, accessToken), 401)
  })

  it('starts a password rotation: 202 with a Task, recorded, and the task can be read', async () => {
    const { accessToken } = await pair()
    const reply = await withBody(SDDC_CREDENTIALS_PATH, 'PATCH', JSON.stringify(ROTATE_SPEC), accessToken)
    expect(reply.status, reply.body).toBe(202)
    const task = json(reply)
    expect(task).toMatchObject({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'IN_PROGRESS', type: 'PASSWORD_ROTATE' })
    expect(Date.parse(String(task.creationTimestamp))).not.toBeNaN()
    expect(sddc.rotations.at(-1)).toEqual({ spec: ROTATE_SPEC, taskId: task.id })
    expect(sddc.tasks.at(-1)!.requestedBy).toBe(sddc.username)
    expect(json(await bearerGet(`${SDDC_TASKS_PATH}/${String(task.id)}`, accessToken))).toEqual(task)
    expectError(await bearerGet(`${SDDC_TASKS_PATH}/nope`, accessToken), 404, 'TASK_NOT_FOUND')
    sddc.rotateStatus = 200
    expect((await withBody(SDDC_CREDENTIALS_PATH, 'PATCH', JSON.stringify(ROTATE_SPEC), accessToken)).status).toBe(200)
  })

  it('refuses a rotation spec missing what the schema requires (400), and one without a token (401)', async () => {
    const { accessToken } = await pair()
    const rotationsBefore = sddc.rotations.length
    const element = ROTATE_SPEC.elements[0]
    for (const spec of [
      { ...ROTATE_SPEC, operationType: 'SHUFFLE' },
      { operationType: 'ROTATE', elements: [] },
      { operationType: 'ROTATE', elements: [{ ...element, resourceType: undefined }] },
      { operationType: 'ROTATE', elements: [{ ...element, credentials: [{ credentialType: 'SSH' }] }] },
    ]) {
      expectError(await withBody(SDDC_CREDENTIALS_PATH, 'PATCH', JSON.stringify(spec), accessToken), 400, 'CREDENTIALS_SPEC_INVALID')
    }
    expectError(await withBody(SDDC_CREDENTIALS_PATH, 'PATCH', JSON.stringify(ROTATE_SPEC)), 401)
    expect(sddc.rotations).toHaveLength(rotationsBefore)
  })
})

describe('faults and reset', () => {
  it('serves canned errors in the Error shape, and reset() restores the options and unlocks', async () => {
    sddc.fault('tokens', { status: 500 })
    expectError(await post({ apiKey: sddc.apiKey }), 500, 'HTTP_500')
    sddc.fault('tokens', { echo: 'token' })
    expect(json(await post({ apiKey: sddc.apiKey })).message).toContain(sddc.apiKey)

    sddc.tokenStatus = 200
    sddc.revokeForms = ['raw']
    sddc.lockoutAfter = 1
    await post({ username: sddc.username, password: 'wrong' })
    expect(sddc.users.get(sddc.username)!.locked).toBe(true)
    sddc.reset()
    expect(sddc.users.get(sddc.username)!.locked).toBe(false)
    expect(sddc.revokeForms).toEqual(['json-string', 'raw'])
    expect(sddc.lockoutAfter).toBeUndefined()
    expect(sddc.requests).toHaveLength(0)
    await pair()
  })
})
