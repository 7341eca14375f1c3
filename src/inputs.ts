/**
 * Reads and validates every input into one typed Config before any network call. Every error
 * names the input and what is allowed; none repeats the value of a secret, and a value is quoted
 * whole or not at all. The chosen provider supplies its own url, org and credential rules.
 */
import { X509Certificate } from 'node:crypto'
import { CREDENTIAL_INPUTS, LIMITS, type Config, type Credential, type CredentialKind } from './config.js'
import type { ActionCore } from './core.js'
import { InputError } from './errors.js'
import { DEFAULT_PROVIDER, loadAllProviders, loadProvider } from './providers/index.js'
import type { Provider } from './providers/types.js'
import type { Secrets } from './secrets.js'
import { quoteValue } from './text.js'
import { unsafeUrlReason } from './url.js'

export const DEFAULT_ENV_NAME = 'VMW_ACCESS_TOKEN'

/** What the runner accepts as a variable name in GITHUB_ENV. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
/**
 * Names that later steps' shells, runtimes, tools or the runner itself act on: setting one to a
 * token would change how they run (or fail them). Compared case-insensitively, as Windows does;
 * Windows' own (SYSTEMROOT, APPDATA, ...), PowerShell's and Git Bash's (MSYS*) are among them.
 */
const RESERVED_ENV_PREFIX =
  /^(GITHUB_|RUNNER_|ACTIONS_|STATE_|INPUT_|NODE_|NPM_CONFIG_|YARN_|LD_|DYLD_|BASH_FUNC_|GIT_|SSH_|SSL_|CURL_|OPENSSL_|PYTHON|PERL|RUBY|JAVA_|_JAVA_|JDK_|DOTNET_|COMPLUS_|CORECLR_|GCONV_|MALLOC_|GLIBC_|LC_|DOCKER_|POWERSHELL_|MSYS|MINGW|COMMONPROGRAM|PROGRAMFILES)/i
const RESERVED_ENV_NAME =
  /^(PATH|PATHEXT|HOME|USER|CI|SHELL|SHELLOPTS|BASHOPTS|BASH_ENV|ENV|IFS|CDPATH|GLOBIGNORE|PROMPT_COMMAND|PS[0-4]|TMPDIR|TEMP|TMP|LANG|LANGUAGE|TZ|TZDIR|TERM|TERMINFO|EDITOR|VISUAL|PAGER|LESS|LESSOPEN|LESSCLOSE|ZDOTDIR|INPUTRC|HISTFILE|CLASSPATH|MAVEN_OPTS|GRADLE_OPTS|SBT_OPTS|REQUESTS_CA_BUNDLE|LOCPATH|NLSPATH|HOSTALIASES|RESOLV_HOST_CONF|COMSPEC|PSMODULEPATH|PSEXECUTIONPOLICYPREFERENCE|SYSTEMROOT|SYSTEMDRIVE|WINDIR|USERPROFILE|APPDATA|LOCALAPPDATA|PROGRAMDATA|ALLUSERSPROFILE|CHERE_INVOKING|KUBECONFIG|\w*_PROXY)$/i
/** Printable ASCII without spaces: every credential the providers issue is of this alphabet. */
const CREDENTIAL_CHARS = /^[\x21-\x7e]+$/
const MAX_SECRET_LENGTH = 8192

/** The inputs that carry a secret: masked before any other input is read. */
const SECRET_INPUTS = ['api-token', 'client-secret', 'password'] as const

/** What each credential input is, for "is required when ... is given". */
const CREDENTIAL_INPUT_MEANING: Record<string, string> = {
  'api-token': 'the API token',
  'client-id': 'the OAuth app ID',
  'client-secret': 'the OAuth app secret',
  username: "the user's name",
  password: "the user's password",
}

