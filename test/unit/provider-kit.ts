/**
 * The kit a provider's unit tests are written on: its config, its exchange run to a failure (with
 * the message as the log would print it), and the context its revoke is given. A provider's test
 * file adds its routes (nock, each recording what it saw: `recorder` in helpers.ts) and reads as
 * tables of cases on these; CONTRIBUTING's "Adding a provider" shows one.
 */
import nock from 'nock'
import { expect, it } from 'vitest'
import type { Config, Credential, CredentialKind, CredentialOf } from '../../src/config.ts'
import { ProviderError } from '../../src/errors.ts'
import { createHttp, RequestError } from '../../src/http/request.ts'
import { exchangeAndHandOn } from '../../src/issue.ts'
import { loadAllProviders } from '../../src/providers/index.ts'
import type { Provider, RevokeContext } from '../../src/providers/types.ts'
import { describeError, Secrets } from '../../src/secrets.ts'
import { config, harness, networkError, recorder, rejectionOf, secretToken, type Harness, type Reply, type Seen } from './helpers.ts'

export type ApiToken = CredentialOf<'api-token'>
export type Password = CredentialOf<'password'>

/** Every registered provider, loaded once (the registry itself loads each on demand), by name. */
const REGISTRY: ReadonlyMap<string, Provider> = new Map((await loadAllProviders()).map((provider) => [provider.name, provider]))

/** The registered provider of that name; fails the test when there is none. */
export function providerNamed(name: string): Provider {
  const provider = REGISTRY.get(name)
  if (!provider) throw new Error(`no provider '${name}' in the registry`)
  return provider
}

/** A config of this provider at this address, with a new made-up API token. */
export function apiTokenConfig(provider: string, baseUrl: string, overrides: Partial<Config<ApiToken>> = {}): Config<ApiToken> {
  return config({ provider, baseUrl, credential: { kind: 'api-token', token: secretToken(32) }, ...overrides })
}

/** A config of this provider at this address, for `username` with a new made-up password; `C` is the provider's credential type. */
export function passwordConfig<C extends Credential = Password>(
  provider: string,
  baseUrl: string,
  username: string,
  overrides: Partial<Config<C>> = {},
): Config<C> {
  const credential: Password = { kind: 'password', username, password: secretToken(24) }
  return config<C>({ provider, baseUrl, credential: credential as C, ...overrides })
}

/** What the input checks and the post step take from a provider's entry in the registry. */
export function registryEntry(provider: Provider) {
  const { credentials, defaultUrl, cannotRevoke } = provider
  return { credentials, defaultUrl, revokes: typeof provider.revoke === 'function', cannotRevoke }
}

/** The API token of a config. */
export function tokenOf(cfg: Config): string {
  if (cfg.credential.kind !== 'api-token') throw new Error('not an API token config')
  return cfg.credential.token
}

export interface FailedExchange {
  error: Error
  /** The message as the log would print it: redacted with everything the exchange masked. */
  printed: string
  h: Harness
}

/**
 * Runs the provider's exchange on a new harness against the routes the test set, as the main step
 * runs it (a token it issued is ended with one try when it fails); fails the test if it succeeds.
 */
export async function failedExchange<K extends CredentialKind>(
  provider: Provider<K>,
  cfg: Config<CredentialOf<K>>,
): Promise<FailedExchange> {
  const h = harness(cfg)
  const error = await rejectionOf(exchangeAndHandOn(provider as Provider, h.context))
  return { error, printed: describeError(error, h.secrets), h }
}

/** A POST route (any query string) that records each request in `seen` and answers with `reply`, `times` times. */
export function onPost(origin: string, path: string, seen: Seen[], reply: (request: Seen) => Reply | Promise<Reply>, times = 1) {
  return nock(origin).post(path).query(true).times(times).reply(recorder(seen, reply))
}

const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** A provider's exchange as the shared tests take it (itTakesProxyPagesRedirectsAnd429s). */
export interface ExchangeSubject<K extends CredentialKind> {
  provider: Provider<K>
  config(overrides?: Partial<Config<CredentialOf<K>>>): Config<CredentialOf<K>>
  /** The POST that carries the credential. */
  origin: string
  path: string
  /** A successful answer of that route, and the access token in it. */
  success(): { accessToken: string; reply: Reply }
  /** How its failure messages name it, and how they begin (`<who> failed: `; default `<title> token request`). */
  title: string
  who?: string
}

