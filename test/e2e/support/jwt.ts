/**
 * Real-looking tokens for the emulators: JWTs (base64url header.payload.signature, an RS256-sized
 * random signature; nobody verifies it) and random credential strings.
 *
 *   makeJwt({ sub: 'x', exp: ... })       -> 'eyJ...eyJ...<342 chars>'
 *   readJwt(token)                        -> the payload object, or undefined
 *   randomToken(65)                       -> 65 alphanumeric characters (a CSP API token's shape)
 *   randomToken(32, 'hex')                -> 32 lower-case hex digits
 *
 * Only erasable TypeScript here: scripts run this file directly.
 */
import { randomBytes, randomInt } from 'node:crypto'

const ALPHABETS = {
  alnum: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  hex: '0123456789abcdef',
  urlsafe: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
}

export function randomToken(length: number, alphabet: keyof typeof ALPHABETS = 'alnum'): string {
  const chars = ALPHABETS[alphabet]
  let out = ''
  for (let i = 0; i < length; i++) out += chars[randomInt(chars.length)]
  return out
}

export function makeJwt(
  payload: Record<string, unknown>,
  header: Record<string, unknown> = { alg: 'RS256', kid: 'signing_2', typ: 'JWT' },
): string {
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${encode(header)}.${encode(payload)}.${randomBytes(256).toString('base64url')}`
}

export function readJwt(token: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'))
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}
