/**
 * Hostile and mistaken input, refused, end to end: the built action run as the runner runs it
 * (main, then post), table-driven. The step fails before any network call (the provider emulator
 * sits behind a TCP forwarder that counts connections: there must be none, and no request), with
 * one ::error:: that names the input ("Input '<name>'"), never holds a piece of any secret (the
 * raw message is checked, not only the masked log), and the post step has nothing to do. A secret
 * pasted into the wrong input is quoted whole (the runner masks it) or not at all.
 *
 * Every run is leak-scanned, with the hostile values themselves counted as secrets where they are.
 * What is accepted is in inputs-accepted.e2e.test.ts.
 */
import { describe, expect, it, vi } from 'vitest'
import { makeCerts } from './support/certs.ts'
import { CspEmulator } from './support/csp-emulator.ts'
import { expectFailed } from './support/faults.ts'
import { baseInputs, cspInputs, jobWithDebug, startEmulator, type Server } from './support/inputs.ts'
import { assertNoLeaks, containsPiece, runJob } from './support/runner.ts'
import { VcdEmulator } from './support/vcd-emulator.ts'
import { RawServer, using } from './support/tcp.ts'
import { shareEmulators } from './support/shared-emulators.ts'

vi.setConfig({ maxConcurrency: 8 })

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

describe.concurrent(`rejected before any network call (${REJECTED.length} cases)`, () => {
  for (const testCase of REJECTED) {
    it(`${testCase.provider}: ${testCase.name}`, async () => {
      const server = await startEmulator(testCase.provider)
      const counter = await new RawServer({ forwardTo: server.port }).start()
      await using([counter, server], async () => {
        const context: Context<Server> = { server, url: counter.url, base: baseInputs(server, counter.url) }
        const inputs = { ...context.base, ...testCase.inputs(context) }
        const secrets = [...server.secrets(), ...(testCase.secrets?.(context) ?? [])]
        const result = await jobWithDebug(inputs)
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

describe('plain http to a name under .localhost', () => {
  // Only localhost itself is loopback for http: Node on Linux does not resolve *.localhost to
  // loopback (glibc asks DNS: here ENOTFOUND), so 'http://vcd.localhost' would go to whatever DNS
  // answers, with the credential in clear text. (Found by this suite; fixed in src/url.ts.)
  it('http://vcd.localhost is refused as Input url before any network call', async () => {
    const vcd = await new VcdEmulator().start()
    await using([vcd], async () => {
      const result = await jobWithDebug({ ...baseInputs(vcd, vcd.url), url: `http://vcd.localhost:${vcd.port}` })
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

describe('a secret pasted into the wrong input', () => {
  let csp: CspEmulator
  shareEmulators(async () => [(csp = await new CspEmulator().start())])

  const INPUTS = ['org', 'provider', 'timeout-seconds', 'max-attempts', 'export-env', 'revoke', 'expiry-warning-days', 'env-name']

  for (const input of INPUTS) {
    it(`${input}: the message quotes it whole (masked by the runner) or not at all, never a piece`, async () => {
      // Secrets of the repository that the action does not know as such: another 65-character API
      // token (described by its length) and a 40-character secret (quoted whole).
      const secrets = [csp.addApiToken(), csp.clientSecret]
      for (const secret of secrets) {
        const job = await runJob({ inputs: cspInputs(csp, { [input]: secret }), runnerSecrets: secrets })
        assertNoLeaks(job, [...secrets, ...csp.secrets()])
        // An alphanumeric secret is a valid variable name: the token goes to a variable of that name.
        if (input === 'env-name' && job.main.exitCode === 0) continue
        expect(expectFailed(job.main, [])).toMatch(new RegExp(`^Input '${input}'`))
      }
      if (input !== 'env-name') expect(csp.requests).toEqual([])
    })
  }
})
