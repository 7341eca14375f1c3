/**
 * The post step's work on the token the main step saved: revoked when the plan says so, left alone
 * with a line saying how long it stays usable otherwise. Never throws: a problem is a warning.
 */
import type { ActionCore } from './core.js'
import { UntrustedStateError } from './errors.js'
import { parseCaCertificates } from './inputs.js'
import { readPostState, type PostState } from './post-state.js'
import { loadProvider } from './providers/index.js'
import type { Provider, RevokeContext } from './providers/types.js'
import { expiredBeforeRevoke, notRevokingLine, revokePlan, stillValid } from './revocation.js'
import { describeError } from './secrets.js'
import { stepHttp, type Step } from './step.js'

/** The line the post step printed, for its summary; undefined when the main step issued nothing. */
export async function revokeSavedToken(core: ActionCore, step: Step, now: number): Promise<string | undefined> {
  const { secrets, log } = step
  try {
    const state = readPostState(core)
    if (!state) {
      log.info('The main step issued no access token: nothing to revoke.')
      return undefined
    }
    secrets.mask(state.accessToken)
    const provider = await loadProvider(state.provider)
    if (!provider) throw new UntrustedStateError(`its provider '${state.provider}' is not one this action knows`)
    const line = await revokeOutcome(core, step, provider, state, now)
    log.info(line)
    return line
  } catch (error) {
    // The provider's message names what it failed to end (a logout, a token release, a refresh token).
    const line =
      error instanceof UntrustedStateError
        ? `Not revoking: the state the main step saved cannot be trusted (${error.message}), so nothing was sent.`
        : `Could not revoke: ${describeError(error, secrets)}`
    log.warning(line)
    return line
  }
}

async function revokeOutcome(core: ActionCore, step: Step, provider: Provider, state: PostState, now: number): Promise<string> {
  const plan = revokePlan(provider, state.revoke)
  if (!plan.revokes) return notRevokingLine(plan, state.expiresAt)
  if (expiredBeforeRevoke(provider, state.expiresAt, now)) return `The access token expired at ${state.expiresAt}: nothing to revoke.`
  const { accessToken } = state
  if (!accessToken) throw new UntrustedStateError('it keeps no access token although revoke is true')
  // The CA is not kept in the state: it is the input itself, read again.
  const http = stepHttp(step, { ...state, caCertificates: parseCaCertificates(core.getInput('ca-certificate')) })
  const context: RevokeContext = {
    baseUrl: state.baseUrl,
    accessToken,
    data: state.data ?? {},
    expiresAt: state.expiresAt,
    send: http.send,
    secrets: step.secrets,
    log: step.log,
  }
  try {
    return await plan.revoke(context)
  } catch (error) {
    if (error instanceof UntrustedStateError) throw error
    // Whatever went wrong, the caller needs to know how long the token stays usable.
    const message = error instanceof Error ? error.message : String(error)
    throw new Error(`${message} The access token stays valid ${stillValid(state.expiresAt)}.`, { cause: error })
  } finally {
    http.close()
  }
}
