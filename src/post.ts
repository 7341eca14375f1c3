/** The post step, wired: state -> provider revoke. It never fails the job: problems are warnings. */
import type { ActionCore } from './core.js'
import { createHttp, trustCaCertificates } from './http.js'
import { parseCaCertificates } from './inputs.js'
import { providerFor } from './providers/index.js'
import type { PostState } from './providers/types.js'
import { STATE_KEY, writeSummary } from './publish.js'
import { describeError, redactingLog, Secrets } from './secrets.js'
import { USER_AGENT } from './version.js'

export async function post(core: ActionCore, now = Date.now()): Promise<void> {
  const secrets = new Secrets((value) => core.setSecret(value))
  const log = redactingLog(core, secrets)
  let state: PostState | undefined
  try {
    const saved = core.getState(STATE_KEY)
    if (!saved) {
      log.info('The main step issued no access token: nothing to revoke.')
      return
    }
    state = JSON.parse(saved) as PostState
    secrets.mask(state.accessToken)
    const kept = state
    const outcome = await revokeOutcome(kept, now, async () => {
      trustCaCertificates(parseCaCertificates(core.getInput('ca-certificate')))
      const send = createHttp({ userAgent: USER_AGENT, timeoutMs: kept.timeoutMs, maxAttempts: kept.maxAttempts, log })
      return providerFor(kept.provider).revoke({ state: kept, send, log })
    })
    log.info(outcome)
    await writeSummary(core, `**VMware access token:** ${secrets.redact(outcome)}\n`)
  } catch (error) {
    const validity = state?.expiresAt ? ` The access token stays valid until it expires at ${state.expiresAt}.` : ''
    const warning = `Could not revoke the access token: ${describeError(error, secrets)}${validity}`
    log.warning(warning)
    await writeSummary(core, `**VMware access token:** ${warning}\n`)
  }
}

async function revokeOutcome(state: PostState, now: number, revoke: () => Promise<string>): Promise<string> {
  if (!state.revoke) return `Not revoking: revoke is false. The access token stays valid until ${state.expiresAt}.`
  if (Date.parse(state.expiresAt) <= now) return `The access token expired at ${state.expiresAt}: nothing to revoke.`
  return revoke()
}
