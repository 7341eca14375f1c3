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
  let line: string
  try {
    const saved = core.getState(STATE_KEY)
    if (!saved) {
      log.info('The main step issued no access token: nothing to revoke.')
      return
    }
    const state = JSON.parse(saved) as PostState
    secrets.mask(state.accessToken)
    line = await revokeOutcome(state, now, async () => {
      trustCaCertificates(parseCaCertificates(core.getInput('ca-certificate')))
      const send = createHttp({ userAgent: USER_AGENT, timeoutMs: state.timeoutMs, maxAttempts: state.maxAttempts, log })
      return providerFor(state.provider).revoke({ state, send, log })
    })
    log.info(line)
  } catch (error) {
    line = `Could not revoke the access token: ${describeError(error, secrets)}`
    log.warning(line)
  }
  await writeSummary(core, `**VMware access token:** ${secrets.redact(line)}\n`)
}

async function revokeOutcome(state: PostState, now: number, revoke: () => Promise<string>): Promise<string> {
  if (!state.revoke) return `Not revoking: revoke is false. The access token stays valid until ${state.expiresAt}.`
  if (Date.parse(state.expiresAt) <= now) return `The access token expired at ${state.expiresAt}: nothing to revoke.`
  try {
    return await revoke()
  } catch (error) {
    // Whatever went wrong, the caller needs to know how long the token stays usable.
    const message = error instanceof Error ? error.message : String(error)
    throw new Error(`${message} The access token stays valid until it expires at ${state.expiresAt}.`, { cause: error })
  }
}
