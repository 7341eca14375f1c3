/**
 * The Aria Automation emulator (support/aria-emulator.ts) checked on its own, over HTTPS with its
 * private CA: it answers as its header comment (and notes/aria-protocol.md) says, so that the
 * provider's e2e tests can rely on it.
 */
import { describe, expect, it } from 'vitest'
import {
  ARIA_ACCESS_TOKEN_SECONDS,
  ARIA_CATALOG_ITEMS_PATH,
  ARIA_CSP_LOGIN_PATH,
  ARIA_ISSUER,
  ARIA_LOGIN_PATH,
  AriaEmulator,
} from './support/aria-emulator.ts'
import type { ClientReply } from './support/emulator.ts'
import { nowSeconds, readJwt } from './support/jwt.ts'
import { shareEmulators } from './support/shared-emulators.ts'

let aria: AriaEmulator

shareEmulators(async () => [(aria = await new AriaEmulator().start())])

const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json' }

function login(body: unknown, path = ARIA_LOGIN_PATH): Promise<ClientReply> {
  return aria.request(path, { method: 'POST', headers: JSON_HEADERS, body: typeof body === 'string' ? body : JSON.stringify(body) })
}

function json(reply: ClientReply): Record<string, unknown> {
  return JSON.parse(reply.body) as Record<string, unknown>
}

function expectServiceError(reply: ClientReply, status: number, message: RegExp): void {
  expect(reply.status, reply.body).toBe(status)
  expect(reply.headers['content-type']).toMatch(/^application\/json/)
  const body = json(reply)
  expect(body).toMatchObject({ statusCode: status, errorCode: 0, documentKind: 'com:vmware:xenon:common:ServiceErrorResponse' })
  expect(body.message).toMatch(message)
  expect(body.serverErrorId).toMatch(/^[0-9a-f-]{36}$/)
}

async function accessToken(): Promise<string> {
  const reply = await login({ refreshToken: aria.refreshToken })
  expect(reply.status, reply.body).toBe(200)
  return String(json(reply).token)
}

