/** VCF Automation's kubeconfig: the org context, and a supervisor namespace looked up through /cci/kubernetes. */
import nock from 'nock'
import { describe, expect, it } from 'vitest'
import type { Config, CredentialOf } from '../../src/config.ts'
import { ProviderError } from '../../src/errors.ts'
import type { TokenResult } from '../../src/providers/types.ts'
import { vcfa } from '../../src/providers/vcfa.ts'
import { describeError } from '../../src/secrets.ts'
import { config, harness, recorder, rejectionOf, secretToken, type Reply, type Seen } from './helpers.ts'

const VCFA = 'https://vcfa.example.com'
const CCI = '/cci/kubernetes/apis/infrastructure.cci.vmware.com'
const ENDPOINT = 'https://10.1.2.3/endpoints/default-project/ci-ns'
const USER = 'acme:acme-ops@vcfa.example.com'

function vcfaConfig(overrides: Partial<Config<CredentialOf<'api-token'>>> = {}) {
  return config({ provider: 'vcfa', baseUrl: VCFA, org: 'acme', kubeconfig: true, ...overrides })
}

function issued(overrides: Partial<TokenResult> = {}): TokenResult {
  return { accessToken: secretToken(64), tokenType: 'Bearer', expiresIn: 3600, org: 'acme', subject: 'acme-ops', ...overrides }
}

/** A SupervisorNamespace as go-vcloud-director's ccitypes reads it. */
function supervisorNamespace(status: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'infrastructure.cci.vmware.com/v1alpha3',
    kind: 'SupervisorNamespace',
    metadata: { name: 'ci-ns', namespace: 'default-project' },
    spec: { className: 'small', regionName: 'region-1' },
    status,
  }
}

const READY = {
  conditions: [
    { type: 'Realized', status: 'True' },
    { type: 'Ready', status: 'True' },
  ],
  phase: 'CREATED',
  namespaceEndpointURL: ENDPOINT,
}

/** The API server's Status for a missing object (details.name) or a path it does not serve (no details.name). */
function notFound(name?: string): Reply {
  const details = name ? { name, group: 'infrastructure.cci.vmware.com', kind: 'supervisornamespaces' } : {}
  const message = name
    ? `supervisornamespaces.infrastructure.cci.vmware.com "${name}" not found`
    : 'the server could not find the requested resource'
  return [404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'NotFound', details, code: 404 }]
}

/** Answers each version's lookup of default-project/ci-ns; records what came. */
function lookups(answers: Partial<Record<'v1alpha3' | 'v1alpha2', Reply>>, baseUrl = VCFA): Seen[] {
  const seen: Seen[] = []
  for (const version of ['v1alpha3', 'v1alpha2'] as const) {
    nock(baseUrl)
      .get(`${CCI}/${version}/namespaces/default-project/supervisornamespaces/ci-ns`)
      .optionally()
      .reply(recorder(seen, () => answers[version] ?? notFound()))
  }
  return seen
}

async function namespaceContexts(
  answers: Partial<Record<'v1alpha3' | 'v1alpha2', Reply>>,
  cfg = vcfaConfig({ kubeNamespace: 'default-project/ci-ns' }),
) {
  const h = harness(cfg)
  const seen = lookups(answers, cfg.baseUrl)
  const result = issued()
  return { h, seen, result, outcome: vcfa.kubernetes!.contexts(h.context, result) }
}

