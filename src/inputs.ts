/**
 * Reads and validates every input into one typed Config before any network call. Every error
 * names the input and what is allowed; none repeats the value of a secret, and a value is quoted
 * whole or not at all. The chosen provider supplies its own url, org and credential rules.
 */
import { X509Certificate } from 'node:crypto'
import { CREDENTIAL_INPUTS, LIMITS, type Config, type Credential } from './config.js'
import type { ActionCore } from './core.js'
import { InputError } from './errors.js'
import { DEFAULT_PROVIDER, findProvider, PROVIDER_NAMES } from './providers/index.js'
import type { Provider } from './providers/types.js'
import type { Secrets } from './secrets.js'
import { quoteValue } from './text.js'
import { unsafeUrlReason } from './url.js'

export const DEFAULT_ENV_NAME = 'VMW_ACCESS_TOKEN'

/** What the runner accepts as a variable name in GITHUB_ENV. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
/**
 * Names that later steps' shells, runtimes, tools or the runner itself act on: setting one to a
 * token would change how they run (or fail them). Compared case-insensitively, as Windows does.
 */
const RESERVED_ENV_PREFIX =
  /^(GITHUB_|RUNNER_|ACTIONS_|STATE_|INPUT_|NODE_|NPM_CONFIG_|YARN_|LD_|DYLD_|BASH_FUNC_|GIT_|SSH_|SSL_|CURL_|OPENSSL_|PYTHON|PERL|RUBY|JAVA_|_JAVA_|JDK_|DOTNET_|COMPLUS_|CORECLR_|GCONV_|MALLOC_|GLIBC_|LC_|DOCKER_)/i
const RESERVED_ENV_NAME =
  /^(PATH|PATHEXT|HOME|USER|CI|SHELL|SHELLOPTS|BASHOPTS|BASH_ENV|ENV|IFS|CDPATH|GLOBIGNORE|PROMPT_COMMAND|PS[0-4]|TMPDIR|TEMP|TMP|LANG|LANGUAGE|TZ|TZDIR|TERM|TERMINFO|EDITOR|VISUAL|PAGER|LESS|LESSOPEN|LESSCLOSE|ZDOTDIR|INPUTRC|HISTFILE|CLASSPATH|MAVEN_OPTS|GRADLE_OPTS|SBT_OPTS|REQUESTS_CA_BUNDLE|LOCPATH|NLSPATH|HOSTALIASES|RESOLV_HOST_CONF|COMSPEC|PSMODULEPATH|\w*_PROXY)$/i
/** Printable ASCII without spaces: every credential the providers issue is of this alphabet. */
const CREDENTIAL_CHARS = /^[\x21-\x7e]+$/
const MAX_SECRET_LENGTH = 8192

/** Reads the secret inputs and masks them before anything else can run. */
export function readInputs(core: Pick<ActionCore, 'getInput'>, secrets: Secrets): Config {
  const apiToken = core.getInput('api-token')
  const clientSecret = core.getInput('client-secret')
  secrets.mask(apiToken)
  secrets.mask(clientSecret)

  const provider = parseProvider(core.getInput('provider'))
  const credential = parseCredential(provider, apiToken, core.getInput('client-id'), clientSecret)
  const { baseUrl, orgFromUrl } = parseUrl(provider, core.getInput('url'))
  const org = parseOrg(provider, core.getInput('org'), orgFromUrl)

  return {
    provider: provider.name,
    credential,
    baseUrl,
    org,
    envName: parseEnvName(core.getInput('env-name') || DEFAULT_ENV_NAME),
    exportEnv: parseBoolean('export-env', core.getInput('export-env'), true),
    revoke: parseBoolean('revoke', core.getInput('revoke'), true),
    caCertificates: parseCaCertificates(core.getInput('ca-certificate')),
    timeoutMs: parseInteger('timeout-seconds', core.getInput('timeout-seconds'), LIMITS.timeoutSeconds) * 1000,
    maxAttempts: parseInteger('max-attempts', core.getInput('max-attempts'), LIMITS.maxAttempts),
    expiryWarningDays: parseInteger('expiry-warning-days', core.getInput('expiry-warning-days'), LIMITS.expiryWarningDays),
  }
}

