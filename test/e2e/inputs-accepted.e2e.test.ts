/**
 * Mistaken but harmless input, accepted, end to end: the built action run as the runner runs it
 * (main, then post), table-driven. What a user would expect to work does (spaces and line breaks
 * around a token, a provider in capitals, a url of a console page, a CA bundle with text around
 * it, ...), the emulator received the right thing, and the post step has no warning.
 *
 * Every run is leak-scanned. What is refused is in inputs-rejected.e2e.test.ts.
 */
import { describe, expect, it, vi } from 'vitest'
import { makeCerts } from './support/certs.ts'
import { CSP_API_TOKEN_PATH, CspEmulator } from './support/csp-emulator.ts'
import { baseInputs, jobWithDebug, startEmulator, type Server } from './support/inputs.ts'
import { assertNoLeaks, type JobResult } from './support/runner.ts'
import { VCD_PROVIDER_TOKEN_PATH, VcdEmulator } from './support/vcd-emulator.ts'
import { using } from './support/tcp.ts'

vi.setConfig({ maxConcurrency: 8 })

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
        testCase.provider === 'csp-http'
          ? await new CspEmulator({ tls: 'none' }).start()
          : await startEmulator(testCase.provider, testCase.options)
      await using([server], async () => {
        const inputs = { ...baseInputs(server, server.url), ...testCase.inputs(server, server.url) }
        const result = await jobWithDebug(inputs)
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
