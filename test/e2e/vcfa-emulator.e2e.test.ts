/**
 * The VCF Automation emulator checked on its own, through its plain client: it must behave as its
 * header comment says (what the sources say the appliance does), or the e2e tests of
 * `provider: vcfa` would prove nothing.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ClientReply, EmulatorServer } from './support/emulator.ts'
import { KUBECTL_SKIP, kubectl, kubectlDir, removeDir, writeKubeconfig } from './support/kubectl.ts'
import { VCFA_KUBERNETES_PATH, VCFA_TOKEN_PATHS, VcfaEmulator, type VcfaOptions, type VcfaTokenForm } from './support/vcfa-emulator.ts'
import { VCD_SESSION_PATH } from './support/vcd-emulator.ts'

const FORM = { 'content-type': 'application/x-www-form-urlencoded' }
const emulators: VcfaEmulator[] = []

async function start(options: VcfaOptions = {}): Promise<VcfaEmulator> {
  const emulator = await new VcfaEmulator(options).start()
  emulators.push(emulator)
  return emulator
}
const dirs: string[] = []
afterAll(async () => {
  await Promise.all(emulators.map((emulator) => emulator.close()))
  for (const dir of dirs) removeDir(dir)
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

const NAMESPACES = `${VCFA_KUBERNETES_PATH}/apis/infrastructure.cci.vmware.com`

/** A GET as go-vcloud-director's newEntityRequest sends it: `bearer` in lower case, the token-type header. */
function cci(server: EmulatorServer, path: string, accessToken: string): Promise<ClientReply> {
  return server.request(path, {
    headers: { Authorization: `bearer ${accessToken}`, 'X-Vmware-Vcloud-Token-Type': 'Bearer', 'Content-Type': 'application/json' },
  })
}

function lookup(vcfa: VcfaEmulator, accessToken: string, name: string, version = 'v1alpha3'): Promise<ClientReply> {
  return cci(vcfa, `${NAMESPACES}/${version}/namespaces/${vcfa.project}/supervisornamespaces/${name}`, accessToken)
}