/** Reads the secret inputs and masks them before anything else can run. */
export async function readInputs(core: Pick<ActionCore, 'getInput'>, secrets: Secrets): Promise<{ config: Config; provider: Provider }> {
  const given: Record<string, string> = {}
  for (const input of SECRET_INPUTS) {
    given[input] = input === 'password' ? passwordAsGiven(core.getInput(input, { trimWhitespace: false })) : core.getInput(input)
    secrets.mask(given[input])
  }

  const provider = await parseProvider(core.getInput('provider'))
  for (const input of ['client-id', 'username']) given[input] = core.getInput(input)
  const credential = parseCredential(provider, given)
  const authSource = parseAuthSource(provider, credential, core.getInput('auth-source'))
  const { baseUrl, orgFromUrl } = parseUrl(provider, core.getInput('url'))
  const org = parseOrg(provider, core.getInput('org'), orgFromUrl)
  const kubeconfig = parseBoolean('kubeconfig', core.getInput('kubeconfig'), false)
  const kubeNamespace = await parseKubeNamespace(provider, kubeconfig, core.getInput('kube-namespace'))

  const config: Config = {
    provider: provider.name,
    credential,
    authSource,
    baseUrl,
    org,
    envName: parseEnvName(core.getInput('env-name') || DEFAULT_ENV_NAME),
    exportEnv: parseBoolean('export-env', core.getInput('export-env'), true),
    revoke: parseBoolean('revoke', core.getInput('revoke'), true),
    caCertificates: parseCaCertificates(core.getInput('ca-certificate')),
    timeoutMs: parseInteger('timeout-seconds', core.getInput('timeout-seconds'), LIMITS.timeoutSeconds) * 1000,
    maxAttempts: parseInteger('max-attempts', core.getInput('max-attempts'), LIMITS.maxAttempts),
    expiryWarningDays: parseInteger('expiry-warning-days', core.getInput('expiry-warning-days'), LIMITS.expiryWarningDays),
    kubeconfig,
    kubeNamespace,
  }
  return { config, provider }
}

export async function parseProvider(raw: string): Promise<Provider> {
  const provider = await loadProvider((raw || DEFAULT_PROVIDER).toLowerCase())
  if (provider) return provider
  const allowed = (await loadAllProviders()).map((known) => `${known.name} (${known.title})`).join(', ')
  throw new InputError('provider', `${quoteValue(raw)} is not a provider this action knows. Allowed: ${allowed}.`)
}

/** "api-token, or username and password": the kinds a provider takes, by their inputs. */
function describeKinds(kinds: readonly CredentialKind[]): string {
  return kinds.map((kind) => CREDENTIAL_INPUTS[kind].join(' and ')).join(', or ')
}

/**
 * The one credential the inputs give, of a kind the provider takes. Every message about a missing,
 * foreign or mixed credential comes from the provider's list of kinds, so a new provider words none.
 */
export function parseCredential(provider: Provider, given: Record<string, string>): Credential {
  const kindsGiven = ALL_KINDS.filter((kind) => CREDENTIAL_INPUTS[kind].some((input) => given[input]))
  const foreign = kindsGiven.find((kind) => !(provider.credentials as readonly CredentialKind[]).includes(kind))
  if (foreign) {
    const inputs = CREDENTIAL_INPUTS[foreign]
    const input = inputs.find((name) => given[name]) ?? inputs[0]
    throw new InputError(
      input,
      `${inputs.join(' and ')} ${inputs.length > 1 ? 'are' : 'is'} not used by provider ${provider.name} (${provider.title}), ` +
        `which takes ${describeKinds(provider.credentials)}: ${provider.credentialHelp}.`,
    )
  }
  if (kindsGiven.length > 1) {
    const names = kindsGiven.flatMap((kind) => CREDENTIAL_INPUTS[kind].filter((input) => given[input]))
    throw new InputError(
      CREDENTIAL_INPUTS[kindsGiven[0]][0],
      `give either ${describeKinds(provider.credentials)}, not both (${names.join(', ')} are set). ` +
        'Remove the inputs of the credential you do not mean to use.',
    )
  }
  const kind = kindsGiven[0]
  if (!kind) {
    const [usual, ...others] = provider.credentials
    const [first, ...rest] = CREDENTIAL_INPUTS[usual]
    const instead = others.length ? ` (or ${describeKinds(others)} instead)` : ''
    throw new InputError(
      first,
      `is required${rest.length ? ` with ${rest.join(' and ')}` : ''}${instead}: ${provider.credentialHelp}. ` +
        `Pass it from a secret, e.g. ${exampleOf(provider)}.`,
    )
  }
  const inputs = CREDENTIAL_INPUTS[kind]
  const missing = inputs.find((input) => !given[input])
  if (missing) {
    const present = inputs.filter((input) => given[input]).join(' and ')
    throw new InputError(missing, `is required when ${present} is given (${CREDENTIAL_INPUT_MEANING[missing]}).`)
  }
  switch (kind) {
    case 'api-token':
      checkCredentialText('api-token', given['api-token'])
      return { kind, token: given['api-token'] }
    case 'oauth-app':
      checkCredentialText('client-secret', given['client-secret'])
      if (!CREDENTIAL_CHARS.test(given['client-id']) || given['client-id'].length > 256) {
        throw new InputError('client-id', 'must be the OAuth app ID: printable characters without spaces, at most 256.')
      }
      return { kind, clientId: given['client-id'], clientSecret: given['client-secret'] }
    case 'password':
      checkUsername(given.username)
      checkPassword(given.password)
      return { kind, username: given.username, password: given.password }
  }
}

