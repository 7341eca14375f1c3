/** Products that own their appliance: any address on it names it, and there are no organizations to choose. */
import type { CredentialOf } from '../config.js'
import { InputError } from '../errors.js'
import { JSON_HEADERS } from '../http/headers.js'
import type { HttpResponse } from '../http/response.js'
import type { ExchangeContext, ResolvedUrl } from './types.js'

/**
 * The scheme and host of any address on the appliance (the UI, an API root, a page the browser
 * shows): every API of such a product hangs off the root, so the path tells nothing.
 */
export function applianceRoot(url: URL): ResolvedUrl {
  return { baseUrl: url.origin, orgFromUrl: '' }
}

/** For a refused password login: send never retries a 4xx, and says so where it matters. */
export const NOT_RETRIED = 'Not retried: repeated failures can lock the account.'

/** A parseOrg that takes only an empty org: `why` says why the provider needs none. */
export function refuseOrg(provider: string, why: string): (raw: string) => string {
  return (raw) => {
    if (!raw) return ''
    throw new InputError('org', `is not used by provider ${provider}: ${why} Remove org.`)
  }
}

/**
 * POSTs the user's name and password as JSON (with Accept: application/json), and the auth-source
 * input as `sourceField` when it is given: left out, the appliance takes a local user. A refused
 * login is never retried (send retries only 408, 429 and 5xx): repeated failures lock accounts.
 */
export function sendPasswordLogin(
  { config, send }: Pick<ExchangeContext, 'config' | 'send'>,
  { username, password }: CredentialOf<'password'>,
  path: string,
  sourceField: string,
  purpose: string,
): Promise<HttpResponse> {
  const source = config.authSource ? { [sourceField]: config.authSource } : {}
  return send({
    method: 'POST',
    url: config.baseUrl + path,
    headers: JSON_HEADERS,
    body: JSON.stringify({ username, password, ...source }),
    purpose,
  })
}
