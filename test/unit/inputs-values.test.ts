/** The inputs that are not about the provider: env-name, booleans, numbers, ca-certificate. */
import { describe, expect, it } from 'vitest'
import { InputError } from '../../src/errors.ts'
import { parseBoolean, parseCaCertificates, parseInteger } from '../../src/inputs.ts'
import { testCaPem } from './helpers.ts'
import { csp, failure, ok } from './inputs-support.ts'

describe('readInputs: env-name', () => {
  it('defaults to VMW_ACCESS_TOKEN and takes a valid name', async () => {
    expect((await ok(csp())).envName).toBe('VMW_ACCESS_TOKEN')
    expect((await ok(csp({ 'env-name': 'TMC_TOKEN' }))).envName).toBe('TMC_TOKEN')
    expect((await ok(csp({ 'env-name': '_x1' }))).envName).toBe('_x1')
    expect((await ok(csp({ 'env-name': 'MY_PATH' }))).envName).toBe('MY_PATH')
    // Names the tools users feed the token to read: not reserved.
    for (const name of ['VCD_TOKEN', 'VCD_API_TOKEN', 'TF_VAR_vcd_token', 'TMC_API_TOKEN', 'VRA_REFRESH_TOKEN', 'CSP_AUTH_TOKEN']) {
      expect((await ok(csp({ 'env-name': name }))).envName).toBe(name)
    }
  })

  it.each(['1TOKEN', 'MY-TOKEN', 'MY TOKEN', 'TOKEN=1', 'TÖKEN', 'T'.repeat(257)])('refuses the invalid name %j', async (name) => {
    const error = await failure(csp({ 'env-name': name }))
    expect(error.input).toBe('env-name')
    expect(error.message).toContain('is not a valid environment variable name')
  })

  it.each([
    'GITHUB_TOKEN',
    'github_token',
    'GITHUB_ENV',
    'RUNNER_TEMP',
    'ACTIONS_RUNTIME_TOKEN',
    'NODE_OPTIONS',
    'NODE_EXTRA_CA_CERTS',
    'LD_PRELOAD',
    'BASH_ENV',
    'PATH',
    'path',
    'CI',
    'HOME',
    // What later steps' shells and runtimes execute or obey (the adversarial review's list, and kin).
    'PROMPT_COMMAND',
    'PS4',
    'SHELLOPTS',
    'BASHOPTS',
    'JAVA_TOOL_OPTIONS',
    '_JAVA_OPTIONS',
    'JDK_JAVA_OPTIONS',
    'PERL5OPT',
    'PERL5LIB',
    'RUBYOPT',
    'PYTHONPATH',
    'PYTHONSTARTUP',
    'GIT_SSH_COMMAND',
    'GIT_CONFIG_GLOBAL',
    'https_proxy',
    'HTTPS_PROXY',
    'NO_PROXY',
    'all_proxy',
    'SSL_CERT_FILE',
    'CURL_CA_BUNDLE',
    'REQUESTS_CA_BUNDLE',
    'GCONV_PATH',
    'DOTNET_STARTUP_HOOKS',
    'STATE_token',
    'INPUT_API-TOKEN'.replace('-', '_'),
    'BASH_FUNC_x',
    'IFS',
    'EDITOR',
    'NPM_CONFIG_USERCONFIG',
    // Windows runners: the system's, PowerShell's and Git Bash's own.
    'SystemRoot',
    'APPDATA',
    'USERPROFILE',
    'PSExecutionPolicyPreference',
    'POWERSHELL_TELEMETRY_OPTOUT',
    'MSYS_NO_PATHCONV',
    'ProgramFiles',
    // Where kubectl reads its configuration: kubeconfig: true sets it to the file's path.
    'KUBECONFIG',
  ])('refuses the reserved name %s', async (name) => {
    const error = await failure(csp({ 'env-name': name }))
    expect(error.input).toBe('env-name')
    expect(error.message).toContain('is reserved')
  })
})

