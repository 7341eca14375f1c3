/**
 * The Supervisor emulator checked on its own, through its plain client and a real kubectl: it must
 * behave as its header comment says (what the sources in notes/supervisor.md say a Supervisor does),
 * or the e2e tests of `provider: supervisor` would prove nothing.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EmulatorServer, type ClientReply } from './support/emulator.ts'
import { KUBECTL_SKIP, kubectl, kubectlDir, removeDir, writeKubeconfig } from './support/kubectl.ts'
import { readJwt } from './support/jwt.ts'
import {
  SUPERVISOR_LOGIN_BANNER_PATH,
  SUPERVISOR_LOGIN_PATH,
  SUPERVISOR_TOKEN_SECONDS,
  SupervisorEmulator,
  type SupervisorOptions,
} from './support/supervisor-emulator.ts'

const emulators: EmulatorServer[] = []
const dirs: string[] = []

async function start(options: SupervisorOptions = {}): Promise<SupervisorEmulator> {
  const emulator = await new SupervisorEmulator(options).start()
  emulators.push(emulator)
  return emulator
}
afterAll(async () => {
  await Promise.all(emulators.map((emulator) => emulator.close()))
  for (const dir of dirs) removeDir(dir)
})

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
}

/** The login as vsphere-csi-driver's getWCPSessionId sends it: Basic auth, JSON Accept/Content-Type, no body. */
function login(emulator: SupervisorEmulator, user = emulator.username, password = emulator.password): Promise<ClientReply> {
  return emulator.request(SUPERVISOR_LOGIN_PATH, {
    method: 'POST',
    headers: { Accept: 'application/json', 'Content-Type': 'application/json', Authorization: basic(user, password) },
  })
}

async function tokenOf(emulator: SupervisorEmulator): Promise<string> {
  const reply = await login(emulator)
  expect(reply.status).toBe(200)
  return (JSON.parse(reply.body) as { session_id: string }).session_id
}

