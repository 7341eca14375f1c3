/**
 * Reading answers: a size cap while the body streams in, lenient JSON, and the provider's reason
 * for a failed answer in a few words. Nothing here prints a body.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { excerpt } from '../text.js'

export interface HttpResponse {
  status: number
  statusText: string
  headers: IncomingHttpHeaders
  body: string
  /** Tries it took, for messages. */
  attempts: number
}

/** A token answer is a few KB; anything near this is not the API the action expects. */
export const MAX_BODY_BYTES = 1024 * 1024

/** The answer was bigger than MAX_BODY_BYTES: reading stopped there. Retrying would not help. */
export class ResponseTooLargeError extends Error {
  override name = 'ResponseTooLargeError'
  readonly code = 'TOO_LARGE'
}

/**
 * Reads a body up to `limit` bytes and stops there, without copying what came so far on every
 * chunk. The stream ends with the request's deadline (the request's abort signal destroys it).
 */
export async function readBody(message: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  const tooLarge = (): ResponseTooLargeError => {
    message.destroy()
    return new ResponseTooLargeError(`the answer is larger than ${limit / 1024} KiB, far more than any answer of the API`)
  }
  if (Number(message.headers['content-length']) > limit) throw tooLarge()
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of message as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) throw tooLarge()
    chunks.push(chunk)
  }
  return Buffer.concat(chunks, size).toString('utf8')
}

/**
 * Parses a JSON object body; undefined for anything else (HTML pages, empty or cut bodies,
 * arrays). A byte-order mark and the `)]}'` guard some gateways put in front are skipped: what
 * follows is still the whole answer.
 */
export function jsonObject(body: string): Record<string, unknown> | undefined {
  const text = body.replace(/^\uFEFF/, '').replace(/^\)\]\}',?\s*/, '')
  try {
    const value: unknown = JSON.parse(text)
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

export function isSuccess(response: Pick<HttpResponse, 'status'>): boolean {
  return response.status >= 200 && response.status < 300
}

/** Statuses a later try may cure: a timeout, a rate limit, a server failing for a moment (501 never works). */
const RETRYABLE_STATUS: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504])

/** Whether send tries again after this status (within max-attempts). */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status)
}

/** The provider is busy, down or failing, not the request wrong: what send retries, and any other 5xx. */
export function isProviderTrouble(response: Pick<HttpResponse, 'status'>): boolean {
  return isRetryableStatus(response.status) || response.status >= 500
}

/** A redirect is never followed with a credential. */
export function isRedirect(response: Pick<HttpResponse, 'status'>): boolean {
  return response.status >= 300 && response.status < 400
}

/** Reads a provider's own error format; undefined when the body is not in it. */
export type ErrorReader = (body: string) => string | undefined

/** The fields OAuth 2 and most JSON APIs put their reason in. */
const REASON_FIELDS = ['error', 'message', 'error_description']

/**
 * The provider's reason for a failed answer, short and on one line: what `readError` finds, the
 * usual JSON fields, what kind of page came back, or the start of the body. A 2xx body is never
 * quoted: it may be a token answer. Not redacted: callers' messages are redacted when printed.
 */
export function responseReason(response: Pick<HttpResponse, 'status' | 'statusText' | 'body'>, readError?: ErrorReader): string {
  const status = `HTTP ${response.status}${response.statusText ? ` ${excerpt(response.statusText, 60)}` : ''}`
  const body = response.body.trim()
  if (!body) return `${status}, empty body`
  if (looksLikeHtml(body)) {
    const title = isSuccess(response) ? undefined : htmlTitle(body)?.trim()
    return `${status}, an HTML page${title ? ` ("${excerpt(decodeXml(title), 100)}")` : ''} instead of an API answer: a proxy, firewall or outage page?`
  }
  if (isSuccess(response)) return `${status} with ${describeBody(body)}`
  const own = readError?.(body)
  if (own) return `${status}: ${excerpt(own)}`
  const json = jsonObject(body)
  const parts = REASON_FIELDS.map((key) => json?.[key]).filter(
    (value, index, all): value is string | number =>
      (typeof value === 'string' || typeof value === 'number') && value !== '' && all.indexOf(value) === index,
  )
  return `${status}: ${excerpt(parts.length ? parts.join(': ') : body)}`
}

/** What a body is, in words, without quoting it. */
function describeBody(body: string): string {
  if (!body.trim()) return 'an empty body'
  const size = `${Buffer.byteLength(body)} bytes`
  if (looksLikeHtml(body)) return `an HTML page (${size})`
  if (jsonObject(body)) return `a JSON object (${size})`
  if (/^\s*[[{]/.test(body)) return `JSON that does not parse, cut short or with extra text (${size})`
  return `a body that is not JSON (${size})`
}

/**
 * The text of a page's title: what /<title[^>]*>([^<]*)<\/title>/i finds, in one pass. The regex
 * itself runs to the body's end and back after each '<title' that no '>' follows: time quadratic
 * in the body. When one '<title' fails, so does every other before the '<' that ended its text.
 */
export function htmlTitle(body: string): string | undefined {
  const open = /<title/gi
  const close = /<\/title>/iy
  for (let from = 0; ;) {
    open.lastIndex = from
    const tag = open.exec(body)
    if (!tag) return undefined
    const textStart = body.indexOf('>', tag.index + tag[0].length) + 1
    if (textStart === 0) return undefined
    const textEnd = body.indexOf('<', textStart)
    if (textEnd === -1) return undefined
    close.lastIndex = textEnd
    if (close.test(body)) return body.slice(textStart, textEnd)
    from = textEnd
  }
}

/** Linear: `^` anchors the first branch, and the second is a literal. */
export function looksLikeHtml(body: string): boolean {
  return /^\s*(<!doctype html|<html)|<body[\s>]/i.test(body)
}

export function decodeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&')
}
