/** OAuth 2 style token answers (`access_token`, `expires_in`, ...), as CSP and Cloud Director send them. */
import { ProviderError } from '../errors.js'
import { jsonObject, responseReason, type HttpResponse } from '../http/response.js'
import type { Secrets } from '../secrets.js'
import { excerpt } from '../text.js'

export interface TokenAnswer {
  accessToken: string
  tokenType: string
  expiresIn: number
}

/** Ten years: anything longer is nonsense, and would not make a valid expiry date. */
export const MAX_EXPIRES_IN = 315_360_000

/** A rotated refresh token whole in a body that does not parse (cut short after it). */
const WHOLE_REFRESH_TOKEN = /"refresh_token"\s*:\s*"([^"\\]+)"/

/**
 * Reads a 2xx token answer. Every token in it is masked before anything is checked, so that no
 * error below can print one; a refresh token is handed to onRefreshToken before any check too,
 * since the server may have spent the old one already. The body itself is never quoted.
 */
export function readTokenAnswer(
  response: HttpResponse,
  secrets: Secrets,
  who: string,
  onRefreshToken?: (token: string) => void,
): TokenAnswer {
  secrets.maskTokensIn(response.body)
  const json = jsonObject(response.body)
  for (const key of ['access_token', 'refresh_token', 'id_token']) {
    if (typeof json?.[key] === 'string') secrets.mask(json[key])
  }
  if (!json) {
    const rotated = WHOLE_REFRESH_TOKEN.exec(response.body)?.[1]
    if (rotated) onRefreshToken?.(rotated)
    throw new ProviderError(
      `${who} answered ${responseReason(response)}; expected a JSON token response.` +
        (rotated && onRefreshToken ? ' The refresh token it held is in the refresh-token output: store it.' : ''),
    )
  }
  if (typeof json.refresh_token === 'string' && json.refresh_token) onRefreshToken?.(json.refresh_token)
  const accessToken = json.access_token
  if (typeof accessToken !== 'string' || accessToken.trim() === '') {
    throw new ProviderError(`${who} answered HTTP ${response.status} without an access_token; fields present: ${fieldNames(json)}.`)
  }
  return { accessToken: accessToken.trim(), tokenType: normaliseTokenType(json.token_type), expiresIn: readExpiresIn(json.expires_in, who) }
}

/**
 * Whole seconds from now until `expiry` (epoch ms), which `token` ("The access token X issued")
 * gives in its `field`: an expiry already past or more than ten years away is an error that
 * points at `clock` (the issuer's), which is what such a token means.
 */
export function secondsUntil(expiry: number, token: string, field: string, clock = "the appliance's clock"): number {
  const seconds = Math.floor((expiry - Date.now()) / 1000)
  const at = new Date(Math.min(expiry, 8.64e15)).toISOString()
  if (seconds <= 0) {
    throw new ProviderError(
      `${token} expired at ${at} (its ${field}), by this runner's clock. ` +
        `Check ${clock} (NTP): a clock that is hours behind issues tokens that are already expired.`,
    )
  }
  if (seconds > MAX_EXPIRES_IN) {
    throw new ProviderError(
      `${token} expires at ${at} (its ${field}), more than ten years away; the token's lifetime is unknown. Check ${clock} (NTP).`,
    )
  }
  return seconds
}

/** "Bearer" whatever case the provider used; Bearer when it says nothing. */
export function normaliseTokenType(value: unknown): string {
  const type = typeof value === 'string' && value.trim() ? value.trim() : 'Bearer'
  return type.toLowerCase() === 'bearer' ? 'Bearer' : excerpt(type, 40)
}

function readExpiresIn(value: unknown, who: string): number {
  const seconds = Number(value)
  if (!/^\d+(\.\d+)?$/.test(String(value ?? '')) || !(seconds > 0) || seconds > MAX_EXPIRES_IN) {
    const got = value === undefined ? 'none' : excerpt(JSON.stringify(value) ?? String(value), 40)
    throw new ProviderError(`${who} answered without a valid expires_in (got ${got}); the token's lifetime is unknown.`)
  }
  return Math.floor(seconds)
}

/** The names of an answer's fields, for a message: a few, each short. */
export function fieldNames(json: Record<string, unknown>): string {
  const names = Object.keys(json)
  if (names.length === 0) return 'none'
  const shown = names.slice(0, 10).map((name) => excerpt(name, 40))
  return names.length > shown.length ? `${shown.join(', ')} and ${names.length - shown.length} more` : shown.join(', ')
}
