/** What a provider is to the core: everything about it lives in its own file behind this. */
import type { Config, Credential, CredentialKind, CredentialOf } from '../config.js'
import type { Log } from '../core.js'
import type { Send } from '../http/request.js'
import type { Secrets } from '../secrets.js'

export interface ExchangeContext<C extends Credential = Credential> {
  config: Config<C>
  send: Send
  secrets: Secrets
  log: Log
  /** Publishes a rotated refresh token the moment it arrives: the old one is already spent. */
  publishRefreshToken(token: string): void
  /**
   * Tells the core of a token the moment it exists, before any check that may still fail the step
   * (again, with more revokeData, as the exchange learns it). If the step fails before handing the
   * token on, the core ends it with one try: the post step will not know of it. It is masked here.
   */
  issued(token: IssuedToken): void
}

/** A token the exchange holds, and what revoke() needs to end it. */
export interface IssuedToken {
  accessToken: string
  revokeData?: Record<string, string>
}

export interface TokenResult {
  accessToken: string
  /** How later steps send it (the token-type output): "Bearer" whatever case the provider used, "OpsToken", "Session". */
  tokenType: string
  /** Seconds of lifetime from now; undefined for a session with no fixed lifetime (it ends at logout or when idle). */
  expiresIn?: number
  org: string
  subject: string
  /** Outputs only this provider has, with their values: each named in the provider's `outputs`. */
  outputs?: Record<string, string>
  /** Rows for the job summary after the standard ones: [name, value]. */
  summaryRows?: [string, string][]
  /** Warnings for the log and the job summary; the core prints them. */
  notices?: string[]
  /**
   * What revoke() needs besides the access token and the base URL, saved for the post step when
   * it will revoke; revoke() reads it back and must check it.
   */
  revokeData?: Record<string, string>
}

export interface RevokeContext {
  baseUrl: string
  accessToken: string
  /** The exchange's revokeData as the post step read it back: untrusted until checked. */
  data: Record<string, string>
  /** When the access token expires (ISO 8601 UTC; undefined: no fixed lifetime), for a revoke that leaves it valid. */
  expiresAt?: string
  send: Send
  /** For a secret of `data` (a refresh token): masked before anything can print it, as exchange() masked it. */
  secrets: Secrets
  log: Log
}

export interface ResolvedUrl {
  /** The root of the provider's paths. */
  baseUrl: string
  /** An org the address names ('' for none), checked as parseOrg checks the org input (a bad one throws InputError naming 'url'): used when the org input is empty. */
  orgFromUrl: string
}

/** What a kubeconfig for the token holds besides the token, which the core adds (src/kubeconfig.ts). */
export interface KubeconfigSpec {
  clusters: { name: string; server: string }[]
  /** The name of the one user: the access token as a bearer token. */
  user: string
  contexts: { name: string; cluster: string; user: string; namespace?: string }[]
  currentContext: string
}

/** A provider whose token is a Kubernetes credential: the kubeconfig and kube-namespace inputs work with it. */
export interface KubernetesSupport {
  /** kube-namespace checked ('' for none); throws InputError naming 'kube-namespace'. */
  parseNamespace(raw: string): string
  /** The clusters and contexts for the issued token, with any lookups they need (through context.send). */
  contexts(context: ExchangeContext, result: TokenResult): Promise<KubeconfigSpec>
}

interface ProviderBase<K extends CredentialKind> {
  /** The value of the provider input. */
  readonly name: string
  /** The provider as users call it, for messages and the summary. */
  readonly title: string
  /** The credentials it takes, the usual one first; the core refuses the inputs of any other kind. */
  readonly credentials: readonly [K, ...K[]]
  /** What its credentials are, for messages: "a Cloud Director API token or service-account refresh token". */
  readonly credentialHelp: string
  /** What auth-source means for it ("the Aria Operations authSource: ..."); without it, auth-source is refused. */
  readonly authSource?: string
  /** The outputs only it sets (each declared in action.yml). */
  readonly outputs?: readonly string[]
  /** Used when the url input is empty; without it, url is required. */
  readonly defaultUrl?: string
  readonly exampleUrl: string
  /** The root of the provider's paths in any address of it a user may paste, and an org it names. */
  resolveUrl(url: URL): ResolvedUrl
  /** The org input checked and normalised ('' for none); throws InputError naming 'org'. */
  parseOrg(raw: string): string
  /** Its credential is one of the kinds it lists: the core checked that before any request. */
  exchange(context: ExchangeContext<CredentialOf<K>>): Promise<TokenResult>
  /** Without it, kubeconfig: true and kube-namespace are refused. */
  readonly kubernetes?: KubernetesSupport
}

/** A provider that revokes the access token in the post step. */
interface RevokingProvider<K extends CredentialKind> extends ProviderBase<K> {
  /**
   * Revokes the token; returns one line saying what happened ("already gone" is success). Throws
   * when revoking failed (the post step warns), UntrustedStateError when `data` is not its own.
   * The main step also calls it, with one try, for a token it issued but could not hand on.
   */
  revoke(context: RevokeContext): Promise<string>
  /**
   * What revoke ends outlives the access token's expires-at (a refresh token; a token each use
   * extends): the post step revokes after that time too, where it would otherwise call it expired.
   */
  readonly revokeAfterExpiry?: boolean
  readonly cannotRevoke?: never
}

/** A provider whose access tokens cannot be revoked: the post step says so and sends nothing. */
interface NonRevokingProvider<K extends CredentialKind> extends ProviderBase<K> {
  readonly revoke?: never
  readonly revokeAfterExpiry?: never
  /** Why not, as a sentence: "CSP offers no way to revoke an access token". */
  readonly cannotRevoke: string
}

export type Provider<K extends CredentialKind = CredentialKind> = RevokingProvider<K> | NonRevokingProvider<K>
