/**
 * The VCF Automation emulator checked on its own, through its plain client: it must behave as its
 * header comment says (what the sources say the appliance does), or the e2e tests of
 * `provider: vcfa` would prove nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ClientReply } from './support/emulator.ts'
import { VCFA_TOKEN_PATHS, VcfaEmulator, type VcfaOptions, type VcfaTokenForm } from './support/vcfa-emulator.ts'
import { VCD_SESSION_PATH } from './support/vcd-emulator.ts'

const FORM = { 'content-type': 'application/x-www-form-urlencoded' }
const emulators: VcfaEmulator[] = []

async function start(options: VcfaOptions = {}): Promise<VcfaEmulator> {
  const emulator = await new VcfaEmulator(options).start()
  emulators.push(emulator)
  return emulator
}
afterAll(async () => {
  await Promise.all(emulators.map((emulator) => emulator.close()))
})

function exchange(emulator: VcfaEmulator, form: VcfaTokenForm, org: string, token: string): Promise<ClientReply> {
  const paths = VCFA_TOKEN_PATHS[form]
  return emulator.request(org ? paths.tenant(org) : paths.provider, {
    method: 'POST',
    headers: FORM,
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }).toString(),
  })
}

async function accessTokenOf(emulator: VcfaEmulator, org: string, token: string): Promise<string> {
  const reply = await exchange(emulator, 'tm', org, token)
  expect(reply.status).toBe(200)
  return (JSON.parse(reply.body) as { access_token: string }).access_token
}

function session(emulator: VcfaEmulator, accessToken: string, method = 'GET', version = emulator.maxVersion): Promise<ClientReply> {
  return emulator.request(VCD_SESSION_PATH, {
    method,
    headers: { Accept: `application/json;version=${version}`, Authorization: `Bearer ${accessToken}` },
  })
}

describe('VCF Automation emulator: token exchange', () => {
  let vcfa: VcfaEmulator
  beforeAll(async () => {
    vcfa = await start()
  })

  for (const form of ['tm', 'root'] as const) {
    it(`${form} form: tenant and provider tokens give a 1-hour bearer JWT with preferred_username and no refresh_token`, async () => {
      for (const [org, token, user] of [
        ['acme', vcfa.tenantToken, 'acme-ops'],
        ['', vcfa.providerToken, 'serviceadministrator'],
        ['globex', vcfa.vmAppsToken, 'globex-ops'],
      ]) {
        const reply = await exchange(vcfa, form, org, token)
        expect(reply.status).toBe(200)
        const answer = JSON.parse(reply.body) as Record<string, unknown>
        expect(answer).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600 })
        const claims = vcfa.claimsOf(answer.access_token as string)
        expect(claims).toMatchObject({ preferred_username: user, sub: user })
        expect(Number(claims?.exp) - Number(claims?.iat)).toBe(3600)
      }
      expect(vcfa.tokenRequests(form).length).toBeGreaterThanOrEqual(3)
    })
  }

  it('knows the kinds of its orgs; System in any case is the provider org', () => {
    expect(vcfa.orgKind('SYSTEM')).toBe('provider')
    expect(vcfa.orgKind('acme')).toBe('all-apps')
    expect(vcfa.orgKind('globex')).toBe('vm-apps')
    expect(vcfa.orgKind('ACME')).toBeUndefined()
  })

  it('org names are case-sensitive, and a token only works for its own org', async () => {
    expect((await exchange(vcfa, 'tm', 'ACME', vcfa.tenantToken)).status).toBe(401)
    const wrongOrg = await exchange(vcfa, 'tm', 'globex', vcfa.tenantToken)
    expect(wrongOrg.status).toBe(400)
    expect((await exchange(vcfa, 'root', '', vcfa.tenantToken)).status).toBe(400)
  })

  it('a bad token is 400 invalid_grant in the Cloud Director error shape', async () => {
    const reply = await exchange(vcfa, 'tm', 'acme', 'not-a-real-token-0123456789')
    expect(reply.status).toBe(400)
    expect(JSON.parse(reply.body)).toEqual({ minorErrorCode: 'invalid_grant', message: 'Invalid refresh token' })
  })

  it('a token in the URL is refused and flagged', async () => {
    const reply = await vcfa.request(`/tm/oauth/tenant/acme/token?refresh_token=${vcfa.tenantToken}`, {
      method: 'POST',
      headers: FORM,
      body: 'grant_type=refresh_token',
    })
    expect(reply.status).toBe(400)
    expect(vcfa.credentialsInUrl.at(-1)?.query.refresh_token).toBe(vcfa.tenantToken)
  })

  it('service accounts rotate: the answer carries the successor, the old token is spent', async () => {
    const first = await exchange(vcfa, 'tm', 'acme', vcfa.serviceAccountToken)
    const successor = (JSON.parse(first.body) as { refresh_token?: string }).refresh_token
    expect(successor).toMatch(/^[A-Za-z0-9]{32}$/)
    expect(vcfa.latestRefreshToken(vcfa.serviceAccountToken)).toBe(successor)
    expect((await exchange(vcfa, 'root', 'acme', vcfa.serviceAccountToken)).status).toBe(400)
    expect((await exchange(vcfa, 'root', 'acme', successor!)).status).toBe(200)
  })
})

describe('VCF Automation emulator: options', () => {
  it('a token path form switched off answers 404 while the other works', async () => {
    const vcfa = await start({ tokenForms: ['root'] })
    expect((await exchange(vcfa, 'tm', 'acme', vcfa.tenantToken)).status).toBe(404)
    expect((await exchange(vcfa, 'tm', '', vcfa.providerToken)).status).toBe(404)
    expect((await exchange(vcfa, 'root', 'acme', vcfa.tenantToken)).status).toBe(200)
    vcfa.tokenForms.delete('root')
    vcfa.tokenForms.add('tm')
    expect((await exchange(vcfa, 'root', '', vcfa.providerToken)).status).toBe(404)
    expect((await exchange(vcfa, 'tm', '', vcfa.providerToken)).status).toBe(200)
    expect(vcfa.tokenRequests('tm').map((request) => request.status)).toEqual([404, 404, 200])
    expect(vcfa.tokenRequests('root').map((request) => request.status)).toEqual([200, 404])
  })

  it("tokenRotation 'api-tokens' makes plain API tokens rotate; refreshTokenNull sends null when not rotated", async () => {
    const rotating = await start({ tokenRotation: 'api-tokens' })
    const reply = JSON.parse((await exchange(rotating, 'tm', 'acme', rotating.tenantToken)).body) as { refresh_token?: string }
    expect(reply.refresh_token).toMatch(/^[A-Za-z0-9]{32}$/)
    expect((await exchange(rotating, 'tm', 'acme', rotating.tenantToken)).status).toBe(400)

    const nulls = await start({ refreshTokenNull: true })
    const answer = JSON.parse((await exchange(nulls, 'tm', 'acme', nulls.tenantToken)).body) as Record<string, unknown>
    expect(answer).toHaveProperty('refresh_token', null)
  })

  it('cutTokenAnswers: the token is issued and rotated, but the answer does not parse; then whole answers again', async () => {
    const vcfa = await start()
    vcfa.cutTokenAnswers = 1
    const cut = await exchange(vcfa, 'tm', 'acme', vcfa.serviceAccountToken)
    expect(cut.status).toBe(200)
    expect(() => JSON.parse(cut.body) as unknown).toThrow()
    const successor = vcfa.latestRefreshToken(vcfa.serviceAccountToken)
    expect(successor).not.toBe(vcfa.serviceAccountToken)
    expect(cut.body).toContain(`"refresh_token":"${successor}"`)
    expect(vcfa.isAlive(vcfa.issued.at(-1)!.access_token)).toBe(true)
    expect(JSON.parse((await exchange(vcfa, 'tm', 'acme', successor)).body)).toHaveProperty('access_token')
  })

  for (const status of [401, 403] as const) {
    it(`invalidGrantStatus ${status}`, async () => {
      const vcfa = await start({ invalidGrantStatus: status })
      const reply = await exchange(vcfa, 'tm', 'acme', 'not-a-real-token-0123456789')
      expect(reply.status).toBe(status)
      expect(JSON.parse(reply.body)).toMatchObject({ minorErrorCode: 'invalid_grant' })
    })
  }
})

describe('VCF Automation emulator: versions, session, logout', () => {
  let vcfa: VcfaEmulator
  beforeAll(async () => {
    vcfa = await start()
  })

  it('/api/versions: XML, unsorted, 40.0 the highest release, deprecated and pre-release entries', async () => {
    const reply = await vcfa.request('/api/versions')
    expect(reply.status).toBe(200)
    expect(reply.headers['content-type']).toMatch(/xml/)
    const infos = [...reply.body.matchAll(/<VersionInfo deprecated="(true|false)">\s*<Version>([^<]+)</g)].map((m) => ({
      deprecated: m[1] === 'true',
      version: m[2],
    }))
    const released = infos.filter((info) => /^\d+\.\d+$/.test(info.version)).map((info) => info.version)
    const sorted = [...released].sort((a, b) => Number.parseFloat(a) - Number.parseFloat(b))
    expect(sorted.at(-1)).toBe('40.0')
    expect(released).not.toEqual(sorted)
    expect(released[0]).not.toBe('40.0')
    expect(released.at(-1)).not.toBe('40.0')
    expect(infos.filter((info) => info.deprecated).length).toBeGreaterThan(0)
    expect(infos.map((info) => info.version)).toContain('41.0.0-alpha')
    expect(reply.body).toMatch(/<AlphaVersion deprecated="false">\s*<Version>41\.0\.0-alpha<\/Version>/)
  })

  it('sessions/current: the session for a supported version, 406 for another, then DELETE 204 kills the token', async () => {
    const accessToken = await accessTokenOf(vcfa, 'acme', vcfa.tenantToken)
    const current = await session(vcfa, accessToken)
    expect(current.status).toBe(200)
    expect(JSON.parse(current.body)).toMatchObject({ user: { name: 'acme-ops' }, org: { name: 'acme' } })
    expect((await session(vcfa, accessToken, 'GET', '41.0')).status).toBe(406)
    expect((await vcfa.request(VCD_SESSION_PATH, { headers: { Authorization: `Bearer ${accessToken}` } })).status).toBe(406)
    expect((await session(vcfa, accessToken, 'DELETE')).status).toBe(204)
    expect(vcfa.isAlive(accessToken)).toBe(false)
    expect((await session(vcfa, accessToken)).status).toBe(401)
    expect((await session(vcfa, accessToken, 'DELETE')).status).toBe(401)
  })

  it('the provider session is of org System', async () => {
    const accessToken = await accessTokenOf(vcfa, '', vcfa.providerToken)
    expect(JSON.parse((await session(vcfa, accessToken)).body)).toMatchObject({
      user: { name: 'serviceadministrator' },
      org: { name: 'System' },
    })
  })

  it('VM Apps tokens: sessions/current answers 404 (GET and DELETE) and the token stays alive; a dead one 401', async () => {
    const accessToken = await accessTokenOf(vcfa, 'globex', vcfa.vmAppsToken)
    expect((await session(vcfa, accessToken)).status).toBe(404)
    expect((await session(vcfa, accessToken, 'DELETE')).status).toBe(404)
    expect(vcfa.isAlive(accessToken)).toBe(true)
    vcfa.revokeToken(vcfa.vmAppsToken)
    expect((await session(vcfa, accessToken)).status).toBe(401)
  })

  it('vmAppsSessionStatus 403, and 200 (served like All Apps, logout 204)', async () => {
    const forbidding = await start({ vmAppsSessionStatus: 403 })
    const token = await accessTokenOf(forbidding, 'globex', forbidding.vmAppsToken)
    expect((await session(forbidding, token)).status).toBe(403)
    expect((await session(forbidding, token, 'DELETE')).status).toBe(403)

    const serving = await start({ vmAppsSessionStatus: 200 })
    const served = await accessTokenOf(serving, 'globex', serving.vmAppsToken)
    expect(JSON.parse((await session(serving, served)).body)).toMatchObject({ org: { name: 'globex' } })
    expect((await session(serving, served, 'DELETE')).status).toBe(204)
    expect(serving.isAlive(served)).toBe(false)
  })

  it('/cci/kubernetes takes the access token as a bearer until it is logged out', async () => {
    const accessToken = await accessTokenOf(vcfa, 'acme', vcfa.tenantToken)
    const kubernetes = (): Promise<ClientReply> =>
      vcfa.request('/cci/kubernetes/api', { headers: { Authorization: `Bearer ${accessToken}` } })
    expect((await kubernetes()).status).toBe(200)
    await session(vcfa, accessToken, 'DELETE')
    const refused = await kubernetes()
    expect(refused.status).toBe(401)
    expect(JSON.parse(refused.body)).toMatchObject({ kind: 'Status', code: 401 })
  })
})
