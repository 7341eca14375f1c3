/**
 * The only place that knows what is secret. Everything that may print text a provider wrote, or
 * text derived from a secret, goes through `redact`; every secret goes through `mask` first.
 */
import type { ActionCore, Log } from './core.js'
import { logLine, markdownText } from './text.js'

/**
 * Pieces of a secret this long or longer are hidden wherever they appear; shorter ones would
 * match ordinary words (the contract's "8+ character pieces").
 */
const MIN_PIECE = 8
/** Values shorter than this are never registered: masking "ab" would garble the whole log. */
const MIN_SECRET = 4
const REDACTED = '***'
/**
 * A token field of a JSON answer, its value possibly cut off with the body. Like every pattern run
 * over an answer, linear in its size: a match starts only at a quoted field name, and the value
 * stops at the next quote, where the next field would start.
 */
const TOKEN_FIELD = /"(?:access_token|refresh_token|id_token|token|accessToken|refreshToken|idToken)"\s*:\s*"([^"\\]*)/g
/** The same as a form or query parameter (linear too: a name starts each match, a separator ends it). */
const TOKEN_PARAMETER = /(?:^|[?&\s])(?:access_token|refresh_token|id_token|api_token)=([^&\s"]+)/g
/** A hostile answer full of tokens must not flood the log with ::add-mask:: lines. */
const MAX_MASKS_PER_TEXT = 32

export class Secrets {
  /** Every registered value. */
  private readonly values = new Set<string>()
  /**
   * Every MIN_PIECE-character piece of every registered value, and of its lower-case form: URL
   * lowercases a host, so a secret pasted into url shows lower-cased wherever the host is named.
   */
  private readonly pieces = new Set<string>()
  /** Registered values shorter than MIN_PIECE: hidden only whole. */
  private readonly shortValues: string[] = []

  /** @param addMask tells the runner to mask a value (`core.setSecret`). */
  constructor(private readonly addMask: (value: string) => void) {}

  /**
   * Registers a secret with the runner and with `redact`. The runner masks line by line, so each
   * line of a multi-line value is registered too.
   */
  mask(value: string | null | undefined): void {
    if (typeof value !== 'string') return
    for (const candidate of [value, ...value.split(/\r?\n/)]) {
      const secret = candidate.trim()
      if (secret.length < MIN_SECRET || this.values.has(secret)) continue
      this.values.add(secret)
      if (secret.length < MIN_PIECE) this.shortValues.push(secret)
      for (const form of new Set([secret, secret.toLowerCase()])) {
        for (let i = 0; i + MIN_PIECE <= form.length; i++) this.pieces.add(form.slice(i, i + MIN_PIECE))
      }
      this.addMask(secret)
    }
  }

  /**
   * Masks every token-looking value in text the action did not write (an answer's body, parsed
   * or not): token fields, token parameters and JWTs, whole or cut short. Call it before any line
   * about that text is written.
   */
  maskTokensIn(text: string): void {
    let masked = 0
    for (const value of tokenLookingValues(text)) {
      if (value.length < MIN_PIECE || this.isHidden(value)) continue
      if (++masked > MAX_MASKS_PER_TEXT) return
      this.mask(value)
    }
  }

  /** Whether redact already hides all of value: every piece of it belongs to a registered secret. */
  private isHidden(value: string): boolean {
    for (let i = 0; i + MIN_PIECE <= value.length; i++) if (!this.pieces.has(value.slice(i, i + MIN_PIECE))) return false
    return true
  }

  /**
   * Hides every registered secret, every MIN_PIECE-character piece of one, and every JWT; other
   * words stay readable.
   */
  redact(text: string): string {
    if (text.length === 0) return text
    const hidden = new Uint8Array(text.length)
    let any = false
    const hide = (from: number, to: number): void => {
      hidden.fill(1, from, to)
      any = true
    }
    if (this.pieces.size) {
      for (let i = 0; i + MIN_PIECE <= text.length; i++) {
        if (this.pieces.has(text.slice(i, i + MIN_PIECE))) hide(i, i + MIN_PIECE)
      }
    }
    for (const secret of this.shortValues) {
      for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1)) hide(at, at + secret.length)
    }
    for (const [from, to] of jwtSpans(text)) hide(from, to)
    if (!any) return text
    let out = ''
    for (let i = 0; i < text.length; i++) {
      if (!hidden[i]) out += text[i]
      else if (i === 0 || !hidden[i - 1]) out += REDACTED
    }
    return out
  }
}

