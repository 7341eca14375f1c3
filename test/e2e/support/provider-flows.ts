/**
 * What the end-to-end files of the providers share (<provider>.e2e.test.ts and their kin): inputs
 * that reach an emulator over its private CA, the leak scan every run gets, the checks that no
 * credential went in a URL and that a refused main step left nothing behind, the tests "an input
 * error before any request" and "the private CA is not trusted without ca-certificate", a later
 * step of the job, and an emulator that only an https_proxy reaches. Not a test file itself.
 *
 *   const inputs = (server: VcenterEmulator, extra = {}) => reaching(server, { provider: 'vcenter', ...passwordOf(server) }, extra)
 *   scan(vc, job)                                   // assertNoLeaks with everything the emulator knows or saw
 *   const behind = behindProxy('vcenter.example.test', (names) => new VcenterEmulator({ names }).start())
 *   const job = await jobThroughProxy(behind, inputs(behind.server, { url: behind.url }))
 *   expectTunnelled(behind, 2, [['api-session-create', 201], ...], behind.server.password)
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { EmulatorServer } from './emulator.ts'
import {
  assertNoLeaks,
  containsPiece,
  runJob,
  runStep,
  type JobOptions,
  type JobResult,
  type StepOptions,
  type StepResult,
} from './runner.ts'
import { ConnectProxy } from './tcp.ts'

export type Runs = JobResult | StepResult | (JobResult | StepResult)[]

/** A made-up secret that rows of input tests may give: the leak scan looks for it too. */
export const MADE_UP_SECRET = 'S3cretS3cretS3cret'

/** Inputs that reach `server` over its private CA with `credential` (and `provider`): each try cut at 5 s, two tries; `extra` last. */
export function reaching(
  server: EmulatorServer,
  credential: Record<string, string>,
  extra: Record<string, string> = {},
): Record<string, string> {
  return { url: server.url, 'ca-certificate': server.ca, 'timeout-seconds': '5', 'max-attempts': '2', ...credential, ...extra }
}

/** The username and password inputs of the user a password provider's emulator made up. */
export function passwordOf(server: { username: string; password: string }): Record<string, string> {
  return { username: server.username, password: server.password }
}

/** The leak scan every run gets: no credential the emulator made or saw, nor any of `more`, whole or in 8+ character pieces. */
export function scan(server: EmulatorServer, result: Runs, more: (string | undefined)[] = []): void {
  assertNoLeaks(result, [...server.secrets(), ...more])
}

/** Requests were made, none carried any piece of a credential in its URL, and the emulator flagged none. */
export function expectNoCredentialInUrls(server: EmulatorServer, ...credentials: (string | undefined)[]): void {
  expect(server.requests.length).toBeGreaterThan(0)
  for (const request of server.requests) {
    for (const credential of credentials) if (credential) expect(containsPiece(request.url, credential), request.url).toBe(false)
  }
  expect(server.credentialsInUrl).toEqual([])
}

/**
 * The credential went only in JSON bodies: every request to `route` went to `path` with exactly
 * `body` as its JSON, sent as JSON (content-type and accept) with no Authorization header; and no
 * request carried a piece of any of `secrets` in its URL.
 */
export function expectCredentialInJsonOnly(
  server: EmulatorServer,
  route: string,
  path: string,
  body: Record<string, string>,
  secrets: (string | undefined)[],
): void {
  expectNoCredentialInUrls(server, ...secrets)
  for (const request of server.requestsTo(route)) {
    expect(request.url).toBe(path)
    expect(request.json).toEqual(body)
    expect(request.headers).toMatchObject({ 'content-type': 'application/json', accept: 'application/json' })
    expect(request.headers.authorization).toBeUndefined()
  }
}

/** The main step failed with one error and published nothing; the post step succeeded with nothing to revoke. */
export function expectNothingIssued(job: JobResult): void {
  expect(job.main.exitCode).toBe(1)
  expect(job.main.errors).toHaveLength(1)
  expect(job.main.outputs).toEqual({})
  expect(job.main.env).toEqual({})
  expect(job.post!.exitCode).toBe(0)
  expect(job.post!.log.join('\n')).toContain('The main step issued no access token: nothing to revoke.')
}

