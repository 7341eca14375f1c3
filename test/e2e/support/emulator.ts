/**
 * A small HTTPS server for provider emulators: routes, request recording and fault injection as
 * data. A provider emulator (csp-emulator.ts, vcd-emulator.ts) is only its routes.
 *
 *   const server = new EmulatorServer({ routes, tls: 'ca' })   // tls: 'ca' (default) | 'self-signed' | 'none';
 *                                         //   also names, port (default 0), onArrival(recorded), onReply(recorded), maxBodyBytes
 *   await server.start()                  // binds 127.0.0.1:0; server.port, server.url ('https://127.0.0.1:<port>')
 *   server.urlFor('vcd.example.test')     // same port, another host name (names: [...] puts it in the certificate)
 *   server.ca                             // PEM to trust (the private CA; the certificate itself when self-signed)
 *   server.requests                       // RecordedRequest[]: seq, time, method, path, query, headers, body,
 *                                         //   form, json, route, servername (SNI), connection (which one carried it),
 *                                         //   status, fault, durationMs
 *   server.requestsTo('token')            // the recorded requests one route (by name) received
 *   server.secrets()                      // every credential it knows or issued, and every Basic/Bearer value it saw
 *   await server.request('/path', { method, headers, body })   // a client that trusts server.ca, for assertions
 *   await requestTrusting(url, ca, { method, headers, body })  // the same client for any server
 *   await server.close()                  // ends hung and trickling answers, closes every socket
 *
 * Faults (first registered applicable fault wins; each counts the requests its route received):
 *
 *   const f = server.fault('token', { times: 2, status: 429, headers: { 'retry-after': '1' } })
 *   f.hits                                // how many requests it was applied to; f.remove()
 *   server.fault('*', { ... })            // every route; server.clearFaults()
 *
 *   times: 1 (default) | Infinity         skip: let N matching requests through first
 *   when: (req) => boolean                delayMs: wait before answering (or before reset/hang)
 *   reset: true                           destroy the socket once the request is read
 *   hang: true                            never answer (the socket is closed by server.close())
 *   reset: 'after-route', hang: 'after-route'   the same, after the route ran: the server did the work
 *                                         (issued, rotated, logged out) but the answer is lost
 *   status, headers, body                 a canned answer instead of the route (body: string, or object as JSON;
 *                                         without body a provider-shaped JSON error for status >= 400, else empty)
 *   html: true | '<html>...'              a canned HTML page (default status 502), as a proxy or outage answers
 *   echo: 'token' | 'tail' | 'request-body'   a canned provider-shaped JSON error (default 400) whose message holds
 *                                         the credential of the request, its last `echoTail` (default 10) chars,
 *                                         or the whole request body
 *   patch: { expires_in: '1799' }         run the route (its side effects happen: tokens issued, rotated), then
 *   omit: ['access_token']                replace / remove JSON fields of its answer,
 *   replaceBody: ''                       or its whole body (status and headers kept),
 *   mapBody: (body) => '\uFEFF' + body     or its body text passed through a function
 *   trickle: { chunkBytes: 1, intervalMs: 200 }   send the answer (real or canned) in small slow pieces
 *
 * Only erasable TypeScript here: scripts run this file directly with node's type stripping.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import https from 'node:https'
import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { makeCerts, type TestPki } from './certs.ts'
import { TcpServer } from './tcp.ts'

export interface RecordedRequest {
  /** 1, 2, ... in arrival order. */
  seq: number
  /** Date.now() when the request head arrived. */
  time: number
  method: string
  /** The request target as sent: path and query. */
  url: string
  path: string
  query: Record<string, string>
  headers: IncomingHttpHeaders
  body: string
  /** The body parsed, when it is form-encoded. */
  form?: Record<string, string>
  /** The body parsed, when it is JSON. */
  json?: unknown
  /** Name of the route that matched; undefined when none did (answered 404). */
  route?: string
  /** TLS server name (SNI) the client asked for. */
  servername?: string
  /** 1, 2, ...: which connection carried it, in the order connections brought their first request. */
  connection: number
  /** Status answered; undefined while pending or when the fault was reset/hang. */
  status?: number
  /** Which fault applied, in words. */
  fault?: string
  durationMs?: number
}