export function parseProvider(raw: string): Provider {
  const provider = findProvider((raw || DEFAULT_PROVIDER).toLowerCase())
  if (provider) return provider
  const allowed = PROVIDER_NAMES.map((name) => `${name} (${findProvider(name)?.title})`).join(', ')
  throw new InputError('provider', `${quoteValue(raw)} is not a provider this action knows. Allowed: ${allowed}.`)
}

function parseCredential(provider: Provider, apiToken: string, clientId: string, clientSecret: string): Credential {
  const usual = CREDENTIAL_INPUTS[provider.credentials[0]]
  const accepted = provider.credentials.map((kind) => CREDENTIAL_INPUTS[kind].join(' and ')).join(', or ')
  if (apiToken && (clientId || clientSecret)) {
    throw new InputError('api-token', `give either ${accepted}, not both.`)
  }
  if (clientId || clientSecret) {
    if (!provider.credentials.includes('oauth-app')) {
      throw new InputError(
        clientId ? 'client-id' : 'client-secret',
        `client-id and client-secret are not used by provider ${provider.name} (${provider.title}); it takes ${usual.join(' and ')}: ${provider.credentialHelp}.`,
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
  if (!apiToken || !provider.credentials.includes('api-token')) {
    throw new InputError(
      usual[0],
      `is required: ${provider.credentialHelp}. Pass it from a secret, e.g. api-token: \${{ secrets.${provider.name.toUpperCase().replace(/\W/g, '_')}_API_TOKEN }}.`,
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
    throw new InputError('url', 'must not contain a user name or password; credentials go in their own inputs, from secrets.')
  }
  if (url.search) {
    throw new InputError('url', 'must not have a query string (?...); credentials never go in a URL. Give the base address only.')
  }
  if (unsafeUrlReason(url)) {
    // The raw value, whole: URL lowercases the host, a form of a secret that no mask would match.
    throw new InputError(
      'url',
      `must use https:// (got ${quoteValue(raw)}); plain http is allowed only for loopback hosts (localhost, 127.0.0.0/8, [::1]).`,
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
    if (error instanceof InputError) throw new InputError('url', `names an organization that is not valid: it ${error.detail}`)
    throw error
  }
}

function parseEnvName(raw: string): string {
  if (!ENV_NAME.test(raw) || raw.length > 256) {
    throw new InputError(
      'env-name',
      `${quoteValue(raw)} is not a valid environment variable name: letters, digits and _, not starting with a digit, at most 256.`,
    )
  }
  if (RESERVED_ENV_PREFIX.test(raw) || RESERVED_ENV_NAME.test(raw)) {
    throw new InputError(
      'env-name',
      `${quoteValue(raw)} is reserved: the runner, or the shells and tools of later steps, act on it. Choose another name, e.g. ${DEFAULT_ENV_NAME}.`,
    )
  }
  return raw
}

export function parseBoolean(input: string, raw: string, fallback: boolean): boolean {
  if (raw === '') return fallback
  if (/^true$/i.test(raw)) return true
  if (/^false$/i.test(raw)) return false
  throw new InputError(input, `${quoteValue(raw)} is not a boolean. Allowed: true or false.`)
}

export function parseInteger(input: string, raw: string, bounds: { min: number; max: number; fallback: number }): number {
  if (raw === '') return bounds.fallback
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < bounds.min || Number(raw) > bounds.max) {
    throw new InputError(input, `${quoteValue(raw)} is not allowed: a whole number from ${bounds.min} to ${bounds.max}.`)
  }
  return Number(raw)
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
