/**
 * What the main step does with a token the provider issued: its kubeconfig, outputs, env var and
 * post-step state, the log line and the job summary. A token it cannot hand on is ended here.
 */
import type { ActionCore } from './core.js'
import type { Send } from './http/request.js'
import { publishKubeconfig, removeQuietly, renderKubeconfig, writeKubeconfig } from './kubeconfig.js'
import type { PostState } from './post-state.js'
import type { ExchangeContext, Provider, TokenResult } from './providers/types.js'
import { expiresAtOf, publishToken, summaryOfToken, writeSummary } from './publish.js'
import type { Step } from './step.js'

/** Call only with the result's access token already masked. */
export async function handOn(
  core: ActionCore,
  step: Step,
  provider: Provider,
  context: ExchangeContext,
  result: TokenResult,
): Promise<void> {
  const { config, log } = context
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
    await writeSummary(core, summaryOfToken(config, provider, { ...result, summaryRows: rows }, state, step.secrets))
  } catch (error) {
    // No later step will be told of the file, nor of its token: it goes now.
    if (kubeconfig) removeQuietly(kubeconfig)
    await endUnpublishedToken(provider, config.baseUrl, result, context.send, step)
    throw error
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
