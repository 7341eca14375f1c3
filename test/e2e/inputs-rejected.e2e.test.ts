/**
 * Hostile and mistaken input, end to end: the built action run as the runner runs it (main, then
 * post), table-driven.
 *
 * Rejected: the step fails before any network call (the provider emulator sits behind a TCP
 * forwarder that counts connections: there must be none, and no request), with one ::error::
 * that names the input ("Input '<name>'"), never holds a piece of any secret (the raw message is
 * checked, not only the masked log), and the post step has nothing to do.
 *
 * Accepted: what a user would expect to work does, and the emulator received the right thing.
 *
 * Every run is leak-scanned, with the hostile values themselves counted as secrets where they are.
 */
import { describe, expect, it, vi } from 'vitest'
import { makeCerts } from './support/certs.ts'
import { CSP_API_TOKEN_PATH, CspEmulator } from './support/csp-emulator.ts'
import { assertNoLeaks, containsPiece, runJob, type JobResult } from './support/runner.ts'
import { VCD_PROVIDER_TOKEN_PATH, VcdEmulator } from './support/vcd-emulator.ts'
import { RawServer, using } from './support/tcp.ts'

vi.setConfig({ maxConcurrency: 8 })

type Server = CspEmulator | VcdEmulator

interface Context<S extends Server> {
  server: S
  /** Where the action is pointed: the emulator, through the connection counter. */
  url: string
  /** Inputs that work, to which a case adds or overrides one mistake. */
  base: Record<string, string>
}

interface RejectCase<S extends Server = Server> {
  name: string
  provider: 'csp' | 'vcd'
  inputs: (context: Context<S>) => Record<string, string | undefined>
  /** The input the ::error:: must name. */
  input: string
  /** What the message must also say (e.g. what is allowed). */
  says?: RegExp
  /** Values that are secret in this case besides the emulator's own (they must not be echoed). */
  secrets?: (context: Context<S>) => string[]
}

const UUID = '0123abcd-4567-89ef-0123-456789abcdef'
const LONG = 'x'.repeat(5000)
const junkSecret = 'Zq9Wm3Xv7Lp2Kt8R'

const PRIVATE_KEY_PEM = makeCerts().key

