/**
 * The one way the action talks to a provider: @actions/http-client requests over the step's
 * keep-alive connections (requests that follow one another reuse a host's TLS connection, through
 * a proxy too), a hard deadline per try, and jittered exponential backoff honouring Retry-After.
 * Debug lines never hold a header or a body.
 */
import { getProxyUrl, HttpClient } from '@actions/http-client'
import http from 'node:http'
import https from 'node:https'
import type { Log } from '../core.js'
import { plural } from '../text.js'
import { isRetryableStatus, readBody, ResponseTooLargeError, type HttpResponse } from './response.js'
import { trustedCas, UNTRUSTED_CERTIFICATE_CODES } from './tls.js'

export interface HttpRequest {
  method: 'GET' | 'POST' | 'DELETE'
  url: string
  headers?: Record<string, string>
  body?: string
  /** What the request is for, as the user would say it: "token exchange for org x". */
  purpose: string
  /** Number of tries; defaults to the configured max-attempts. */
  attempts?: number
  /** Aborts the request (and any wait before a retry). */
  signal?: AbortSignal
}

export type Send = (request: HttpRequest) => Promise<HttpResponse>

export interface HttpOptions {
  userAgent: string
  timeoutMs: number
  maxAttempts: number
  log: Pick<Log, 'debug'>
  /** PEM certificates to trust besides the default CAs. */
  caCertificates?: readonly string[]
  /** Sees every answer's body before any line about the answer is written (to mask its tokens). */
  inspectBody?: (body: string) => void
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  random?: () => number
}

export interface Http {
  send: Send
  /** Ends the step's idle connections; the step is over. */
  close(): void
}

/** No usable answer: a network, TLS, timeout or size failure, after every allowed try. */
export class RequestError extends Error {
  override name = 'RequestError'
}

export const BASE_DELAY_MS = 1000
/** No single wait is longer; a Retry-After beyond it ends the retries instead. */
export const MAX_DELAY_MS = 30_000

class DeadlineError extends Error {
  readonly code = 'TIMEOUT'
}

export function createHttp(options: HttpOptions): Http {
  const sleep = options.sleep ?? abortableSleep
  const random = options.random ?? Math.random
  const connections = new Connections(trustedCas(options.caCertificates ?? []))

  async function send(request: HttpRequest): Promise<HttpResponse> {
    const maxAttempts = request.attempts ?? options.maxAttempts
    const { host, pathname } = new URL(request.url)
    for (let attempt = 1; ; attempt++) {
      const started = Date.now()
      const tries = `try ${attempt} of ${maxAttempts}`
      let wait: number
      try {
        const response = await sendOnce(request, options, connections)
        options.inspectBody?.(response.body)
        options.log.debug(`${request.method} ${host}${pathname} -> ${response.status} (${tries}, ${Date.now() - started} ms)`)
        const retryAfter = retryAfterMs(response.headers['retry-after'])
        const retryable = isRetryableStatus(response.status) && (retryAfter ?? 0) <= MAX_DELAY_MS
        if (!retryable || attempt >= maxAttempts) return { ...response, attempts: attempt }
        wait = backoffMs(attempt, retryAfter, random)
      } catch (error) {
        if (request.signal?.aborted) throw error
        const failure = describeFailure(error, options.timeoutMs)
        options.log.debug(`${request.method} ${host}${pathname} -> ${failure.code} (${tries}, ${Date.now() - started} ms)`)
        if (!failure.retryable || attempt >= maxAttempts) {
          throw new RequestError(`${request.purpose} at ${host} failed: ${failure.message} (${plural(attempt, 'try', 'tries')}).`)
        }
        wait = backoffMs(attempt, undefined, random)
      }
      options.log.debug(`waiting ${Math.round(wait)} ms before the next try`)
      // A connection left idle through the wait may be closed by the server just as it is reused,
      // which would cost a try: the next try opens a new one.
      connections.dropIdle()
      await sleep(wait, request.signal)
    }
  }

  return { send, close: () => connections.close() }
}

/**
 * Node's own proxy support (24.5 and later) keeps a tunnel alive like any other connection. The
 * runner's node24 is far newer (actions/runner src/Misc/externals.sh: 24.15 in runner 2.334): an
 * older node is refused rather than let a proxied request go out directly.
 */
const OLD_NODE = 'ERR_NODE_TOO_OLD_FOR_PROXY'
const BUILT_IN_PROXY = ((): boolean => {
  const [major, minor] = process.versions.node.split('.').map(Number)
  return major > 24 || (major === 24 && minor >= 5)
})()

/**
 * The step's keep-alive agents: one direct, one per proxy. Which proxy a URL goes through (if any:
 * https_proxy, no_proxy, loopback) is http-client's decision, so the rules are those of the runner's
 * own tools.
 */