export interface Reply {
  status: number
  headers?: Record<string, string>
  /** A string as is; anything else as JSON. */
  body?: unknown
}

export interface Route {
  name: string
  method: string
  /** Exact path, or a RegExp over the path whose capture groups are passed as params. */
  path: string | RegExp
  /** The credential the request carries (for `echo` faults). */
  credential?: (request: RecordedRequest) => string | undefined
  handle(request: RecordedRequest, params: string[]): Reply | Promise<Reply>
}

export interface Fault {
  times?: number
  skip?: number
  when?: (request: RecordedRequest) => boolean
  delayMs?: number
  reset?: boolean | 'after-route'
  hang?: boolean | 'after-route'
  status?: number
  headers?: Record<string, string>
  body?: unknown
  html?: boolean | string
  echo?: 'token' | 'tail' | 'request-body'
  echoTail?: number
  patch?: Record<string, unknown>
  omit?: string[]
  replaceBody?: string
  mapBody?: (body: string) => string
  trickle?: { chunkBytes?: number; intervalMs?: number }
}

export interface FaultHandle {
  readonly route: string
  readonly fault: Fault
  /** Requests the fault was applied to. */
  hits: number
  /** Matching requests seen (applied or skipped). */
  seen: number
  remove(): void
}

export interface EmulatorOptions {
  routes?: Route[]
  /** 'ca' (default): a certificate of a private CA; 'self-signed'; 'none': plain http. */
  tls?: 'ca' | 'self-signed' | 'none'
  /** Extra DNS names for the certificate (localhost and 127.0.0.1 are always in it). */
  names?: string[]
  /** Provider-shaped JSON error body for canned error answers. */
  errorBody?: (status: number, message: string) => unknown
  /** Largest request body read; bigger ones get 413. Default 1 MiB. */
  maxBodyBytes?: number
  /** Port to listen on (default 0: any free port). Always on 127.0.0.1. */
  port?: number
  /** Called once per request when its head has arrived, right after it is recorded (`time` read): a hook for other clocks. */
  onArrival?: (request: RecordedRequest) => void
  /** Called once per request when it has been answered, reset, or left hanging. */
  onReply?: (request: RecordedRequest) => void
}

