/** The main step, wired: inputs -> provider exchange -> masked, published token. */
import * as actionsCore from '@actions/core'
import type { ActionCore } from './core.js'
import { createHttp } from './http/request.js'
import { readInputs } from './inputs.js'
import { findProvider } from './providers/index.js'
import { publishRefreshToken, publishToken, summaryOfToken, writeSummary } from './publish.js'
import { describeError, redactingLog, Secrets } from './secrets.js'
import { USER_AGENT } from './version.js'

export async function run(core: ActionCore = actionsCore): Promise<void> {
  const secrets = new Secrets((value) => core.setSecret(value))
  const log = redactingLog(core, secrets)
  let close = (): void => {}
  try {
    const config = readInputs(core, secrets)
    const provider = findProvider(config.provider)!
    const http = createHttp({
      userAgent: USER_AGENT,
      timeoutMs: config.timeoutMs,
      maxAttempts: config.maxAttempts,
      caCertificates: config.caCertificates,
      log,
      inspectBody: (body) => secrets.maskTokensIn(body),
    })
    close = http.close
    const result = await provider.exchange({
      config,
      send: http.send,
      secrets,
      log,
      publishRefreshToken: (token) => {
        secrets.mask(token)
        publishRefreshToken(core, token)
      },
    })
    secrets.mask(result.accessToken)
    const state = publishToken(core, config, provider, result)
    log.info(
      `Issued a ${provider.title} access token for ${result.subject || 'an unnamed subject'} in org ${result.org || '(not reported)'}, valid until ${state.expiresAt}.`,
    )
    await writeSummary(core, summaryOfToken(config, provider, result, state))
  } catch (error) {
    core.setFailed(describeError(error, secrets))
  } finally {
    close()
  }
}