const REJECTED: RejectCase[] = [
  // provider
  { name: 'unknown provider', provider: 'csp', inputs: () => ({ provider: 'aws' }), input: 'provider', says: /csp.*vcd/ },
  { name: 'two providers at once', provider: 'csp', inputs: () => ({ provider: 'csp,vcd' }), input: 'provider', says: /Allowed/ },
  { name: 'a 5000-character provider (cut short in the message)', provider: 'csp', inputs: () => ({ provider: LONG }), input: 'provider' },
  {
    name: 'a provider smuggling a workflow command on a second line',
    provider: 'csp',
    inputs: () => ({ provider: 'csp\n::warning::smuggled' }),
    input: 'provider',
  },
  // credential mixes and missing credentials
  {
    name: 'api-token together with client-id and client-secret',
    provider: 'csp',
    inputs: ({ server }) => ({ 'client-id': (server as CspEmulator).clientId, 'client-secret': (server as CspEmulator).clientSecret }),
    input: 'api-token',
    says: /not both/,
  },
  {
    name: 'api-token together with client-secret only',
    provider: 'csp',
    inputs: ({ server }) => ({ 'client-secret': (server as CspEmulator).clientSecret }),
    input: 'api-token',
  },
  {
    name: 'client-id without client-secret',
    provider: 'csp',
    inputs: ({ server }) => ({ 'api-token': undefined, 'client-id': (server as CspEmulator).clientId }),
    input: 'client-secret',
  },
  {
    name: 'client-secret without client-id',
    provider: 'csp',
    inputs: ({ server }) => ({ 'api-token': undefined, 'client-secret': (server as CspEmulator).clientSecret }),
    input: 'client-id',
  },
  {
    name: 'client-id and client-secret for vcd',
    provider: 'vcd',
    inputs: () => ({ 'api-token': undefined, 'client-id': 'some-app', 'client-secret': junkSecret }),
    input: 'client-id',
    says: /api-token/,
    secrets: () => [junkSecret],
  },
  { name: 'no credential at all', provider: 'csp', inputs: () => ({ 'api-token': undefined }), input: 'api-token', says: /required/ },
  { name: 'no credential at all (vcd)', provider: 'vcd', inputs: () => ({ 'api-token': '' }), input: 'api-token', says: /required/ },
  // url
  { name: 'vcd without url', provider: 'vcd', inputs: () => ({ url: undefined }), input: 'url', says: /required/ },
  {
    name: 'plain http to a public host (csp)',
    provider: 'csp',
    inputs: () => ({ url: 'http://console.cloud.vmware.com' }),
    input: 'url',
    says: /https/,
  },
  {
    name: 'plain http to a public host (vcd)',
    provider: 'vcd',
    inputs: () => ({ url: 'http://vcd.example.com/api' }),
    input: 'url',
    says: /https/,
  },
  { name: 'a url without a scheme', provider: 'csp', inputs: () => ({ url: 'console.cloud.vmware.com' }), input: 'url' },
  { name: 'a url without a host', provider: 'csp', inputs: () => ({ url: 'https://' }), input: 'url' },
  { name: 'a url with a space in the host', provider: 'vcd', inputs: () => ({ url: 'https://vcd example.com' }), input: 'url' },
  { name: 'an ftp url', provider: 'csp', inputs: ({ url }) => ({ url: url.replace('https:', 'ftp:') }), input: 'url' },
  {
    name: 'a url carrying a user name and password',
    provider: 'csp',
    inputs: ({ url }) => ({ url: url.replace('https://', `https://admin:${junkSecret}@`) }),
    input: 'url',
    says: /user name or password/,
    secrets: () => [junkSecret],
  },
  {
    name: 'a url carrying the token in its query',
    provider: 'vcd',
    inputs: ({ url, server }) => ({ url: `${url}/api?refresh_token=${(server as VcdEmulator).providerToken}` }),
    input: 'url',
    says: /query/,
  },
  {
    name: 'a portal url with a malformed percent-encoded org',
    provider: 'vcd',
    inputs: ({ url }) => ({ url: `${url}/tenant/%E0%A4%A/vdcs` }),
    input: 'url',
  },
  {
    name: 'a portal url whose /tenant/<org>/ is no valid org name',
    provider: 'vcd',
    inputs: ({ url }) => ({ url: `${url}/tenant/ac%20me/vdcs` }),
    input: 'url',
    says: /tenant/,
  },
  // org
  { name: 'csp org that is not a UUID', provider: 'csp', inputs: () => ({ org: 'my-org' }), input: 'org', says: /UUID/ },
  { name: 'csp org: a UUID with something after it', provider: 'csp', inputs: () => ({ org: `${UUID}/x` }), input: 'org' },
  { name: 'vcd org with a slash (path traversal)', provider: 'vcd', inputs: () => ({ org: 'acme/../../provider' }), input: 'org' },
  { name: "vcd org '..'", provider: 'vcd', inputs: () => ({ org: '..' }), input: 'org' },
  { name: 'vcd org with a space', provider: 'vcd', inputs: () => ({ org: 'ac me' }), input: 'org' },
  { name: 'vcd org with ? and #', provider: 'vcd', inputs: () => ({ org: 'acme?x=1#y' }), input: 'org' },
  { name: 'vcd org of 300 characters', provider: 'vcd', inputs: () => ({ org: 'a'.repeat(300) }), input: 'org' },
  // env-name: what the runner or a shell would reject, or what would change how later steps run
  { name: 'env-name starting with a digit', provider: 'csp', inputs: () => ({ 'env-name': '1TOKEN' }), input: 'env-name' },
  { name: 'env-name with a hyphen', provider: 'csp', inputs: () => ({ 'env-name': 'MY-TOKEN' }), input: 'env-name' },
  { name: 'env-name with =', provider: 'csp', inputs: () => ({ 'env-name': 'A=B' }), input: 'env-name' },
  { name: 'env-name with a space', provider: 'csp', inputs: () => ({ 'env-name': 'MY TOKEN' }), input: 'env-name' },
  { name: 'env-name with non-ASCII letters', provider: 'csp', inputs: () => ({ 'env-name': 'TÖKEN' }), input: 'env-name' },
  {
    name: 'env-name NODE_OPTIONS (any case)',
    provider: 'csp',
    inputs: () => ({ 'env-name': 'node_options' }),
    input: 'env-name',
    says: /reserved/,
  },
  { name: 'env-name GITHUB_TOKEN', provider: 'vcd', inputs: () => ({ 'env-name': 'GITHUB_TOKEN' }), input: 'env-name', says: /reserved/ },
  { name: 'env-name PATH', provider: 'csp', inputs: () => ({ 'env-name': 'PATH' }), input: 'env-name', says: /reserved/ },
  // numbers
  {
    name: 'timeout-seconds not a number',
    provider: 'csp',
    inputs: () => ({ 'timeout-seconds': 'abc' }),
    input: 'timeout-seconds',
    says: /1 to 600/,
  },
  { name: 'timeout-seconds 0', provider: 'csp', inputs: () => ({ 'timeout-seconds': '0' }), input: 'timeout-seconds' },
  { name: 'timeout-seconds 601', provider: 'vcd', inputs: () => ({ 'timeout-seconds': '601' }), input: 'timeout-seconds' },
  { name: 'timeout-seconds 1.5', provider: 'csp', inputs: () => ({ 'timeout-seconds': '1.5' }), input: 'timeout-seconds' },
  { name: 'timeout-seconds -1', provider: 'csp', inputs: () => ({ 'timeout-seconds': '-1' }), input: 'timeout-seconds' },
  { name: 'max-attempts 0', provider: 'csp', inputs: () => ({ 'max-attempts': '0' }), input: 'max-attempts', says: /1 to 10/ },
  { name: 'max-attempts 11', provider: 'vcd', inputs: () => ({ 'max-attempts': '11' }), input: 'max-attempts' },
  { name: 'max-attempts 1e1', provider: 'csp', inputs: () => ({ 'max-attempts': '1e1' }), input: 'max-attempts' },
  { name: 'max-attempts with 25 digits', provider: 'csp', inputs: () => ({ 'max-attempts': '9'.repeat(25) }), input: 'max-attempts' },
  { name: 'expiry-warning-days -1', provider: 'csp', inputs: () => ({ 'expiry-warning-days': '-1' }), input: 'expiry-warning-days' },
  { name: 'expiry-warning-days 3651', provider: 'csp', inputs: () => ({ 'expiry-warning-days': '3651' }), input: 'expiry-warning-days' },
  // booleans
  { name: "export-env 'yes'", provider: 'csp', inputs: () => ({ 'export-env': 'yes' }), input: 'export-env', says: /true or false/ },
  { name: "revoke '0'", provider: 'vcd', inputs: () => ({ revoke: '0' }), input: 'revoke', says: /true or false/ },
  // ca-certificate
  {
    name: 'ca-certificate that is not PEM',
    provider: 'vcd',
    inputs: () => ({ 'ca-certificate': 'not a certificate' }),
    input: 'ca-certificate',
    says: /PEM/,
  },
  {
    name: 'ca-certificate given as a file path',
    provider: 'vcd',
    inputs: () => ({ 'ca-certificate': '/etc/ssl/certs/corp-ca.pem' }),
    input: 'ca-certificate',
    says: /file path/,
  },
  {
    name: 'ca-certificate with a corrupted body',
    provider: 'vcd',
    inputs: ({ server }) => ({ 'ca-certificate': server.ca.replace(/\n[A-Za-z0-9+/]{20}/, '\n!!!!corrupted!!!!!!!') }),
    input: 'ca-certificate',
  },
  {
    name: 'ca-certificate holding a private key instead',
    provider: 'csp',
    inputs: () => ({ 'ca-certificate': PRIVATE_KEY_PEM }),
    input: 'ca-certificate',
    secrets: () => [PRIVATE_KEY_PEM.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '')],
  },
  // secrets that cannot be credentials
  {
    name: 'api-token with a space inside',
    provider: 'csp',
    inputs: ({ server }) => ({
      'api-token': `${(server as CspEmulator).apiToken.slice(0, 30)} ${(server as CspEmulator).apiToken.slice(30)}`,
    }),
    input: 'api-token',
    says: /not shown/,
    secrets: ({ server }) => [(server as CspEmulator).apiToken],
  },
  {
    name: 'api-token with a line break inside',
    provider: 'vcd',
    inputs: ({ server }) => ({
      'api-token': `${(server as VcdEmulator).providerToken.slice(0, 16)}\n${(server as VcdEmulator).providerToken.slice(16)}`,
    }),
    input: 'api-token',
    secrets: ({ server }) => [(server as VcdEmulator).providerToken],
  },
  {
    name: 'api-token with non-ASCII characters',
    provider: 'csp',
    inputs: () => ({ 'api-token': `${junkSecret}é€🔑${junkSecret}` }),
    input: 'api-token',
    secrets: () => [`${junkSecret}é€🔑${junkSecret}`],
  },
  {
    name: 'api-token of 10000 characters',
    provider: 'vcd',
    inputs: () => ({ 'api-token': `${junkSecret}${'k'.repeat(10_000)}` }),
    input: 'api-token',
    says: /8192/,
    secrets: () => [junkSecret],
  },
  {
    name: 'api-token of 7 characters',
    provider: 'csp',
    inputs: () => ({ 'api-token': 'Qz8Wx2R' }),
    input: 'api-token',
    says: /truncated/,
    secrets: () => ['Qz8Wx2R'],
  },
  {
    name: 'client-secret with a tab inside',
    provider: 'csp',
    inputs: ({ server }) => ({
      'api-token': undefined,
      'client-id': (server as CspEmulator).clientId,
      'client-secret': `${junkSecret}\t${junkSecret}`,
    }),
    input: 'client-secret',
    secrets: () => [junkSecret],
  },
  {
    name: 'client-id with a space inside',
    provider: 'csp',
    inputs: ({ server }) => ({ 'api-token': undefined, 'client-id': 'my app', 'client-secret': (server as CspEmulator).clientSecret }),
    input: 'client-id',
  },
]

