/** The main step, wired: inputs -> provider exchange -> masked, published token. */
import * as actionsCore from '@actions/core'
import type { ActionCore } from './core.js'
import type { Send } from './http/request.js'
import { readInputs } from './inputs.js'
import { publishKubeconfig, removeQuietly, renderKubeconfig, writeKubeconfig } from './kubeconfig.js'
import type { PostState } from './post-state.js'
import type { ExchangeContext, Provider, TokenResult } from './providers/types.js'
import { expiresAtOf, publishRefreshToken, publishToken, summaryOfToken, writeSummary } from './publish.js'
import { describeError } from './secrets.js'
import { startStep, stepHttp, type Step } from './step.js'

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
    let kubeconfig: string | undefined
    try {
      for (const notice of result.notices ?? []) log.warning(notice)
      const spec = config.kubeconfig ? await provider.kubernetes?.contexts(context, result) : undefined
      if (spec) kubeconfig = writeKubeconfig(core, renderKubeconfig(spec, result.accessToken, config.caCertificates))
      const state = publishToken(core, config, provider, result)
      const rows = [...(result.summaryRows ?? [])]
      if (spec && kubeconfig) {
        publishKubeconfig(core, config.exportEnv, kubeconfig)
        rows.push(['Kubeconfig', `context ${spec.currentContext}; the post step deletes it`])
      }
      log.info(issuedLine(provider, result, state) + (spec ? ` Kubeconfig (context ${spec.currentContext}): ${kubeconfig}.` : ''))
      await writeSummary(core, summaryOfToken(config, provider, { ...result, summaryRows: rows }, state, secrets))
    } catch (error) {
      // No later step will be told of the file, nor of its token: it goes now.
      if (kubeconfig) removeQuietly(kubeconfig)
      await endUnpublishedToken(provider, config.baseUrl, result, http.send, step)
      throw error
    }
  } catch (error) {
    core.setFailed(describeError(error, secrets))
  } finally {
    close()
  }
}

function issuedLine(provider: Provider, result: TokenResult, state: PostState): string {
  const org = result.org ? ` in org ${result.org}` : ''
  const until = state.expiresAt ? `valid until ${state.expiresAt}` : 'with no fixed lifetime (it ends at logout or when idle)'
  return `Issued a ${provider.title} access token for ${result.subject || 'an unnamed subject'}${org}, ${until}.`
}

/**
 * A token the step issued but could not hand on: the post step will not know of it, so it is
 * ended now, with one try (a session left open counts against the user's session cap).
 */
async function endUnpublishedToken(
  provider: Provider,
  baseUrl: string,
  result: TokenResult,
  send: Send,
  { secrets, log }: Step,
): Promise<void> {
  if (!provider.revoke) return
  try {
    const line = await provider.revoke({
      baseUrl,
      accessToken: result.accessToken,
      data: result.revokeData ?? {},
      expiresAt: expiresAtOf(result),
      send: (request) => send({ ...request, attempts: 1 }),
      secrets,
      log,
    })
    log.debug(`the step failed after the token was issued: ${line}`)
  } catch (error) {
    log.debug(`the step failed after the token was issued, and ending it failed too: ${(error as Error).message}`)
  }
}