/** The main step published the rotated refresh token, `latest` (not `original`), masked; returns it. */
export function expectRotationPublished(main: StepResult, original: string, latest: string | undefined): string {
  const rotated = main.outputs['refresh-token']
  expect(rotated).toBe(latest)
  expect(rotated).not.toBe(original)
  expect(main.masks).toContain(rotated)
  return rotated
}

/**
 * Outputs of a token that lives `lifetimeSeconds` from its issue and ends at `endsAt` (ms): expires-in
 * at most the lifetime, less only by the seconds since; expires-at no later than the end, and at
 * least `before` (ms, taken before the step ran) plus expires-in.
 */
export function expectExpiry(outputs: Record<string, string>, before: number, lifetimeSeconds: number, endsAt: number): void {
  const expiresIn = Number(outputs['expires-in'])
  expect(expiresIn).toBeLessThanOrEqual(lifetimeSeconds)
  expect(expiresIn).toBeGreaterThanOrEqual(Math.floor((endsAt - Date.now()) / 1000))
  expect(Date.parse(outputs['expires-at'])).toBeLessThanOrEqual(endsAt)
  expect(Date.parse(outputs['expires-at'])).toBeGreaterThanOrEqual(before + (expiresIn - 1) * 1000)
}

/** A provider file's emulator as the shared tests take it: the file's shared one (started before the tests), and inputs that reach one like it. */
export interface Subject<S extends EmulatorServer> {
  server(): S
  inputs(server: S, extra?: Record<string, string>): Record<string, string>
}

/** A row of itRefusesBeforeAnyRequest: the inputs changed, and the error they must get. */
export type InputErrorCase = [name: string, extra: Record<string, string>, message: RegExp]

/**
 * The test `<name>: an input error before any request` for each row: the step fails with the row's
 * message as its first error, the emulator received nothing, and the leak scan (MADE_UP_SECRET too)
 * is clean.
 */
export function itRefusesBeforeAnyRequest<S extends EmulatorServer>(subject: Subject<S>, cases: InputErrorCase[]): void {
  it.each(cases)('%s: an input error before any request', async (_name, extra, message) => {
    const server = subject.server()
    const step = await runStep({ inputs: subject.inputs(server, extra) })
    scan(server, step, [MADE_UP_SECRET])
    expect(step.exitCode).toBe(1)
    expect(step.errors[0]).toMatch(message)
    expect(server.requests).toEqual([])
  })
}

/**
 * The test `title`: with ca-certificate empty, the emulator's private CA is not trusted; the step
 * fails with `message`, and no request arrives (the TLS handshake fails first). `extra`: inputs
 * beside it; `step`: step options beside the inputs (a shared RUNNER_TEMP, say).
 */
export function itDistrustsThePrivateCa<S extends EmulatorServer>(
  subject: Subject<S>,
  message: RegExp,
  options: { title?: string; extra?: () => Record<string, string>; step?: () => Omit<StepOptions, 'inputs'> } = {},
): void {
  const title = options.title ?? 'without ca-certificate the private CA is not trusted: the error points at ca-certificate, nothing is sent'
  it(title, async () => {
    const server = subject.server()
    const step = await runStep({ ...options.step?.(), inputs: subject.inputs(server, { ...options.extra?.(), 'ca-certificate': '' }) })
    scan(server, step)
    expect(step.exitCode).toBe(1)
    expect(step.errors[0]).toMatch(message)
    expect(server.requests).toEqual([])
  })
}

/** A later step of the job: the node script `script`, with the job's environment and masks and `env`. */
export function laterStep(main: StepResult, script: string, env: Record<string, string>): Promise<StepResult> {
  return runStep({ action: script, jobEnv: main.env, masks: main.masks, env })
}

/** support/later-step-list.mjs: a later step that lists items with the token (see its header). */
const LIST_STEP = new URL('./later-step-list.mjs', import.meta.url).pathname

