import type { Log } from '../core.js'
import type { Send } from '../http.js'
import type { Config } from '../inputs.js'
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
  expiresIn: number
  org: string
  subject: string
  apiVersion?: string
  /** CSP API tokens: when the API token itself expires; null when it never does or is unknown. */
  apiTokenExpiresAt?: Date | null
  /** Lines for the job summary besides the standard ones (already printed as warnings). */
  notices?: string[]
}

/** What the main step leaves for the post step (GITHUB_STATE), all strings. */
export interface PostState {
  provider: string
  baseUrl: string
  expiresAt: string
  revoke: boolean
  timeoutMs: number
  maxAttempts: number
  /** Only kept when the provider can revoke and `revoke` is true. */
  accessToken?: string
  apiVersion?: string
}

export interface RevokeContext {
  state: PostState
  send: Send
  log: Log
}

export interface Provider {
  /** The value of the provider input. */
  readonly name: string
  /** The provider as users call it, for messages and the summary. */
  readonly title: string
  /** What api-token is for this provider, and what else may stand for it, for messages. */
  readonly credentialHelp: string
  /** Whether client-id/client-secret (an OAuth app) are accepted besides api-token. */
  readonly acceptsOAuthApp: boolean
  /** Used when the url input is empty; without it, url is required. */
  readonly defaultUrl?: string
  readonly exampleUrl: string
  /** The root of the provider's paths in any address of it a user may paste, and an org the address names. */
  resolveUrl(url: URL): { baseUrl: string; orgFromUrl: string }
  /** The org input checked and normalised ('' for none); throws InputError. */
  parseOrg(raw: string): string
  /** Whether revoke() needs the access token kept for the post step. */
  readonly revocable: boolean
  exchange(context: ExchangeContext): Promise<TokenResult>
  /** Returns one line saying what happened; throws when revoking failed (the post step warns). */
  revoke(context: RevokeContext): Promise<string>
}

export { ProviderError } from '../errors.js'
