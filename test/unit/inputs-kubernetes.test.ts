/** The kubeconfig and kube-namespace inputs, and the Supervisor's url and org rules. */
import { describe, expect, it } from 'vitest'
import { secretToken } from './helpers.ts'
import { csp, failure, ok, vcd } from './inputs-support.ts'

const supervisor = (extra: Record<string, string> = {}) => ({
  provider: 'supervisor',
  url: 'https://supervisor.example.com',
  username: 'devops@vsphere.local',
  password: secretToken(20),
  ...extra,
})
const vcfa = (extra: Record<string, string> = {}) => ({ ...vcd(extra), provider: 'vcfa' })

describe('readInputs: kubeconfig and kube-namespace', () => {
  it('kubeconfig is false by default, for every provider', async () => {
    for (const inputs of [csp(), vcd(), vcfa(), supervisor()])
      expect(await ok(inputs)).toMatchObject({ kubeconfig: false, kubeNamespace: '' })
  })

  it.each([
    [vcfa({ kubeconfig: 'true' }), ''],
    [vcfa({ kubeconfig: 'TRUE', 'kube-namespace': 'default-project/ci-ns' }), 'default-project/ci-ns'],
    [supervisor({ kubeconfig: 'true' }), ''],
    [supervisor({ kubeconfig: 'true', 'kube-namespace': 'ci-apps' }), 'ci-apps'],
    [supervisor({ kubeconfig: 'true', 'kube-namespace': `n${'0'.repeat(61)}9` }), `n${'0'.repeat(61)}9`],
  ])('%j -> namespace %j', async (inputs, namespace) => {
    expect(await ok(inputs)).toMatchObject({ kubeconfig: true, kubeNamespace: namespace })
  })

  it.each([
    ['csp', csp({ kubeconfig: 'true' }), 'kubeconfig'],
    ['vcd', vcd({ kubeconfig: 'true' }), 'kubeconfig'],
    ['vcd', vcd({ 'kube-namespace': 'ns' }), 'kube-namespace'],
    ['csp', csp({ kubeconfig: 'false', 'kube-namespace': 'ns' }), 'kube-namespace'],
  ])('%s has no Kubernetes token: %j is refused, naming the providers that write one', async (name, inputs, input) => {
    const error = await failure(inputs)
    expect(error.input).toBe(input)
    expect(error.message).toMatch(new RegExp(`^Input '${input}': is not used by provider ${name} \\(`))
    expect(error.message).toMatch(/its token is no Kubernetes credential\. Providers that write a kubeconfig: vcfa, supervisor\.$/)
  })

  it.each([vcfa({ 'kube-namespace': 'p/ns' }), supervisor({ kubeconfig: 'false', 'kube-namespace': 'ns' })])(
    'kube-namespace without kubeconfig: true is refused',
    async (inputs) => {
      const error = await failure(inputs)
      expect(error.input).toBe('kube-namespace')
      expect(error.message).toBe(
        "Input 'kube-namespace': goes with kubeconfig: true (it names the namespace of the kubeconfig written); set both, or remove kube-namespace.",
      )
    },
  )

  it('kubeconfig must be a boolean', async () => {
    expect((await failure(supervisor({ kubeconfig: 'yes' }))).message).toBe(
      "Input 'kubeconfig': 'yes' is not a boolean. Allowed: true or false.",
    )
  })

  it.each(['CI-Apps', 'ci_apps', '-ci', 'ci-', 'a/b', `n${'0'.repeat(62)}9`, 'ci apps', 'ci\napps'])(
    'supervisor: %j is no vSphere namespace name',
    async (namespace) => {
      const error = await failure(supervisor({ kubeconfig: 'true', 'kube-namespace': namespace }))
      expect(error.input).toBe('kube-namespace')
      expect(error.message).toMatch(
        /is not a vSphere namespace name: Kubernetes names of lower-case letters, digits and '-', at most 63 characters each\.$/,
      )
    },
  )

  it.each(['ci-ns', 'p/', '/ns', 'p/ns/x', 'P/ns', 'p/N'])('vcfa: %j is no <project>/<namespace>', async (namespace) => {
    const error = await failure(vcfa({ kubeconfig: 'true', 'kube-namespace': namespace }))
    expect(error.input).toBe('kube-namespace')
    expect(error.message).toContain(`'${namespace}' is not a supervisor namespace of a project as <project>/<namespace>`)
  })
})

describe('readInputs: supervisor', () => {
  it('takes username and password; any address on the host names it, the port kept', async () => {
    const password = secretToken(20)
    expect(await ok(supervisor({ password, url: 'https://10.0.0.5/wcp/login' }))).toMatchObject({
      provider: 'supervisor',
      credential: { kind: 'password', username: 'devops@vsphere.local', password },
      baseUrl: 'https://10.0.0.5',
      org: '',
    })
    expect((await ok(supervisor({ url: 'https://supervisor.example.com:6443/' }))).baseUrl).toBe('https://supervisor.example.com:6443')
    expect((await ok(supervisor({ url: 'https://supervisor.example.com:443' }))).baseUrl).toBe('https://supervisor.example.com')
  })

  it.each([
    [{ org: 'acme' }, 'org', "Input 'org': is not used by provider supervisor: a Supervisor has no organizations. Remove org."],
    [
      { url: '' },
      'url',
      "Input 'url': is required for provider supervisor: the vSphere Supervisor address, e.g. https://supervisor.example.com.",
    ],
    [{ password: '' }, 'password', "Input 'password': is required when username is given (the user's password)."],
  ])('%j is refused', async (extra, input, message) => {
    const error = await failure(supervisor(extra))
    expect(error.input).toBe(input)
    expect(error.message).toBe(message)
  })

  it('an API token is not a Supervisor credential', async () => {
    const error = await failure(supervisor({ username: '', password: '', 'api-token': secretToken(32) }))
    expect(error.input).toBe('api-token')
    expect(error.message).toMatch(
      /^Input 'api-token': api-token is not used by provider supervisor \(vSphere Supervisor\), which takes username and password/,
    )
  })
})