/**
 * The exchange against its credential route answering `reply` once (recorded in `seen`): a retry
 * would find a success, which the test sees as a second request. Routes set before are dropped (a
 * test may call it twice); `routes` sets others beside it. The config: `config`, or the subject's
 * with 4 tries. Fails the test if the exchange succeeds.
 */
export async function failedOnce<K extends CredentialKind>(
  subject: ExchangeSubject<K>,
  reply: Reply,
  config?: Config<CredentialOf<K>>,
  routes?: () => void,
): Promise<FailedExchange & { seen: Seen[] }> {
  nock.cleanAll()
  routes?.()
  const seen: Seen[] = []
  onPost(subject.origin, subject.path, seen, () => reply)
  nock(subject.origin)
    .post(subject.path)
    .optionally()
    .reply(() => subject.success().reply)
  return { ...(await failedExchange(subject.provider, config ?? subject.config({ maxAttempts: 4 }))), seen }
}

/**
 * The answers every exchange meets the same way: an HTML page from a proxy (named by its title, not
 * retried), a redirect (not followed: the credential stays home), and a 429 with `busy` as its
 * answer (retried with the same body, after one sleep).
 */
export function itTakesProxyPagesRedirectsAnd429s<K extends CredentialKind>(subject: ExchangeSubject<K>, busy: Reply): void {
  const { provider } = subject
  const route = { origin: subject.origin, path: subject.path }
  const failed = (message: string) => new RegExp(`^${escaped(subject.who ?? `${subject.title} token request`)} failed: ${message}`)

  it('an HTML page from a proxy is named by its title', async () => {
    const { error, seen } = await failedOnce(subject, [403, '<html><head><title>Access denied</title></head><body>blocked</body></html>'])
    expect(seen).toHaveLength(1)
    expect(error.message).toMatch(failed('HTTP 403 Forbidden, an HTML page \\("Access denied"\\) instead of an API answer'))
  })

  it('says a redirect is not followed, and does not follow it', async () => {
    const seen: Seen[] = []
    onPost(route.origin, route.path, seen, () => [302, '', { Location: 'https://login.example.com/' }])
    nock('https://login.example.com')
      .post('/')
      .optionally()
      .reply(() => subject.success().reply)
    const { error } = await failedExchange(provider, subject.config())
    expect(seen).toHaveLength(1)
    const redirect = `${escaped(subject.title)} answered with a redirect, which the action does not follow for a credential; check url\\.$`
    expect(error.message).toMatch(failed(`HTTP 302 Found, empty body \\(1 try\\)\\. ${redirect}`))
  })

  it('retries a 429 with the same body and succeeds', async () => {
    const h = harness(subject.config({ maxAttempts: 3 }))
    const seen: Seen[] = []
    const { accessToken, reply } = subject.success()
    let calls = 0
    onPost(route.origin, route.path, seen, () => (++calls === 1 ? busy : reply), 2)
    expect((await provider.exchange(h.context)).accessToken).toBe(accessToken)
    expect(seen).toHaveLength(2)
    expect(seen[1].body).toBe(seen[0].body)
    expect(h.sleeps).toHaveLength(1)
  })
}

/** A row of itQuotesRefusals: the status, its reason phrase, the provider's message, and the advice that follows. */
export type Refusal = [status: number, text: string, message: string, advice: string]

/**
 * For each refusal: one request (never retried, no sleep), and a ProviderError that quotes the
 * provider's message as `quoted(message)` renders it, counts the one try, and gives the advice.
 */
export function itQuotesRefusals<K extends CredentialKind>(
  subject: ExchangeSubject<K>,
  refusals: Refusal[],
  reply: (status: number, message: string) => Reply,
  quoted: (message: string) => string = (message) => message,
): void {
  it.each(refusals)('HTTP %i: quotes the message, advises, and never retries', async (status, text, message, advice) => {
    const { error, seen, h } = await failedOnce(subject, reply(status, message))
    expect(seen).toHaveLength(1)
    expect(h.sleeps).toEqual([])
    expect(error).toBeInstanceOf(ProviderError)
    const who = subject.who ?? `${subject.title} token request`
    expect(error.message).toBe(`${who} failed: HTTP ${status} ${text}: ${quoted(message)} (1 try). ${advice}`)
  })
}

/**
 * HTTP `status` (500, 503) on every try, answered `reply(status)`: the message quotes what the
 * provider said (`said`), counts the tries, says it is busy, and says nothing of `credential`.
 */
