/** What a provider is to the core: everything about it lives in its own file behind this. */
import type { Config, CredentialKind } from '../config.js'
import type { Log } from '../core.js'
import type { Send } from '../http/request.js'
import type { Secrets } from '../secrets.js'

export interface ExchangeContext {
  config: Config
  send: Send
  secrets: Secrets
  log: Log
  /** Publishes a rotated refresh token the moment it arrives: the old one is already spent. */
  publishRefreshToken(token: string): void
}

export interface TokenResult {
  accessToken: string
  /** Normalised: "Bearer" whatever case the provider used. */
  tokenType: string
  /** Seconds of lifetime from now. */
  expiresIn: number
  org: string
  subject: string
  /** Outputs only this provider has (each declared in action.yml), with their values. */
  outputs?: Record<string, string>
  /** Rows for the job summary after the standard ones: [name, value]. */
  summaryRows?: [string, string][]
  /** Warnings already printed, repeated in the job summary. */
  notices?: string[]
  /**
   * What revoke() needs besides the access token and the base URL, saved for the post step when
   * revoke is true; revoke() reads it back and must check it.
   */
  revokeData?: Record<string, string>
}

export interface RevokeContext {
  baseUrl: string
  accessToken: string
  /** The exchange's revokeData as the post step read it back: untrusted until checked. */
  data: Record<string, string>
  send: Send
  log: Log
}

export interface ResolvedUrl {
  /** The root of the provider's paths. */
  baseUrl: string
  /** An org the address names ('' for none): used when the org input is empty. */
  orgFromUrl: string
}

interface ProviderBase {
  /** The value of the provider input. */
  readonly name: string
  /** The provider as users call it, for messages and the summary. */
  readonly title: string
  /** The credentials it takes, the usual one first. */
  readonly credentials: readonly [CredentialKind, ...CredentialKind[]]
  /** What api-token (or the usual credential) is for this provider, for messages. */
  readonly credentialHelp: string
  /** Used when the url input is empty; without it, url is required. */
  readonly defaultUrl?: string
  readonly exampleUrl: string
  /** The root of the provider's paths in any address of it a user may paste, and an org it names. */
  resolveUrl(url: URL): ResolvedUrl
  /** The org input checked and normalised ('' for none); throws InputError naming 'org'. */
  parseOrg(raw: string): string
  exchange(context: ExchangeContext): Promise<TokenResult>
}

/** A provider that revokes the access token in the post step. */
interface RevokingProvider extends ProviderBase {
  /**
   * Revokes the token; returns one line saying what happened ("already gone" is success). Throws
   * when revoking failed (the post step warns), UntrustedStateError when `data` is not its own.
   */
  revoke(context: RevokeContext): Promise<string>
  readonly cannotRevoke?: never
}

/** A provider whose access tokens cannot be revoked: the post step says so and sends nothing. */
interface NonRevokingProvider extends ProviderBase {
  readonly revoke?: never
  /** Why not, as a sentence: "VMware Cloud Services offers no way to revoke an access token". */
  readonly cannotRevoke: string
}

export type Provider = RevokingProvider | NonRevokingProvider