describe('POST /iaas/api/login', () => {
  it('exchanges the refresh token for {tokenType: Bearer, token: JWT} with the claims of a real on-prem token', async () => {
    const before = nowSeconds()
    const reply = await login({ refreshToken: aria.refreshToken })
    expect(reply.status, reply.body).toBe(200)
    const body = json(reply)
    expect(Object.keys(body).sort()).toEqual(['token', 'tokenType'])
    expect(body.tokenType).toBe('Bearer')
    const token = String(body.token)
    expect(token.split('.')).toHaveLength(3)
    expect(JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString())).toMatchObject({ typ: 'JWT', alg: 'RS256' })

    const claims = readJwt(token)!
    expect(claims).toMatchObject({
      iss: ARIA_ISSUER,
      username: aria.username,
      domain: aria.domain,
      context_name: aria.org,
      acct: `${aria.username}@${aria.domain}`,
    })
    expect(claims.sub).toMatch(new RegExp(`^${aria.domain.replace('.', '\\.')}:[0-9a-f-]{36}$`))
    expect(claims).not.toHaveProperty('preferred_username')
    expect(typeof claims.context).toBe('string')
    expect(Number(claims.iat)).toBeGreaterThanOrEqual(before)
    expect(Number(claims.exp) - Number(claims.iat)).toBe(ARIA_ACCESS_TOKEN_SECONDS)

    expect(aria.issued.at(-1)).toMatchObject({ token, credential: aria.refreshToken, claims })
    expect(aria.isAlive(token)).toBe(true)
    expect(aria.secrets()).toEqual(expect.arrayContaining([aria.refreshToken, token]))
    const [recorded] = aria.requestsTo('login')
    expect(recorded.json).toEqual({ refreshToken: aria.refreshToken })
  })

  it('accepts the optional apiVersion query parameter', async () => {
    const reply = await login({ refreshToken: aria.refreshToken }, `${ARIA_LOGIN_PATH}?apiVersion=2021-07-15`)
    expect(reply.status, reply.body).toBe(200)
  })

  it('answers a missing refreshToken with the real 400 message', async () => {
    expectServiceError(await login({}), 400, /^'refreshToken' can not be null\.$/)
    expectServiceError(await login({ refresh_token: aria.refreshToken }), 400, /can not be null/)
    expectServiceError(await login('refreshToken=x'), 400, /can not be null/)
  })

  it('answers an unknown refresh token with 400 (or unknownStatus)', async () => {
    expectServiceError(await login({ refreshToken: 'not-a-token' }), 400, /invalid refresh token/i)
    const changed = new AriaEmulator({ unknownStatus: 401 })
    await changed.start()
    try {
      const reply = await changed.request(ARIA_LOGIN_PATH, { method: 'POST', headers: JSON_HEADERS, body: '{"refreshToken":"nope"}' })
      expect(reply.status).toBe(401)
    } finally {
      await changed.close()
    }
  })

  it('answers an expired refresh token with 401 by default, and with expiredStatus when set', async () => {
    const token = aria.addRefreshToken({})
    expect((await login({ refreshToken: token })).status).toBe(200)
    aria.expireRefreshToken(token)
    expectServiceError(await login({ refreshToken: token }), 401, /expired/)
    aria.expiredStatus = 400
    try {
      expectServiceError(await login({ refreshToken: token }), 400, /expired/)
    } finally {
      aria.expiredStatus = 401
    }
    const old = aria.addRefreshToken({ expiresAt: Date.now() - 1 })
    expect((await login({ refreshToken: old })).status).toBe(401)
  })

  it('answers a forbidden user with 403 and a message', async () => {
    const token = aria.addRefreshToken({ forbidden: true })
    expectServiceError(await login({ refreshToken: token }), 403, /not authorized/)
    // A canned 403 through the fault machinery has the same shape.
    aria.fault('login', { status: 403 })
    expectServiceError(await login({ refreshToken: aria.refreshToken }), 403, /Forbidden/)
  })

  it('refuses and flags a refresh token in the URL, even with a valid body', async () => {
    for (const name of ['refreshToken', 'refresh_token']) {
      const reply = await login({ refreshToken: aria.refreshToken }, `${ARIA_LOGIN_PATH}?${name}=${aria.refreshToken}`)
      expectServiceError(reply, 400, /query string/)
    }
    expect(aria.credentialsInUrl).toHaveLength(2)
  })

  it('issues what the options say: lower-case tokenType, no exp, other claims, another lifetime', async () => {
    aria.tokenType = 'bearer'
    aria.omitClaims = ['exp', 'username']
    aria.extraClaims = { preferred_username: 'someone@example.local' }
    const reply = await login({ refreshToken: aria.refreshToken })
    expect(json(reply).tokenType).toBe('bearer')
    const token = String(json(reply).token)
    const claims = readJwt(token)!
    expect(claims).not.toHaveProperty('exp')
    expect(claims).not.toHaveProperty('username')
    expect(claims.preferred_username).toBe('someone@example.local')
    // Without exp in the JWT the server still ends it after the lifetime.
    expect(aria.issued.at(-1)!.expiresAt).toBe((Number(claims.iat) + ARIA_ACCESS_TOKEN_SECONDS) * 1000)
    expect(aria.isAlive(token)).toBe(true)

    const short = new AriaEmulator({ accessTokenLifetime: 1800 })
    await short.start()
    try {
      const r = await short.request(ARIA_LOGIN_PATH, {
        method: 'POST',
        headers: JSON_HEADERS,
        body: JSON.stringify({ refreshToken: short.refreshToken }),
      })
      const shortClaims = readJwt(String(json(r).token))!
      expect(Number(shortClaims.exp) - Number(shortClaims.iat)).toBe(1800)
    } finally {
      await short.close()
    }
  })

  it('can patch its answer through a fault (e.g. a tokenType that is not Bearer)', async () => {
    aria.fault('login', { patch: { tokenType: 'JWT' } })
    const reply = await login({ refreshToken: aria.refreshToken })
    expect(reply.status).toBe(200)
    expect(json(reply).tokenType).toBe('JWT')
    expect(aria.issued.at(-1)!.token).toBe(json(reply).token)
  })
})

