/** Shared pieces of the unit tests: made-up credentials, JWTs, a request recorder for nock, configs. */
import { execFileSync } from 'node:child_process'
import { randomBytes, randomInt } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, vi } from 'vitest'
import type { Config, Credential, CredentialOf } from '../../src/config.ts'
import { createHttp, type Send } from '../../src/http/request.ts'
import type { ExchangeContext } from '../../src/providers/types.ts'
import { Secrets } from '../../src/secrets.ts'

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/**
 * A made-up credential, new on every call: three random letters or digits, then '~', repeated.
 * Every 4-character window holds a '~', which no text of the action contains, so a piece of it
 * found in a log line is a real leak, never a chance match with an ordinary word (and redaction
 * never eats part of a word the test looks for).
 */
export function secretToken(length = 40): string {
  let out = ''
  while (out.length < length) out += out.length % 4 === 3 ? '~' : ALNUM[randomInt(ALNUM.length)]
  return out
}

/** A made-up credential of capital letters and digits only, like the tail CSP echoes ("tN3NK"). */
export function upperToken(length = 65): string {
  for (;;) {
    const token = [...randomBytes(length)].map((b) => ALNUM[(b % 36) + (b % 36 < 26 ? 0 : 26)]).join('')
    // 'HTTP' is the only run of 4 capitals or digits in the messages this token ends up in.
    if (!token.includes('HTTP')) return token
  }
}