describe('VCF Automation emulator: /cci/kubernetes and the supervisor namespaces', () => {
  let vcfa: VcfaEmulator
  let token: string
  beforeAll(async () => {
    vcfa = await start()
    token = await accessTokenOf(vcfa, 'acme', vcfa.tenantToken)
  })

  it('/version and discovery: the CCI groups, v1alpha3 preferred', async () => {
    expect(JSON.parse((await cci(vcfa, `${VCFA_KUBERNETES_PATH}/version`, token)).body)).toMatchObject({ major: '1' })
    const groups = JSON.parse((await cci(vcfa, `${VCFA_KUBERNETES_PATH}/apis`, token)).body) as { groups: { name: string }[] }
    expect(groups.groups.map((group) => group.name)).toEqual(['infrastructure.cci.vmware.com', 'project.cci.vmware.com'])
    expect(JSON.parse((await cci(vcfa, NAMESPACES, token)).body)).toMatchObject({
      kind: 'APIGroup',
      preferredVersion: { groupVersion: 'infrastructure.cci.vmware.com/v1alpha3' },
    })
    const project = await cci(vcfa, `${VCFA_KUBERNETES_PATH}/apis/project.cci.vmware.com/v1alpha2/projects/${vcfa.project}`, token)
    expect(JSON.parse(project.body)).toMatchObject({ kind: 'Project', metadata: { name: vcfa.project } })
  })

  it('a ready namespace: Ready True, phase CREATED, namespaceEndpointURL on this server', async () => {
    const reply = await lookup(vcfa, token, vcfa.readyNamespace)
    expect(reply.status).toBe(200)
    const object = JSON.parse(reply.body) as { apiVersion: string; kind: string; metadata: object; status: Record<string, unknown> }
    expect(object).toMatchObject({
      apiVersion: 'infrastructure.cci.vmware.com/v1alpha3',
      kind: 'SupervisorNamespace',
      metadata: { name: vcfa.readyNamespace, namespace: vcfa.project },
      spec: { className: 'small', regionName: 'region-1', vpcName: 'region-1-default-vpc' },
      status: { phase: 'CREATED', namespaceEndpointURL: `${vcfa.url}/endpoints/${vcfa.project}/${vcfa.readyNamespace}` },
    })
    expect(object.status.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'True' }))
  })

  it('not ready: Ready False, phase CREATING, no endpoint; ready without an endpoint; a missing one is a 404 Status', async () => {
    const pending = JSON.parse((await lookup(vcfa, token, vcfa.pendingNamespace)).body) as { status: Record<string, unknown> }
    expect(pending.status).toMatchObject({ phase: 'CREATING' })
    expect(pending.status.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'False' }))
    expect(pending.status).not.toHaveProperty('namespaceEndpointURL')
    const endpointless = JSON.parse((await lookup(vcfa, token, vcfa.endpointlessNamespace)).body) as { status: Record<string, unknown> }
    expect(endpointless.status.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'True' }))
    expect(endpointless.status).not.toHaveProperty('namespaceEndpointURL')

    const missing = await lookup(vcfa, token, 'no-such-ns')
    expect(missing.status).toBe(404)
    expect(JSON.parse(missing.body)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'supervisornamespaces.infrastructure.cci.vmware.com "no-such-ns" not found',
      reason: 'NotFound',
      details: { name: 'no-such-ns', group: 'infrastructure.cci.vmware.com', kind: 'supervisornamespaces' },
      code: 404,
    })
  })

  it('a version not served is a 404 without details.name; another org is 403; a dead token 401', async () => {
    const old = await lookup(vcfa, token, vcfa.readyNamespace, 'v1alpha2')
    expect(old.status).toBe(404)
    expect(JSON.parse(old.body)).toMatchObject({ reason: 'NotFound', details: {} })
    const provider = await accessTokenOf(vcfa, '', vcfa.providerToken)
    const forbidden = await lookup(vcfa, provider, vcfa.readyNamespace)
    expect(forbidden.status).toBe(403)
    expect(JSON.parse(forbidden.body)).toMatchObject({ reason: 'Forbidden', details: { group: 'infrastructure.cci.vmware.com' } })
    const spent = await accessTokenOf(vcfa, 'acme', vcfa.tenantToken)
    await session(vcfa, spent, 'DELETE')
    expect((await lookup(vcfa, spent, vcfa.readyNamespace)).status).toBe(401)
  })

  it("supervisorNamespaceVersions ['v1alpha2'] (VCF Automation 9.0): v1alpha2 answers, v1alpha3 is 404", async () => {
    const old = await start({ supervisorNamespaceVersions: ['v1alpha2'] })
    const oldToken = await accessTokenOf(old, 'acme', old.tenantToken)
    expect(JSON.parse((await lookup(old, oldToken, old.readyNamespace, 'v1alpha2')).body)).toMatchObject({
      apiVersion: 'infrastructure.cci.vmware.com/v1alpha2',
      status: { phase: 'CREATED' },
    })
    expect((await lookup(old, oldToken, old.readyNamespace)).status).toBe(404)
  })

  it('the namespace endpoint takes the same token: its own namespace only; a namespace added later gets one too', async () => {
    const base = `/endpoints/${vcfa.project}/${vcfa.readyNamespace}`
    expect((await cci(vcfa, `${base}/version`, token)).status).toBe(200)
    const put = await vcfa.request(`${base}/api/v1/namespaces/${vcfa.readyNamespace}/configmaps`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app' }, data: { a: '1' } }),
    })
    expect(put.status).toBe(201)
    expect(vcfa.namespaceApis.get(`${vcfa.project}/${vcfa.readyNamespace}`)?.get('configmaps', vcfa.readyNamespace, 'app')).toBeDefined()
    expect((await cci(vcfa, `${base}/api/v1/namespaces/other/configmaps`, token)).status).toBe(403)
    expect((await cci(vcfa, `${base}/version`, 'not-a-token')).status).toBe(401)

    vcfa.addSupervisorNamespace({ project: vcfa.project, name: 'later-ns' })
    expect((await cci(vcfa, `/endpoints/${vcfa.project}/later-ns/api/v1/namespaces/later-ns/configmaps`, token)).status).toBe(200)
  })

  for (const mode of ['server', 'server-other-ca'] as const) {
    it(`namespaceEndpoints '${mode}': the endpoint is on a second server${mode === 'server' ? ' with the same CA' : ' another CA signed'}`, async () => {
      const split = await start({ namespaceEndpoints: mode })
      const splitToken = await accessTokenOf(split, 'acme', split.tenantToken)
      const server = split.namespaceServer!
      const url = (JSON.parse((await lookup(split, splitToken, split.readyNamespace)).body) as { status: { namespaceEndpointURL: string } })
        .status.namespaceEndpointURL
      expect(url).toBe(`${server.url}/endpoints/${split.project}/${split.readyNamespace}`)
      expect(server.ca === split.ca).toBe(mode === 'server')
      expect((await cci(server, `${new URL(url).pathname}/version`, splitToken)).status).toBe(200)
      expect(split.secrets()).toContain(splitToken)
    })
  }
})