export interface ClientReply {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

export interface ClientOptions {
  method?: string
  headers?: Record<string, string>
  body?: string
}

const STATUS_TEXT = http.STATUS_CODES

/** One request on a new connection (http or https by the URL), trusting `ca` (PEM) when given. */
export function requestTrusting(target: URL, ca: string, options: ClientOptions = {}): Promise<ClientReply> {
  const transport = target.protocol === 'http:' ? http : https
  // Node frames a DELETE's body only with a length (it does not chunk DELETE by default).
  const length = options.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(options.body)) }
  return new Promise((resolve, reject) => {
    const request = transport.request(
      target,
      { method: options.method ?? 'GET', headers: { ...length, ...options.headers }, ca: ca || undefined, agent: false },
      (response) => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => (body += chunk))
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }))
        response.on('error', reject)
      },
    )
    request.on('error', reject)
    request.end(options.body)
  })
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export class EmulatorServer extends TcpServer<http.Server | https.Server> {
  readonly requests: RecordedRequest[] = []
  /** Requests that carried a credential in the query string (refusedInQuery refused them). */
  readonly credentialsInUrl: RecordedRequest[] = []
  routes: Route[]
  readonly pki: TestPki | undefined
  readonly tlsMode: 'ca' | 'self-signed' | 'none'
  protected readonly known = new Set<string>()
  private readonly faults: FaultHandle[] = []
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly connectionNumbers = new WeakMap<Socket, number>()
  private connectionCount = 0
  private readonly errorBody: (status: number, message: string) => unknown
  private readonly maxBodyBytes: number
  private readonly onArrival: ((request: RecordedRequest) => void) | undefined
  private readonly onReply: ((request: RecordedRequest) => void) | undefined

  constructor(options: EmulatorOptions = {}) {
    super(options.port ?? 0)
    this.routes = options.routes ?? []
    this.tlsMode = options.tls ?? 'ca'
    this.pki = this.tlsMode === 'none' ? undefined : makeCerts(options.names ?? [])
    this.errorBody = options.errorBody ?? ((status, message) => ({ status, message }))
    this.maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024
    this.onArrival = options.onArrival
    this.onReply = options.onReply
  }

  get url(): string {
    return this.urlFor('127.0.0.1')
  }

  urlFor(hostname: string): string {
    return `${this.tlsMode === 'none' ? 'http' : 'https'}://${hostname}:${this.port}`
  }

  /** The PEM a client must trust to reach this server. */
  get ca(): string {
    if (!this.pki) return ''
    return this.tlsMode === 'self-signed' ? this.pki.selfSigned.cert : this.pki.caCert
  }

  protected createServer(): http.Server | https.Server {
    const handler = (request: IncomingMessage, response: ServerResponse): void => {
      this.onRequest(request, response).catch((error: unknown) => {
        if (!response.headersSent && !response.destroyed) {
          response.writeHead(500, { 'content-type': 'text/plain' }).end(`emulator error: ${(error as Error).message}`)
        }
      })
    }
    const server =
      this.tlsMode === 'none'
        ? http.createServer(handler)
        : https.createServer(
            this.tlsMode === 'self-signed' ? { ...this.pki!.selfSigned } : { cert: this.pki!.cert, key: this.pki!.key },
            handler,
          )
    // Node's default, and shorter than real servers keep idle connections: long enough for a client
    // to reuse one for the requests that follow one another (node reuses none under a 1 s hint).
    server.keepAliveTimeout = 5000
    // 'connection' also catches sockets that never finish a TLS handshake (a client that does not trust the CA).
    server.on('connection', (socket: Socket) => this.track(socket))
    if (this.tlsMode !== 'none') server.on('secureConnection', (socket: Socket) => this.track(socket))
    server.on('tlsClientError', () => {})
    return server
  }

  override async close(): Promise<void> {
    this.closing = true
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    await super.close()
  }

  fault(route: string, fault: Fault): FaultHandle {
    const faults = this.faults
    const handle: FaultHandle = {
      route,
      fault,
      hits: 0,
      seen: 0,
      remove() {
        const index = faults.indexOf(handle)
        if (index !== -1) faults.splice(index, 1)
      },
    }
    faults.push(handle)
    return handle
  }

  clearFaults(): void {
    this.faults.length = 0
  }

  clearRequests(): void {
    this.requests.length = 0
  }

  /** Clean for the next test: no faults, no recorded requests (an emulator with more state resets that too). */
  reset(): void {
    this.clearFaults()
    this.clearRequests()
    this.credentialsInUrl.length = 0
  }

  /** A request whose query string has any of `names` (a credential in the URL): flagged in credentialsInUrl, answered 400 with `body`. */
  protected refusedInQuery(request: RecordedRequest, names: readonly string[], body: unknown): Reply | undefined {
    if (!names.some((name) => request.query[name] !== undefined)) return undefined
    this.credentialsInUrl.push(request)
    return { status: 400, body }
  }

  requestsTo(route: string): RecordedRequest[] {
    return this.requests.filter((request) => request.route === route)
  }

  /** Every credential configured or issued, and every Basic / Bearer value received. */
  secrets(): string[] {
    const seen = new Set(this.known)
    for (const request of this.requests) {
      const auth = request.headers.authorization
      const value = auth?.replace(/^(Basic|Bearer)\s+/i, '')
      if (value) seen.add(value)
    }
    return [...seen].filter((value) => value.length > 0)
  }

  /** Registers a value as secret (for secrets()). */
  remember(...values: (string | null | undefined)[]): void {
    for (const value of values) if (value) this.known.add(value)
  }

  /** A plain client that trusts this server's certificate: for assertions such as "the token is dead". */
  request(path: string, options: ClientOptions = {}): Promise<ClientReply> {
    return requestTrusting(new URL(path, this.url), this.ca, options)
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      fn()
    }, ms)
    this.timers.add(timer)
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => this.later(ms, resolve))
  }

  private connectionOf(socket: Socket): number {
    let number = this.connectionNumbers.get(socket)
    if (number === undefined) {
      number = ++this.connectionCount
      this.connectionNumbers.set(socket, number)
    }
    return number
  }

  private async onRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const time = Date.now()
    const target = new URL(request.url ?? '/', 'http://emulator.invalid')
    const recorded: RecordedRequest = {
      seq: this.requests.length + 1,
      time,
      method: request.method ?? 'GET',
      url: request.url ?? '/',
      path: target.pathname,
      query: Object.fromEntries(target.searchParams),
      headers: request.headers,
      body: '',
      servername: (request.socket as TLSSocket).servername || undefined,
      connection: this.connectionOf(request.socket),
    }
    this.requests.push(recorded)
    this.onArrival?.(recorded)

    const tooBig = await readBody(request, this.maxBodyBytes).then(
      (body) => {
        recorded.body = body
        return false
      },
      () => true,
    )
    if (tooBig) return this.send(recorded, response, { status: 413, body: this.errorBody(413, 'Request Entity Too Large') })
    parseBody(recorded)

    let params: string[] = []
    const route = this.routes.find((candidate) => {
      if (candidate.method !== recorded.method) return false
      if (typeof candidate.path === 'string') return candidate.path === recorded.path
      const match = candidate.path.exec(recorded.path)
      if (match) params = match.slice(1).map((part) => safeDecode(part))
      return match !== null
    })
    recorded.route = route?.name
    if (!route) {
      const pathKnown = this.routes.some((candidate) =>
        typeof candidate.path === 'string' ? candidate.path === recorded.path : candidate.path.test(recorded.path),
      )
      return pathKnown
        ? this.send(recorded, response, { status: 405, body: this.errorBody(405, 'Method Not Allowed') })
        : this.send(recorded, response, { status: 404, body: this.errorBody(404, `No route for ${recorded.method} ${recorded.path}`) })
    }

    const fault = this.pickFault(route.name, recorded)
    if (!fault) return this.send(recorded, response, await route.handle(recorded, params))

    recorded.fault = describeFault(fault)
    if (fault.delayMs) await this.wait(fault.delayMs)
    if (this.closing) return
    if (fault.reset === 'after-route' || fault.hang === 'after-route') await route.handle(recorded, params)
    if (fault.reset) {
      request.socket.destroy()
      recorded.durationMs = Date.now() - time
      this.onReply?.(recorded)
      return
    }
    if (fault.hang) return void this.onReply?.(recorded)

    let reply: Reply
    if (fault.html !== undefined && fault.html !== false) {
      const status = fault.status ?? 502
      const page =
        typeof fault.html === 'string'
          ? fault.html
          : `<!DOCTYPE html>\n<html><head><title>${status} ${STATUS_TEXT[status] ?? 'Error'}</title></head>\n` +
            `<body><center><h1>${status} ${STATUS_TEXT[status] ?? 'Error'}</h1></center><hr><center>nginx</center></body></html>\n`
      reply = { status, headers: { 'content-type': 'text/html', ...fault.headers }, body: page }
    } else if (fault.echo) {
      const credential = route.credential?.(recorded) ?? ''
      const tail = fault.echoTail ?? 10
      const echoed =
        fault.echo === 'token'
          ? `invalid_grant: Invalid refresh token: ${credential}`
          : fault.echo === 'tail'
            ? `invalid_grant: Invalid refresh token: xxxxx...${credential.slice(-tail)}`
            : `Bad request: ${recorded.body}`
      const status = fault.status ?? 400
      reply = { status, headers: fault.headers, body: fault.body ?? this.errorBody(status, echoed) }
    } else if (fault.status !== undefined) {
      reply = {
        status: fault.status,
        headers: fault.headers,
        body: fault.body ?? (fault.status >= 400 ? this.errorBody(fault.status, STATUS_TEXT[fault.status] ?? 'Error') : ''),
      }
    } else {
      reply = await route.handle(recorded, params)
      if (fault.patch || fault.omit) {
        const json = typeof reply.body === 'string' ? tryJson(reply.body) : reply.body
        if (json && typeof json === 'object') {
          const copy: Record<string, unknown> = { ...(json as Record<string, unknown>), ...fault.patch }
          for (const key of fault.omit ?? []) delete copy[key]
          reply = { ...reply, body: copy }
        }
      }
      if (fault.replaceBody !== undefined) reply = { ...reply, body: fault.replaceBody }
      if (fault.mapBody) {
        const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? '')
        reply = { ...reply, headers: { 'content-type': 'application/json;charset=UTF-8', ...reply.headers }, body: fault.mapBody(text) }
      }
      if (fault.headers) reply = { ...reply, headers: { ...reply.headers, ...fault.headers } }
    }
    return this.send(recorded, response, reply, fault.trickle)
  }

  private pickFault(routeName: string, recorded: RecordedRequest): Fault | undefined {
    let chosen: FaultHandle | undefined
    for (const handle of this.faults) {
      if (handle.route !== '*' && handle.route !== routeName) continue
      if (handle.fault.when && !handle.fault.when(recorded)) continue
      handle.seen++
      if (chosen) continue
      if (handle.seen <= (handle.fault.skip ?? 0)) continue
      if (handle.hits >= (handle.fault.times ?? 1)) continue
      handle.hits++
      chosen = handle
    }
    return chosen?.fault
  }

  private send(recorded: RecordedRequest, response: ServerResponse, reply: Reply, trickle?: Fault['trickle']): void {
    if (response.destroyed) return
    const isText = typeof reply.body === 'string' || reply.body === undefined
    const body = Buffer.from(isText ? ((reply.body as string | undefined) ?? '') : JSON.stringify(reply.body))
    const headers: Record<string, string> = {
      ...(isText ? {} : { 'content-type': 'application/json;charset=UTF-8' }),
      ...reply.headers,
      'content-length': String(body.length),
    }
    recorded.status = reply.status
    response.writeHead(reply.status, headers)
    if (!trickle || body.length === 0) {
      response.end(body)
      recorded.durationMs = Date.now() - recorded.time
      this.onReply?.(recorded)
      return
    }
    response.flushHeaders()
    const chunk = Math.max(1, trickle.chunkBytes ?? 1)
    const interval = trickle.intervalMs ?? 200
    let offset = 0
    const step = (): void => {
      if (response.destroyed || this.closing) return
      const next = Math.min(body.length, offset + chunk)
      response.write(body.subarray(offset, next))
      offset = next
      if (offset >= body.length) {
        response.end()
        recorded.durationMs = Date.now() - recorded.time
        this.onReply?.(recorded)
      } else this.later(interval, step)
    }
    this.later(interval, step)
  }
}

