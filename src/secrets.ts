/**
 * The only place that knows what is secret. Everything that may print text a provider wrote, or
 * text derived from a secret, goes through `redact`; every secret goes through `mask` first.
 */
import type { ActionCore, Log } from './core.js'

/** Pieces shorter than this are not looked for: too many false hits in ordinary words. */
const MIN_FRAGMENT = 4
/** Values shorter than this are never registered: masking "ab" would garble the whole log. */
const MIN_SECRET = 4
const REDACTED = '***'

export class Secrets {
  /** Each secret with the set of its MIN_FRAGMENT-long pieces. */
  private readonly fragments = new Map<string, Set<string>>()

  /** @param addMask tells the runner to mask a value (`core.setSecret`). */
  constructor(private readonly addMask: (value: string) => void) {}

  /**
   * Registers a secret with the runner and with `redact`. The runner masks line by line, so each
   * line of a multi-line value is registered too.
   */
  mask(value: string | null | undefined): void {
    if (typeof value !== 'string') return
    for (const candidate of [value, ...value.split(/\r?\n/)]) {
      const piece = candidate.trim()
      if (piece.length < MIN_SECRET || this.fragments.has(piece)) continue
      this.fragments.set(piece, fragmentsOf(piece))
      this.addMask(piece)
    }
  }

  /**
   * Removes every secret and every piece of one (MIN_FRAGMENT characters or more) from text,
   * such as the token tail CSP echoes in `Invalid refresh token: xxxxx...tN3NK`.
   */
  redact(text: string): string {
    if (this.fragments.size === 0 || text.length === 0) return text
    const covered = new Uint8Array(text.length)
    for (const pieces of this.fragments.values()) {
      for (let i = 0; i + MIN_FRAGMENT <= text.length; i++) {
        if (pieces.has(text.slice(i, i + MIN_FRAGMENT))) covered.fill(1, i, i + MIN_FRAGMENT)
      }
    }
    let out = ''
    for (let i = 0; i < text.length; i++) {
      if (!covered[i]) out += text[i]
      else if (i === 0 || !covered[i - 1]) out += REDACTED
    }
    return out
  }
}

function fragmentsOf(secret: string): Set<string> {
  const pieces = new Set<string>()
  for (let i = 0; i + MIN_FRAGMENT <= secret.length; i++) pieces.add(secret.slice(i, i + MIN_FRAGMENT))
  return pieces
}

/** A log whose every line is redacted before it reaches the runner. */
export function redactingLog(core: Pick<ActionCore, 'info' | 'warning' | 'debug'>, secrets: Secrets): Log {
  return {
    info: (message) => core.info(secrets.redact(message)),
    warning: (message) => core.warning(secrets.redact(message)),
    debug: (message) => core.debug(secrets.redact(message)),
  }
}

/** An error's message, redacted, for setFailed and warnings. */
export function describeError(error: unknown, secrets: Secrets): string {
  return secrets.redact(error instanceof Error ? error.message : String(error))
}
