import type { ProviderName } from '../inputs.js'
import { csp } from './csp.js'
import type { Provider } from './types.js'
import { vcd } from './vcd.js'

const providers: Record<ProviderName, Provider> = { csp, vcd }

export function providerFor(name: ProviderName): Provider {
  return providers[name]
}