/**
 * A later step of the job lists the items at `url` (their names in the answer's `key` field) with the
 * token from VMW_ACCESS_TOKEN: it got HTTP 200 and `names`, its request to `route` carried
 * `Bearer <token>`, and the leak scan is clean.
 */
export async function expectListedLater(
  main: StepResult,
  server: EmulatorServer,
  list: { url: string; key: string; route: string; names: string[] },
  token: string,
): Promise<void> {
  const later = await laterStep(main, LIST_STEP, { LIST_URL: list.url, LIST_CA: server.ca, LIST_KEY: list.key })
  scan(server, later)
  expect(later.exitCode, later.stderr).toBe(0)
  expect(later.log).toContain(`HTTP 200: ${list.names.join(', ')}`)
  expect(server.requestsTo(list.route).map((request) => [request.headers.authorization, request.status])).toEqual([
    [`Bearer ${token}`, 200],
  ])
}

/** An emulator only a proxy reaches (behindProxy): the server, the proxy, and the address of the server by its made-up name. */
export interface Proxied<S extends EmulatorServer> {
  readonly host: string
  server: S
  proxy: ConnectProxy
  /** https://<host>:<port>: resolvable only through the proxy. */
  readonly url: string
  /** <host>:<port>, what a CONNECT asks the proxy for. */
  readonly target: string
}

/**
 * For the tests of a describe: an emulator that answers for `host`, a made-up name that only the
 * ConnectProxy beside it resolves, so that every request that reached it provably went through the
 * proxy. Both start before the describe's first test and close after its last.
 */
export function behindProxy<S extends EmulatorServer>(host: string, start: (names: string[]) => Promise<S>): Proxied<S> {
  const proxied = {
    host,
    get url() {
      return proxied.server.urlFor(host)
    },
    get target() {
      return `${host}:${proxied.server.port}`
    },
  } as Proxied<S>
  beforeAll(async () => {
    proxied.server = await start([host])
    proxied.proxy = await new ConnectProxy({ hosts: { [host]: '127.0.0.1' } }).start()
  })
  afterAll(async () => {
    await proxied.proxy?.close()
    await proxied.server?.close()
  })
  return proxied
}

/** Main and post step with https_proxy set: both succeed, the post step without a warning, and the leak scan is clean. */
export async function jobThroughProxy<S extends EmulatorServer>(
  behind: Proxied<S>,
  inputs: Record<string, string>,
  options: Omit<JobOptions, 'inputs' | 'env'> = {},
): Promise<JobResult> {
  const job = await runJob({ ...options, inputs, env: { https_proxy: behind.proxy.url } })
  scan(behind.server, job)
  expect(job.main.exitCode, job.log.join('\n')).toBe(0)
  expect(job.post!.exitCode).toBe(0)
  expect(job.post!.warnings).toEqual([])
  return job
}

/** Every CONNECT (one at least) went to the host and was established, and every request the emulator received named the host (SNI). */
export function expectEveryRequestTunnelled<S extends EmulatorServer>(behind: Proxied<S>): void {
  expect(behind.proxy.tunnels.length).toBeGreaterThan(0)
  expect(behind.proxy.tunnels.every((tunnel) => tunnel.target === behind.target && tunnel.status === 200)).toBe(true)
  expect(behind.server.requests.map((request) => request.servername)).toEqual(behind.server.requests.map(() => behind.host))
}

/**
 * What went through the proxy: `tunnels` CONNECTs, each to the host and established; the emulator's
 * requests, in order, as `<route> <status>`, each for the host's name (SNI); and `secret` nowhere in
 * what the proxy saw.
 */
export function expectTunnelled<S extends EmulatorServer>(behind: Proxied<S>, tunnels: number, requests: string[], secret: string): void {
  expect(behind.proxy.tunnels.map((tunnel) => [tunnel.target, tunnel.status])).toEqual(Array(tunnels).fill([behind.target, 200]))
  expect(behind.server.requests.map((request) => [`${request.route} ${request.status}`, request.servername])).toEqual(
    requests.map((request) => [request, behind.host]),
  )
  expect(JSON.stringify(behind.proxy.tunnels)).not.toContain(secret)
}
