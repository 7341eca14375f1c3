/**
 * What the main step leaves for the post step in GITHUB_STATE, and the post step's check of it:
 * as strict as the main step's check of its inputs, since whoever can change the state file could
 * otherwise send the token anywhere, or hold the job with endless retries.
 */
import { LIMITS } from './config.js'
import type { ActionCore } from './core.js'
import { UntrustedStateError } from './errors.js'
import { unsafeUrlReason } from './url.js'

export const STATE_KEY = 'token'

export interface PostState {
  provider: string
  baseUrl: string
  /** ISO 8601 UTC; absent for a session with no fixed lifetime. */
  expiresAt?: string
  revoke: boolean
  timeoutMs: number
  maxAttempts: number
  /** Kept only when the provider revokes and revoke is true. */
  accessToken?: string
  /** The provider's own revokeData, for its revoke(). */
  data?: Record<string, string>
}

export function savePostState(core: Pick<ActionCore, 'saveState'>, state: PostState): void {
  core.saveState(STATE_KEY, JSON.stringify(state))
}

/** The saved state, checked field by field; undefined when the main step saved none. */
export function readPostState(core: Pick<ActionCore, 'getState'>): PostState | undefined {
  const saved = core.getState(STATE_KEY)
  if (!saved) return undefined
  let value: unknown
  try {
    value = JSON.parse(saved)
  } catch {
    // Not quoted: whatever it is, it may hold the token.
    throw new UntrustedStateError(`it is not the JSON the main step writes (${saved.length} characters)`)
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new UntrustedStateError('it is not a JSON object')
  const state = value as Record<string, unknown>
  const { provider, baseUrl, expiresAt, revoke, timeoutMs, maxAttempts, accessToken, data } = state

  if (typeof provider !== 'string' || !/^[a-z][a-z0-9-]{0,39}$/.test(provider)) throw new UntrustedStateError('its provider is not a name')
  if (typeof baseUrl !== 'string') throw new UntrustedStateError('it has no url')
  let url: URL
  try {
    url = new URL(baseUrl)
  } catch {
    throw new UntrustedStateError('its url is not a URL')
  }
  const unsafe = unsafeUrlReason(url)
  if (unsafe) throw new UntrustedStateError(`its url is unsafe for a token: ${unsafe}`)
  if (
    expiresAt !== undefined &&
    (typeof expiresAt !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(expiresAt) || Number.isNaN(Date.parse(expiresAt)))
  ) {
    throw new UntrustedStateError('its expiry is not an ISO 8601 UTC date')
  }
  if (typeof revoke !== 'boolean') throw new UntrustedStateError('its revoke flag is not true or false')
  const { timeoutSeconds, maxAttempts: attempts } = LIMITS
  if (!isWhole(timeoutMs, timeoutSeconds.min * 1000, timeoutSeconds.max * 1000)) {
    throw new UntrustedStateError(`its timeout is not ${timeoutSeconds.min}-${timeoutSeconds.max} s`)
  }
  if (!isWhole(maxAttempts, attempts.min, attempts.max))
    throw new UntrustedStateError(`its attempts are not ${attempts.min}-${attempts.max}`)
  if (accessToken !== undefined && (typeof accessToken !== 'string' || !/^[\x21-\x7e]{1,16384}$/.test(accessToken))) {
    throw new UntrustedStateError('its access token is not a token')
  }
  if (data !== undefined && !isStringRecord(data)) throw new UntrustedStateError("its provider's data is not a set of short strings")
  return { provider, baseUrl: url.href.replace(/\/$/, ''), expiresAt, revoke, timeoutMs, maxAttempts, accessToken, data }
}

function isWhole(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
}

function isStringRecord(value: unknown): value is Record<string, string> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false
  const entries = Object.entries(value)
  return entries.length <= 16 && entries.every(([key, item]) => key.length <= 64 && typeof item === 'string' && item.length <= 1024)
}
