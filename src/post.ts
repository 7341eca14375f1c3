/** The post step, wired: the kubeconfig deleted, saved state -> provider revoke. It never fails the job: problems are warnings. */
import * as actionsCore from '@actions/core'
import type { ActionCore } from './core.js'
import { UntrustedStateError } from './errors.js'
import { parseCaCertificates } from './inputs.js'
import { deleteKubeconfig, KUBECONFIG_STATE } from './kubeconfig.js'
import { readPostState, type PostState } from './post-state.js'
import { loadProvider } from './providers/index.js'
import type { Provider, RevokeContext } from './providers/types.js'
import { writeSummary } from './publish.js'
import { expiredBeforeRevoke, notRevokingLine, revokePlan, stillValid } from './revocation.js'
import { describeError, summaryText } from './secrets.js'
import { startStep, stepHttp, type Step } from './step.js'

export async function run(core: ActionCore = actionsCore, now = Date.now()): Promise<void> {
  const step = startStep(core)
  const { secrets, log } = step
  // First, so that nothing the revoke does can keep the token's file on the runner.
  deleteKubeconfig(core.getState(KUBECONFIG_STATE), log)
  let line: string
  try {
    const state = readPostState(core)
    if (!state) {
      log.info('The main step issued no access token: nothing to revoke.')
      return
    }
    secrets.mask(state.accessToken)
    const provider = await loadProvider(state.provider)
    if (!provider) throw new UntrustedStateError(`its provider '${state.provider}' is not one this action knows`)
    line = await revokeOutcome(core, step, provider, state, now)
    log.info(line)
  } catch (error) {
    line =
      error instanceof UntrustedStateError
        ? `Not revoking: the state the main step saved cannot be trusted (${error.message}), so nothing was sent.`
        : `Could not revoke the access token: ${describeError(error, secrets)}`
    log.warning(line)
  }
  await writeSummary(core, `**VMware access token:** ${summaryText(line, secrets)}\n`)
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
