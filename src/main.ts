/** The main step, wired: inputs -> provider exchange -> masked, published token. */
import type { ActionCore } from './core.js'
import { createHttp, trustCaCertificates } from './http.js'
import { readInputs } from './inputs.js'
import { providerFor } from './providers/index.js'
import { IS_POST, publishRefreshToken, publishToken, summaryOfToken, writeSummary } from './publish.js'
import { describeError, redactingLog, Secrets } from './secrets.js'
import { USER_AGENT } from './version.js'

export async function main(core: ActionCore): Promise<void> {
  const secrets = new Secrets((value) => core.setSecret(value))
  const log = redactingLog(core, secrets)
  try {
    core.saveState(IS_POST, 'true')
    const config = readInputs(core, secrets)
    trustCaCertificates(config.caCertificates)
    const provider = providerFor(config.provider)
    const send = createHttp({ userAgent: USER_AGENT, timeoutMs: config.timeoutMs, maxAttempts: config.maxAttempts, log })
    const result = await provider.exchange({
      config,
      send,
      secrets,
      log,
      publishRefreshToken: (token) => publishRefreshToken(core, token),
    })
    const state = publishToken(core, config, provider, result)
    log.info(
      `Issued a ${provider.title} access token for ${result.subject || 'an unnamed subject'} in org ${result.org || '(not reported)'}, valid until ${state.expiresAt}.`,
    )
    await writeSummary(core, summaryOfToken(config, provider, result, state))
  } catch (error) {
    core.setFailed(describeError(error, secrets))
  }
}
