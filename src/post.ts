/** The post step, wired: the kubeconfig deleted, the saved token revoked, a summary line. It never fails the job. */
import * as actionsCore from '@actions/core'
import type { ActionCore } from './core.js'
import { deleteKubeconfig, KUBECONFIG_STATE } from './kubeconfig.js'
import { writeSummary } from './publish.js'
import { revokeSavedToken } from './revoke-saved.js'
import { summaryText } from './secrets.js'
import { startStep } from './step.js'

export async function run(core: ActionCore = actionsCore, now = Date.now()): Promise<void> {
  const step = startStep(core)
  // First, so that nothing the revoke does can keep the token's file on the runner.
  deleteKubeconfig(core.getState(KUBECONFIG_STATE), step.log)
  const line = await revokeSavedToken(core, step, now)
  if (line) await writeSummary(core, `**VMware access token:** ${summaryText(line, step.secrets)}\n`)
}
