/**
 * End to end, VCF Automation's kubeconfig: the built bundles run as the runner runs them against the
 * VCF Automation emulator (support/vcfa-emulator.ts: /cci/kubernetes and the supervisor namespaces'
 * endpoints), and a real kubectl reads the kubeconfig the main step wrote. Main and post share one
 * RUNNER_TEMP, as on a runner; every run is leak-scanned.
 */
import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { currentContext, getWithKubeconfig, jobDirs, readKubeconfig } from './support/kubeconfig-check.ts'
import { KUBECTL_SKIP, kubectl } from './support/kubectl.ts'
import * as flows from './support/provider-flows.ts'
import { containsPiece, runJob, runStep } from './support/runner.ts'
import { closedAfterAll, shareEmulators } from './support/shared-emulators.ts'
import { CCI_SUPERVISOR_NAMESPACE_GROUP, VCFA_KUBERNETES_PATH, VcfaEmulator, type VcfaOptions } from './support/vcfa-emulator.ts'

let vcfa: VcfaEmulator
const dirs = jobDirs()

shareEmulators(async () => [(vcfa = await new VcfaEmulator().start())])

const kept = closedAfterAll()
const another = (options: VcfaOptions) => kept(new VcfaEmulator(options).start())

const inputs = (server: VcfaEmulator, extra: Record<string, string> = {}) =>
  flows.reaching(server, { provider: 'vcfa', org: server.tenantOrg, 'api-token': server.tenantToken, kubeconfig: 'true' }, extra)

const scan = flows.scan

const lookups = (server: VcfaEmulator) =>
  server
    .requestsTo('kubernetes-objects')
    .filter((request) => request.path.includes('/supervisornamespaces/'))
    .map((request) => `${request.path.slice(VCFA_KUBERNETES_PATH.length)} ${request.status}`)

const lookupPath = (version: string, project: string, name: string) =>
  `/apis/${CCI_SUPERVISOR_NAMESPACE_GROUP}/${version}/namespaces/${project}/supervisornamespaces/${name}`

describe(`VCF Automation: kubectl with the kubeconfig of the main step${KUBECTL_SKIP}`, () => {
  it.skipIf(KUBECTL_SKIP !== '')(
    'kube-namespace: the namespace endpoint is the current context, the org context beside it; apply there; the post step logs out and deletes the file',
    async () => {
      const namespace = `${vcfa.project}/${vcfa.readyNamespace}`
      const host = new URL(vcfa.url).host
      let path = ''
      let token = ''
      const job = await runJob({
        inputs: inputs(vcfa, { 'kube-namespace': namespace }),
        runnerTemp: dirs.runnerTemp,
        between: async (main) => {
          expect(main.exitCode, main.log.join('\n')).toBe(0)
          token = main.outputs['access-token']
          path = main.outputs.kubeconfig
          expect(main.env.KUBECONFIG).toBe(path)
          expect(readdirSync(dirs.runnerTemp)).toHaveLength(1)
          const config = readKubeconfig(path)
          expect(config['current-context']).toBe(`acme:${vcfa.readyNamespace}:${vcfa.project}`)
          expect(currentContext(config)).toMatchObject({
            cluster: `acme:${vcfa.readyNamespace}@${host}`,
            user: `acme:acme-ops@${host}`,
            namespace: vcfa.readyNamespace,
            server: vcfa.namespaceEndpointUrl(vcfa.project, vcfa.readyNamespace),
            ca: vcfa.ca,
            token,
          })
          expect(currentContext(config, 'acme')).toMatchObject({ cluster: `acme:${host}`, server: `${vcfa.url}${VCFA_KUBERNETES_PATH}` })

          const env = { KUBECONFIG: path }
          writeFileSync(
            join(dirs.kubectlHome, 'cm.yaml'),
            'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deployed-by-ci\ndata:\n  release: "7"\n',
          )
          const applied = await kubectl(dirs.kubectlHome, undefined, ['apply', '-f', join(dirs.kubectlHome, 'cm.yaml')], env)
          expect(applied.code, applied.stderr).toBe(0)
          const listed = await kubectl(
            dirs.kubectlHome,
            undefined,
            ['--context', 'acme', 'get', 'supervisornamespaces', '-n', vcfa.project, '-o', 'name'],
            env,
          )
          expect(listed.code, listed.stderr).toBe(0)
          expect(listed.stdout).toContain(vcfa.readyNamespace)
          for (const result of [applied, listed]) expect(containsPiece(result.stdout + result.stderr, token)).toBe(false)
        },
      })
      scan(vcfa, job)
      expect(lookups(vcfa)).toEqual([`${lookupPath('v1alpha3', vcfa.project, vcfa.readyNamespace)} 200`])
      const api = vcfa.namespaceApis.get(namespace)!
      expect(api.get('configmaps', vcfa.readyNamespace, 'deployed-by-ci')?.data).toEqual({ release: '7' })
      const kube = vcfa.requests.filter((request) => /^(kubernetes|endpoint)-/.test(request.route ?? ''))
      expect(kube.length).toBeGreaterThan(3)
      expect(kube.every((request) => request.headers.authorization === `Bearer ${token}` && !containsPiece(request.url, token))).toBe(true)

      expect(job.post!.exitCode).toBe(0)
      expect(job.post!.warnings).toEqual([])
      expect(job.post!.log.join('\n')).toContain(`Deleted the kubeconfig ${path}.`)
      expect(job.post!.log.join('\n')).toContain('Logged out of VCF Automation')
      expect(readdirSync(dirs.runnerTemp)).toEqual([])
      expect(vcfa.isAlive(token)).toBe(false)
    },
  )
})

