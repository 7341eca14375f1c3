/**
 * Inputs that reach an emulator, for the end-to-end files that change one input and watch what the
 * action does with it (inputs-rejected, inputs-accepted, and the shared emulators of
 * faults-exchange-bodies, reported-names and post-state). Not a test file itself.
 */
import { CspEmulator } from './csp-emulator.ts'
import { runJob, type JobResult } from './runner.ts'
import { VcdEmulator, type VcdOptions } from './vcd-emulator.ts'

export type Server = CspEmulator | VcdEmulator

/** A fresh emulator of the provider. */
export function startEmulator(provider: 'csp' | 'vcd', options: VcdOptions = {}): Promise<Server> {
  return provider === 'csp' ? new CspEmulator(options).start() : new VcdEmulator(options).start()
}

/** Inputs that reach the CSP emulator with its API token: no expiry lookup, two tries. */
export function cspInputs(csp: CspEmulator, extra: Record<string, string> = {}): Record<string, string> {
  return { url: csp.url, 'ca-certificate': csp.ca, 'api-token': csp.apiToken, 'expiry-warning-days': '0', 'max-attempts': '2', ...extra }
}

/** Inputs that reach the Cloud Director emulator with this token: two tries. */
export function vcdInputs(vcd: VcdEmulator, token: string, extra: Record<string, string> = {}): Record<string, string> {
  return { provider: 'vcd', url: vcd.url, 'ca-certificate': vcd.ca, 'api-token': token, 'max-attempts': '2', ...extra }
}

/** Inputs that work against the emulator at `url` (itself, or something in front of it), each try cut at 2 s. */
export function baseInputs(server: Server, url: string): Record<string, string> {
  const limits = { url, 'timeout-seconds': '2' }
  return server instanceof CspEmulator ? cspInputs(server, limits) : vcdInputs(server, server.providerToken, limits)
}

/** Both steps of a job, debug lines shown (so that the leak scan covers them too). */
export function jobWithDebug(inputs: Record<string, string | undefined>): Promise<JobResult> {
  return runJob({ inputs, debug: true, timeoutMs: 30_000 })
}