describe('vcfa: the org context', () => {
  it('as terraform-provider-vcfa writes it: cluster <org>:<host> at /cci/kubernetes, user <org>:<user>@<host>, context <org>; nothing sent', async () => {
    const h = harness(vcfaConfig())
    expect(await vcfa.kubernetes!.contexts(h.context, issued())).toEqual({
      clusters: [{ name: 'acme:vcfa.example.com', server: `${VCFA}/cci/kubernetes` }],
      user: USER,
      contexts: [{ name: 'acme', cluster: 'acme:vcfa.example.com', user: USER }],
      currentContext: 'acme',
    })
  })

  it('the provider org is System; a port stays in the host', async () => {
    const h = harness(vcfaConfig({ org: '', baseUrl: 'https://vcfa.example.com:8443' }))
    const spec = await vcfa.kubernetes!.contexts(h.context, issued({ org: 'System', subject: 'admin' }))
    expect(spec.clusters).toEqual([{ name: 'System:vcfa.example.com:8443', server: 'https://vcfa.example.com:8443/cci/kubernetes' }])
    expect(spec.user).toBe('System:admin@vcfa.example.com:8443')
    expect(spec.currentContext).toBe('System')
  })

  it('takes <project>/<namespace> as kube-namespace', () => {
    expect(vcfa.kubernetes!.parseNamespace('default-project/ci-ns')).toBe('default-project/ci-ns')
    expect(() => vcfa.kubernetes!.parseNamespace('ci-ns')).toThrow(
      /^Input 'kube-namespace': 'ci-ns' is not a supervisor namespace of a project/,
    )
  })
})