async function start(provider: 'csp' | 'vcd', options: ConstructorParameters<typeof VcdEmulator>[0] = {}): Promise<Server> {
  return provider === 'csp' ? new CspEmulator(options).start() : new VcdEmulator(options).start()
}

function baseInputs(server: Server, url: string): Record<string, string> {
  const common = { url, 'ca-certificate': server.ca, 'timeout-seconds': '2', 'max-attempts': '2' }
  return server instanceof CspEmulator
    ? { ...common, 'api-token': server.apiToken, 'expiry-warning-days': '0' }
    : { ...common, provider: 'vcd', 'api-token': server.providerToken }
}

function job(inputs: Record<string, string | undefined>): Promise<JobResult> {
  return runJob({ inputs, debug: true, timeoutMs: 30_000 })
}

describe.concurrent(`rejected before any network call (${REJECTED.length} cases)`, () => {
  for (const testCase of REJECTED) {
    it(`${testCase.provider}: ${testCase.name}`, async () => {
      const server = await start(testCase.provider)
      const counter = await new RawServer({ forwardTo: server.port }).start()
      await using([counter, server], async () => {
        const context: Context<Server> = { server, url: counter.url, base: baseInputs(server, counter.url) }
        const inputs = { ...context.base, ...testCase.inputs(context) }
        const secrets = [...server.secrets(), ...(testCase.secrets?.(context) ?? [])]
        const result = await job(inputs)
        assertNoLeaks(result, secrets)
        const main = result.main

        expect(main.exitCode, main.log.join('\n')).toBe(1)
        // Exactly one error, and no command smuggled in through an input.
        expect(main.errors).toHaveLength(1)
        expect(main.warnings).toEqual([])
        const [message] = main.errors
        expect(message).toContain(`Input '${testCase.input}'`)
        if (testCase.says) expect(message).toMatch(testCase.says)
        expect(message.length, 'a short message, whatever the size of the input').toBeLessThan(600)
        for (const secret of secrets) expect(containsPiece(message, secret), `secret echoed: ${message}`).toBe(false)

        // Before any network call: not even a TCP connection.
        expect(counter.connections).toEqual([])
        expect(server.requests).toEqual([])
        expect(main.outputs).toEqual({})
        expect(main.env).toEqual({})

        const post = result.post!
        expect(post.exitCode).toBe(0)
        expect(post.errors).toEqual([])
        expect(post.warnings).toEqual([])
        expect(post.log.join('\n')).toMatch(/nothing to revoke/i)
      })
    })
  }
})