function kube(
  emulator: EmulatorServer,
  path: string,
  token: string | undefined,
  init: { method?: string; body?: unknown; type?: string } = {},
) {
  return emulator.request(path, {
    method: init.method ?? 'GET',
    headers: {
      ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
      ...(init.body === undefined ? {} : { 'Content-Type': init.type ?? 'application/json' }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  })
}

describe('Supervisor emulator: /wcp/login and /wcp/loginbanner', () => {
  let supervisor: SupervisorEmulator
  beforeAll(async () => {
    supervisor = await start()
  })

  it('the right user and password: 200 {session_id}, a JWT for the user that lives 10 hours', async () => {
    const reply = await login(supervisor)
    expect(reply.status).toBe(200)
    const answer = JSON.parse(reply.body) as Record<string, unknown>
    expect(Object.keys(answer)).toEqual(['session_id'])
    const claims = readJwt(answer.session_id as string)
    expect(claims).toMatchObject({ sub: supervisor.username })
    expect(Number(claims?.exp) - Number(claims?.iat)).toBe(SUPERVISOR_TOKEN_SECONDS)
    expect(SUPERVISOR_TOKEN_SECONDS).toBe(36_000)
    expect(supervisor.isAlive(answer.session_id as string)).toBe(true)
    expect(supervisor.secrets()).toEqual(expect.arrayContaining([supervisor.password, answer.session_id]))
  })

  it('a wrong password, an unknown user or no credentials: 401 and no token', async () => {
    const issued = supervisor.issued.length
    for (const reply of [
      await login(supervisor, supervisor.username, 'not-the-password'),
      await login(supervisor, 'nobody@vsphere.local', supervisor.password),
      await supervisor.request(SUPERVISOR_LOGIN_PATH, { method: 'POST' }),
    ]) {
      expect(reply.status).toBe(401)
      expect(reply.body).not.toContain('session_id')
    }
    expect(supervisor.issued.length).toBe(issued)
  })

  it('wrongCredentialsStatus 403; a user added with addUser logs in', async () => {
    const strict = await start({ wrongCredentialsStatus: 403 })
    expect((await login(strict, strict.username, 'wrong')).status).toBe(403)
    strict.addUser('ops@example.local', 'another-password', ['ops'])
    expect((await login(strict, 'ops@example.local', 'another-password')).status).toBe(200)
  })

  it('a credential in the query string is refused and flagged', async () => {
    const reply = await supervisor.request(`${SUPERVISOR_LOGIN_PATH}?password=${supervisor.password}`, {
      method: 'POST',
      headers: { Authorization: basic(supervisor.username, supervisor.password) },
    })
    expect(reply.status).toBe(400)
    expect(supervisor.credentialsInUrl.at(-1)?.query.password).toBe(supervisor.password)
  })

  it('/wcp/loginbanner answers 200 text without credentials; a host that is no Supervisor answers 404', async () => {
    const banner = await supervisor.request(SUPERVISOR_LOGIN_BANNER_PATH)
    expect(banner.status).toBe(200)
    expect(banner.headers['content-type']).toMatch(/^text\/plain/)
    expect(banner.body).toBe(supervisor.loginBanner)
    const other = new EmulatorServer()
    emulators.push(await other.start())
    expect((await other.request(SUPERVISOR_LOGIN_BANNER_PATH)).status).toBe(404)
    expect((await other.request(SUPERVISOR_LOGIN_PATH, { method: 'POST' })).status).toBe(404)
  })
})

describe('Supervisor emulator: the Kubernetes API takes the session token', () => {
  let supervisor: SupervisorEmulator
  let token: string
  beforeAll(async () => {
    supervisor = await start()
    token = await tokenOf(supervisor)
  })

  it('/version and discovery answer the token; no, unknown or expired tokens get a 401 Status', async () => {
    const version = await kube(supervisor, '/version', token)
    expect(version.status).toBe(200)
    expect(JSON.parse(version.body)).toMatchObject({ major: '1', minor: '30', gitVersion: 'v1.30.1+vmware.1' })
    expect(JSON.parse((await kube(supervisor, '/api', token)).body)).toMatchObject({ kind: 'APIVersions', versions: ['v1'] })
    expect(JSON.parse((await kube(supervisor, '/api/v1', token)).body)).toMatchObject({
      kind: 'APIResourceList',
      resources: [{ name: 'configmaps', kind: 'ConfigMap', namespaced: true }],
    })
    expect(JSON.parse((await kube(supervisor, '/apis', token)).body)).toMatchObject({ kind: 'APIGroupList', groups: [] })

    const expiring = await tokenOf(supervisor)
    supervisor.expire(expiring)
    for (const bad of [undefined, 'not-a-token', expiring]) {
      const refused = await kube(supervisor, '/version', bad)
      expect(refused.status).toBe(401)
      expect(JSON.parse(refused.body)).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Unauthorized',
        reason: 'Unauthorized',
        code: 401,
      })
    }
  })

  it("ConfigMaps in the user's namespace: create, get, list, patch, update, server-side apply, dry run, delete; another namespace is 403", async () => {
    const path = `/api/v1/namespaces/${supervisor.namespace}/configmaps`
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app' }, data: { mode: 'blue' } }
    const created = await kube(supervisor, path, token, { method: 'POST', body })
    expect(created.status).toBe(201)
    expect(JSON.parse(created.body)).toMatchObject({ metadata: { name: 'app', namespace: supervisor.namespace, uid: expect.any(String) } })
    expect((await kube(supervisor, path, token, { method: 'POST', body })).status).toBe(409)
    expect(JSON.parse((await kube(supervisor, `${path}/app`, token)).body)).toMatchObject({ data: { mode: 'blue' } })
    expect(JSON.parse((await kube(supervisor, path, token)).body)).toMatchObject({
      kind: 'ConfigMapList',
      items: [{ data: { mode: 'blue' } }],
    })

    const patched = await kube(supervisor, `${path}/app`, token, {
      method: 'PATCH',
      type: 'application/merge-patch+json',
      body: { data: { mode: 'green', extra: 'x' } },
    })
    expect(JSON.parse(patched.body)).toMatchObject({ data: { mode: 'green', extra: 'x' } })
    expect(supervisor.kube.get('configmaps', supervisor.namespace, 'app')?.data).toEqual({ mode: 'green', extra: 'x' })
    expect((await kube(supervisor, `${path}/app`, token, { method: 'PATCH', type: 'application/json-patch+json', body: [] })).status).toBe(
      415,
    )
    const current = supervisor.kube.get('configmaps', supervisor.namespace, 'app')!
    const replaced = await kube(supervisor, `${path}/app`, token, { method: 'PUT', body: { ...current, data: { mode: 'red' } } })
    expect(JSON.parse(replaced.body)).toMatchObject({ data: { mode: 'red' } })
    expect((await kube(supervisor, `${path}/app`, token, { method: 'PUT', body: { ...current, data: {} } })).status).toBe(409)
    const applied = await kube(supervisor, `${path}/app`, token, {
      method: 'PATCH',
      type: 'application/apply-patch+yaml',
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app' }, data: { mode: 'violet' } },
    })
    expect(JSON.parse(applied.body)).toMatchObject({ data: { mode: 'violet' } })
    expect(
      (await kube(supervisor, `${path}?dryRun=All`, token, { method: 'POST', body: { ...body, metadata: { name: 'dry' } } })).status,
    ).toBe(201)
    expect(supervisor.kube.get('configmaps', supervisor.namespace, 'dry')).toBeUndefined()

    expect((await kube(supervisor, `${path}/app`, token, { method: 'DELETE' })).status).toBe(200)
    const missing = await kube(supervisor, `${path}/app`, token)
    expect(missing.status).toBe(404)
    expect(JSON.parse(missing.body)).toMatchObject({
      reason: 'NotFound',
      message: 'configmaps "app" not found',
      details: { name: 'app', kind: 'configmaps' },
    })

    const forbidden = await kube(supervisor, `/api/v1/namespaces/${supervisor.otherNamespace}/configmaps`, token)
    expect(forbidden.status).toBe(403)
    expect(JSON.parse(forbidden.body)).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      code: 403,
      message: `configmaps is forbidden: User "${supervisor.username}" cannot list resource "configmaps" in API group "" in the namespace "${supervisor.otherNamespace}"`,
    })
  })

  it('extraApiPort serves the same API with the same tokens and CA; apiOnLoginPort false leaves /wcp/ alone on the login port', async () => {
    const split = await start({ extraApiPort: 0, apiOnLoginPort: false })
    expect(split.apiUrl).not.toBe(split.url)
    expect(split.apiServer!.ca).toBe(split.ca)
    const splitToken = await tokenOf(split)
    expect((await kube(split.apiServer!, '/version', splitToken)).status).toBe(200)
    expect((await kube(split, '/version', splitToken)).status).toBe(404)
    expect(split.secrets()).toContain(splitToken)
  })
})

