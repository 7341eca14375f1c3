/**
 * Reads and validates every input into one typed Config before any network call. Every error
 * names the input and what is allowed; none repeats the value of a secret.
 */
import { X509Certificate } from 'node:crypto'
import type { ActionCore } from './core.js'
import { InputError } from './errors.js'
import { isProviderName, PROVIDER_NAMES, providerFor, type ProviderName } from './providers/index.js'
import type { Provider } from './providers/types.js'
import type { Secrets } from './secrets.js'
import { isLoopback } from './url.js'

export { InputError } from './errors.js'
export { isLoopback } from './url.js'
export { CSP_DEFAULT_URL } from './providers/csp.js'
export type { ProviderName } from './providers/index.js'

export type Credential = { kind: 'api-token'; token: string } | { kind: 'oauth-app'; clientId: string; clientSecret: string }

export interface Config {
  provider: ProviderName
  credential: Credential
  /** Root the provider's paths hang off: scheme, host, port and any real path prefix; no trailing slash. */
  baseUrl: string
  /** CSP: org ID (lower case) or ''. VCD: organization name as the user spelled it, '' for the provider org. */
  org: string
  envName: string
  exportEnv: boolean
  revoke: boolean
  /** PEM blocks to trust besides the default CAs. */
  caCertificates: string[]
  timeoutMs: number
  maxAttempts: number
  expiryWarningDays: number
}

/** What the runner accepts as a variable name in GITHUB_ENV, less the names it refuses to set. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const RESERVED_ENV = /^(GITHUB_|RUNNER_|ACTIONS_|NODE_|LD_|DYLD_)|^(PATH|HOME|CI|SHELL|BASH_ENV|ENV|IFS|TMPDIR)$/i
/** Printable ASCII without spaces: every CSP and VCD credential is of this alphabet. */
const CREDENTIAL_CHARS = /^[\x21-\x7e]+$/
const MAX_SECRET_LENGTH = 8192

/** Reads the secret inputs and masks them before anything else can run. */
export function readInputs(core: ActionCore, secrets: Secrets): Config {
  const apiToken = core.getInput('api-token')
  const clientSecret = core.getInput('client-secret')
  secrets.mask(apiToken)
  secrets.mask(clientSecret)

  const providerName = parseProvider(core.getInput('provider'))
  const provider = providerFor(providerName)
  const clientId = core.getInput('client-id')
  const credential = parseCredential(provider, apiToken, clientId, clientSecret)
  const { baseUrl, orgFromUrl } = parseUrl(provider, core.getInput('url'))
  const org = parseOrg(provider, core.getInput('org'), orgFromUrl)

  return {
    provider: providerName,
    credential,
    baseUrl,
    org,
    envName: parseEnvName(core.getInput('env-name') || 'VMW_ACCESS_TOKEN'),
    exportEnv: parseBoolean('export-env', core.getInput('export-env'), true),
    revoke: parseBoolean('revoke', core.getInput('revoke'), true),
    caCertificates: parseCaCertificates(core.getInput('ca-certificate')),
    timeoutMs: parseInteger('timeout-seconds', core.getInput('timeout-seconds'), 30, 1, 600) * 1000,
    maxAttempts: parseInteger('max-attempts', core.getInput('max-attempts'), 4, 1, 10),
    expiryWarningDays: parseInteger('expiry-warning-days', core.getInput('expiry-warning-days'), 30, 0, 3650),
  }
}

export function parseProvider(raw: string): ProviderName {
  const value = (raw || 'csp').toLowerCase()
  if (isProviderName(value)) return value
  const allowed = PROVIDER_NAMES.map((name) => `${name} (${providerFor(name).title})`).join(', ')
  throw new InputError('provider', `${quote(raw)} is not a provider this action knows. Allowed: ${allowed}.`)
}

function parseCredential(provider: Provider, apiToken: string, clientId: string, clientSecret: string): Credential {
  if (apiToken && (clientId || clientSecret)) {
    throw new InputError('api-token', 'give either api-token, or client-id and client-secret (a CSP OAuth app), not both.')
  }
  if (clientId || clientSecret) {
    if (!provider.acceptsOAuthApp) {
      throw new InputError(
        clientId ? 'client-id' : 'client-secret',
        `client-id and client-secret are for OAuth apps of provider csp. ${provider.title} takes api-token: ${provider.credentialHelp}.`,
      )
    }
    if (!clientId) throw new InputError('client-id', 'is required when client-secret is given (the OAuth app ID).')
    if (!clientSecret) throw new InputError('client-secret', 'is required when client-id is given (the OAuth app secret).')
    checkCredentialText('client-secret', clientSecret)
    if (!CREDENTIAL_CHARS.test(clientId) || clientId.length > 256) {
      throw new InputError('client-id', 'must be the OAuth app ID: printable characters without spaces, at most 256.')
    }
    return { kind: 'oauth-app', clientId, clientSecret }
  }
  if (!apiToken) {
    throw new InputError(
      'api-token',
      `is required: ${provider.credentialHelp}. Pass it from a secret, e.g. api-token: \${{ secrets.${provider.name.toUpperCase()}_API_TOKEN }}.`,
    )
  }
  checkCredentialText('api-token', apiToken)
  return { kind: 'api-token', token: apiToken }
}

