import { describe, expect, it } from 'vitest'
import { InputError } from '../../src/errors.ts'
import { parseProvider } from '../../src/inputs.ts'
import { describeError, Secrets } from '../../src/secrets.ts'
import { leakedPieces } from './fake-core.ts'
import { defaultConfig, ORG_ID, secretToken, upperToken } from './helpers.ts'
import { csp, failure, ok, read, vcd } from './inputs-support.ts'

describe('readInputs: defaults', () => {
  it('gives the documented defaults for a CSP API token', async () => {
    const token = secretToken(65)
    expect(await ok({ 'api-token': token })).toEqual(defaultConfig(token))
  })

  it('masks api-token and client-secret before reading any other input', async () => {
    const [token, secret] = [secretToken(65), secretToken(40)]
    const { core, error } = await read({ provider: 'nonsense', 'api-token': token, 'client-secret': secret })
    expect(error?.input).toBe('provider')
    expect(core.inputsRead.slice(0, 2)).toEqual(['api-token', 'client-secret'])
    expect(core.commands.slice(0, 2)).toEqual([
      { kind: 'setSecret', name: '', value: token },
      { kind: 'setSecret', name: '', value: secret },
    ])
  })

  it('trims the secrets as @actions/core does, and masks the trimmed value', async () => {
    const token = secretToken(65)
    const { config, masked } = await read({ 'api-token': `  ${token}\n` })
    expect(config?.credential).toEqual({ kind: 'api-token', token })
    expect(masked).toEqual([token])
  })
})

describe('readInputs: provider', () => {
  it.each([
    ['', 'csp'],
    ['csp', 'csp'],
    ['CSP', 'csp'],
    [' Vcd ', 'vcd'],
  ])('%j -> %s', async (raw, expected) => {
    const inputs = expected === 'vcd' ? vcd({ provider: raw }) : csp({ provider: raw })
    expect((await ok(inputs)).provider).toBe(expected)
  })

  it('refuses an unknown provider, naming the allowed values', async () => {
    const error = await failure(csp({ provider: 'aws' }))
    expect(error.input).toBe('provider')
    expect(error.message).toMatch(/^Input 'provider': 'aws' is not a provider/)
    expect(error.message).toMatch(
      /Allowed: csp \(VMware Cloud Services\), vcd \(VMware Cloud Director\), vcfa \(VCF Automation\), aria-automation \(VMware Aria Automation\), vcenter \(VMware vCenter\), aria-operations \(VMware Aria Operations\), sddc-manager \(VMware SDDC Manager\), supervisor \(vSphere Supervisor\)\.$/,
    )
  })

  // The runner masks a secret only as a whole value: a cut piece of one pasted here would show.
  it('describes a long provider value by its length instead of quoting a piece of it', async () => {
    const error = await failure(csp({ provider: 'x'.repeat(500) }))
    expect(error.message).toContain('a value of 500 characters (not shown)')
    expect(error.message).not.toContain('xxxxxxxx')
  })

  it.each(['org', 'provider', 'timeout-seconds', 'max-attempts', 'export-env', 'revoke', 'expiry-warning-days', 'env-name'])(
    'quotes a secret pasted into %s whole or not at all, never cut',
    async (input) => {
      for (const pasted of [secretToken(40), secretToken(65), `${secretToken(30)}\n${secretToken(30)}`]) {
        const error = await failure(csp({ [input]: pasted }))
        expect(error.input).toBe(input)
        const quotedWhole = error.message.includes(`'${pasted}'`)
        expect(quotedWhole || leakedPieces(error.message, pasted, 4).length === 0, error.message).toBe(true)
      }
    },
  )

  it('parseProvider alone', async () => {
    expect((await parseProvider('')).name).toBe('csp')
    expect((await parseProvider('VCD')).name).toBe('vcd')
    await expect(parseProvider('vcd2')).rejects.toThrow(InputError)
  })
})

