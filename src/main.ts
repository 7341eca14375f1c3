/** The main step, wired: inputs -> provider exchange -> masked token handed on. */
import * as actionsCore from '@actions/core'
import type { ActionCore } from './core.js'
import { handOn } from './hand-on.js'
import { readInputs } from './inputs.js'
import type { ExchangeContext } from './providers/types.js'
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
    const context: ExchangeContext = {
      config,
      send: http.send,
      secrets,
      log,
      publishRefreshToken: (token) => {
        secrets.mask(token)
        publishRefreshToken(core, token)
      },
    }
    const result = await provider.exchange(context)
    secrets.mask(result.accessToken)
    await handOn(core, step, provider, context, result)
  } catch (error) {
    core.setFailed(describeError(error, secrets))
  } finally {
    close()
  }
}
