/**
 * The kit a provider's unit tests are written on: its config, its exchange run to a failure (with
 * the message as the log would print it), and the context its revoke is given. A provider's test
 * file adds its routes (nock, each recording what it saw: `recorder` in helpers.ts) and reads as
 * tables of cases on these; CONTRIBUTING's "Adding a provider" shows one.
 */
import { expect } from 'vitest'
import type { Config, Credential, CredentialKind, CredentialOf } from '../../src/config.ts'
import { createHttp } from '../../src/http/request.ts'
import { loadAllProviders } from '../../src/providers/index.ts'
import type { Provider, RevokeContext } from '../../src/providers/types.ts'
import { describeError, Secrets } from '../../src/secrets.ts'
import { config, harness, rejectionOf, secretToken, type Harness, type Seen } from './helpers.ts'

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

/** Runs the provider's exchange on a new harness against the routes the test set; fails the test if it succeeds. */
export async function failedExchange<K extends CredentialKind>(
  provider: Provider<K>,
  cfg: Config<CredentialOf<K>>,
): Promise<FailedExchange> {
  const h = harness(cfg)
  const error = await rejectionOf(provider.exchange(h.context))
  return { error, printed: describeError(error, h.secrets), h }
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