// ---------------------------------------------------------------------------------------------

interface AcceptCase {
  name: string
  provider: 'csp' | 'vcd' | 'csp-http'
  options?: ConstructorParameters<typeof VcdEmulator>[0]
  inputs: (server: Server, url: string) => Record<string, string | undefined>
  check: (result: JobResult, server: Server) => void | Promise<void>
}

const only = <T>(list: T[]): T => {
  expect(list).toHaveLength(1)
  return list[0]
}

const ACCEPTED: AcceptCase[] = [
  {
    name: 'api-token with surrounding spaces and line breaks is trimmed',
    provider: 'csp',
    inputs: (server) => ({ 'api-token': `  \n${(server as CspEmulator).apiToken}\n  \n` }),
    check: (_result, server) => expect(only(server.requestsTo('api-token')).form).toEqual({ api_token: (server as CspEmulator).apiToken }),
  },
  {
    name: 'vcd api-token with a trailing newline (a secret pasted from a file) is trimmed',
    provider: 'vcd',
    inputs: (server) => ({ 'api-token': `${(server as VcdEmulator).providerToken}\n` }),
    check: (_result, server) =>
      expect(only(server.requestsTo('token')).form).toEqual({
        grant_type: 'refresh_token',
        refresh_token: (server as VcdEmulator).providerToken,
      }),
  },
  {
    name: "provider 'CSP' in capitals",
    provider: 'csp',
    inputs: () => ({ provider: 'CSP' }),
    check: (_result, server) => expect(only(server.requestsTo('api-token')).path).toBe(CSP_API_TOKEN_PATH),
  },
  {
    name: "provider ' Vcd ' in mixed case with spaces",
    provider: 'vcd',
    inputs: () => ({ provider: ' Vcd ' }),
    check: (_result, server) => expect(only(server.requestsTo('token')).path).toBe(VCD_PROVIDER_TOKEN_PATH),
  },
  {
    name: 'provider empty: the csp default',
    provider: 'csp',
    inputs: () => ({ provider: '' }),
    check: (_result, server) => expect(only(server.requestsTo('api-token')).path).toBe(CSP_API_TOKEN_PATH),
  },
  {
    name: 'csp url with a trailing slash',
    provider: 'csp',
    inputs: (_server, url) => ({ url: `${url}/` }),
    check: (_result, server) => expect(only(server.requestsTo('api-token')).url).toBe(CSP_API_TOKEN_PATH),
  },
  {
    name: 'csp url of a console page (a path under /csp/ and a #fragment)',
    provider: 'csp',
    inputs: (_server, url) => ({ url: `${url}/csp/gateway/portal/#/consumer/usermgmt/my-account` }),
    check: (_result, server) => expect(only(server.requestsTo('api-token')).url).toBe(CSP_API_TOKEN_PATH),
  },
  {
    name: 'vcd url with a trailing slash',
    provider: 'vcd',
    inputs: (_server, url) => ({ url: `${url}/` }),
    check: (_result, server) => {
      expect(only(server.requestsTo('token')).url).toBe(VCD_PROVIDER_TOKEN_PATH)
      expect(only(server.requestsTo('versions')).url).toBe('/api/versions')
    },
  },
  {
    name: "vcd org 'system' in lower case: the provider endpoint",
    provider: 'vcd',
    inputs: () => ({ org: 'system' }),
    check: (result, server) => {
      expect(only(server.requestsTo('token')).path).toBe(VCD_PROVIDER_TOKEN_PATH)
      expect(result.main.outputs.org).toBe('System')
    },
  },
  {
    name: 'vcd /tenant/<org>/ portal url: the tenant endpoint, org from the url',
    provider: 'vcd',
    inputs: (server, url) => ({ url: `${url}/tenant/acme/vdcs/overview`, 'api-token': (server as VcdEmulator).tenantToken }),
    check: (result, server) => {
      expect(only(server.requestsTo('token')).path).toBe('/oauth/tenant/acme/token')
      expect(only(server.requestsTo('versions')).path).toBe('/api/versions')
      expect(result.main.outputs.org).toBe('acme')
    },
  },
  {
    name: 'vcd /provider/ portal url: the provider endpoint',
    provider: 'vcd',
    inputs: (_server, url) => ({ url: `${url}/provider/cloud/organizations` }),
    check: (_result, server) => expect(only(server.requestsTo('token')).path).toBe(VCD_PROVIDER_TOKEN_PATH),
  },
  {
    name: 'vcd API root url (/api/)',
    provider: 'vcd',
    inputs: (_server, url) => ({ url: `${url}/api/` }),
    check: (_result, server) => {
      expect(only(server.requestsTo('token')).path).toBe(VCD_PROVIDER_TOKEN_PATH)
      expect(only(server.requestsTo('versions')).path).toBe('/api/versions')
    },
  },
  {
    name: 'vcd CloudAPI url (/cloudapi/1.0.0/sessions)',
    provider: 'vcd',
    inputs: (_server, url) => ({ url: `${url}/cloudapi/1.0.0/sessions` }),
    check: (_result, server) => {
      expect(only(server.requestsTo('token')).path).toBe(VCD_PROVIDER_TOKEN_PATH)
      expect(server.requests.every((request) => !request.path.startsWith('/cloudapi/1.0.0/sessions/oauth'))).toBe(true)
    },
  },
  {
    name: 'vcd org with non-ASCII letters: kept as spelled, percent-encoded in the path',
    provider: 'vcd',
    options: { tenantOrgs: ['acme', 'Ünïcode-Org'] },
    inputs: (server) => ({ org: 'Ünïcode-Org', 'api-token': (server as VcdEmulator).addToken({ org: 'Ünïcode-Org', user: 'u-ops' }) }),
    check: (result, server) => {
      expect(only(server.requestsTo('token')).path).toBe(`/oauth/tenant/${encodeURIComponent('Ünïcode-Org')}/token`)
      expect(result.main.outputs.org).toBe('Ünïcode-Org')
      expect(result.main.outputs.subject).toBe('u-ops')
    },
  },
  {
    name: 'csp org as an upper-case UUID with an OAuth app: sent lower-case',
    provider: 'csp',
    inputs: (server) => ({
      'api-token': undefined,
      'client-id': (server as CspEmulator).clientId,
      'client-secret': (server as CspEmulator).clientSecret,
      org: (server as CspEmulator).org.toUpperCase(),
    }),
    check: (_result, server) => expect(only(server.requestsTo('oauth-app')).form?.orgId).toBe((server as CspEmulator).org),
  },
  {
    name: 'client-secret with a trailing newline is trimmed in the Basic header',
    provider: 'csp',
    inputs: (server) => ({
      'api-token': undefined,
      'client-id': (server as CspEmulator).clientId,
      'client-secret': `${(server as CspEmulator).clientSecret}\n`,
    }),
    check: (_result, server) => {
      const csp = server as CspEmulator
      expect(only(server.requestsTo('oauth-app')).headers.authorization).toBe(
        `Basic ${Buffer.from(`${csp.clientId}:${csp.clientSecret}`).toString('base64')}`,
      )
    },
  },
  {
    name: "booleans in any case: export-env 'FALSE', revoke 'True'",
    provider: 'vcd',
    inputs: () => ({ 'export-env': 'FALSE', revoke: 'True' }),
    check: (result, server) => {
      expect(result.main.env).toEqual({})
      expect(result.main.outputs['access-token']).toBeDefined()
      expect(only(server.requestsTo('logout')).status).toBe(204)
    },
  },
  {
    name: 'numbers with surrounding spaces and leading zeros',
    provider: 'csp',
    inputs: () => ({ 'timeout-seconds': ' 05 ', 'max-attempts': '03' }),
    check: (_result, server) => expect(server.requestsTo('api-token')).toHaveLength(1),
  },
  {
    name: 'env-name in lower case',
    provider: 'csp',
    inputs: () => ({ 'env-name': 'tsm_token' }),
    check: (result) => expect(Object.keys(result.main.env)).toEqual(['tsm_token']),
  },
  {
    name: 'plain http to 127.0.0.1 (loopback)',
    provider: 'csp-http',
    inputs: (_server, url) => ({ url, 'ca-certificate': undefined }),
    check: (_result, server) => expect(only(server.requestsTo('api-token')).form).toEqual({ api_token: (server as CspEmulator).apiToken }),
  },
  {
    name: 'plain http to localhost (loopback)',
    provider: 'csp-http',
    inputs: (server) => ({ url: server.urlFor('localhost'), 'ca-certificate': undefined }),
    check: (_result, server) => expect(server.requestsTo('api-token')).toHaveLength(1),
  },
  {
    name: 'ca-certificate with CRLF line ends, text around it, and an unrelated certificate first',
    provider: 'vcd',
    inputs: (server) => ({
      'ca-certificate': `Corporate bundle\r\n${makeCerts(['unrelated.example.test']).caCert.replace(/\n/g, '\r\n')}\r\n# ours:\r\n${server.ca.replace(/\n/g, '\r\n')}`,
    }),
    check: (_result, server) => expect(server.requestsTo('token')).toHaveLength(1),
  },
]

