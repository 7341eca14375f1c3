/**
 * The one TCP server base of the test servers (the HTTPS emulators build on it too), and the small
 * servers below HTTP for faults there. Every server listens on 127.0.0.1 (port 0: a free one),
 * tracks its sockets and destroys them all on close(), so that a hung client never holds a test.
 *
 *   const silent = await new RawServer('silent').start()   // accepts, never sends a byte (no TLS handshake, no CONNECT answer)
 *   new RawServer('reset')                                  // resets every connection at once (TCP RST)
 *   new RawServer({ forwardTo: port })                      // forwards bytes to 127.0.0.1:<port>
 *   silent.url / silent.port                                // https://127.0.0.1:<port>
 *   silent.connections                                      // Date.now() when each connection was accepted
 *   const proxy = await new ConnectProxy({ hosts: { 'vcd.example.test': '127.0.0.1' } }).start()
 *   proxy.url, proxy.tunnels, proxy.otherRequests           // a CONNECT-only forward proxy (see its class comment)
 *   await using([silent, proxy], async () => { ... })       // closes them afterwards, whatever happens
 *   await closedPort()                                      // a port nothing listens on
 *
 * Only erasable TypeScript here: scripts run this file directly with node's type stripping.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import net, { type AddressInfo, type Socket } from 'node:net'

/** Listening, socket tracking and closing, for any node server (net, http, https). */
export abstract class TcpServer<S extends net.Server = net.Server> {
  port = 0
  protected server: S | undefined
  /** Set by close(): sockets that connect later are destroyed at once. */
  protected closing = false
  private readonly sockets = new Set<Socket>()
  private readonly listenPort: number

  constructor(listenPort = 0) {
    this.listenPort = listenPort
  }

  protected abstract createServer(): S

  async start(): Promise<this> {
    const server = this.createServer()
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.listenPort, '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
    this.port = (server.address() as AddressInfo).port
    return this
  }

  async close(): Promise<void> {
    this.closing = true
    const server = this.server
    if (!server) return
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const socket of this.sockets) socket.destroy()
    // http and https servers also end their idle keep-alive connections.
    if ('closeAllConnections' in server) (server as unknown as http.Server).closeAllConnections()
    await closed
  }

  /** Keeps a socket to destroy on close(); errors on it (a client's reset) are expected. */
  protected track(socket: Socket): void {
    if (this.sockets.has(socket)) return
    this.sockets.add(socket)
    socket.on('close', () => this.sockets.delete(socket))
    socket.on('error', () => {})
    if (this.closing) socket.destroy()
  }
}

/** A port nothing listens on (listened on once, then closed). */
export async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** Runs `body` with servers that are closed afterwards, whatever happens. */
export async function using<T extends { close(): Promise<void> }, R>(servers: T[], body: () => Promise<R>): Promise<R> {
  try {
    return await body()
  } finally {
    await Promise.all(servers.map((server) => server.close()))
  }
}

export type RawMode =
  /** Accept and never send a byte: no TLS handshake, no CONNECT answer. */
  | 'silent'
  /** Reset every connection at once (TCP RST). */
  | 'reset'
  /** Forward bytes to 127.0.0.1:<port>, counting the connections. */
  | { forwardTo: number }

/** A TCP server below HTTP and TLS, recording each connection. */
export class RawServer extends TcpServer {
  readonly connections: number[] = []
  private readonly mode: RawMode

