/**
 * VMware's own vCenter simulator as a test peer: govmomi's vcsim, built from support/vcsim/main.go
 * (Debian's golang-github-vmware-govmomi-dev 0.24) by scripts/test-peers.ts. It serves the older
 * vAPI session form only (govmomi vapi/simulator/simulator.go, handler.session):
 *
 *   POST   /rest/com/vmware/cis/session   Basic auth, any non-empty user and password -> 200 {"value": "<uuid>"},
 *                                         plus a cookie vmware-api-session-id (Path=/rest) unless the request
 *                                         says vmware-use-header-authn: true; no or empty credentials -> 401, no body
 *   POST   ...session?~action=get, GET    header vmware-api-session-id (or that cookie) -> 200 {"value": {user,
 *                                         created_time, last_accessed_time}}; unknown or missing -> 401, no body
 *   DELETE ...session                     -> 200, no body; the id is then unknown (401)
 *   /api/session (any method)             -> 404 text/plain "404 page not found" (no /api in 0.24)
 *
 * Its JSON comes as text/plain (Go's content sniffing), and its sessions never time out.
 *
 *   const skip = vcsimSkipReason()          // undefined when built; why its tests skip; throws when peers are required
 *   describe.skipIf(skip !== undefined)(`vcsim${skip ? ` (skipped: ${skip})` : ''}`, () => { ... })
 *   const vc = await startVcsim()           // { names: ['vc.example.test'] } adds host names to its certificate
 *   vc.url, vc.ca                           // https://127.0.0.1:<port>; the test PKI's private CA (PEM) that signed it
 *   vc.urlFor('vc.example.test')            // same port, another host name (proxy tests)
 *   vc.username, vc.password                // the SOAP login's pair; the vAPI takes any non-empty pair
 *   await vc.request('/rest/...', { method, headers, body })   // a client that trusts vc.ca
 *   vc.log                                  // what it wrote to stderr (bounded)
 *   await vc.close()                        // ends it (stdin closed, then SIGKILL after 10 s) and removes its files
 *
 * Only erasable TypeScript here: scripts run this file directly with node's type stripping.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeCerts } from './certs.ts'
import { requestTrusting, type ClientOptions, type ClientReply } from './emulator.ts'
import { randomToken } from './jwt.ts'
import { PEERS_DIR, PeerMissingError, ROOT, skipReason } from './peers.ts'

export const VCSIM_SOURCE = join(ROOT, 'test', 'e2e', 'support', 'vcsim', 'main.go')
export const VCSIM_BINARY = join(PEERS_DIR, 'vcsim')
/** Holds the hash of the main.go the binary was built from. */
export const VCSIM_STAMP = `${VCSIM_BINARY}.source-sha256`
export const VCSIM_SESSION_PATH = '/rest/com/vmware/cis/session'
/** A busy 2-core machine starts it in well under a second; this only says "hung". */
const READY_TIMEOUT_MS = 30_000
const EXIT_TIMEOUT_MS = 10_000
const MAX_LOG = 64 * 1024

export function vcsimSourceHash(): string {
  return createHash('sha256').update(readFileSync(VCSIM_SOURCE)).digest('hex')
}

/** Why vcsim cannot run here, or undefined when its binary is built from the current main.go. */
export function vcsimMissing(): string | undefined {
  if (!existsSync(VCSIM_BINARY)) return 'vcsim is not built'
  const stamp = existsSync(VCSIM_STAMP) ? readFileSync(VCSIM_STAMP, 'utf8').trim() : ''
  if (stamp !== vcsimSourceHash()) return 'vcsim was built from another version of test/e2e/support/vcsim/main.go'
  return undefined
}

export function vcsimSkipReason(): string | undefined {
  return skipReason('vcsim', vcsimMissing())
}

export interface VcsimOptions {
  /** Extra DNS names for its certificate (localhost and 127.0.0.1 are always in it). */
  names?: string[]
  username?: string
  password?: string
}

export class Vcsim {
  readonly url: string
  readonly ca: string
  readonly username: string
  readonly password: string
  readonly port: number
  private readonly child: ChildProcess
  private readonly dir: string
  private readonly exited: Promise<void>
  private readonly stderr: string[]

