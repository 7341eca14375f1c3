/** Claims of a JWT access token, read to report them (org, subject, expiry), never to trust them. */
import { jsonObject } from '../http/response.js'
import { plural } from '../text.js'
import { secondsUntil } from './token-answer.js'

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

/** Where a token's lifetime is documented but not reported: its issuer, the documented hours, whose clock to check. */
export interface DocumentedLifetime {
  who: string
  hours: number
  /** "the appliance's clock" */
  clock: string
}

/**
 * Seconds a token has left by its JWT exp claim; the documented lifetime, with a notice saying it
 * is an estimate, when the token is no JWT or has no exp. An exp in the past or over ten years
 * away is a clock problem, not a lifetime.
 */
export function jwtLifetime(claims: Claims | undefined, { who, hours, clock }: DocumentedLifetime): { seconds: number; notice?: string } {
  const seconds = hours * 3600
  const assumed = `assuming the documented ${plural(hours, 'hour', 'hours')}, so expires-at is an estimate: the token may end sooner.`
  if (!claims) return { seconds, notice: `The ${who} access token is not a JWT, so it does not say when it expires; ${assumed}` }
  const exp = dateClaim(claims, 'exp')
  if (exp === undefined) return { seconds, notice: `The ${who} access token has no usable expiry claim (exp); ${assumed}` }
  return { seconds: secondsUntil(exp, `The access token ${who} issued`, 'exp claim', clock) }
}