/**
 * Hides the tail of a token that an error message quotes after a run of x's ("Invalid refresh
 * token: xxxxx...tN3NK", as the VMware identity service writes it): a tail of a few characters is
 * too short for the redaction of secret pieces to catch. A match starts only where a run of x's
 * starts (the lookbehind): otherwise a long run of x's would be tried from each of its x's, to its
 * end and back, in time quadratic in the message. The matches are the same: one that starts inside
 * a run would have started at the run's first x.
 */
export function hideEchoedTokenTails(message: string): string {
  return message.replace(/(?<!x)(x{3,}\.{2,})[A-Za-z0-9_~-]+/g, '$1***')
}

/** Token fields, token parameters and JWTs in text, in that order. */
function* tokenLookingValues(text: string): Generator<string> {
  for (const match of text.matchAll(TOKEN_FIELD)) yield match[1]
  for (const match of text.matchAll(TOKEN_PARAMETER)) yield match[1]
  for (const [from, to] of jwtSpans(text)) yield text.slice(from, to)
}

/** A character of a JWT's base64url parts: [A-Za-z0-9_-]. */
function isJwtChar(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 45 || code === 95
}

/** The end of the run of JWT characters that starts at `from`. */
function jwtRunEnd(text: string, from: number): number {
  let at = from
  while (at < text.length && isJwtChar(text.charCodeAt(at))) at++
  return at
}

/**
 * Where the JWTs in text are, or the first two parts of one cut short: exactly what
 * /eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*)?/g matches, in one pass over the text.
 * The regex itself, after each 'eyJ' of a long run without a dot, runs to the run's end and back:
 * time quadratic in the run, minutes for an answer of 'eyJ' repeated to 1 MiB. A match can only
 * start in a run of JWT characters that a '.' ends, at the run's first 'eyJ' with 6 more after it.
 */
export function* jwtSpans(text: string): Generator<[number, number]> {
  let at = 0
  while (at < text.length) {
    if (!isJwtChar(text.charCodeAt(at))) {
      at++
      continue
    }
    const header = jwtRunEnd(text, at)
    let start = -1
    if (text[header] === '.') {
      for (let i = at; i + 9 <= header && start === -1; i++) if (text.startsWith('eyJ', i)) start = i
    }
    const payload = start === -1 ? -1 : jwtRunEnd(text, header + 1)
    if (start === -1 || payload - header - 1 < 4) {
      at = header
      continue
    }
    const end = text[payload] === '.' ? jwtRunEnd(text, payload + 1) : payload
    yield [start, end]
    at = end
  }
}

/** A log whose every line is redacted, made printable and bounded before it reaches the runner. */
export function redactingLog(core: Pick<ActionCore, 'info' | 'warning' | 'debug'>, secrets: Secrets): Log {
  return {
    info: (message) => core.info(logLine(secrets.redact(message))),
    warning: (message) => core.warning(logLine(secrets.redact(message))),
    debug: (message) => core.debug(logLine(secrets.redact(message))),
  }
}

/** An error's message, redacted, printable and bounded, for setFailed and warnings. */
export function describeError(error: unknown, secrets: Secrets): string {
  return logLine(secrets.redact(error instanceof Error ? error.message : String(error)))
}

/**
 * Text for the job summary, redacted exactly like the log (the runner masks only whole registered
 * secrets there), then with its Markdown and HTML shown as text.
 */
export function summaryText(text: string, secrets: Secrets): string {
  return markdownText(secrets.redact(text))
}
