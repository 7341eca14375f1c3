/**
 * The one way the action talks to a provider: @actions/http-client (which honours https_proxy and
 * no_proxy) with a hard deadline per try, jittered exponential backoff honouring Retry-After, and
 * debug lines that never hold a header or a body.
 */
import { HttpClient } from '@actions/http-client'
import type { IncomingHttpHeaders } from 'node:http'
import tls from 'node:tls'
import type { Log } from './core.js'

export interface HttpRequest {
  method: 'GET' | 'POST' | 'DELETE'
  url: string
  headers?: Record<string, string>
  body?: string
  /** What the request is for, as the user would say it: "CSP token exchange". */
  purpose: string
  /** Number of tries; defaults to the configured max-attempts. */
  attempts?: number
  /** Aborts the request (and any wait before a retry). */
  signal?: AbortSignal
}

export interface HttpResponse {
  status: number
  statusText: string
  headers: IncomingHttpHeaders
  body: string
  /** Tries it took, for messages. */
  attempts: number
}

export type Send = (request: HttpRequest) => Promise<HttpResponse>

export interface HttpOptions {
  userAgent: string
  timeoutMs: number
  maxAttempts: number
  log: Pick<Log, 'debug'>
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  random?: () => number
}

/** No response at all: a network, TLS or timeout failure, after every allowed try. */
export class NetworkError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly attempts: number,
  ) {
    super(message)
    this.name = 'NetworkError'
  }
}

export const BASE_DELAY_MS = 1000
/** No single wait is longer; a Retry-After beyond it ends the retries instead. */
export const MAX_DELAY_MS = 30_000

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504])

/** Certificate problems: retrying cannot help, a CA can. */
const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

class DeadlineError extends Error {
  readonly code = 'TIMEOUT'
}

export function createHttp(options: HttpOptions): Send {
  const sleep = options.sleep ?? abortableSleep
  const random = options.random ?? Math.random

  return async function send(request: HttpRequest): Promise<HttpResponse> {
    const maxAttempts = request.attempts ?? options.maxAttempts
    const { host, pathname } = new URL(request.url)
    for (let attempt = 1; ; attempt++) {
      const started = Date.now()
      const tries = `try ${attempt} of ${maxAttempts}`
      let wait: number
      try {
        const response = await sendOnce(request, options)
        options.log.debug(`${request.method} ${host}${pathname} -> ${response.status} (${tries}, ${Date.now() - started} ms)`)
        const retryAfter = retryAfterMs(response.headers['retry-after'])
        const retryable = RETRYABLE_STATUS.has(response.status) && (retryAfter ?? 0) <= MAX_DELAY_MS
        if (!retryable || attempt >= maxAttempts) return { ...response, attempts: attempt }
        wait = backoffMs(attempt, retryAfter, random)
      } catch (error) {
        if (request.signal?.aborted) throw error
        const failure = describeNetworkError(error, options.timeoutMs)
        options.log.debug(`${request.method} ${host}${pathname} -> ${failure.code} (${tries}, ${Date.now() - started} ms)`)
        if (!failure.retryable || attempt >= maxAttempts) {
          throw new NetworkError(
            `${request.purpose} at ${host} failed: ${failure.message} (${plural(attempt, 'try', 'tries')}).`,
            failure.code,
            attempt,
          )
        }
        wait = backoffMs(attempt, undefined, random)
      }
      options.log.debug(`waiting ${Math.round(wait)} ms before the next try`)
      await sleep(wait, request.signal)
    }
  }
}

/** One try, bounded as a whole by timeoutMs: a server that never answers or trickles is cut off. */
async function sendOnce(request: HttpRequest, options: HttpOptions): Promise<Omit<HttpResponse, 'attempts'>> {
  request.signal?.throwIfAborted()
  const client = new HttpClient(options.userAgent, [], {
    allowRetries: false,
    // A redirect would re-send the credential to wherever the Location points.
    allowRedirects: false,
    keepAlive: false,
    socketTimeout: options.timeoutMs,
  })
  let destroyResponse = (): void => {}
  let stop: (error: Error) => void = () => {}
  const stopped = new Promise<never>((_, reject) => {
    stop = (error) => {
      client.dispose()
      destroyResponse()
      reject(error)
    }
  })
  const timer = setTimeout(() => stop(new DeadlineError('deadline')), options.timeoutMs)
  const onAbort = (): void => stop(request.signal?.reason instanceof Error ? request.signal.reason : new Error('aborted'))
  request.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    const response = await Promise.race([client.request(request.method, request.url, request.body ?? null, request.headers ?? {}), stopped])
    destroyResponse = () => response.message.destroy()
    const body = await Promise.race([response.readBody(), stopped])
    return {
      status: response.message.statusCode ?? 0,
      statusText: response.message.statusMessage ?? '',
      headers: response.message.headers,
      body,
    }
  } finally {
    clearTimeout(timer)
    request.signal?.removeEventListener('abort', onAbort)
    client.dispose()
  }
}