describe('readInputs: credentials', () => {
  it('takes an OAuth app (client-id and client-secret)', async () => {
    const secret = secretToken(40)
    const { config, masked } = await read({ 'client-id': 'my-app-id', 'client-secret': secret })
    expect(config?.credential).toEqual({ kind: 'oauth-app', clientId: 'my-app-id', clientSecret: secret })
    expect(masked).toEqual([secret])
  })

  it.each([
    ['api-token and client-id', { 'client-id': 'app' }],
    ['api-token and client-secret', { 'client-secret': secretToken(40) }],
    ['all three', { 'client-id': 'app', 'client-secret': secretToken(40) }],
  ])('refuses a mix: %s', async (_name, extra) => {
    const { error, masked } = await read(csp(extra))
    expect(error?.input).toBe('api-token')
    expect(error?.message).toMatch(/either api-token, or client-id and client-secret/)
    // Both secrets were masked before the refusal.
    expect(masked).toHaveLength('client-secret' in extra ? 2 : 1)
  })

  it('refuses client-secret without client-id, masking the secret first', async () => {
    const secret = secretToken(40)
    const { error, masked } = await read({ 'client-secret': secret })
    expect(error?.input).toBe('client-id')
    expect(error?.message).toContain('is required when client-secret is given')
    expect(error?.message).not.toContain(secret)
    expect(masked).toEqual([secret])
  })

  it('refuses client-id without client-secret', async () => {
    const error = await failure({ 'client-id': 'app' })
    expect(error.input).toBe('client-secret')
    expect(error.message).toContain('is required when client-id is given')
  })

  it('refuses OAuth app inputs for vcd, naming the input given', async () => {
    const withId = await failure({ provider: 'vcd', url: 'https://vcd.example.com', 'client-id': 'app', 'client-secret': secretToken() })
    expect(withId.input).toBe('client-id')
    expect(withId.message).toContain('not used by provider vcd (VMware Cloud Director), which takes api-token')
    const secretOnly = await failure({ provider: 'vcd', url: 'https://vcd.example.com', 'client-secret': secretToken() })
    expect(secretOnly.input).toBe('client-secret')
  })

  it('requires a credential, with advice per provider', async () => {
    const forCsp = await failure({})
    expect(forCsp.input).toBe('api-token')
    expect(forCsp.message).toContain('client-id and client-secret')
    expect(forCsp.message).toContain('secrets.CSP_API_TOKEN')
    const forVcd = await failure({ provider: 'vcd', url: 'https://vcd.example.com' })
    expect(forVcd.input).toBe('api-token')
    expect(forVcd.message).toContain('Cloud Director API token')
    expect(forVcd.message).not.toContain('client-id')
  })

  it('refuses a client-id with spaces or over 256 characters', async () => {
    expect((await failure({ 'client-id': 'my app', 'client-secret': secretToken() })).input).toBe('client-id')
    expect((await failure({ 'client-id': 'a'.repeat(257), 'client-secret': secretToken() })).input).toBe('client-id')
    expect((await ok({ 'client-id': 'a'.repeat(256), 'client-secret': secretToken() })).credential.kind).toBe('oauth-app')
  })

  describe.each(['api-token', 'client-secret'] as const)('the text of %s', (input) => {
    const inputsWith = (value: string): Record<string, string> =>
      input === 'api-token' ? { 'api-token': value } : { 'client-id': 'app', 'client-secret': value }

    /** `original`: the made-up credential `value` was spoiled from, whose 4-character pieces are all unusual. */
    async function refused(value: string, pattern: RegExp, original = value): Promise<void> {
      const { error, masked } = await read(inputsWith(value))
      expect(error?.input).toBe(input)
      expect(error?.message).toMatch(pattern)
      // The value is never echoed, not even a piece of it.
      expect(leakedPieces(error?.message ?? '', original, 4)).toEqual([])
      if (value.trim().length >= 4) expect(masked).toContain(value.trim())
    }

    it('refuses a short value (empty or truncated secret), saying how long it is', async () => {
      await refused('Ab1~xYz', /is only 7 characters long/)
      await refused('Q~7', /is only 3 characters long/)
      expect((await ok(inputsWith('Ab1~xYz9'))).provider).toBe('csp')
    })

    it('refuses a value over 8192 characters, accepts 8192', async () => {
      await refused(secretToken(8193), /is 8193 characters long; at most 8192/)
      expect((await ok(inputsWith(secretToken(8192)))).provider).toBe('csp')
    })

    it.each([
      ['a space', (s: string) => `${s.slice(0, 20)} ${s.slice(20)}`],
      ['a line break', (s: string) => `${s.slice(0, 20)}\n${s.slice(20)}`],
      ['a tab', (s: string) => `${s.slice(0, 20)}\t${s.slice(20)}`],
      ['non-ASCII letters', (s: string) => `${s.slice(0, 20)}é${s.slice(20)}`],
      ['a zero-width space', (s: string) => `${s.slice(0, 20)}\u200b${s.slice(20)}`],
      ['an emoji', (s: string) => `${s}🔑`],
    ])('refuses a value with %s inside, without showing it', async (_name, spoil) => {
      const original = secretToken(48)
      await refused(spoil(original), /contains spaces, line breaks or non-ASCII characters/, original)
    })
  })
})