describe('POST /csp/gateway/am/api/login?access_token', () => {
  const CSP_LOGIN = `${ARIA_CSP_LOGIN_PATH}?access_token`

  it('gives a new refresh token that works at /iaas/api/login, with domain left out, given, or in the name', async () => {
    for (const body of [
      { username: aria.username, password: aria.password },
      { username: aria.username, password: aria.password, domain: aria.domain },
      { username: `${aria.username}@${aria.domain}`, password: aria.password },
    ]) {
      const reply = await login(body, CSP_LOGIN)
      expect(reply.status, reply.body).toBe(200)
      expect(Object.keys(json(reply))).toEqual(['refresh_token'])
      const refreshToken = String(json(reply).refresh_token)
      expect(refreshToken).toMatch(/^[A-Za-z0-9]{32}$/)
      expect(aria.refreshTokens.get(refreshToken)).toMatchObject({ username: aria.username, domain: aria.domain })
      expect((await login({ refreshToken })).status).toBe(200)
    }
    expect(aria.requestsTo('csp-login')[0].url).toBe(CSP_LOGIN)
  })

  it('answers a wrong user, password or domain with 400 and the body vRA 8 sends ("Invalid username or password")', async () => {
    for (const body of [
      { username: aria.username, password: 'wrong' },
      { username: 'nobody', password: aria.password },
      { username: aria.username, password: aria.password, domain: 'other.local' },
      { username: `${aria.username}@${aria.domain}`, password: aria.password, domain: aria.domain },
      { password: aria.password },
    ]) {
      const reply = await login(body, CSP_LOGIN)
      expect(reply.status).toBe(400)
      const error = json(reply)
      expect(error).toMatchObject({ type: 'CLIENT_ERROR', status: '400 BAD_REQUEST', error: 'Bad Request' })
      expect(typeof error.timestamp).toBe('number')
      const inner = /REST error received: (\{[\s\S]*\}), status code: 400 BAD_REQUEST$/.exec(String(error.serverMessage))
      expect(JSON.parse(inner![1])).toEqual({ error: 'invalid_grant', error_description: 'Invalid username or password' })
    }
  })

  it('refuses and flags a password in the query string or a value given to the access_token flag', async () => {
    const body = { username: aria.username, password: aria.password }
    for (const query of [`access_token&password=${aria.password}`, 'access_token=abc', `access_token&username=${aria.username}`]) {
      expect((await login(body, `${ARIA_CSP_LOGIN_PATH}?${query}`)).status).toBe(400)
    }
    expect(aria.credentialsInUrl).toHaveLength(3)
  })

  it('without ?access_token gives no refresh token', async () => {
    const plain = await login({ username: aria.username, password: aria.password }, ARIA_CSP_LOGIN_PATH)
    expect(plain.status).toBe(200)
    expect(json(plain)).not.toHaveProperty('refresh_token')
    expect(json(plain)).toHaveProperty('cspAuthToken')
  })
})

describe('catalog API with the bearer token', () => {
  it('lists catalog items for a live token, 401 without, with a bad or an expired one', async () => {
    const token = await accessToken()
    const reply = await aria.request(`${ARIA_CATALOG_ITEMS_PATH}?apiVersion=2020-08-25`, { headers: { Authorization: `Bearer ${token}` } })
    expect(reply.status, reply.body).toBe(200)
    const page = json(reply)
    expect(page.totalElements).toBe(aria.catalogItems.length)
    expect((page.content as { id: string }[]).map((item) => item.id)).toEqual(aria.catalogItems.map((item) => item.id))

    const search = await aria.request(`${ARIA_CATALOG_ITEMS_PATH}?search=photon`, { headers: { Authorization: `Bearer ${token}` } })
    expect((json(search).content as { name: string }[]).map((item) => item.name)).toEqual(['Photon OS VM'])

    expect((await aria.request(ARIA_CATALOG_ITEMS_PATH)).status).toBe(401)
    expect((await aria.request(ARIA_CATALOG_ITEMS_PATH, { headers: { Authorization: `Bearer ${aria.refreshToken}` } })).status).toBe(401)
    aria.issued.find((entry) => entry.token === token)!.expiresAt = Date.now() - 1
    expect(aria.isAlive(token)).toBe(false)
    expect((await aria.request(ARIA_CATALOG_ITEMS_PATH, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(401)
  })

  it('requests a catalog item: [{deploymentId, deploymentName}], and refuses bad requests', async () => {
    const token = await accessToken()
    const [item] = aria.catalogItems
    const post = (id: string, body: unknown, bearer = token) =>
      aria.request(`${ARIA_CATALOG_ITEMS_PATH}/${id}/request?apiVersion=2020-08-25`, {
        method: 'POST',
        headers: { ...JSON_HEADERS, Authorization: `Bearer ${bearer}` },
        body: JSON.stringify(body),
      })
    const reply = await post(item.id, { deploymentName: 'ci-42', projectId: aria.projectId, version: '1', inputs: { size: 'small' } })
    expect(reply.status, reply.body).toBe(200)
    const answer = JSON.parse(reply.body) as { deploymentId: string; deploymentName: string }[]
    expect(answer).toEqual([{ deploymentId: expect.stringMatching(/^[0-9a-f-]{36}$/), deploymentName: 'ci-42' }])
    expect(aria.deployments.at(-1)).toMatchObject({
      deploymentId: answer[0].deploymentId,
      catalogItemId: item.id,
      projectId: aria.projectId,
      version: '1',
      inputs: { size: 'small' },
      requestedWith: token,
    })

    expect((await post('00000000-0000-0000-0000-000000000000', { deploymentName: 'x', projectId: aria.projectId })).status).toBe(404)
    expect((await post(item.id, { deploymentName: 'x' })).status).toBe(400)
    expect((await post(item.id, { deploymentName: 'x', projectId: 'other-project' })).status).toBe(403)
    expect((await post(item.id, { deploymentName: 'x', projectId: aria.projectId }, 'not-a-token')).status).toBe(401)
  })
})
