/** Claims of a JWT access token, read to report them (org, subject, expiry), never to trust them. */
import { ProviderError } from '../errors.js'
import { jsonObject } from '../http/response.js'
import { MAX_EXPIRES_IN } from './token-answer.js'

export type Claims = Record<string, unknown>

/** The payload of a JWT; undefined when the token is no JWT. */
export function readJwtClaims(token: string): Claims | undefined {
  const payload = token.split('.')[1]
  if (!payload) return undefined
  return jsonObject(Buffer.from(payload, 'base64url').toString('utf8'))
}

/** The first of the named claims that is a non-empty string. */
export function stringClaim(claims: Claims | undefined, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = claims?.[name]
    if (typeof value === 'string' && value) return value
  }
  return undefined
}

/** A NumericDate claim (seconds since the epoch) as milliseconds; undefined when absent or not a date. */
export function dateClaim(claims: Claims | undefined, name: string): number | undefined {
  const value = claims?.[name]
  return typeof value === 'number' && Number.isFinite(value) && value > 0 && value < 8.64e12 ? value * 1000 : undefined
}

/** A lifetime a provider documents for its access tokens, for one that does not say: 3600 and '1 hour'. */
export interface DocumentedLifetime {
  seconds: number
  words: string
}

/**
 * Seconds `who`'s access token has left by its exp claim; the documented lifetime, with a notice
 * that says so, when it has none or is no JWT. An exp already past or over ten years away is an
 * error: the appliance's clock is off, and expires-at would be a lie.
 */
export function jwtLifetime(claims: Claims | undefined, who: string, documented: DocumentedLifetime): { seconds: number; notice?: string } {
  const assumed = `assuming the documented ${documented.words}, so expires-at is an estimate: the token may end sooner.`
  if (!claims) {
    return { seconds: documented.seconds, notice: `The ${who} access token is not a JWT, so it does not say when it expires; ${assumed}` }
  }
  const exp = dateClaim(claims, 'exp')
  if (exp === undefined) {
    return { seconds: documented.seconds, notice: `The ${who} access token has no usable expiry claim (exp); ${assumed}` }
  }
  const seconds = Math.floor((exp - Date.now()) / 1000)
  if (seconds <= 0) {
    throw new ProviderError(
      `The access token ${who} issued expired at ${new Date(exp).toISOString()} (its exp claim), by this runner's clock. ` +
        "Check the appliance's clock (NTP): a clock that is hours behind issues tokens that are already expired.",
    )
  }
  if (seconds > MAX_EXPIRES_IN) {
    throw new ProviderError(
      `The access token ${who} issued expires at ${new Date(exp).toISOString()} (its exp claim), more than ten years away; ` +
        "the token's lifetime is unknown. Check the appliance's clock (NTP).",
    )
  }
  return { seconds }
}