describe.concurrent(`accepted where a user would expect it (${ACCEPTED.length} cases)`, () => {
  for (const testCase of ACCEPTED) {
    it(`${testCase.provider}: ${testCase.name}`, async () => {
      const server =
        testCase.provider === 'csp-http' ? await new CspEmulator({ tls: 'none' }).start() : await start(testCase.provider, testCase.options)
      await using([server], async () => {
        const inputs = { ...baseInputs(server, server.url), ...testCase.inputs(server, server.url) }
        const result = await job(inputs)
        assertNoLeaks(result, server.secrets())
        expect(result.main.exitCode, result.log.join('\n')).toBe(0)
        expect(result.main.errors).toEqual([])
        expect(result.post!.exitCode).toBe(0)
        expect(result.post!.warnings).toEqual([])
        await testCase.check(result, server)
      })
    })
  }
})

describe('plain http to a name under .localhost', () => {
  // Only localhost itself is loopback for http: Node on Linux does not resolve *.localhost to
  // loopback (glibc asks DNS: here ENOTFOUND), so 'http://vcd.localhost' would go to whatever DNS
  // answers, with the credential in clear text. (Found by this suite; fixed in src/url.ts.)
  it('http://vcd.localhost is refused as Input url before any network call', async () => {
    const vcd = await new VcdEmulator().start()
    await using([vcd], async () => {
      const result = await job({ ...baseInputs(vcd, vcd.url), url: `http://vcd.localhost:${vcd.port}` })
      assertNoLeaks(result, vcd.secrets())
      expect(result.main.exitCode).toBe(1)
      expect(result.main.errors).toHaveLength(1)
      expect(result.main.errors[0]).toContain("Input 'url'")
      expect(result.main.errors[0]).toMatch(/https/)
      expect(vcd.requests).toEqual([])
      expect(result.main.debug.join('\n')).not.toMatch(/ENOTFOUND/)
    })
  })
})
