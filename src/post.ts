/** The post step, wired: saved state -> provider revoke. It never fails the job: problems are warnings. */
import * as actionsCore from '@actions/core'
import type { ActionCore } from './core.js'
import { UntrustedStateError } from './errors.js'
import { createHttp } from './http/request.js'
import { parseCaCertificates } from './inputs.js'
import { readPostState, type PostState } from './post-state.js'
import { findProvider } from './providers/index.js'
import type { Provider } from './providers/types.js'
import { cannotRevokeLine, writeSummary } from './publish.js'
import { describeError, redactingLog, Secrets } from './secrets.js'
import { USER_AGENT } from './version.js'

export async function run(core: ActionCore = actionsCore, now = Date.now()): Promise<void> {
  const secrets = new Secrets((value) => core.setSecret(value))
  const log = redactingLog(core, secrets)
  let line: string
  try {
    const state = readPostState(core)
    if (!state) {
      log.info('The main step issued no access token: nothing to revoke.')
      return
    }
    secrets.mask(state.accessToken)
    const provider = findProvider(state.provider)
    if (!provider) throw new UntrustedStateError(`its provider '${state.provider}' is not one this action knows`)
    line = await revokeOutcome(provider, state, now, async (revoke) => {
      const http = createHttp({
        userAgent: USER_AGENT,
        timeoutMs: state.timeoutMs,
        maxAttempts: state.maxAttempts,
        caCertificates: parseCaCertificates(core.getInput('ca-certificate')),
        log,
        inspectBody: (body) => secrets.maskTokensIn(body),
      })
      try {
        return await revoke({ baseUrl: state.baseUrl, accessToken: state.accessToken ?? '', data: state.data ?? {}, send: http.send, log })
      } finally {
        http.close()
      }
    })
    log.info(line)
  } catch (error) {
    line =
      error instanceof UntrustedStateError
        ? `Not revoking: the state the main step saved cannot be trusted (${error.message}), so nothing was sent.`
        : `Could not revoke the access token: ${describeError(error, secrets)}`
    log.warning(line)
  }
  await writeSummary(core, `**VMware access token:** ${secrets.redact(line)}\n`)
}

async function revokeOutcome(
  provider: Provider,
  state: PostState,
  now: number,
  runRevoke: (revoke: NonNullable<Provider['revoke']>) => Promise<string>,
): Promise<string> {
  if (!state.revoke) return `Not revoking: revoke is false. The access token stays valid until ${state.expiresAt}.`
  if (!provider.revoke) return cannotRevokeLine(provider.cannotRevoke, state.expiresAt)
  if (Date.parse(state.expiresAt) <= now) return `The access token expired at ${state.expiresAt}: nothing to revoke.`
  if (!state.accessToken) throw new UntrustedStateError('it keeps no access token although revoke is true')
  try {
    return await runRevoke(provider.revoke)
  } catch (error) {
    if (error instanceof UntrustedStateError) throw error
    // Whatever went wrong, the caller needs to know how long the token stays usable.
    const message = error instanceof Error ? error.message : String(error)
    throw new Error(`${message} The access token stays valid until it expires at ${state.expiresAt}.`, { cause: error })
  }
}
