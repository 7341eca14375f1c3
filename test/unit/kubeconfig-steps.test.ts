/**
 * The kubeconfig through both steps: the main step writes it after the exchange and hands it on,
 * a failure after the exchange leaves no file and ends the token, and the post step deletes it
 * whatever else happens.
 */
import nock from 'nock'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { parse } from 'yaml'
import { KUBECONFIG_STATE } from '../../src/kubeconfig.ts'
import { run as main } from '../../src/main.ts'
import { run as post } from '../../src/post.ts'
import { STATE_KEY } from '../../src/post-state.ts'
import { TOKEN_OUTPUT_COMMANDS, expectMaskedBeforeUse, fakeCore, type FakeCore } from './fake-core.ts'
import { jwt, recorder, secretToken, testCaPem, type Reply, type Seen } from './helpers.ts'

const SUPERVISOR = 'https://supervisor.example.com'
const VCFA = 'https://vcfa.example.com'
const SESSION = '/cloudapi/1.0.0/sessions/current'
const LOOKUP = '/cci/kubernetes/apis/infrastructure.cci.vmware.com/v1alpha3/namespaces/default-project/supervisornamespaces/ci-ns'
const POSIX = process.platform !== 'win32'
let runnerTemp: string

beforeEach(() => {
  runnerTemp = mkdtempSync(join(tmpdir(), 'vmw-kube-steps-'))
  vi.stubEnv('RUNNER_TEMP', runnerTemp)
})
afterEach(() => {
  vi.unstubAllEnvs()
  rmSync(runnerTemp, { recursive: true, force: true })
})

function supervisorInputs(extra: Record<string, string> = {}) {
  return {
    provider: 'supervisor',
    url: SUPERVISOR,
    username: 'devops@vsphere.local',
    password: secretToken(24),
    kubeconfig: 'true',
    ...extra,
  }
}

function onSupervisorLogin(): string {
  const iat = Math.floor(Date.now() / 1000)
  const token = jwt({ sub: 'devops@vsphere.local', iat, exp: iat + 36_000 })
  nock(SUPERVISOR).post('/wcp/login').reply(200, { session_id: token })
  return token
}

/** A VCF Automation for org acme: token, versions, session, logout, and the namespace lookup. */
function fakeVcfa(lookup: Reply, logoutStatus = 204) {
  const accessToken = jwt({ preferred_username: 'acme-ops', exp: Math.floor(Date.now() / 1000) + 3600 })
  const logouts: Seen[] = []
  const versions = '<SupportedVersions><VersionInfo deprecated="false"><Version>40.0</Version></VersionInfo></SupportedVersions>'
  nock(VCFA).post('/tm/oauth/tenant/acme/token').reply(200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3600 })
  nock(VCFA).get('/api/versions').reply(200, versions)
  nock(VCFA)
    .get(SESSION)
    .reply(200, { user: { name: 'acme-ops' }, org: { name: 'acme' } })
  nock(VCFA).get(LOOKUP).optionally().reply(lookup[0], lookup[1])
  nock(VCFA)
    .delete(SESSION)
    .optionally()
    .reply(recorder(logouts, () => [logoutStatus]))
  return { accessToken, logouts, apiToken: secretToken(32) }
}

const vcfaInputs = (apiToken: string, extra: Record<string, string> = {}) => ({
  provider: 'vcfa',
  url: VCFA,
  org: 'acme',
  'api-token': apiToken,
  kubeconfig: 'true',
  'kube-namespace': 'default-project/ci-ns',
  'max-attempts': '1',
  ...extra,
})

const kubeconfigFiles = (): string[] => readdirSync(runnerTemp)

/** What the main step saves for a VCF Automation token that the post step logs out. */
function vcfaTokenState(): string {
  const state = { provider: 'vcfa', baseUrl: VCFA, revoke: true, timeoutMs: 2000, maxAttempts: 1, accessToken: secretToken(64) }
  return JSON.stringify({ ...state, data: { apiVersion: '40.0' } })
}

function postCore(state: Record<string, string>, inputs: Record<string, string> = {}): FakeCore {
  return fakeCore({ state, inputs })
}