describe(`VCF Automation: a hostile user name in the kubeconfig${KUBECTL_SKIP}`, () => {
  it.skipIf(KUBECTL_SKIP !== '')('kubectl reads it back as one name, with no key it added, and the token still works', async () => {
    // What the session names, straight into the kubeconfig's user name: quotes, line breaks of every
    // kind YAML knows, comment and anchor syntax, an escape written out, a tab, a C1 control.
    const user = 'ops"\n  token: stolen\r\n\u2028\u2029\u0085 #&*!|>\'%@`\t\\u0041\u0090é'
    const apiToken = vcfa.addToken({ org: 'acme', user })
    const step = await runStep({ inputs: inputs(vcfa, { 'api-token': apiToken, revoke: 'false' }), runnerTemp: dirs.runnerTemp })
    scan(vcfa, step)
    expect(step.exitCode, step.log.join('\n')).toBe(0)
    const path = step.outputs.kubeconfig
    const host = new URL(vcfa.url).host
    const names = await kubectl(dirs.kubectlHome, path, ['config', 'view', '-o', 'jsonpath={.users[*].name}'])
    expect(names.code, names.stderr).toBe(0)
    expect(names.stdout).toBe(`acme:${user}@${host}`)
    const tokens = await kubectl(dirs.kubectlHome, path, ['config', 'view', '--raw', '-o', 'jsonpath={.users[*].user.token}'])
    expect(tokens.stdout).toBe(step.outputs['access-token'])
    const version = await kubectl(dirs.kubectlHome, path, ['get', '--raw', `${VCFA_KUBERNETES_PATH}/version`])
    expect(version.code, version.stderr).toBe(0)
  })
})

describe('VCF Automation: the kubeconfig read back without kubectl', () => {
  it('the org context as terraform-provider-vcfa writes it reaches /cci/kubernetes with the token, until the post step', async () => {
    const host = new URL(vcfa.url).host
    let path = ''
    const job = await runJob({
      inputs: inputs(vcfa, { 'export-env': 'false' }),
      runnerTemp: dirs.runnerTemp,
      between: async (main) => {
        expect(main.exitCode, main.log.join('\n')).toBe(0)
        expect(main.env).toEqual({})
        path = main.outputs.kubeconfig
        const config = readKubeconfig(path)
        expect(config.contexts).toEqual([{ name: 'acme', context: { cluster: `acme:${host}`, user: `acme:acme-ops@${host}` } }])
        expect(currentContext(config)).toMatchObject({ server: `${vcfa.url}${VCFA_KUBERNETES_PATH}`, ca: vcfa.ca })
        const reply = await getWithKubeconfig(
          path,
          `/apis/${CCI_SUPERVISOR_NAMESPACE_GROUP}/v1alpha3/namespaces/${vcfa.project}/supervisornamespaces`,
        )
        expect(reply.status, reply.body).toBe(200)
      },
    })
    scan(vcfa, job)
    // No lookup without kube-namespace.
    expect(lookups(vcfa)).toEqual([])
    expect(job.post!.log.join('\n')).toContain(`Deleted the kubeconfig ${path}.`)
    expect(vcfa.isAlive(job.main.outputs['access-token'])).toBe(false)
  })

  it('VCF Automation 9.0 (v1alpha2 only): the v1alpha3 lookup answers 404 without a name, v1alpha2 finds it', async () => {
    const older = await another({ supervisorNamespaceVersions: ['v1alpha2'] })
    const step = await runStep({
      inputs: inputs(older, { 'kube-namespace': `${older.project}/${older.readyNamespace}` }),
      runnerTemp: dirs.runnerTemp,
    })
    scan(older, step)
    expect(step.exitCode, step.log.join('\n')).toBe(0)
    expect(lookups(older)).toEqual([
      `${lookupPath('v1alpha3', older.project, older.readyNamespace)} 404`,
      `${lookupPath('v1alpha2', older.project, older.readyNamespace)} 200`,
    ])
    expect(currentContext(readKubeconfig(step.outputs.kubeconfig)).server).toBe(
      older.namespaceEndpointUrl(older.project, older.readyNamespace),
    )
  })

  it('endpoints on another server with another CA: both CAs in ca-certificate are embedded, and the endpoint answers', async () => {
    const split = await another({ namespaceEndpoints: 'server-other-ca' })
    const step = await runStep({
      inputs: inputs(split, {
        'kube-namespace': `${split.project}/${split.readyNamespace}`,
        'ca-certificate': split.ca + split.namespaceServer!.ca,
      }),
      runnerTemp: dirs.runnerTemp,
    })
    scan(split, step)
    expect(step.exitCode, step.log.join('\n')).toBe(0)
    const reply = await getWithKubeconfig(step.outputs.kubeconfig, `/api/v1/namespaces/${split.readyNamespace}/configmaps`)
    expect(reply.status, reply.body).toBe(200)
  })
})

