/**
 * Every provider, by the value of the provider input. Each is loaded when a step asks for it: the
 * bundle keeps every provider in a chunk of its own, so a step reads only the code of the provider
 * it runs, however many there are. A new provider is a new file and one line here.
 */
import type { Provider } from './types.js'

const providers: Record<string, () => Promise<Provider>> = {
  csp: async () => (await import('./csp.js')).csp,
  vcd: async () => (await import('./vcd.js')).vcd,
  vcfa: async () => (await import('./vcfa.js')).vcfa,
  'aria-automation': async () => (await import('./aria-automation.js')).ariaAutomation,
  vcenter: async () => (await import('./vcenter.js')).vcenter,
  'aria-operations': async () => (await import('./aria-operations.js')).ariaOperations,
  'sddc-manager': async () => (await import('./sddc-manager.js')).sddcManager,
  supervisor: async () => (await import('./supervisor.js')).supervisor,
}

export const PROVIDER_NAMES = Object.keys(providers)
/** The provider input's default (action.yml). */
export const DEFAULT_PROVIDER = 'csp'

/** The provider of that name; undefined when there is none. */
export async function loadProvider(name: string): Promise<Provider | undefined> {
  return Object.hasOwn(providers, name) ? providers[name]() : undefined
}

/** Every provider, in the registry's order: for messages that list them, and for tests. */
export function loadAllProviders(): Promise<Provider[]> {
  return Promise.all(PROVIDER_NAMES.map((name) => providers[name]()))
}