function describeNetworkError(error: unknown, timeoutMs: number): { code: string; message: string; retryable: boolean } {
  const code = String((error as { code?: unknown })?.code ?? 'ERROR')
  if (error instanceof DeadlineError) {
    return { code, retryable: true, message: `no complete answer within ${timeoutMs / 1000} s (timeout-seconds)` }
  }
  if (TLS_CODES.has(code)) {
    return {
      code,
      retryable: false,
      message:
        `the server's TLS certificate is not trusted (${code}). If it uses a private or self-signed CA, ` +
        'pass that CA certificate (PEM) in the ca-certificate input',
    }
  }
  const messages: Record<string, string> = {
    ENOTFOUND: 'host name not found (check url)',
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    EPIPE: 'connection closed while sending',
    ETIMEDOUT: 'connection timed out',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    EAI_AGAIN: 'temporary DNS failure',
  }
  // The tunnel package reports a proxy's refusal (407, 403, 502 ...) as a reset; say what it was.
  const proxyStatus = /tunneling socket could not be established, statusCode=(\d+)/.exec(String((error as Error)?.message))?.[1]
  if (proxyStatus) {
    return {
      code: `PROXY_${proxyStatus}`,
      retryable: Number(proxyStatus) >= 500,
      message: `the proxy (https_proxy) refused the tunnel with HTTP ${proxyStatus}${proxyStatus === '407' ? ': it wants credentials, give them in https_proxy as http://user:password@host:port' : ''}`,
    }
  }
  const text = messages[code] ?? (error instanceof Error ? error.message : String(error))
  return { code, retryable: code !== 'ENOTFOUND', message: text }
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value
  if (!text) return undefined
  if (/^\s*\d+(\.\d+)?\s*$/.test(text)) return Number(text) * 1000
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/**
 * Full-jitter exponential backoff. With Retry-After the server's wish is honoured, plus up to one
 * base delay of jitter so that many clients told the same thing do not come back in one wave.
 */
export function backoffMs(attempt: number, retryAfter: number | undefined, random: () => number): number {
  if (retryAfter !== undefined) return Math.min(MAX_DELAY_MS, retryAfter) + random() * BASE_DELAY_MS
  return random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (attempt - 1))
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms)
    function done(): void {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }
    function onAbort(): void {
      clearTimeout(timer)
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

export function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`
}

/** Parses a JSON object body; undefined for anything else (HTML pages, empty bodies, arrays). */
export function jsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body)
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/**
 * The provider's own reason for a failed response, short and on one line: the message of a JSON
 * or XML error, or what kind of page came back. Not redacted: callers' messages are redacted when
 * printed.
 */
export function responseReason(response: Pick<HttpResponse, 'status' | 'statusText' | 'body' | 'headers'>): string {
  const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`
  const body = response.body.trim()
  if (!body) return `${status}, empty body`
  const json = jsonObject(body)
  if (json) {
    const parts = ['error', 'minorErrorCode', 'message', 'error_description']
      .map((key) => json[key])
      .filter(
        (value, index, all): value is string | number =>
          (typeof value === 'string' || typeof value === 'number') && all.indexOf(value) === index,
      )
    return `${status}: ${oneLine(parts.length ? parts.join(': ') : body)}`
  }
  const xmlMessage = /<Error\b[^>]*\bmessage="([^"]*)"/i.exec(body)?.[1]
  if (xmlMessage) return `${status}: ${oneLine(decodeXml(xmlMessage))}`
  if (/^<!doctype html|^<html|<body/i.test(body)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(body)?.[1]?.trim()
    return `${status}, an HTML page${title ? ` ("${oneLine(decodeXml(title))}")` : ''} instead of an API answer: a proxy, firewall or outage page?`
  }
  return `${status}: ${oneLine(body)}`
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > 300 ? `${flat.slice(0, 300)}...` : flat
}

export function decodeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&')
}

/**
 * Trusts extra CA certificates for every TLS connection of this process (direct or through a
 * proxy tunnel) besides the default ones: http-client takes no CA option of its own.
 */
export function trustCaCertificates(pems: string[]): void {
  if (!pems.length) return
  // Node 24.5 and later; the runner's node24 is newer, a contributor's node may not be.
  if (typeof tls.setDefaultCACertificates !== 'function') {
    throw new Error(`ca-certificate needs node 24.5 or later to take effect; this is node ${process.version}.`)
  }
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), ...pems])
}
