/** What the CSP unit tests share: configs, a token answer as the docs show it, nock routes that record. */
import nock from 'nock'
import type { Config, CredentialOf } from '../../src/config.ts'
import { config, CSP_DEFAULT_URL, jwt, ORG_ID, recorder, secretToken, type Reply, type Seen } from './helpers.ts'

export const API_TOKEN_PATH = '/csp/gateway/am/api/auth/api-tokens/authorize'
export const OAUTH_PATH = '/csp/gateway/am/api/auth/authorize'
export const DETAILS_PATH = '/csp/gateway/am/api/auth/api-tokens/details'
export const DAY = 86_400_000

/** A CSP config; the expiry lookup is off unless a test turns it on. */
/** The credentials CSP takes. */
export type CspCredential = CredentialOf<'api-token' | 'oauth-app'>

export function cspConfig(overrides: Partial<Config<CspCredential>> = {}): Config<CspCredential> {
  return config({ provider: 'csp', baseUrl: CSP_DEFAULT_URL, expiryWarningDays: 0, ...overrides })
}

export function oauthConfig(overrides: Partial<Config<CspCredential>> = {}): Config<CspCredential> {
  return cspConfig({ credential: { kind: 'oauth-app', clientId: 'app-7f3e', clientSecret: secretToken(40) }, ...overrides })
}

/** A CSP token answer as the docs show it, with a JWT access token. */
export function answer(
  claims: Record<string, unknown> = { context_name: ORG_ID, username: 'alice@example.com', sub: 'vmware.com:1234' },
  extra: Record<string, unknown> = {},
) {
  const accessToken = jwt(claims)
  return {
    accessToken,
    body: { id_token: null, token_type: 'bearer', expires_in: 1799, scope: 'openid ALL_PERMISSIONS', access_token: accessToken, ...extra },
  }
}

export function onExchange(
  seen: Seen[],
  reply: (request: Seen) => Reply | Promise<Reply>,
  path = API_TOKEN_PATH,
  origin = CSP_DEFAULT_URL,
) {
  return nock(origin).post(path).query(true).reply(recorder(seen, reply))
}

export function onDetails(seen: Seen[], reply: (request: Seen) => Reply | Promise<Reply>, origin = CSP_DEFAULT_URL) {
  return nock(origin).post(DETAILS_PATH).query(true).reply(recorder(seen, reply))
}
