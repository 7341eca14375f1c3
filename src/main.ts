/** The main step, wired: inputs -> provider exchange -> masked token handed on (or ended, if it cannot be). */
import * as actionsCore from '@actions/core'
import type { ActionCore } from './core.js'
import { handOn } from './hand-on.js'
import { readInputs } from './inputs.js'
import { exchangeAndHandOn } from './issue.js'
import { publishRefreshToken } from './publish.js'
import { describeError } from './secrets.js'
import { startStep, stepHttp } from './step.js'

export async function run(core: ActionCore = actionsCore): Promise<void> {
  const step = startStep(core)
  const { secrets, log } = step
  let close = (): void => {}
  try {
    const { config, provider } = await readInputs(core, secrets)
    const http = stepHttp(step, config)
    close = http.close
    const context = {
      config,
      send: http.send,
      secrets,
      log,
      publishRefreshToken: (token: string) => {
        secrets.mask(token)
        publishRefreshToken(core, token)
      },
    }
    await exchangeAndHandOn(provider, context, (result, full) => handOn(core, provider, full, result))
  } catch (error) {
    core.setFailed(describeError(error, secrets))
  } finally {
    close()
  }
}