/** Surrounding white space is already trimmed; what is left must look like a credential. */
function checkCredentialText(input: string, value: string): void {
  if (value.length > MAX_SECRET_LENGTH) {
    throw new InputError(input, `is ${value.length} characters long; at most ${MAX_SECRET_LENGTH} are allowed.`)
  }
  if (value.length < 8) {
    throw new InputError(
      input,
      `is only ${value.length} characters long; a real credential has many more. Is the secret empty or truncated?`,
    )
  }
  if (!CREDENTIAL_CHARS.test(value)) {
    throw new InputError(
      input,
      'contains spaces, line breaks or non-ASCII characters inside it. Copy the credential again: ' +
        'it is one word of printable ASCII characters. (The value is not shown because it is secret.)',
    )
  }
}

function parseUrl(provider: Provider, raw: string): { baseUrl: string; orgFromUrl: string } {
  if (!raw) {
    if (provider.defaultUrl) return { baseUrl: provider.defaultUrl, orgFromUrl: '' }
    throw new InputError('url', `is required for provider ${provider.name}: the ${provider.title} address, e.g. ${provider.exampleUrl}.`)
  }
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    // Not echoed: a malformed URL may still carry a password.
    throw new InputError('url', `is not an absolute URL. Give e.g. ${provider.exampleUrl}.`)
  }
  if (url.username || url.password) {
    // Not echoed: the user part is a credential.
    throw new InputError('url', 'must not contain a user name or password; credentials go in api-token or client-id/client-secret.')
  }
  if (url.search) {
    throw new InputError('url', 'must not have a query string (?...); credentials never go in a URL. Give the base address only.')
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new InputError(
      'url',
      `must use https:// (got ${url.protocol}//${url.host}); plain http is allowed only for loopback hosts (localhost, 127.0.0.0/8, [::1]).`,
    )
  }
  return provider.resolveUrl(url)
}

function parseOrg(provider: Provider, raw: string, fromUrl: string): string {
  if (raw || !fromUrl) return provider.parseOrg(raw)
  try {
    return provider.parseOrg(fromUrl)
  } catch (error) {
    // The user never typed org: blame the address it came from.
    if (error instanceof InputError)
      throw new InputError('url', `names an organization (after /tenant/) that is not valid. Its name ${error.detail}`)
    throw error
  }
}

function parseEnvName(raw: string): string {
  if (!ENV_NAME.test(raw) || raw.length > 256) {
    throw new InputError(
      'env-name',
      `${quote(raw)} is not a valid environment variable name: letters, digits and _, not starting with a digit, at most 256.`,
    )
  }
  if (RESERVED_ENV.test(raw)) {
    throw new InputError(
      'env-name',
      `${quote(raw)} is reserved by the runner or would change how later steps run; choose another name, e.g. VMW_ACCESS_TOKEN.`,
    )
  }
  return raw
}

export function parseBoolean(input: string, raw: string, fallback: boolean): boolean {
  if (raw === '') return fallback
  if (/^true$/i.test(raw)) return true
  if (/^false$/i.test(raw)) return false
  throw new InputError(input, `${quote(raw)} is not a boolean. Allowed: true or false.`)
}

export function parseInteger(input: string, raw: string, fallback: number, min: number, max: number): number {
  if (raw === '') return fallback
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new InputError(input, `${quote(raw)} is not allowed: a whole number from ${min} to ${max}.`)
  }
  return Number(raw)
}

/** A non-secret value, quoted for a message and cut short: inputs can be arbitrarily long. */
function quote(raw: string): string {
  return `'${raw.length > 60 ? `${raw.slice(0, 60)}...` : raw}'`
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

export function parseCaCertificates(raw: string): string[] {
  if (!raw) return []
  const blocks = raw.match(PEM_BLOCK) ?? []
  if (blocks.length === 0) {
    const looksLikePath = /^(\/|\.{1,2}\/|~\/|[A-Za-z]:\\)\S*$|^\S+\.(pem|crt|cer)$/i.test(raw)
    throw new InputError(
      'ca-certificate',
      'must be PEM text: one or more -----BEGIN CERTIFICATE----- blocks' +
        (looksLikePath ? ". It looks like a file path: pass the file's contents instead, e.g. from a secret or a variable." : '.'),
    )
  }
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block).toString()
    } catch {
      throw new InputError('ca-certificate', `certificate ${index + 1} of ${blocks.length} is not a valid PEM certificate.`)
    }
  })
}