describe(`Supervisor emulator: a real kubectl with a hand-written kubeconfig${KUBECTL_SKIP}`, () => {
  it.skipIf(KUBECTL_SKIP !== '')(
    'get --raw /version, apply (create, update, --server-side), get; 403 and 401 as kubectl errors',
    async () => {
      const supervisor = await start()
      const token = await tokenOf(supervisor)
      const dir = kubectlDir()
      dirs.push(dir)
      const config = writeKubeconfig(dir, { server: supervisor.url, ca: supervisor.ca, token, namespace: supervisor.namespace })

      const version = await kubectl(dir, config, ['get', '--raw', '/version'])
      expect(version.code, version.stderr).toBe(0)
      expect(JSON.parse(version.stdout)).toMatchObject({ gitVersion: 'v1.30.1+vmware.1' })

      const manifest = join(dir, 'app.yaml')
      const apply = async (mode: string, ...flags: string[]): Promise<void> => {
        writeFileSync(manifest, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  mode: ${mode}\n`)
        const result = await kubectl(dir, config, ['apply', ...flags, '-f', manifest])
        expect(result.code, result.stderr).toBe(0)
      }
      await apply('blue')
      expect(supervisor.kube.get('configmaps', supervisor.namespace, 'app')?.data).toEqual({ mode: 'blue' })
      await apply('green')
      const stored = supervisor.kube.get('configmaps', supervisor.namespace, 'app')
      expect(stored?.data).toEqual({ mode: 'green' })
      expect(JSON.stringify(stored?.metadata)).toContain('kubectl.kubernetes.io/last-applied-configuration')
      await apply('red', '--server-side')
      expect(supervisor.kube.get('configmaps', supervisor.namespace, 'app')?.data).toEqual({ mode: 'red' })
      const got = await kubectl(dir, config, ['get', 'configmap', 'app', '-o', 'jsonpath={.data.mode}'])
      expect(got.stdout).toBe('red')

      const forbidden = await kubectl(dir, config, ['get', 'configmaps', '-n', supervisor.otherNamespace])
      expect(forbidden.code).not.toBe(0)
      expect(forbidden.stderr).toContain('Forbidden')

      supervisor.expire(token)
      const expired = await kubectl(dir, config, ['get', '--raw', '/version'])
      expect(expired.code).not.toBe(0)
      expect(expired.stderr).toMatch(/Unauthorized/)

      // Every request kubectl sent carried the token as a bearer header, never in the URL.
      const seen = supervisor.requests.filter((request) => request.route?.startsWith('kube-'))
      expect(seen.length).toBeGreaterThan(5)
      expect(seen.every((request) => request.headers.authorization === `Bearer ${token}` && !request.url.includes(token))).toBe(true)
    },
  )
})