function readBody(request: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > max) {
        request.removeAllListeners('data')
        request.resume()
        reject(new Error('too big'))
      } else chunks.push(chunk)
    })
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    request.on('error', reject)
  })
}

function parseBody(recorded: RecordedRequest): void {
  const type = String(recorded.headers['content-type'] ?? '').toLowerCase()
  if (type.includes('application/x-www-form-urlencoded')) {
    recorded.form = Object.fromEntries(new URLSearchParams(recorded.body))
  } else if (type.includes('json') && recorded.body) {
    recorded.json = tryJson(recorded.body)
  }
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

function describeFault(fault: Fault): string {
  const parts: string[] = []
  if (fault.delayMs) parts.push(`delay ${fault.delayMs} ms`)
  if (fault.reset) parts.push(fault.reset === 'after-route' ? 'reset after route' : 'reset')
  else if (fault.hang) parts.push(fault.hang === 'after-route' ? 'hang after route' : 'hang')
  else if (fault.html) parts.push(`html ${fault.status ?? 502}`)
  else if (fault.echo) parts.push(`echo ${fault.echo} ${fault.status ?? 400}`)
  else if (fault.status !== undefined) parts.push(`status ${fault.status}`)
  if (fault.patch) parts.push(`patch ${Object.keys(fault.patch).join(',')}`)
  if (fault.omit) parts.push(`omit ${fault.omit.join(',')}`)
  if (fault.replaceBody !== undefined) parts.push('replace body')
  if (fault.mapBody) parts.push('map body')
  if (fault.trickle) parts.push('trickle')
  return parts.join(', ') || 'none'
}

/** Basic auth header -> [user, password], or undefined. */
export function parseBasic(header: string | undefined): [string, string] | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '')
  if (!match) return undefined
  const text = Buffer.from(match[1], 'base64').toString('utf8')
  const colon = text.indexOf(':')
  return colon === -1 ? undefined : [text.slice(0, colon), text.slice(colon + 1)]
}

/** Bearer auth header -> token, or undefined. */
export function parseBearer(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1]
}