describe(`VCF Automation emulator: a real kubectl on /cci/kubernetes and a namespace endpoint${KUBECTL_SKIP}`, () => {
  it.skipIf(KUBECTL_SKIP !== '')(
    'org level: get --raw <path>/version and the supervisor namespace; namespace level: apply a ConfigMap',
    async () => {
      const vcfa = await start()
      const token = await accessTokenOf(vcfa, 'acme', vcfa.tenantToken)
      const dir = kubectlDir()
      dirs.push(dir)
      const org = writeKubeconfig(dir, { server: `${vcfa.url}${VCFA_KUBERNETES_PATH}`, ca: vcfa.ca, token, name: 'acme' }, 'org')
      // `get --raw` takes a path from the host's root, not from the server URL's path (client-go RequestURI).
      const raw = await kubectl(dir, org, ['get', '--raw', '/version'])
      expect(raw.stderr).toContain('NotFound')
      const version = await kubectl(dir, org, ['get', '--raw', `${VCFA_KUBERNETES_PATH}/version`])
      expect(version.code, version.stderr).toBe(0)
      expect(JSON.parse(version.stdout)).toMatchObject({ major: '1' })
      const endpoint = await kubectl(dir, org, [
        'get',
        'supervisornamespaces.infrastructure.cci.vmware.com',
        vcfa.readyNamespace,
        '-n',
        vcfa.project,
        '-o',
        'jsonpath={.status.namespaceEndpointURL}',
      ])
      expect(endpoint.code, endpoint.stderr).toBe(0)
      expect(endpoint.stdout).toBe(vcfa.namespaceEndpointUrl(vcfa.project, vcfa.readyNamespace))

      const namespaced = writeKubeconfig(dir, { server: endpoint.stdout, ca: vcfa.ca, token, namespace: vcfa.readyNamespace }, 'namespace')
      const manifest = join(dir, 'app.yaml')
      writeFileSync(manifest, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  mode: blue\n')
      const applied = await kubectl(dir, namespaced, ['apply', '-f', manifest])
      expect(applied.code, applied.stderr).toBe(0)
      const api = vcfa.namespaceApis.get(`${vcfa.project}/${vcfa.readyNamespace}`)!
      expect(api.get('configmaps', vcfa.readyNamespace, 'app')?.data).toEqual({ mode: 'blue' })
      const seen = vcfa.requests.filter((request) => request.route?.startsWith('endpoint-') || request.route?.startsWith('kubernetes-'))
      expect(seen.every((request) => request.headers.authorization === `Bearer ${token}` && !request.url.includes(token))).toBe(true)
    },
  )
})
