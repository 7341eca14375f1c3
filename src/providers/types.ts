import type { Log } from '../core.js'
import type { Send } from '../http.js'
import type { Config, ProviderName } from '../inputs.js'
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
  provider: ProviderName
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
  readonly name: ProviderName
  /** The provider as users call it, for messages and the summary. */
  readonly title: string
  /** Whether revoke() needs the access token kept for the post step. */
  readonly revocable: boolean
  exchange(context: ExchangeContext): Promise<TokenResult>
  /** Returns one line saying what happened; throws when revoking failed (the post step warns). */
  revoke(context: RevokeContext): Promise<string>
}

/** A provider said no, or answered nonsense: the message says what to fix. */
export class ProviderError extends Error {
  override name = 'ProviderError'
}