export function itSaysBusyAfterEveryTry<K extends CredentialKind>(
  subject: ExchangeSubject<K>,
  reply: (status: number) => Reply,
  said: string,
  credential: string,
): void {
  it.each([500, 503])(`after every try of HTTP %i says ${subject.title} is busy, not that the ${credential} is wrong`, async (status) => {
    const seen: Seen[] = []
    onPost(subject.origin, subject.path, seen, () => reply(status), 3)
    const { error } = await failedExchange(subject.provider, subject.config({ maxAttempts: 3 }))
    expect(seen).toHaveLength(3)
    expect(error.message).toContain(
      `${said} (3 tries). ${subject.title} is busy or unavailable; try again later, or raise max-attempts / timeout-seconds.`,
    )
    expect(error.message).not.toContain(credential)
  })
}

/** A connection reset on every try: a RequestError naming the host and the tries, nothing else. */
export function itPassesANetworkFailureOn<K extends CredentialKind>(subject: ExchangeSubject<K>): void {
  it('passes a network failure on, after its retries', async () => {
    nock(subject.origin).post(subject.path).times(2).replyWithError(networkError('ECONNRESET', 'reset'))
    const { error } = await failedExchange(subject.provider, subject.config({ maxAttempts: 2 }))
    expect(error).toBeInstanceOf(RequestError)
    const who = subject.who ?? `${subject.title} token request`
    expect(error.message).toBe(`${who} at ${new URL(subject.origin).host} failed: connection reset (2 tries).`)
  })
}

/** A sign-in page with HTTP 200 where the answer should be: the message names the host and says what `expected` (and what to check). */
export function itSaysAnHtmlPageCameBack<K extends CredentialKind>(subject: ExchangeSubject<K>, expected: string): void {
  it('says an HTML page came back instead of an answer', async () => {
    const page = '<!doctype html><html><head><title>Sign in</title></head></html>'
    onPost(subject.origin, subject.path, [], () => [200, page, { 'Content-Type': 'text/html' }])
    const { error } = await failedExchange(subject.provider, subject.config())
    expect(error.message).toBe(
      `${subject.title} (${new URL(subject.origin).host}) answered HTTP 200 OK, an HTML page instead of an API answer: a proxy, firewall or outage page?; ${expected}`,
    )
  })
}

/** With a url whose port is not the default one, the credential goes to that port. */
export function itKeepsThePortOfTheUrl<K extends CredentialKind>(subject: ExchangeSubject<K>, baseUrl: string): void {
  it(`keeps the port of the url (${baseUrl})`, async () => {
    const h = harness(subject.config({ baseUrl }))
    const seen: Seen[] = []
    onPost(baseUrl, subject.path, seen, () => subject.success().reply)
    await subject.provider.exchange(h.context)
    expect(seen.map((request) => request.url.href)).toEqual([`${baseUrl}${subject.path}`])
  })
}

/**
 * A request that carries a credential: a POST with nothing in the query string (the credential
 * goes in the body), a body of `contentType`, asking for JSON, with the action's user agent, and
 * no Authorization header.
 */
export function expectCredentialPost(request: Seen, contentType: string): void {
  expect(request.method).toBe('POST')
  expect(request.url.search).toBe('')
  expect(request.headers).toMatchObject({ 'content-type': contentType, accept: 'application/json', 'user-agent': 'vmw-token-action/test' })
  expect(request.headers.authorization).toBeUndefined()
}

/** What a message must say: each string is in it, each pattern matches it. */
export type Says = readonly (string | RegExp)[]

export function expectSays(message: string, says: Says): void {
  for (const expected of says) {
    if (typeof expected === 'string') expect(message).toContain(expected)
    else expect(message).toMatch(expected)
  }
}

/**
 * What the post step gives a provider's revoke: a new made-up access token, the saved data as it
 * was read back, the step's secrets (what the revoke masks is recorded in `masked`), and a real
 * createHttp whose waits are instant and recorded in `sleeps`.
 */
export function revokeContext(
  baseUrl: string,
  data: Record<string, string>,
  maxAttempts = 2,
): { context: RevokeContext; sleeps: number[]; masked: string[] } {
  const sleeps: number[] = []
  const { send } = createHttp({
    userAgent: 'vmw-token-action/test',
    timeoutMs: 2000,
    maxAttempts,
    log: { debug() {} },
    sleep: async (ms) => {
      sleeps.push(ms)
    },
    random: () => 0,
  })
  const log = { info() {}, warning() {}, debug() {} }
  const masked: string[] = []
  const secrets = new Secrets((value) => masked.push(value))
  return { context: { baseUrl, accessToken: secretToken(64), data, send, secrets, log }, sleeps, masked }
}