describe('VCF Automation: a kube-namespace that cannot be used', () => {
  it.each([
    [
      'not ready',
      () => `${vcfa.project}/${vcfa.pendingNamespace}`,
      /is not ready \(CREATING\): wait until it is, or check kube-namespace\.$/,
    ],
    [
      'without an endpoint',
      () => `${vcfa.project}/${vcfa.endpointlessNamespace}`,
      /has no namespaceEndpointURL the action writes a token for: it is missing\.$/,
    ],
    [
      'missing',
      () => `${vcfa.project}/nope`,
      /HTTP 404 Not Found: supervisornamespaces\.infrastructure\.cci\.vmware\.com "nope" not found \(1 try\)\. Check kube-namespace/,
    ],
    [
      'in a project of another org',
      () => 'other-project/ci-ns',
      /HTTP 403 Forbidden: .* \(1 try\)\. Check kube-namespace \(<project>\/<namespace>\) and the user's role in the project\.$/,
    ],
  ])('%s: the step fails naming kube-namespace, ends the new session, writes no file', async (_name, namespace, message) => {
    const job = await runJob({ inputs: inputs(vcfa, { 'kube-namespace': namespace() }), runnerTemp: dirs.runnerTemp })
    scan(vcfa, job)
    expect(job.main.exitCode).toBe(1)
    expect(job.main.errors).toHaveLength(1)
    expect(job.main.errors[0]).toMatch(message)
    expect(job.main.outputs).toEqual({})
    expect(readdirSync(dirs.runnerTemp)).toEqual([])
    const token = vcfa.issued.at(-1)!.access_token
    expect(vcfa.requestsTo('logout').map((request) => [request.status, request.headers.authorization])).toEqual([[204, `Bearer ${token}`]])
    expect(vcfa.isAlive(token)).toBe(false)
    expect(job.post!.log.join('\n')).toContain('The main step issued no access token: nothing to revoke.')
  })
})

describe('VCF Automation through an https_proxy', () => {
  const proxied = flows.behindProxy('vcfa.example.test', (names) => new VcfaEmulator({ names }).start())

  it(`the org context names the host only the proxy resolves, and kubectl reaches it through the proxy${KUBECTL_SKIP}`, async () => {
    const { server: behind, proxy, url } = proxied
    await flows.jobThroughProxy(proxied, inputs(behind, { url }), {
      runnerTemp: dirs.runnerTemp,
      between: async (main) => {
        expect(main.exitCode, main.log.join('\n')).toBe(0)
        const path = main.outputs.kubeconfig
        expect(currentContext(readKubeconfig(path))).toMatchObject({ name: 'acme', server: `${url}${VCFA_KUBERNETES_PATH}` })
        if (KUBECTL_SKIP) return
        const version = await kubectl(dirs.kubectlHome, path, ['get', '--raw', `${VCFA_KUBERNETES_PATH}/version`], {
          HTTPS_PROXY: proxy.url,
        })
        expect(version.code, version.stderr).toBe(0)
      },
    })
    flows.expectEveryRequestTunnelled(proxied)
  })
})