describe('readInputs: url', () => {
  const cspUrl = async (url: string) => (await ok(csp({ url }))).baseUrl
  const vcdUrl = async (url: string) => await ok(vcd({ url }))

  it('defaults to console.cloud.vmware.com for csp', async () => {
    expect(await cspUrl('')).toBe('https://console.cloud.vmware.com')
  })

  it('requires url for vcd', async () => {
    const error = await failure({ provider: 'vcd', 'api-token': secretToken() })
    expect(error.input).toBe('url')
    expect(error.message).toContain('is required for provider vcd')
  })

  it.each([
    ['https://console.tanzu.broadcom.com/', 'https://console.tanzu.broadcom.com'],
    ['https://console.cloud.vmware.com/csp/gateway/portal/#/consumer/services', 'https://console.cloud.vmware.com'],
    ['https://console.cloud.vmware.com/csp/gateway/am/api/auth/api-tokens/authorize', 'https://console.cloud.vmware.com'],
    ['https://gateway.example.com/vmware/csp/gateway/discovery', 'https://gateway.example.com/vmware'],
    ['https://gateway.example.com/vmware/', 'https://gateway.example.com/vmware'],
    ['https://console-stg.cloud.vmware.com:8443', 'https://console-stg.cloud.vmware.com:8443'],
    ['HTTPS://Console.Cloud.VMware.com', 'https://console.cloud.vmware.com'],
  ])('csp %s -> %s', async (url, expected) => {
    expect(await cspUrl(url)).toBe(expected)
  })

  it.each([
    ['http://localhost:8080', 'http://localhost:8080'],
    ['http://127.0.0.1:9000/', 'http://127.0.0.1:9000'],
    ['http://127.0.0.5:9000', 'http://127.0.0.5:9000'],
    ['http://[::1]:8443/', 'http://[::1]:8443'],
  ])('allows plain http for the loopback host of %s', async (url, expected) => {
    expect(await cspUrl(url)).toBe(expected)
    expect((await vcdUrl(url)).baseUrl).toBe(expected)
  })

  it.each([
    'http://vcd.example.com',
    'http://128.0.0.1',
    'http://127.evil.example',
    'http://10.0.0.1:8080',
    'ftp://localhost/',
    'http://vcd.localhost',
  ])('refuses %s: https only, except loopback', async (url) => {
    const error = await failure(vcd({ url }))
    expect(error.input).toBe('url')
    expect(error.message).toContain('must use https://')
    expect(error.message).toContain('loopback')
  })

  it('quotes a refused url whole as given, never its host lowercased by URL', async () => {
    const mixedCase = 'HTTP://VCD.Example.COM:8443/Tenant/Acme'
    const error = await failure(vcd({ url: mixedCase }))
    expect(error.message).toContain(`(got '${mixedCase}')`)
    expect(error.message.toLowerCase().split('vcd.example.com')).toHaveLength(2)
    const long = `http://vcd.example.com/${'a'.repeat(80)}`
    expect((await failure(vcd({ url: long }))).message).toContain(`(got a value of ${long.length} characters (not shown))`)
  })

  it.each(['http', 'ftp'])('a token pasted into the host of a %s url: the printed error hides every piece of it', async (scheme) => {
    const token = upperToken(40)
    const { error, masked } = await read({ provider: 'vcd', url: `${scheme}://${token}.example.com`, 'api-token': token })
    const secrets = new Secrets(() => {})
    for (const value of masked) secrets.mask(value)
    const printed = describeError(error, secrets)
    expect(printed).toMatch(/^Input 'url': must use https:\/\/ \(got '[a-z]+:\/\/\*\*\*\.example\.com'\)/)
    expect(leakedPieces(printed.toLowerCase(), token.toLowerCase(), 8)).toEqual([])
  })

  it('refuses a user name and password without echoing them', async () => {
    const password = secretToken(24)
    for (const url of [`https://alice:${password}@vcd.example.com/api`, `http://alice:${password}@localhost`]) {
      const error = await failure(vcd({ url }))
      expect(error.input).toBe('url')
      expect(error.message).toContain('must not contain a user name or password')
      expect(error.message).not.toContain('alice')
      expect(leakedPieces(error.message, password, 4)).toEqual([])
    }
    expect((await failure(vcd({ url: 'https://alice@vcd.example.com' }))).message).not.toContain('alice')
  })

  it('refuses a query string without echoing it', async () => {
    const token = secretToken(40)
    const error = await failure(
      csp({ url: `https://console.cloud.vmware.com/csp/gateway/am/api/auth/api-tokens/authorize?api_token=${token}` }),
    )
    expect(error.input).toBe('url')
    expect(error.message).toContain('must not have a query string')
    expect(leakedPieces(error.message, token, 4)).toEqual([])
  })

  it('refuses something that is not an absolute URL, with an example for the provider', async () => {
    const forVcd = await failure(vcd({ url: 'vcd.example.com/api' }))
    expect(forVcd.input).toBe('url')
    expect(forVcd.message).toContain('is not an absolute URL')
    expect(forVcd.message).toContain('https://vcd.example.com')
    expect(forVcd.message).not.toContain('/api')
    const forCsp = await failure(csp({ url: 'not a url' }))
    expect(forCsp.message).toContain('https://console.cloud.vmware.com')
    expect(forCsp.message).not.toContain('not a url')
  })

  it.each([
    ['https://vcd.example.com', 'https://vcd.example.com', ''],
    ['https://vcd.example.com/', 'https://vcd.example.com', ''],
    ['https://vcd.example.com/api', 'https://vcd.example.com', ''],
    ['https://vcd.example.com/api/', 'https://vcd.example.com', ''],
    ['https://vcd.example.com/API/versions', 'https://vcd.example.com', ''],
    ['https://vcd.example.com:8443/cloudapi/1.0.0/sessions', 'https://vcd.example.com:8443', ''],
    ['https://vcd.example.com/provider', 'https://vcd.example.com', ''],
    ['https://vcd.example.com/provider/cloud/organizations', 'https://vcd.example.com', ''],
    ['https://vcd.example.com/tenant/acme', 'https://vcd.example.com', 'acme'],
    ['https://vcd.example.com/tenant/Acme-Corp/vdcs/list', 'https://vcd.example.com', 'Acme-Corp'],
    ['https://vcd.example.com/tenant/acme/#/vdcs', 'https://vcd.example.com', 'acme'],
    ['https://vcd.example.com/tenant/%C3%A9quipe/', 'https://vcd.example.com', 'équipe'],
    ['https://vcd.example.com/tenant/System/', 'https://vcd.example.com', ''],
    ['https://vcd.example.com/tenant/', 'https://vcd.example.com', ''],
    ['https://vcd.example.com/oauth/tenant/acme/token', 'https://vcd.example.com', 'acme'],
    ['https://vcd.example.com/oauth/provider/token', 'https://vcd.example.com', ''],
    ['https://cloud.example.com/vcd/api', 'https://cloud.example.com/vcd', ''],
    ['https://cloud.example.com/vcd', 'https://cloud.example.com/vcd', ''],
    ['https://cloud.example.com/vcd/tenant/acme/', 'https://cloud.example.com/vcd', 'acme'],
    ['https://api.example.com/api', 'https://api.example.com', ''],
    ['https://api.example.com', 'https://api.example.com', ''],
    ['https://api.api.example.com/apix/api', 'https://api.api.example.com/apix', ''],
  ])('vcd %s -> %s, org %j', async (url, baseUrl, org) => {
    const config = await vcdUrl(url)
    expect(config.baseUrl).toBe(baseUrl)
    expect(config.org).toBe(org)
  })

  it('prefers the org input over the org in a /tenant/ address', async () => {
    expect((await vcdUrl('https://vcd.example.com/tenant/acme')).org).toBe('acme')
    expect((await ok(vcd({ url: 'https://vcd.example.com/tenant/acme', org: 'other' }))).org).toBe('other')
    expect((await ok(vcd({ url: 'https://vcd.example.com/tenant/acme', org: 'system' }))).org).toBe('')
  })

  it('refuses a malformed percent-encoding of the org in a /tenant/ address', async () => {
    const error = await failure(vcd({ url: 'https://vcd.example.com/tenant/%E0%A4%A/vdcs' }))
    expect(error.input).toBe('url')
    expect(error.message).toContain('malformed organization name')
  })

  it('checks an org taken from the address like the org input, and blames the address', async () => {
    const error = await failure(vcd({ url: 'https://vcd.example.com/tenant/my%20org/' }))
    expect(error.input).toBe('url')
    expect(error.message).toContain('organization name')
  })
})