  constructor(fields: {
    url: string
    ca: string
    username: string
    password: string
    child: ChildProcess
    dir: string
    exited: Promise<void>
    stderr: string[]
  }) {
    this.url = fields.url
    this.ca = fields.ca
    this.username = fields.username
    this.password = fields.password
    this.port = Number(new URL(fields.url).port)
    this.child = fields.child
    this.dir = fields.dir
    this.exited = fields.exited
    this.stderr = fields.stderr
  }

  get log(): string {
    return this.stderr.join('')
  }

  urlFor(hostname: string): string {
    return `https://${hostname}:${this.port}`
  }

  request(path: string, options: ClientOptions = {}): Promise<ClientReply> {
    return requestTrusting(new URL(path, this.url), this.ca, options)
  }

  async close(): Promise<void> {
    await stop(this.child, this.exited)
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** Ends the process: stdin closed (main.go stops on it), SIGKILL if it is still there after EXIT_TIMEOUT_MS. */
async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.stdin?.end()
  const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_TIMEOUT_MS)
  await exited
  clearTimeout(timer)
}

/** Starts the built vcsim with a certificate of the test PKI and waits for its ready line. */
export async function startVcsim(options: VcsimOptions = {}): Promise<Vcsim> {
  const missing = vcsimMissing()
  if (missing) throw new PeerMissingError(`${missing}: run npm run peers`)
  const pki = makeCerts(options.names ?? [])
  const dir = mkdtempSync(join(tmpdir(), 'vmw-vcsim-'))
  const certFile = join(dir, 'cert.pem')
  const keyFile = join(dir, 'key.pem')
  writeFileSync(certFile, pki.cert, { mode: 0o600 })
  writeFileSync(keyFile, pki.key, { mode: 0o600 })
  const username = options.username ?? 'ci-bot@vsphere.local'
  const password = options.password ?? `pw-${randomToken(20)}`

  // TMPDIR: the model's files go to `dir`, removed by close() even after a SIGKILL.
  const child = spawn(VCSIM_BINARY, [certFile, keyFile], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', TMPDIR: dir, VCSIM_USERNAME: username, VCSIM_PASSWORD: password },
  })
  const stderr: string[] = []
  let logged = 0
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (chunk: string) => {
    if (logged < MAX_LOG) stderr.push(chunk.slice(0, MAX_LOG - logged))
    logged += chunk.length
  })
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()))

  try {
    const url = await readyUrl(child, stderr)
    return new Vcsim({ url, ca: pki.caCert, username, password, child, dir, exited, stderr })
  } catch (error) {
    await stop(child, exited)
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
}

/** Reads stdout up to the ready line; the URL comes on the line "url <url>" before it. */
function readyUrl(child: ChildProcess, stderr: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = ''
    let url: string | undefined
    const fail = (why: string): void => {
      cleanup()
      reject(new Error(`vcsim did not start: ${why}${stderr.length ? `\n${stderr.join('').trim()}` : ''}`))
    }
    const timer = setTimeout(() => fail(`no ready line after ${READY_TIMEOUT_MS / 1000} s`), READY_TIMEOUT_MS)
    const onData = (chunk: string): void => {
      buffer += chunk
      let newline: number
      while ((newline = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, newline).trim()
        buffer = buffer.slice(newline + 1)
        if (line.startsWith('url ')) url = line.slice(4)
        if (line === 'ready') {
          cleanup()
          return url ? resolve(url) : reject(new Error('vcsim said ready before its url'))
        }
      }
    }
    const onClose = (code: number | null, signal: string | null): void => fail(`it exited (${signal ?? `code ${code}`})`)
    const onError = (error: Error): void => fail(error.message)
    const cleanup = (): void => {
      clearTimeout(timer)
      child.stdout!.off('data', onData)
      child.off('close', onClose)
      child.off('error', onError)
    }
    child.stdout!.setEncoding('utf8')
    child.stdout!.on('data', onData)
    child.once('close', onClose)
    child.once('error', onError)
  })
}
