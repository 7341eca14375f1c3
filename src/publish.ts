/** Hands the token to later steps: outputs, env var, state for the post step, job summary. */
import type { Config } from './config.js'
import type { ActionCore } from './core.js'
import { savePostState, type PostState } from './post-state.js'
import type { Provider, TokenResult } from './providers/types.js'
import { markdownText, printable } from './text.js'

/** Call only with every secret of the result already masked. */
export function publishToken(core: ActionCore, config: Config, provider: Provider, result: TokenResult, now = Date.now()): PostState {
  const expiresAt = new Date(now + result.expiresIn * 1000).toISOString()
  core.setOutput('access-token', result.accessToken)
  core.setOutput('token-type', result.tokenType)
  core.setOutput('expires-in', String(result.expiresIn))
  core.setOutput('expires-at', expiresAt)
  // Names a provider controls: no control characters for later steps to trip over.
  core.setOutput('org', printable(result.org))
  core.setOutput('subject', printable(result.subject))
  for (const [name, value] of Object.entries(result.outputs ?? {})) core.setOutput(name, value)
  if (config.exportEnv) core.exportVariable(config.envName, result.accessToken)

  const keep = config.revoke && provider.revoke !== undefined
  const state: PostState = {
    provider: provider.name,
    baseUrl: config.baseUrl,
    expiresAt,
    revoke: config.revoke,
    timeoutMs: config.timeoutMs,
    maxAttempts: config.maxAttempts,
    ...(keep ? { accessToken: result.accessToken, data: result.revokeData } : {}),
  }
  savePostState(core, state)
  return state
}

/** A rotated refresh token: the one the caller passed is spent, so this one must be stored now. */
export function publishRefreshToken(core: Pick<ActionCore, 'setOutput' | 'warning'>, token: string): void {
  core.setOutput('refresh-token', token)
  core.warning(
    'The provider rotated the refresh token: the api-token this step was given no longer works. ' +
      'Store the refresh-token output as the new secret before this job ends (the README shows how, ' +
      'e.g. gh secret set), or the next run will fail.',
  )
}

/** The post step's plan for a token that cannot be revoked, in the provider's words. */
export function cannotRevokeLine(reason: string, expiresAt: string): string {
  return `The access token cannot be revoked (${reason}); it stays valid until it expires at ${expiresAt}.`
}

export function summaryOfToken(config: Config, provider: Provider, result: TokenResult, state: PostState): string {
  const revoke = !config.revoke
    ? 'no (revoke: false)'
    : provider.revoke
      ? 'yes, in the post step at the end of the job'
      : `not possible (${provider.cannotRevoke})`
  const rows: [string, string][] = [
    ['Provider', `${provider.title} (${provider.name})`],
    ['Host', new URL(config.baseUrl).host],
    ['Org', result.org || '(not reported)'],
    ['Subject', result.subject || '(not reported)'],
    ['Expires', `${state.expiresAt} (in ${lifetime(result.expiresIn)})`],
    ['Revoke', revoke],
    ...(result.summaryRows ?? []),
  ]
  const table = rows.map(([name, value]) => `| ${markdownText(name)} | ${markdownText(value)} |`).join('\n')
  const notices = (result.notices ?? []).map((line) => `> [!WARNING]\n> ${markdownText(line)}\n`).join('\n')
  return `### VMware access token issued\n\n| | |\n|---|---|\n${table}\n\n${notices}`
}

function lifetime(seconds: number): string {
  const minutes = Math.round(seconds / 60)
  return minutes < 120 ? `${minutes} min` : `${Math.round(minutes / 60)} h`
}

/** The summary file is missing when run outside a runner; that is no reason to fail. */
export async function writeSummary(core: Pick<ActionCore, 'summary' | 'debug'>, markdown: string): Promise<void> {
  try {
    await core.summary.addRaw(markdown, true).write()
  } catch (error) {
    core.debug(`job summary not written: ${(error as Error).message}`)
  }
}
