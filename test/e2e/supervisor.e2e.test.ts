/**
 * End to end, the vSphere Supervisor: the built bundles run as the runner runs them (support/runner.ts)
 * against the Supervisor emulator (support/supervisor-emulator.ts) over TLS with a private CA, and a
 * real kubectl (support/kubectl.ts) reads the kubeconfig the main step wrote. Main and post share
 * one RUNNER_TEMP, as on a runner; the kubeconfig is the only file that holds the token, and every
 * run is leak-scanned.
 */
import { randomBytes } from 'node:crypto'
import { readdirSync, statSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { EmulatorServer } from './support/emulator.ts'
import { currentContext, getWithKubeconfig, jobDirs, readKubeconfig } from './support/kubeconfig-check.ts'
import { KUBECTL_SKIP, kubectl } from './support/kubectl.ts'
import * as flows from './support/provider-flows.ts'
import { containsPiece, runJob, runStep, type StepResult } from './support/runner.ts'
import { shareEmulators } from './support/shared-emulators.ts'
import { SUPERVISOR_LOGIN_BANNER_PATH, SUPERVISOR_LOGIN_PATH, SupervisorEmulator } from './support/supervisor-emulator.ts'

const POSIX = process.platform !== 'win32'
let supervisor: SupervisorEmulator
const dirs = jobDirs()

shareEmulators(async () => [(supervisor = await new SupervisorEmulator().start())])

const inputs = (server: SupervisorEmulator, extra: Record<string, string> = {}) =>
  flows.reaching(server, { provider: 'supervisor', ...flows.passwordOf(server), kubeconfig: 'true' }, extra)

const subject = { server: () => supervisor, inputs }

const MANIFEST = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deployed-by-ci\ndata:\n  release: "42"\n'

/** The main step wrote one file in RUNNER_TEMP, its kubeconfig, mode 0600, holding the token it issued. */
function expectOneKubeconfig(main: StepResult, token: string): string {
  const path = main.outputs.kubeconfig
  expect(basename(path)).toMatch(/^vmw-kubeconfig-[0-9a-f]{32}\.yaml$/)
  expect(readdirSync(dirs.runnerTemp)).toEqual([basename(path)])
  if (POSIX) expect(statSync(path).mode & 0o777).toBe(0o600)
  expect(currentContext(readKubeconfig(path)).token).toBe(token)
  // Nothing else the step left holds the token: not its state (it cannot be revoked), not its log.
  expect(containsPiece(JSON.stringify(main.state), token)).toBe(false)
  return path
}

describe(`Supervisor: kubectl with the kubeconfig of the main step${KUBECTL_SKIP}`, () => {
  it.skipIf(KUBECTL_SKIP !== '')(
    'kube-namespace: KUBECONFIG for later steps; kubectl gets and applies in the vSphere namespace with the token; the post step deletes the file',
    async () => {
      let path = ''
      let seenByKubectl = 0
      const job = await runJob({
        inputs: inputs(supervisor, { 'kube-namespace': supervisor.namespace }),
        runnerTemp: dirs.runnerTemp,
        between: async (main) => {
          expect(main.exitCode, main.log.join('\n')).toBe(0)
          const token = supervisor.issued.at(-1)!
          path = expectOneKubeconfig(main, token)
          expect(main.env).toEqual({ VMW_ACCESS_TOKEN: token, KUBECONFIG: path })
          const env = { KUBECONFIG: main.env.KUBECONFIG }
          const before = supervisor.requests.length
          const version = await kubectl(dirs.kubectlHome, undefined, ['get', '--raw', '/version'], env)
          expect(version.code, version.stderr).toBe(0)
          expect(JSON.parse(version.stdout).gitVersion).toBe('v1.30.1+vmware.1')
          writeFileSync(join(dirs.kubectlHome, 'cm.yaml'), MANIFEST)
          const applied = await kubectl(dirs.kubectlHome, undefined, ['apply', '-f', join(dirs.kubectlHome, 'cm.yaml')], env)
          expect(applied.code, applied.stderr).toBe(0)
          expect(applied.stdout).toContain('configmap/deployed-by-ci created')
          const got = await kubectl(
            dirs.kubectlHome,
            undefined,
            ['get', 'configmap', 'deployed-by-ci', '-o', 'jsonpath={.data.release}'],
            env,
          )
          expect(got).toMatchObject({ code: 0, stdout: '42' })
          for (const result of [version, applied, got]) expect(containsPiece(result.stdout + result.stderr, token)).toBe(false)
          const sent = supervisor.requests.slice(before)
          seenByKubectl = sent.length
          expect(sent.every((request) => request.headers.authorization === `Bearer ${token}` && !containsPiece(request.url, token))).toBe(
            true,
          )
        },
      })
      flows.scan(supervisor, job)
      // In the namespace the context names, stored by the API the token opened.
      expect(supervisor.kube.get('configmaps', supervisor.namespace, 'deployed-by-ci')?.data).toEqual({ release: '42' })
      expect(supervisor.requestsTo('login')).toHaveLength(1)
      expect(job.main.outputs).toMatchObject({ 'token-type': 'Bearer', subject: supervisor.username, org: '', kubeconfig: path })
      expect(job.main.log.join('\n')).toContain(`Kubeconfig (context ${supervisor.namespace}): ${path}.`)
      expect(job.main.summary).toContain(`| Kubeconfig | context ${supervisor.namespace}; the post step deletes it |`)

      expect(job.post!.exitCode).toBe(0)
      expect(job.post!.warnings).toEqual([])
      expect(job.post!.log.join('\n')).toContain(`Deleted the kubeconfig ${path}.`)
      expect(job.post!.log.join('\n')).toMatch(
        /The access token cannot be revoked \(the Supervisor has no documented API that ends a \/wcp\/login session\); it stays valid until it expires at \S+Z\./,
      )
      expect(readdirSync(dirs.runnerTemp)).toEqual([])
      // The post step sent nothing: there is no logout.
      expect(supervisor.requests).toHaveLength(1 + seenByKubectl)
    },
  )

  it.skipIf(KUBECTL_SKIP !== '')('without kube-namespace and export-env: the Supervisor context, from the kubeconfig output', async () => {
    const main = await runStep({ inputs: inputs(supervisor, { 'export-env': 'false' }), runnerTemp: dirs.runnerTemp })
    flows.scan(supervisor, main)
    expect(main.exitCode, main.log.join('\n')).toBe(0)
    expect(main.env).toEqual({})
    const path = expectOneKubeconfig(main, supervisor.issued.at(-1)!)
    const host = new URL(supervisor.url).host
    expect(currentContext(readKubeconfig(path))).toMatchObject({
      name: host,
      cluster: host,
      user: `wcp:${host}:${supervisor.username}`,
      server: supervisor.url,
    })
    const listed = await kubectl(dirs.kubectlHome, path, ['get', 'configmaps', '-n', supervisor.namespace, '-o', 'name'])
    expect(listed.code, listed.stderr).toBe(0)
    const forbidden = await kubectl(dirs.kubectlHome, path, ['get', 'configmaps', '-n', supervisor.otherNamespace])
    expect(forbidden.code).toBe(1)
    expect(forbidden.stderr).toContain('Forbidden')
  })
})

describe('Supervisor: the kubeconfig read back without kubectl', () => {
  it('the current context reaches the Kubernetes API with the token and the embedded CA', async () => {
    const job = await runJob({
      inputs: inputs(supervisor, { 'kube-namespace': supervisor.namespace }),
      runnerTemp: dirs.runnerTemp,
      between: async (main) => {
        const path = expectOneKubeconfig(main, supervisor.issued.at(-1)!)
        const config = readKubeconfig(path)
        expect(config).toMatchObject({ apiVersion: 'v1', kind: 'Config', 'current-context': supervisor.namespace })
        expect(currentContext(config)).toMatchObject({ namespace: supervisor.namespace, server: supervisor.url, ca: supervisor.ca })
        const reply = await getWithKubeconfig(path, `/api/v1/namespaces/${supervisor.namespace}/configmaps`)
        expect(reply.status, reply.body).toBe(200)
      },
    })
    flows.scan(supervisor, job)
    expect(job.post!.log.join('\n')).toContain('Deleted the kubeconfig')
    expect(readdirSync(dirs.runnerTemp)).toEqual([])
  })
})

describe('Supervisor: refusals and faults', () => {
  it('a wrong password: 401 names username and password; no kubeconfig, nothing to delete', async () => {
    // Random: a password made of words would have those words redacted from the message too.
    const wrong = `Wr0ng~${randomBytes(12).toString('hex')}`
    const job = await runJob({ inputs: inputs(supervisor, { password: wrong }), runnerTemp: dirs.runnerTemp })
    flows.scan(supervisor, job, [wrong])
    expect(job.main.exitCode).toBe(1)
    expect(job.main.errors).toEqual([
      'vSphere Supervisor login failed: HTTP 401 Unauthorized: Invalid username or password (1 try). Check username and password (a vCenter Single Sign-On user).',
    ])
    expect(supervisor.requestsTo('login').map((request) => request.status)).toEqual([401])
    expect(supervisor.requestsTo('loginbanner')).toEqual([])
    expect(readdirSync(dirs.runnerTemp)).toEqual([])
    expect(job.post!.log.join('\n')).toContain('The main step issued no access token: nothing to revoke.')
    expect(job.post!.log.join('\n')).not.toContain('kubeconfig')
  })

  it('a host that is not a Supervisor: its 404 and no login banner say so', async () => {
    const other = await new EmulatorServer().start()
    try {
      const step = await runStep({
        inputs: inputs(supervisor, { url: other.url, 'ca-certificate': other.ca }),
        runnerTemp: dirs.runnerTemp,
      })
      flows.scan(supervisor, step)
      expect(step.exitCode).toBe(1)
      expect(step.errors[0]).toMatch(
        /^vSphere Supervisor login failed: HTTP 404 .*\(1 try\)\. This is not a Supervisor: \/wcp\/loginbanner answered HTTP 404, not 200\. Check url: the Supervisor's address/,
      )
      expect(other.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
        `POST ${SUPERVISOR_LOGIN_PATH}`,
        `GET ${SUPERVISOR_LOGIN_BANNER_PATH}`,
      ])
      expect(other.requests[1].headers.authorization).toBeUndefined()
    } finally {
      await other.close()
    }
  })

  it.each([
    ['429 with Retry-After, once', { status: 429, headers: { 'retry-after': '0' } }, 0],
    ['a reset connection, once', { reset: true }, 0],
    ['a hung answer, once', { hang: true }, 0],
    ['a 503 storm', { status: 503, times: Infinity }, 1],
    ['an HTML outage page', { html: true, times: Infinity }, 1],
    ['a cut answer (issued, but lost)', { mapBody: (body: string) => body.slice(0, -2) }, 1],
  ])('%s', async (_name, fault, exitCode) => {
    supervisor.fault('login', { ...fault } as Parameters<SupervisorEmulator['fault']>[1])
    const step = await runStep({ inputs: inputs(supervisor, { 'timeout-seconds': '2', 'max-attempts': '2' }), runnerTemp: dirs.runnerTemp })
    flows.scan(supervisor, step)
    expect(step.exitCode, step.log.join('\n')).toBe(exitCode)
    expect(readdirSync(dirs.runnerTemp)).toHaveLength(1 - exitCode)
    if (exitCode) expect(step.errors[0]).toMatch(/busy or unavailable|JSON that does not parse/)
  })

  flows.itDistrustsThePrivateCa(subject, /ca-certificate/, {
    step: () => ({ runnerTemp: dirs.runnerTemp }),
  })
})

describe('Supervisor through an https_proxy', () => {
  const behind = flows.behindProxy('supervisor.example.test', (names) => new SupervisorEmulator({ names }).start())

  it(`reaches a host only the proxy can resolve, and so does kubectl with the kubeconfig${KUBECTL_SKIP}`, async () => {
    const { server, proxy, url } = behind
    await flows.jobThroughProxy(behind, inputs(server, { url }), {
      runnerTemp: dirs.runnerTemp,
      between: async (main) => {
        expect(main.exitCode, main.log.join('\n')).toBe(0)
        expect(currentContext(readKubeconfig(main.outputs.kubeconfig)).server).toBe(url)
        if (KUBECTL_SKIP) return
        const version = await kubectl(dirs.kubectlHome, main.outputs.kubeconfig, ['get', '--raw', '/version'], { HTTPS_PROXY: proxy.url })
        expect(version.code, version.stderr).toBe(0)
      },
    })
    flows.expectEveryRequestTunnelled(behind)
    expect(server.requestsTo('login')).toHaveLength(1)
    expect(JSON.stringify(proxy.tunnels)).not.toContain(server.password)
  })
})
