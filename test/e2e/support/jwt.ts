/**
 * Real-looking tokens for the emulators: JWTs (base64url header.payload.signature, an RS256-sized
 * random signature; nobody verifies it) and random credential strings.
 *
 *   makeJwt({ sub: 'x', exp: ... })       -> 'eyJ...eyJ...<342 chars>'
 *   readJwt(token)                        -> the payload object, or undefined
 *   randomToken(65)                       -> 65 alphanumeric characters (a CSP API token's shape)
 *   randomToken(32, 'hex')                -> 32 lower-case hex digits
 *   randomUuid()                          -> a version 4 UUID (for secrets shaped like one: refresh-token ids)
 *   drawClear(() => value)                -> a value of that shape whose 4-character pieces are clear (below)
 *
 * Every random part is drawn again until none of its 4-character pieces occurs in the action's
 * own texts (see clearOfActionText): the action removes every 4-character piece of a secret from
 * what it prints, so a token that happened to contain "Coul" would turn "Could not revoke" into
 * "***d not revoke" and fail a test by chance (seen once in ~30 suite runs before this).
 *
 * Only erasable TypeScript here: scripts run this file directly.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import http from 'node:http'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** src/secrets.ts: MIN_FRAGMENT, the length of the pieces of a secret the action redacts. */
const PIECE = 4
const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)))
let vocabulary: Set<string> | undefined

/**
 * The 4-character pieces of everything the action may print: its bundle (every message template,
 * path and input name), the test sources (emulator messages, inputs, host and org names), and
 * node's HTTP status texts. Runs of four digits (ports, times, statuses) are refused separately.
 */
function actionVocabulary(): Set<string> {
  if (vocabulary) return vocabulary
  const files = (dir: string, pattern: RegExp): string[] =>
    existsSync(dir)
      ? readdirSync(dir, { withFileTypes: true, recursive: true })
          .filter((entry) => entry.isFile() && pattern.test(entry.name))
          .map((entry) => join(entry.parentPath, entry.name))
      : []
  const texts = [
    ...files(join(ROOT, 'dist'), /\.js$/),
    ...(process.env.VMW_E2E_ACTION ? [resolve(process.env.VMW_E2E_ACTION)] : []),
    ...files(join(ROOT, 'test', 'e2e'), /\.ts$/),
  ].map((file) => readFileSync(file, 'utf8'))
  texts.push(...Object.values(http.STATUS_CODES).map(String))
  vocabulary = new Set()
  for (const text of texts) for (let i = 0; i + PIECE <= text.length; i++) vocabulary.add(text.slice(i, i + PIECE))
  return vocabulary
}

/** Whether no 4-character piece of `value` could be a piece of the action's own output. */
export function clearOfActionText(value: string): boolean {
  const words = actionVocabulary()
  for (let i = 0; i + PIECE <= value.length; i++) {
    const piece = value.slice(i, i + PIECE)
    if (words.has(piece) || /^\d{4}$/.test(piece)) return false
  }
  return true
}

/** Draws until the value is clear of the action's text (a handful of draws at most, in practice). */
export function drawClear(draw: () => string): string {
  for (let attempt = 0; attempt < 10_000; attempt++) {
    const value = draw()
    if (clearOfActionText(value)) return value
  }
  throw new Error('jwt.ts: no random value clear of the action text in 10,000 draws')
}

const ALPHABETS = {
  alnum: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  hex: '0123456789abcdef',
  urlsafe: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
}

export function randomToken(length: number, alphabet: keyof typeof ALPHABETS = 'alnum'): string {
  const chars = ALPHABETS[alphabet]
  return drawClear(() => {
    let out = ''
    for (let i = 0; i < length; i++) out += chars[randomInt(chars.length)]
    return out
  })
}

/** A random version 4 UUID, drawn clear of the action's text like every other secret here. */
export function randomUuid(): string {
  return drawClear(() => randomUUID())
}

/**
 * A JWT of these claims with a random signature (drawn clear of the action's text; 256 bytes as
 * RS256 makes, 32 for HS256). When the encoded claims are not clear, their `jti` (a random id; added
 * when absent) is drawn again, in place, so that a caller that keeps the claims object keeps the
 * token's claims; a collision that 20 draws do not remove lies in the claims' fixed part, which is
 * the same on every run (so it fails every run, or none: never by chance).
 */
export function makeJwt(
  payload: Record<string, unknown>,
  header: Record<string, unknown> = { alg: 'RS256', kid: 'signing_2', typ: 'JWT' },
  signatureBytes = 256,
): string {
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  for (let draw = 0; draw < 20 && !clearOfActionText(encode(payload)); draw++) payload.jti = randomUUID()
  return `${encode(header)}.${encode(payload)}.${drawClear(() => randomBytes(signatureBytes).toString('base64url'))}`
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
