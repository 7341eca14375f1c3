import { ariaAutomation } from './aria-automation.js'
import { csp } from './csp.js'
import type { Provider } from './types.js'
import { vcd } from './vcd.js'
import { vcenter } from './vcenter.js'
import { vcfa } from './vcfa.js'

/** Every provider, by the value of the provider input. A new provider is a new file added here. */
const providers: Record<string, Provider> = { csp, vcd, vcfa, 'aria-automation': ariaAutomation, vcenter }

export const PROVIDER_NAMES = Object.keys(providers)
/** The provider input's default (action.yml). */
export const DEFAULT_PROVIDER = 'csp'

/** The provider of that name; undefined when there is none. */
export function findProvider(name: string): Provider | undefined {
  return Object.hasOwn(providers, name) ? providers[name] : undefined
}