describe('readInputs: booleans and integers', () => {
  it('reads export-env and revoke in any case', async () => {
    const config = await ok(csp({ 'export-env': 'FALSE', revoke: 'False' }))
    expect(config.exportEnv).toBe(false)
    expect(config.revoke).toBe(false)
    expect(await ok(csp({ 'export-env': 'True', revoke: 'TRUE' }))).toMatchObject({ exportEnv: true, revoke: true })
  })

  it.each(['export-env', 'revoke'])('refuses a non-boolean %s', async (input) => {
    const error = await failure(csp({ [input]: 'yes' }))
    expect(error.input).toBe(input)
    expect(error.message).toContain("'yes' is not a boolean. Allowed: true or false.")
  })

  it('parseBoolean', () => {
    expect(parseBoolean('x', '', true)).toBe(true)
    expect(parseBoolean('x', '', false)).toBe(false)
    expect(parseBoolean('x', 'tRuE', false)).toBe(true)
    for (const raw of ['1', '0', 'on', 'off', 'no', 'true ', 'truee']) expect(() => parseBoolean('x', raw, true), raw).toThrow(InputError)
  })

  it('reads the numbers, timeout in milliseconds', async () => {
    const config = await ok(csp({ 'timeout-seconds': '600', 'max-attempts': '10', 'expiry-warning-days': '0' }))
    expect(config).toMatchObject({ timeoutMs: 600_000, maxAttempts: 10, expiryWarningDays: 0 })
    expect(await ok(csp({ 'timeout-seconds': '1', 'max-attempts': '1', 'expiry-warning-days': '3650' }))).toMatchObject({
      timeoutMs: 1000,
      maxAttempts: 1,
      expiryWarningDays: 3650,
    })
  })

  it.each([
    ['timeout-seconds', '0', 'from 1 to 600'],
    ['timeout-seconds', '601', 'from 1 to 600'],
    ['timeout-seconds', '1.5', 'from 1 to 600'],
    ['timeout-seconds', '30s', 'from 1 to 600'],
    ['max-attempts', '0', 'from 1 to 10'],
    ['max-attempts', '11', 'from 1 to 10'],
    ['max-attempts', '-1', 'from 1 to 10'],
    ['max-attempts', '+3', 'from 1 to 10'],
    ['expiry-warning-days', '3651', 'from 0 to 3650'],
    ['expiry-warning-days', '1e2', 'from 0 to 3650'],
    ['expiry-warning-days', 'thirty', 'from 0 to 3650'],
  ])('refuses %s %j', async (input, raw, range) => {
    const error = await failure(csp({ [input]: raw }))
    expect(error.input).toBe(input)
    expect(error.message).toBe(`Input '${input}': '${raw}' is not allowed: a whole number ${range}.`)
  })

  it('parseInteger', () => {
    const bounds = { fallback: 7, min: 1, max: 10 }
    expect(parseInteger('n', '', bounds)).toBe(7)
    expect(parseInteger('n', '010', bounds)).toBe(10)
    expect(() => parseInteger('n', '99999999999999999999', bounds)).toThrow(/from 1 to 10/)
  })
})

describe('readInputs: ca-certificate', () => {
  it('takes PEM text, one or more certificates, ignoring text around them', async () => {
    const pem = testCaPem()
    const one = (await ok(csp({ 'ca-certificate': pem }))).caCertificates
    expect(one).toHaveLength(1)
    expect(one[0]).toContain('-----BEGIN CERTIFICATE-----')
    const two = parseCaCertificates(`subject=CN = test\n${pem}\nissuer=...\n${pem}`)
    expect(two).toHaveLength(2)
  })

  it('is empty when not given', () => {
    expect(parseCaCertificates('')).toEqual([])
  })

  it('refuses text without a PEM block', async () => {
    const error = await failure(csp({ 'ca-certificate': 'garbage\nmore garbage' }))
    expect(error.input).toBe('ca-certificate')
    expect(error.message).toContain('must be PEM text')
    expect(error.message).not.toContain('file path')
  })

  it.each(['/etc/ssl/certs/my-ca.pem', 'certs\\ca.crt', 'ca.cer', 'ca.PEM'])('says %s looks like a file path', async (raw) => {
    const error = await failure(csp({ 'ca-certificate': raw }))
    expect(error.input).toBe('ca-certificate')
    expect(error.message).toContain('looks like a file path')
  })

  it('gives no file-path hint for a certificate pasted without its PEM armour', async () => {
    const base64 = testCaPem()
      .replace(/-----[A-Z ]+-----/g, '')
      .replace(/\s+/g, '')
    // Base64 holds slashes, the very thing a path hint would look for; make sure this one does.
    const pasted = base64.includes('/') ? base64 : `${base64.slice(0, 10)}/${base64.slice(10)}`
    const error = await failure(csp({ 'ca-certificate': pasted }))
    expect(error.input).toBe('ca-certificate')
    expect(error.message).not.toContain('file path')
  })

  it('refuses a broken block, saying which one', async () => {
    const pem = testCaPem()
    const broken = '-----BEGIN CERTIFICATE-----\nTm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----'
    const alone = await failure(csp({ 'ca-certificate': broken }))
    expect(alone.input).toBe('ca-certificate')
    expect(alone.message).toContain('certificate 1 of 1 is not a valid PEM certificate')
    const truncated = pem.replace(/(-----BEGIN CERTIFICATE-----\n)[\s\S]{40}/, '$1')
    expect(() => parseCaCertificates(`${pem}\n${truncated}`)).toThrow('certificate 2 of 2 is not a valid PEM certificate')
  })
})