describe('main: kubeconfig: true', () => {
  it('writes the kubeconfig after the exchange, hands its path on, and prints neither the token nor the file', async () => {
    const ca = testCaPem()
    const inputs = supervisorInputs({ 'kube-namespace': 'ci-apps', 'ca-certificate': ca })
    const core = fakeCore({ inputs })
    const token = onSupervisorLogin()
    await main(core)

    expect(core.messages('setFailed')).toEqual([])
    const path = core.outputs().kubeconfig
    expect(path).toMatch(/vmw-kubeconfig-[0-9a-f]{32}\.yaml$/)
    expect(kubeconfigFiles()).toEqual([path.slice(runnerTemp.length + 1)])
    if (POSIX) expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(parse(readFileSync(path, 'utf8'))).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'supervisor.example.com',
          cluster: { server: SUPERVISOR, 'certificate-authority-data': Buffer.from(ca).toString('base64') },
        },
      ],
      users: [{ name: 'wcp:supervisor.example.com:devops@vsphere.local', user: { token } }],
      contexts: [
        {
          name: 'ci-apps',
          context: { cluster: 'supervisor.example.com', user: 'wcp:supervisor.example.com:devops@vsphere.local', namespace: 'ci-apps' },
        },
      ],
      'current-context': 'ci-apps',
    })
    expect(core.env()).toEqual({ VMW_ACCESS_TOKEN: token, KUBECONFIG: path })
    // Saved for the post step apart from the token's state, the moment the file exists.
    const kinds = core.commands.filter((c) => c.kind !== 'debug' && c.kind !== 'setSecret').map((c) => `${c.kind} ${c.name}`.trim())
    expect(kinds).toEqual([
      `saveState ${KUBECONFIG_STATE}`,
      ...TOKEN_OUTPUT_COMMANDS,
      'exportVariable VMW_ACCESS_TOKEN',
      `saveState ${STATE_KEY}`,
      'setOutput kubeconfig',
      'exportVariable KUBECONFIG',
      'info',
      'summary',
    ])
    expect(core.states()[KUBECONFIG_STATE]).toBe(path)
    expect(core.messages('info')[0]).toMatch(
      /^Issued a vSphere Supervisor access token for devops@vsphere\.local, valid until \S+\. Kubeconfig \(context ci-apps\): .+\.$/,
    )
    expect(core.messages('info')[0]).toContain(path)
    expect(core.messages('summary')[0]).toContain('| Kubeconfig | context ci-apps; the post step deletes it |')
    expectMaskedBeforeUse(core, [inputs.password, token])
  })

  it('with export-env false: the output only, no KUBECONFIG', async () => {
    const core = fakeCore({ inputs: supervisorInputs({ 'export-env': 'false' }) })
    onSupervisorLogin()
    await main(core)
    expect(core.outputs().kubeconfig).toMatch(/vmw-kubeconfig-/)
    expect(core.env()).toEqual({})
    expect(parse(readFileSync(core.outputs().kubeconfig, 'utf8'))['current-context']).toBe('supervisor.example.com')
  })

  it('kubeconfig false (the default): no file, no output, no state', async () => {
    const core = fakeCore({ inputs: supervisorInputs({ kubeconfig: '' }) })
    onSupervisorLogin()
    await main(core)
    expect(core.messages('setFailed')).toEqual([])
    expect(kubeconfigFiles()).toEqual([])
    expect(core.outputs().kubeconfig).toBeUndefined()
    expect(core.states()[KUBECONFIG_STATE]).toBeUndefined()
  })

  it('a lookup that fails after the exchange fails the step, ends the new session and writes no file', async () => {
    const vcfa = fakeVcfa([
      404,
      { kind: 'Status', message: 'supervisornamespaces "ci-ns" not found', details: { name: 'ci-ns' }, code: 404 },
    ])
    const core = fakeCore({ inputs: vcfaInputs(vcfa.apiToken) })
    await main(core)
    expect(core.messages('setFailed')).toEqual([
      expect.stringMatching(/supervisornamespaces "ci-ns" not found \(1 try\)\. Check kube-namespace/),
    ])
    expect(vcfa.logouts.map((request) => request.headers.authorization)).toEqual([`Bearer ${vcfa.accessToken}`])
    expect(kubeconfigFiles()).toEqual([])
    expect(core.outputs()).toEqual({})
    expect(core.states()).toEqual({})
  })

  it('a failure after the file was written removes it and ends the session', async () => {
    const vcfa = fakeVcfa([200, { status: { conditions: [{ type: 'Ready', status: 'True' }], namespaceEndpointURL: `${VCFA}/ns` } }])
    const core = fakeCore({ inputs: vcfaInputs(vcfa.apiToken) })
    core.exportVariable = () => {
      throw new Error('GITHUB_ENV is not writable')
    }
    await main(core)
    expect(core.messages('setFailed')).toEqual(['GITHUB_ENV is not writable'])
    expect(core.states()[KUBECONFIG_STATE]).toMatch(/vmw-kubeconfig-/)
    expect(kubeconfigFiles()).toEqual([])
    expect(vcfa.logouts).toHaveLength(1)
  })
})