/** An unsigned JWT with these claims and a random (made-up) signature. */
export function jwt(claims: Record<string, unknown>): string {
  const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode(claims)}.${secretToken(43)}`
}

export const ORG_ID = '5c0ffee1-aaaa-4bbb-8ccc-0123456789ab'
export const OTHER_ORG_ID = 'deadbeef-1111-4222-8333-444455556666'

/** What a fake server saw of one request. */
export interface Seen {
  method: string
  url: URL
  headers: Record<string, string>
  body: string
  /** Date.now() when it arrived. */
  at: number
}

export type Reply =
  | readonly [number]
  | readonly [number, string | Record<string, unknown>]
  | readonly [number, string | Record<string, unknown>, Record<string, string>]

/** A nock reply function that records the request into `seen` and answers with `answer`. */
export function recorder(seen: Seen[], answer: (request: Seen) => Reply | Promise<Reply>) {
  // One parameter only: nock 15 treats a reply function of two as callback-style.
  return async (request: Request): Promise<Reply> => {
    const entry: Seen = {
      method: request.method,
      url: new URL(request.url),
      headers: Object.fromEntries(request.headers.entries()),
      body: await request.text(),
      at: Date.now(),
    }
    seen.push(entry)
    return answer(entry)
  }
}

export function form(body: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body))
}

export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

/**
 * The rows of a table of cases for it.each(...)('%s', ...): each with its name first, so that the
 * test is named by it whole (vitest cuts a '$name' title at 40 characters).
 */
export function named<T extends { name: string }>(rows: readonly T[]): (readonly [string, T])[] {
  return rows.map((row) => [row.name, row] as const)
}

/** A failure below HTTP, as node reports it (nock's replyWithError). */
export function networkError(code: string, message = `${code} happened`): Error {
  return Object.assign(new Error(message), { code })
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export const CSP_DEFAULT_URL = 'https://console.cloud.vmware.com'

/**
 * A fake clock for one test: setTimeout, clearTimeout and Date are vitest's fakes until the test
 * ends (test/unit/setup.ts calls vi.useRealTimers() after each), so deadlines and waits are checked
 * to the millisecond, not against a wall clock a loaded machine stretches. I/O and setImmediate
 * stay real: nock still answers.
 */
export function fakeClock(): { advance(ms: number): Promise<void> } {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
  return {
    async advance(ms) {
      await vi.advanceTimersByTimeAsync(ms)
    },
  }
}

/** Whether a promise has settled yet (it is observed, not changed; a rejection is not left unhandled). */
export function watch<T>(promise: Promise<T>): { settled(): boolean; promise: Promise<T> } {
  let settled = false
  promise.then(
    () => (settled = true),
    () => (settled = true),
  )
  return { settled: () => settled, promise }
}

/** The fake clock moved `ms` on: `watched` had not settled a millisecond before, and has at `ms`. */
export async function expectSettlesIn(
  clock: { advance(ms: number): Promise<void> },
  watched: { settled(): boolean },
  ms: number,
): Promise<void> {
  await clock.advance(ms - 1)
  expect(watched.settled()).toBe(false)
  await clock.advance(1)
  expect(watched.settled()).toBe(true)
}

/** Lets real I/O run for this many event-loop turns (to see that something did NOT happen). */
export async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve))
}

/**
 * Lets real I/O and setImmediate run, turn by turn, until the condition holds; false if it still
 * does not after maxTurns turns (a count of event-loop turns, not a time: load does not change it).
 */
export async function until(condition: () => boolean, maxTurns = 10_000): Promise<boolean> {
  for (let turn = 0; !condition(); turn++) {
    if (turn >= maxTurns) return false
    await new Promise((resolve) => setImmediate(resolve))
  }
  return true
}

/** What readInputs gives for a CSP API token and no other input: the defaults action.yml documents. */
export function defaultConfig(token: string): Config<CredentialOf<'api-token'>> {
  return {
    provider: 'csp',
    credential: { kind: 'api-token', token },
    authSource: '',
    baseUrl: CSP_DEFAULT_URL,
    org: '',
    envName: 'VMW_ACCESS_TOKEN',
    exportEnv: true,
    revoke: true,
    caCertificates: [],
    timeoutMs: 30_000,
    maxAttempts: 4,
    expiryWarningDays: 30,
    kubeconfig: false,
    kubeNamespace: '',
  }
}

/** A config with a CSP API token unless `overrides` says otherwise, and short limits (2 s, 2 tries); its type names the credential's kind. */
export function config<C extends Credential = CredentialOf<'api-token'>>(overrides: Partial<Config<C>> = {}): Config<C> {
  return { ...defaultConfig(secretToken(65)), timeoutMs: 2000, maxAttempts: 2, ...overrides } as Config<C>
}

export interface Harness<C extends Credential = Credential> {
  context: ExchangeContext<C>
  secrets: Secrets
  /** Values passed to the mask function, in order. */
  masked: string[]
  logs: { level: 'info' | 'warning' | 'debug'; message: string }[]
  sleeps: number[]
  publishRefreshToken: ReturnType<typeof vi.fn<(token: string) => void>>
  send: Send
}

/** A provider's exchange context: a real createHttp with instant, recorded back-off. */
export function harness<C extends Credential>(cfg: Config<C>, options: { events?: string[] } = {}): Harness<C> {
  const masked: string[] = []
  const logs: Harness['logs'] = []
  const sleeps: number[] = []
  const secrets = new Secrets((value) => {
    masked.push(value)
    options.events?.push('mask')
  })
  const credential: Credential = cfg.credential
  if (credential.kind === 'api-token') secrets.mask(credential.token)
  else if (credential.kind === 'oauth-app') secrets.mask(credential.clientSecret)
  else secrets.mask(credential.password)
  const log = {
    info: (message: string) => logs.push({ level: 'info', message: secrets.redact(message) }),
    warning: (message: string) => logs.push({ level: 'warning', message: secrets.redact(message) }),
    debug: (message: string) => logs.push({ level: 'debug', message: secrets.redact(message) }),
  }
  const { send } = createHttp({
    userAgent: 'vmw-token-action/test',
    timeoutMs: cfg.timeoutMs,
    maxAttempts: cfg.maxAttempts,
    log,
    sleep: async (ms) => {
      sleeps.push(ms)
    },
    random: () => 0.5,
  })
  const publishRefreshToken = vi.fn<(token: string) => void>((_token) => {
    options.events?.push('publish')
  })
  // A provider's own exchange only reports what it issued; exchangeAndHandOn (src/issue.ts) ends it on failure.
  const issued = vi.fn<ExchangeContext['issued']>((token) => secrets.mask(token.accessToken))
  return {
    context: { config: cfg, send, secrets, log, publishRefreshToken, issued },
    secrets,
    masked,
    logs,
    sleeps,
    publishRefreshToken,
    send,
  }
}

let caCache: string | undefined
/** A fresh self-signed CA certificate (PEM), made with openssl once per test file. */
export function testCaPem(): string {
  if (caCache) return caCache
  const dir = mkdtempSync(join(tmpdir(), 'vmw-token-unit-'))
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-subj',
        '/CN=vmw-token-action unit test CA',
        '-days',
        '2',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
    caCache = readFileSync(join(dir, 'cert.pem'), 'utf8')
    return caCache
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a rejection')
}