class Connections {
  private readonly agents = new Map<string, http.Agent>()

  constructor(private readonly ca: string[] | undefined) {}

  /** The agent for url, through https_proxy where http-client's rules send it there. */
  agentFor(url: URL): http.Agent {
    const secure = url.protocol === 'https:'
    const proxy = secure ? getProxyUrl(url.href) : ''
    if (proxy && !BUILT_IN_PROXY) {
      throw Object.assign(
        new Error(`https_proxy is set, and node ${process.versions.node} cannot use it: the action needs node 24.5 or later`),
        {
          code: OLD_NODE,
        },
      )
    }
    const key = `${url.protocol} ${proxy}`
    let agent = this.agents.get(key)
    if (!agent) {
      agent = secure
        ? new https.Agent({ keepAlive: true, ca: this.ca, ...(proxy ? { proxyEnv: { HTTPS_PROXY: proxy } } : {}) })
        : new http.Agent({ keepAlive: true })
      this.agents.set(key, agent)
    }
    return agent
  }

  /** Closes the connections no request is using. */
  dropIdle(): void {
    for (const agent of this.agents.values()) {
      for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy()
    }
  }

  close(): void {
    for (const agent of this.agents.values()) agent.destroy()
    this.agents.clear()
  }
}

/** One try, bounded as a whole by timeoutMs: a server that never answers or trickles is cut off. */
async function sendOnce(request: HttpRequest, options: HttpOptions, connections: Connections): Promise<Omit<HttpResponse, 'attempts'>> {
  request.signal?.throwIfAborted()
  const deadline = new AbortController()
  const timer = setTimeout(() => deadline.abort(new DeadlineError('deadline')), options.timeoutMs)
  const signal = request.signal ? AbortSignal.any([deadline.signal, request.signal]) : deadline.signal
  const url = new URL(request.url)
  const client = new HttpClient(
    options.userAgent,
    [
      {
        prepareRequest(requestOptions) {
          requestOptions.agent = connections.agentFor(url)
          requestOptions.signal = signal
          // Also bounds the CONNECT to a proxy, which node does not end when the signal aborts.
          requestOptions.timeout = options.timeoutMs
        },
        canHandleAuthentication: () => false,
        handleAuthentication: () => Promise.reject(new Error('not used')),
      },
    ],
    // A redirect would re-send the credential to wherever the Location points.
    { allowRedirects: false, allowRetries: false, socketTimeout: options.timeoutMs },
  )
  try {
    const response = await client.request(request.method, request.url, request.body ?? null, request.headers ?? {})
    const body = await readBody(response.message)
    // The caller gave up on it: whatever came is no longer wanted.
    request.signal?.throwIfAborted()
    return {
      status: response.message.statusCode ?? 0,
      statusText: response.message.statusMessage ?? '',
      headers: response.message.headers,
      body,
    }
  } catch (error) {
    if (request.signal?.aborted) throw request.signal.reason
    throw deadline.signal.aborted ? deadline.signal.reason : error
  } finally {
    clearTimeout(timer)
    client.dispose()
  }
}

function describeFailure(error: unknown, timeoutMs: number): { code: string; message: string; retryable: boolean } {
  const code = String((error as { code?: unknown })?.code ?? 'ERROR')
  if (error instanceof DeadlineError) {
    return { code, retryable: true, message: `no complete answer within ${timeoutMs / 1000} s (timeout-seconds)` }
  }
  if (error instanceof ResponseTooLargeError) {
    return { code, retryable: false, message: `${error.message}; check url` }
  }
  if (UNTRUSTED_CERTIFICATE_CODES.has(code)) {
    return {
      code,
      retryable: false,
      message:
        `the server's TLS certificate is not trusted (${code}). If it uses a private or self-signed CA, ` +
        'pass that CA certificate (PEM) in the ca-certificate input',
    }
  }
  if (code === OLD_NODE) return { code, retryable: false, message: (error as Error).message }
  const proxyStatus = proxyRefusal(error)
  if (proxyStatus) {
    return {
      code: `PROXY_${proxyStatus}`,
      retryable: Number(proxyStatus) >= 500,
      message: `the proxy (https_proxy) refused the tunnel with HTTP ${proxyStatus}${proxyStatus === '407' ? ': it wants credentials, give them in https_proxy as http://user:password@host:port' : ''}`,
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
  const text = messages[code] ?? (error instanceof Error ? error.message : String(error))
  return { code, retryable: code !== 'ENOTFOUND', message: text }
}

/** The status a proxy refused the CONNECT with, as node's proxy support reports it. */
function proxyRefusal(error: unknown): string | undefined {
  const { code, statusCode } = (error ?? {}) as { code?: unknown; statusCode?: unknown }
  return code === 'ERR_PROXY_TUNNEL' && typeof statusCode === 'number' ? String(statusCode) : undefined
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