describe('readInputs: vcfa', () => {
  const vcfa = (extra: Record<string, string> = {}) =>
    ok({ provider: 'vcfa', 'api-token': secretToken(32), url: 'https://vcfa.example.com', ...extra })

  it.each([
    ['https://vcfa.example.com/', ''],
    ['https://vcfa.example.com/tm/oauth/tenant/acme/token', 'acme'],
    ['https://vcfa.example.com/TM/', ''],
    ['https://vcfa.example.com/automation/#/tenant/other', ''],
    ['https://vcfa.example.com/provider/organizations', ''],
    ['https://vcfa.example.com/tenant/Acme-Corp/projects', 'Acme-Corp'],
    ['https://vcfa.example.com/cci/kubernetes', ''],
    ['https://vcfa.example.com/api/versions', ''],
  ])('%s: the root, org %j', async (url, org) => {
    expect(await vcfa({ url })).toMatchObject({ provider: 'vcfa', baseUrl: 'https://vcfa.example.com', org })
  })

  it('org: System in any case is the provider org; a name is kept as spelled; the input wins over the url', async () => {
    expect((await vcfa({ org: 'SYSTEM' })).org).toBe('')
    expect((await vcfa({ org: 'Globex', url: 'https://vcfa.example.com/tenant/acme' })).org).toBe('Globex')
    expect((await failure({ provider: 'vcfa', 'api-token': secretToken(32), url: 'https://vcfa.example.com', org: 'a b' })).input).toBe(
      'org',
    )
  })

  it('needs url and api-token; client-id is not for it', async () => {
    expect((await failure({ provider: 'vcfa', 'api-token': secretToken(32) })).message).toBe(
      "Input 'url': is required for provider vcfa: the VCF Automation address, e.g. https://vcfa.example.com.",
    )
    expect((await failure({ provider: 'vcfa', url: 'https://vcfa.example.com' })).message).toContain(
      'a VCF Automation API token or service-account',
    )
    expect(
      (await failure({ provider: 'vcfa', url: 'https://vcfa.example.com', 'client-id': 'x', 'client-secret': secretToken(20) })).input,
    ).toBe('client-id')
  })
})