const ALL_KINDS = Object.keys(CREDENTIAL_INPUTS) as CredentialKind[]

/** How a workflow passes the provider's usual credential, for the "is required" message. */
function exampleOf(provider: Provider): string {
  const prefix = provider.name.toUpperCase().replace(/\W/g, '_')
  switch (provider.credentials[0]) {
    case 'api-token':
      return `api-token: \${{ secrets.${prefix}_API_TOKEN }}`
    case 'oauth-app':
      return `client-id: \${{ vars.${prefix}_CLIENT_ID }} and client-secret: \${{ secrets.${prefix}_CLIENT_SECRET }}`
    case 'password':
      return `username: \${{ vars.${prefix}_USERNAME }} and password: \${{ secrets.${prefix}_PASSWORD }}`
  }
}

/**
 * A user name as identity sources write it (user@domain, DOMAIN\\user): printable, one line. No colon:
 * HTTP Basic cannot carry one in the user part (RFC 7617, section 2).
 */
function checkUsername(value: string): void {
  if (value.length > 256 || !/^[^\p{Cc}:]+$/u.test(value)) {
    throw new InputError(
      'username',
      `${quoteValue(value)} is not a user name: printable characters on one line, no colon, at most 256 (e.g. user@vsphere.local or DOMAIN\\user).`,
    )
  }
}

/**
 * A password is sent as given: a space at either end may be part of it. Only the line breaks a
 * secret stored from a file or `echo` ends with are dropped (no password holds one).
 */
function passwordAsGiven(raw: string): string {
  let end = raw.length
  while (end > 0 && (raw[end - 1] === '\n' || raw[end - 1] === '\r')) end--
  let start = 0
  while (start < end && (raw[start] === '\n' || raw[start] === '\r')) start++
  return raw.slice(start, end)
}

/** Any characters a password may hold, on one line; never echoed. */
function checkPassword(value: string): void {
  if (value.length > 1024) throw new InputError('password', `is ${value.length} characters long; at most 1024 are allowed.`)
  if (/\p{Cc}/u.test(value)) {
    throw new InputError(
      'password',
      'contains a line break or another control character inside it. Copy the password again. (The value is not shown because it is secret.)',
    )
  }
}

/** The identity source for a provider that takes one, with a password only. */
function parseAuthSource(provider: Provider, credential: Credential, raw: string): string {
  if (!raw) return ''
  if (!provider.authSource) {
    throw new InputError('auth-source', `is not used by provider ${provider.name} (${provider.title}). Remove auth-source.`)
  }
  if (credential.kind !== 'password') {
    throw new InputError(
      'auth-source',
      `goes with username and password (it is ${provider.authSource}); remove it, or log in with a password.`,
    )
  }
  if (raw.length > 256 || /\p{Cc}/u.test(raw)) {
    throw new InputError('auth-source', `${quoteValue(raw)} is not an identity source name: printable characters on one line, at most 256.`)
  }
  return raw
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

/** The org input, or else the one the address names (resolveUrl checked it and blames the url). */
function parseOrg(provider: Provider, raw: string, fromUrl: string): string {
  return raw ? provider.parseOrg(raw) : fromUrl
}

/** kube-namespace, for a provider that writes kubeconfigs and with kubeconfig: true only. */
async function parseKubeNamespace(provider: Provider, kubeconfig: boolean, raw: string): Promise<string> {
  if ((kubeconfig || raw) && !provider.kubernetes) {
    const able = (await loadAllProviders())
      .filter((known) => known.kubernetes)
      .map((known) => known.name)
      .join(', ')
    throw new InputError(
      kubeconfig ? 'kubeconfig' : 'kube-namespace',
      `is not used by provider ${provider.name} (${provider.title}): its token is no Kubernetes credential. Providers that write a kubeconfig: ${able}.`,
    )
  }
  if (raw && !kubeconfig) {
    throw new InputError(
      'kube-namespace',
      'goes with kubeconfig: true (it names the namespace of the kubeconfig written); set both, or remove kube-namespace.',
    )
  }
  return provider.kubernetes && raw ? provider.kubernetes.parseNamespace(raw) : ''
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
