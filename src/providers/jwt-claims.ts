/** Claims of a JWT access token, read to report them (org, subject, expiry), never to trust them. */
import { jsonObject } from '../http/response.js'

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