describe('readInputs: org', () => {
  it('takes a CSP org ID in lower case', async () => {
    expect((await ok(csp({ org: ORG_ID.toUpperCase() }))).org).toBe(ORG_ID)
  })

  it.each(['acme', `${ORG_ID}x`, ORG_ID.replace(/-/g, ''), `{${ORG_ID}}`])('refuses %j as a CSP org ID', async (org) => {
    const error = await failure(csp({ org }))
    expect(error.input).toBe('org')
    expect(error.message).toContain('is not a CSP org ID')
    expect(error.message).toContain('UUID')
  })

  it.each(['System', 'system', 'SYSTEM', 'sYsTeM'])('vcd %s is the provider org', async (org) => {
    expect((await ok(vcd({ org }))).org).toBe('')
  })

  it.each(['Acme', 'acme-corp', 'ACME_42', 'équipe', 'a%b'])('vcd org %s is kept as spelled', async (org) => {
    expect((await ok(vcd({ org }))).org).toBe(org)
  })

  it.each(['a b', 'a/b', 'a\\b', 'a?b', 'a#b', '.', '..', 'a\u0000b', 'a\u007fb', 'x'.repeat(257)])('refuses vcd org %j', async (org) => {
    const error = await failure(vcd({ org }))
    expect(error.input).toBe('org')
    expect(error.message).toContain('must be an organization name')
  })
})