describe('vcfa: a supervisor namespace', () => {
  it('looks it up with the token (v1alpha3 first) and adds its endpoint as the current context, beside the org', async () => {
    const { seen, result, outcome } = await namespaceContexts({ v1alpha3: [200, supervisorNamespace(READY)] })
    expect(await outcome).toEqual({
      clusters: [
        { name: 'acme:vcfa.example.com', server: `${VCFA}/cci/kubernetes` },
        { name: 'acme:ci-ns@vcfa.example.com', server: ENDPOINT },
      ],
      user: USER,
      contexts: [
        { name: 'acme', cluster: 'acme:vcfa.example.com', user: USER },
        { name: 'acme:ci-ns:default-project', cluster: 'acme:ci-ns@vcfa.example.com', user: USER, namespace: 'ci-ns' },
      ],
      currentContext: 'acme:ci-ns:default-project',
    })
    expect(seen).toHaveLength(1)
    expect(seen[0].method).toBe('GET')
    expect(seen[0].url.href).toBe(`${VCFA}${CCI}/v1alpha3/namespaces/default-project/supervisornamespaces/ci-ns`)
    expect(seen[0].headers).toMatchObject({ authorization: `Bearer ${result.accessToken}`, accept: 'application/json' })
  })

  it('a build that serves only v1alpha2 (VCF Automation 9.0): the 404 without a name moves on to it', async () => {
    const { seen, outcome } = await namespaceContexts({ v1alpha2: [200, supervisorNamespace(READY)] })
    expect((await outcome).clusters[1].server).toBe(ENDPOINT)
    expect(seen.map((request) => request.url.pathname.split('/')[5])).toEqual(['v1alpha3', 'v1alpha2'])
  })

  it.each([
    [
      'a missing namespace',
      { v1alpha3: notFound('ci-ns') },
      1,
      /HTTP 404 Not Found: supervisornamespaces\.infrastructure\.cci\.vmware\.com "ci-ns" not found \(1 try\)\. Check kube-namespace/,
    ],
    [
      'no supervisor namespaces at all',
      {},
      2,
      /HTTP 404 Not Found: the server could not find the requested resource \(1 try\)\. \/cci\/kubernetes serves no supervisor namespaces\.$/,
    ],
    [
      'a project of another org',
      {
        v1alpha3: [
          403,
          { kind: 'Status', message: 'supervisornamespaces is forbidden: User "globex:x" cannot get', reason: 'Forbidden', code: 403 },
        ] as Reply,
      },
      1,
      /HTTP 403 Forbidden: supervisornamespaces is forbidden: User "globex:x" cannot get \(1 try\)\. Check kube-namespace \(<project>\/<namespace>\) and the user's role in the project\.$/,
    ],
  ])('%s: an error naming kube-namespace', async (_name, answers, requests, message) => {
    const { seen, outcome } = await namespaceContexts(answers)
    const error = await rejectionOf(outcome)
    expect(error).toBeInstanceOf(ProviderError)
    expect(error.message).toMatch(/^VCF Automation lookup of the supervisor namespace 'ci-ns' of project 'default-project' failed: /)
    expect(error.message).toMatch(message)
    expect(seen).toHaveLength(requests)
  })

  it.each([
    [
      'Ready False while it is created',
      { conditions: [{ type: 'Ready', status: 'False', reason: 'Provisioning' }], phase: 'CREATING' },
      'CREATING',
    ],
    ['no Ready condition', { conditions: [{ type: 'Realized', status: 'True' }], namespaceEndpointURL: ENDPOINT }, 'unknown'],
    ['no status at all', undefined, 'unknown'],
    ['a reason but no phase', { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'Waiting' }] }, 'Waiting'],
    [
      'only the first Ready condition counts',
      {
        conditions: [
          { type: 'ready', status: 'false' },
          { type: 'Ready', status: 'True' },
        ],
        namespaceEndpointURL: ENDPOINT,
      },
      'unknown',
    ],
  ])('not ready (%s): an error that says so', async (_name, status, state) => {
    const { outcome } = await namespaceContexts({ v1alpha3: [200, supervisorNamespace(status as Record<string, unknown>)] })
    expect((await rejectionOf(outcome)).message).toBe(
      `The supervisor namespace 'ci-ns' of project 'default-project' is not ready (${state}): wait until it is, or check kube-namespace.`,
    )
  })

  it('a Ready condition in any case is ready', async () => {
    const { outcome } = await namespaceContexts({
      v1alpha3: [200, supervisorNamespace({ ...READY, conditions: [{ type: 'READY', status: 'true' }] })],
    })
    expect((await outcome).currentContext).toBe('acme:ci-ns:default-project')
  })

  it.each([
    ['no namespaceEndpointURL', undefined, 'it is missing'],
    ['an empty one', '', 'it is missing'],
    ['one that is no URL', 'not a url', 'it is missing'],
    ['plain http to another host', 'http://10.1.2.3/endpoint', 'it uses http:// to a host that is not loopback'],
    ['one with a query', 'https://10.1.2.3/endpoint?token=x', 'it has a query string'],
    ['one with a user part', 'https://user:pw@10.1.2.3/endpoint', 'it holds a user name or password'],
  ])('%s: refused, no kubeconfig for it', async (_name, endpoint, reason) => {
    const { outcome } = await namespaceContexts({ v1alpha3: [200, supervisorNamespace({ ...READY, namespaceEndpointURL: endpoint })] })
    expect((await rejectionOf(outcome)).message).toBe(
      `The supervisor namespace 'ci-ns' of project 'default-project' has no namespaceEndpointURL the action writes a token for: ${reason}.`,
    )
  })

  it('a loopback http endpoint is taken, as the url input would be', async () => {
    const { outcome } = await namespaceContexts({
      v1alpha3: [200, supervisorNamespace({ ...READY, namespaceEndpointURL: 'http://127.0.0.1:8080/ns' })],
    })
    expect((await outcome).clusters[1].server).toBe('http://127.0.0.1:8080/ns')
  })

  it('an HTML page with 200 is no supervisor namespace', async () => {
    const { outcome } = await namespaceContexts({ v1alpha3: [200, '<html><body>Portal</body></html>'] })
    expect((await rejectionOf(outcome)).message).toMatch(
      /^VCF Automation lookup of the supervisor namespace 'ci-ns' of project 'default-project' failed: HTTP 200 OK, an HTML page/,
    )
  })

  it('retries a 503, and says VCF Automation is busy after every try; the token never shows', async () => {
    const cfg = vcfaConfig({ kubeNamespace: 'default-project/ci-ns', maxAttempts: 3 })
    const h = harness(cfg)
    const seen: Seen[] = []
    nock(VCFA)
      .get(`${CCI}/v1alpha3/namespaces/default-project/supervisornamespaces/ci-ns`)
      .times(3)
      .reply(recorder(seen, () => [503, { message: 'unavailable' }]))
    const result = issued()
    h.secrets.mask(result.accessToken)
    const error = await rejectionOf(vcfa.kubernetes!.contexts(h.context, result))
    expect(seen).toHaveLength(3)
    expect(h.sleeps).toHaveLength(2)
    expect(error.message).toMatch(/unavailable \(3 tries\)\. VCF Automation is busy or unavailable/)
    expect(describeError(error, h.secrets)).not.toContain(result.accessToken.slice(0, 8))
  })
})