  constructor(mode: RawMode) {
    super()
    this.mode = mode
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`
  }

  protected createServer(): net.Server {
    return net.createServer((socket) => this.accept(socket))
  }

  private accept(socket: Socket): void {
    this.connections.push(Date.now())
    this.track(socket)
    if (this.mode === 'silent') return
    if (this.mode === 'reset') return void socket.resetAndDestroy()
    const upstream = net.connect(this.mode.forwardTo, '127.0.0.1')
    this.track(upstream)
    socket.pipe(upstream)
    upstream.pipe(socket)
    socket.on('close', () => upstream.destroy())
    upstream.on('close', () => socket.destroy())
  }
}

export interface Tunnel {
  time: number
  /** host:port as the client asked for it. */
  target: string
  host: string
  port: number
  headers: IncomingHttpHeaders
  /** Where it was connected to; undefined when refused. */
  resolvedTo?: string
  /** Status the proxy answered the CONNECT with. */
  status: number
}

export interface ProxyOptions {
  /** Host names the proxy resolves (to the given address); other names are refused with 502, as an offline proxy would. Default { localhost: '127.0.0.1' }. */
  hosts?: Record<string, string>
  /** Answer every CONNECT with this status instead of tunnelling (e.g. 407, 403). */
  refuseWith?: number
  /**
   * Round-trip time the proxy adds, as a distant one would (default 0): the CONNECT answer comes
   * this much later, and every chunk of a tunnel is held half of it in each direction.
   */
  latencyMs?: number
}

/**
 * A CONNECT-only forward proxy on 127.0.0.1 for https_proxy tests. It knows only the host names
 * it is given (e.g. { 'vcd.example.test': '127.0.0.1' }), so a test can prove the request went
 * through it: the client cannot resolve a made-up name on its own.
 *
 *   const proxy = await new ConnectProxy({ hosts: { 'vcd.example.test': '127.0.0.1' } }).start()
 *   env: { https_proxy: proxy.url }   // http://127.0.0.1:<port>
 *   proxy.tunnels                     // [{ target: 'vcd.example.test:443', host, port, headers, resolvedTo, status }]
 *   proxy.otherRequests               // non-CONNECT requests (answered 405)
 *   new ConnectProxy({ latencyMs: 100 })   // a proxy 100 ms of round trip away
 *   await proxy.close()
 */
export class ConnectProxy extends TcpServer<http.Server> {
  readonly tunnels: Tunnel[] = []
  readonly otherRequests: { method: string; url: string; headers: IncomingHttpHeaders }[] = []
  hosts: Record<string, string>
  refuseWith: number | undefined
  readonly latencyMs: number

  constructor(options: ProxyOptions = {}) {
    super()
    this.hosts = options.hosts ?? { localhost: '127.0.0.1' }
    this.refuseWith = options.refuseWith
    this.latencyMs = options.latencyMs ?? 0
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  protected createServer(): http.Server {
    const server = http.createServer((request, response) => {
      this.otherRequests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers })
      response.writeHead(405, { 'content-type': 'text/plain' }).end('this test proxy only tunnels (CONNECT)\n')
    })
    server.on('connection', (socket: Socket) => this.track(socket))
    server.on('connect', (request: IncomingMessage, client: Socket, head: Buffer) => this.onConnect(request, client, head))
    return server
  }

  /** Pipes from to to, each chunk held half the round trip (in order: equal delays keep it). */
  private forward(from: Socket, to: Socket): void {
    if (!this.latencyMs) return void from.pipe(to)
    from.on('data', (chunk: Buffer) => this.later(this.latencyMs / 2, () => to.destroyed || to.write(chunk)))
    from.on('end', () => this.later(this.latencyMs / 2, () => to.end()))
  }

  private later(ms: number, fn: () => void): void {
    if (ms <= 0) return fn()
    setTimeout(fn, ms).unref()
  }

  private onConnect(request: IncomingMessage, client: Socket, head: Buffer): void {
    const target = request.url ?? ''
    const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(target)
    const host = match?.[1] ?? target
    const port = Number(match?.[2] ?? 443)
    const tunnel: Tunnel = { time: Date.now(), target, host, port, headers: request.headers, status: 0 }
    this.tunnels.push(tunnel)
    this.track(client)
    const refuse = (status: number): void => {
      tunnel.status = status
      client.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`)
    }
    if (this.refuseWith) return refuse(this.refuseWith)
    const address = this.hosts[host.toLowerCase()]
    if (!address) return refuse(502)
    tunnel.resolvedTo = `${address}:${port}`
    const upstream = net.connect(port, address, () => {
      tunnel.status = 200
      this.later(this.latencyMs, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        if (head.length) upstream.write(head)
        this.forward(client, upstream)
        this.forward(upstream, client)
      })
    })
    this.track(upstream)
    upstream.on('error', () => (tunnel.status ? client.destroy() : refuse(502)))
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  }
}
