/**
 * What the main step does with a token the provider issued: its kubeconfig, outputs, env var and
 * post-step state, the log line and the job summary. A failure here ends the token (issue.ts).
 */
import type { ActionCore } from './core.js'
import { publishKubeconfig, removeQuietly, renderKubeconfig, writeKubeconfig } from './kubeconfig.js'
import type { PostState } from './post-state.js'
import type { ExchangeContext, Provider, TokenResult } from './providers/types.js'
import { publishToken, summaryOfToken, writeSummary } from './publish.js'

/** Call only with the result's access token already masked. */
export async function handOn(core: ActionCore, provider: Provider, context: ExchangeContext, result: TokenResult): Promise<void> {
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
    await writeSummary(core, summaryOfToken(config, provider, { ...result, summaryRows: rows }, state, context.secrets))
  } catch (error) {
    // No later step will be told of the file: it goes now, as the token does.
    if (kubeconfig) removeQuietly(kubeconfig)
    throw error
  }
}

function issuedLine(provider: Provider, result: TokenResult, state: PostState): string {
  const org = result.org ? ` in org ${result.org}` : ''
  const until = state.expiresAt ? `valid until ${state.expiresAt}` : 'with no fixed lifetime (it ends at logout or when idle)'
  return `Issued a ${provider.title} access token for ${result.subject || 'an unnamed subject'}${org}, ${until}.`
}