describe('post: the kubeconfig is deleted whatever else happens', () => {
  async function written(): Promise<{ path: string; state: Record<string, string> }> {
    const core = fakeCore({ inputs: supervisorInputs() })
    onSupervisorLogin()
    await main(core)
    return { path: core.outputs().kubeconfig, state: core.states() }
  }

  it('after a token that cannot be revoked: the file goes, and the step says both', async () => {
    const { path, state } = await written()
    const core = postCore(state)
    await post(core)
    expect(existsSync(path)).toBe(false)
    expect(core.messages('info')).toEqual([
      `Deleted the kubeconfig ${path}.`,
      expect.stringMatching(
        /^The access token cannot be revoked \(the Supervisor has no documented API that ends a \/wcp\/login session\)/,
      ),
    ])
    expect(core.messages('warning')).toEqual([])
  })

  it.each([
    ['the token state cannot be trusted', (state: Record<string, string>) => ({ ...state, [STATE_KEY]: 'not json' })],
    ['the main step saved no token state', (state: Record<string, string>) => ({ [KUBECONFIG_STATE]: state[KUBECONFIG_STATE] })],
  ])('when %s', async (_name, change) => {
    const { path, state } = await written()
    const core = postCore(change(state))
    await post(core)
    expect(existsSync(path)).toBe(false)
    expect(core.messages('info')[0]).toBe(`Deleted the kubeconfig ${path}.`)
  })

  it('when revoke fails: deleted first, the failed logout a warning', async () => {
    const path = join(runnerTemp, `vmw-kubeconfig-${'d'.repeat(32)}.yaml`)
    writeFileSync(path, 'token')
    const logouts: Seen[] = []
    nock(VCFA)
      .delete(SESSION)
      .reply(recorder(logouts, () => [500, { message: 'down' }]))
    const core = postCore({ [STATE_KEY]: vcfaTokenState(), [KUBECONFIG_STATE]: path })
    await post(core)
    expect(existsSync(path)).toBe(false)
    expect(logouts).toHaveLength(1)
    expect(core.messages('info')).toEqual([`Deleted the kubeconfig ${path}.`])
    expect(core.messages('warning')).toEqual([expect.stringMatching(/^Could not revoke: VCF Automation logout failed: HTTP 500/)])
    expect(core.messages('setFailed')).toEqual([])
  })

  it('a kubeconfig state that names another file: a warning, the file kept, the revoke still done', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'vmw-kube-elsewhere-'))
    const victim = join(elsewhere, `vmw-kubeconfig-${'e'.repeat(32)}.yaml`)
    writeFileSync(victim, 'keep')
    nock(VCFA).delete(SESSION).reply(204)
    const core = postCore({ [STATE_KEY]: vcfaTokenState(), [KUBECONFIG_STATE]: victim })
    try {
      await post(core)
      expect(readFileSync(victim, 'utf8')).toBe('keep')
      expect(core.messages('warning')).toEqual([
        'Not deleting the kubeconfig the main step saved: it is not a file this action writes in RUNNER_TEMP.',
      ])
      expect(core.messages('info')).toEqual(['Logged out of VCF Automation: the access token is revoked.'])
    } finally {
      rmSync(elsewhere, { recursive: true, force: true })
    }
  })
})
