/** What CSP and Cloud Director share: an OAuth 2 token response, and how a failed answer is told. */
import { jsonObject, MAX_DELAY_MS, plural, responseReason, retryAfterMs, type HttpResponse } from '../http.js'
import type { Secrets } from '../secrets.js'
import { ProviderError } from './types.js'

export interface TokenResponse {
  accessToken: string
  tokenType: string
  expiresIn: number
}

/** Ten years: anything longer is nonsense, and would not make a valid expiry date. */
const MAX_EXPIRES_IN = 315_360_000

export const FORM_HEADERS = {
  'Content-Type': 'application/x-www-form-urlencoded',
  Accept: 'application/json',
}

/**
 * Reads a 2xx token response. Every token in it is masked before anything is checked, so that
 * no error below can print one; a refresh token is handed to onRefreshToken before any check
 * too, since the server may have spent the old one already.
 */
export function readTokenResponse(
  response: HttpResponse,
  secrets: Secrets,
  what: string,
  onRefreshToken?: (token: string) => void,
): TokenResponse {
  const json = jsonObject(response.body)
  for (const key of ['access_token', 'refresh_token', 'id_token']) {
    if (typeof json?.[key] === 'string') secrets.mask(json[key])
  }
  if (typeof json?.refresh_token === 'string' && json.refresh_token) onRefreshToken?.(json.refresh_token)
  if (!json) {
    throw new ProviderError(`${what} answered ${responseReason(response)}; expected a JSON token response.`)
  }
  const accessToken = json.access_token
  if (typeof accessToken !== 'string' || accessToken.trim() === '') {
    throw new ProviderError(
      `${what} answered HTTP ${response.status} without an access_token; fields present: ${Object.keys(json).join(', ') || 'none'}.`,
    )
  }
  const expiresIn = Number(json.expires_in)
  if (!/^\d+(\.\d+)?$/.test(String(json.expires_in ?? '')) || !(expiresIn > 0) || expiresIn > MAX_EXPIRES_IN) {
    throw new ProviderError(
      `${what} answered without a valid expires_in (got ${json.expires_in === undefined ? 'none' : JSON.stringify(json.expires_in).slice(0, 40)}); the token's lifetime is unknown.`,
    )
  }
  const tokenType = typeof json.token_type === 'string' && json.token_type ? json.token_type : 'Bearer'
  return {
    accessToken: accessToken.trim(),
    tokenType: tokenType.toLowerCase() === 'bearer' ? 'Bearer' : tokenType,
    expiresIn: Math.floor(expiresIn),
  }
}

/** "<purpose> failed: HTTP 400: invalid_grant: ... (after 1 try)." plus what to do. */
export function rejection(purpose: string, response: HttpResponse, advice: string): ProviderError {
  return new ProviderError(
    `${purpose} failed: ${responseReason(response)} (${plural(response.attempts, 'try', 'tries')}). ${advice}`.trim(),
  )
}

export function isSuccess(response: HttpResponse): boolean {
  return response.status >= 200 && response.status < 300
}

/** 429 and 5xx survived every try: the provider is busy or down, not the credential wrong. */
export function isProviderTrouble(response: HttpResponse): boolean {
  return response.status === 408 || response.status === 429 || response.status >= 500
}

/** What to do when the provider is busy or down, honest about a Retry-After the action will not wait out. */
export function busyAdvice(who: string, response: HttpResponse): string {
  const wait = retryAfterMs(response.headers['retry-after'])
  if (wait !== undefined && wait > MAX_DELAY_MS) {
    return (
      `${who} asked to wait ${Math.ceil(wait / 1000)} s before trying again, longer than the action waits ` +
      `between tries (${MAX_DELAY_MS / 1000} s); run the job again later.`
    )
  }
  return `${who} is busy or unavailable; try again later, or raise max-attempts / timeout-seconds.`
}
