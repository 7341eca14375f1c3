import { csp } from './csp.js'
import type { Provider } from './types.js'
import { vcd } from './vcd.js'

/** Every provider, by the value of the provider input. A new provider is a new file added here. */
const providers = { csp, vcd } satisfies Record<string, Provider>

export type ProviderName = keyof typeof providers
export const PROVIDER_NAMES = Object.keys(providers) as ProviderName[]

export function isProviderName(name: string): name is ProviderName {
  return Object.hasOwn(providers, name)
}

export function providerFor(name: string): Provider {
  if (!isProviderName(name)) throw new Error(`no provider named '${name.slice(0, 40)}'.`)
  return providers[name]
}