describe('readInputs: aria-automation', () => {
  const aria = (extra: Record<string, string>) => ({ provider: 'aria-automation', 'api-token': secretToken(32), ...extra })

  it.each([
    ['https://aria.example.com/automation-ui/#/service-broker-ui', 'https://aria.example.com'],
    ['https://ARIA.example.com:8443/iaas/api', 'https://aria.example.com:8443'],
  ])('takes the root of %s: %s', async (url, baseUrl) => {
    expect(await ok(aria({ url }))).toMatchObject({ provider: 'aria-automation', baseUrl, org: '' })
  })

  it('requires url and api-token, refuses org, client-id and client-secret', async () => {
    const url = 'https://aria.example.com'
    expect((await failure(aria({}))).message).toBe(
      `Input 'url': is required for provider aria-automation: the VMware Aria Automation address, e.g. ${url}.`,
    )
    const token = await failure(aria({ url, 'api-token': '' }))
    expect(token.message).toMatch(
      /^Input 'api-token': is required \(or username and password instead\): an Aria Automation API token .*secrets\.ARIA_AUTOMATION_API_TOKEN/,
    )
    for (const org of ['acme', ORG_ID])
      expect((await failure(aria({ url, org }))).message).toMatch(/^Input 'org': is not used by provider aria-automation: /)
    const oauthInputs: Record<string, string>[] = [
      { 'client-id': 'app', 'client-secret': secretToken() },
      { 'client-secret': secretToken() },
    ]
    for (const extra of oauthInputs) {
      expect((await failure({ ...aria({ url, ...extra }), 'api-token': '' })).message).toMatch(
        /^Input 'client-(id|secret)': client-id and client-secret are not used by provider aria-automation \(VMware Aria Automation\), which takes api-token, or username and password/,
      )
    }
  })
})

describe('readInputs: vcenter', () => {
  const password = secretToken(24)
  const vc = (extra: Record<string, string>) => ({ provider: 'vcenter', username: 'ci-bot@vsphere.local', password, ...extra })

  it.each([
    ['https://vcenter.example.com/ui/app/home', 'https://vcenter.example.com'],
    ['https://VCENTER.example.com:8443/api/', 'https://vcenter.example.com:8443'],
    ['https://vcenter.example.com/rest', 'https://vcenter.example.com'],
    ['https://vcenter.example.com/sdk', 'https://vcenter.example.com'],
  ])('takes the root of %s: %s, with the password masked first', async (url, baseUrl) => {
    const { config, masked } = await read(vc({ url }))
    expect(config).toMatchObject({ provider: 'vcenter', baseUrl, org: '', authSource: '' })
    expect(config?.credential).toEqual({ kind: 'password', username: 'ci-bot@vsphere.local', password })
    expect(masked[0]).toBe(password)
  })

  it.each([
    ['spaces at either end, which may be part of it', ` ${password} `, ` ${password} `],
    ['a line break a stored secret ends with', `${password}\n`, password],
    ['line breaks at both ends, spaces inside them kept', `\r\n ${password}\r\n`, ` ${password}`],
  ])('keeps the password as given: %s', async (_, given, sent) => {
    const { config, masked } = await read(vc({ url: 'https://vcenter.example.com', password: given }))
    expect(config?.credential).toEqual({ kind: 'password', username: 'ci-bot@vsphere.local', password: sent })
    // Masked without its spaces, which hides the password in any form it is printed.
    expect(masked[0]).toBe(password)
  })

  it('requires url and both credential inputs; refuses org, auth-source and api-token', async () => {
    const url = 'https://vcenter.example.com'
    expect((await failure(vc({}))).message).toBe(`Input 'url': is required for provider vcenter: the VMware vCenter address, e.g. ${url}.`)
    expect((await failure(vc({ url, password: '' }))).message).toBe(
      "Input 'password': is required when username is given (the user's password).",
    )
    const none = await failure(vc({ url, username: '', password: '' }))
    expect(none.message).toMatch(
      /^Input 'username': is required with password: a vCenter user's name with its domain .*vars\.VCENTER_USERNAME .*secrets\.VCENTER_PASSWORD/,
    )
    expect((await failure(vc({ url, org: 'acme' }))).message).toMatch(/^Input 'org': is not used by provider vcenter: /)
    expect((await failure(vc({ url, 'auth-source': 'vsphere.local' }))).message).toBe(
      "Input 'auth-source': is not used by provider vcenter (VMware vCenter). Remove auth-source.",
    )
    const token = await failure(vc({ url, 'api-token': secretToken(32), username: '', password: '' }))
    expect(token.message).toMatch(
      /^Input 'api-token': api-token is not used by provider vcenter \(VMware vCenter\), which takes username and password/,
    )
  })
})
