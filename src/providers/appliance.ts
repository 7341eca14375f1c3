/** Products that own their appliance: any address on it names it, and there are no organizations to choose. */
import { InputError } from '../errors.js'
import type { ResolvedUrl } from './types.js'

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
