/** Hands the token to later steps: outputs, env var, state for the post step, job summary. */
import type { ActionCore } from './core.js'
import type { Config } from './inputs.js'
import type { PostState, Provider, TokenResult } from './providers/types.js'

export const STATE_KEY = 'token'
/** Saved by the main step: the runner hands it to the post step, which runs the same bundle. */
export const IS_POST = 'isPost'

/** Call only with every secret of the result already masked. */
export function publishToken(core: ActionCore, config: Config, provider: Provider, result: TokenResult, now = Date.now()): PostState {
  const expiresAt = new Date(now + result.expiresIn * 1000).toISOString()
  core.setOutput('access-token', result.accessToken)
  core.setOutput('token-type', result.tokenType)
  core.setOutput('expires-in', String(result.expiresIn))
  core.setOutput('expires-at', expiresAt)
  core.setOutput('org', result.org)
  core.setOutput('subject', result.subject)
  if (result.apiVersion !== undefined) core.setOutput('api-version', result.apiVersion)
  if (result.apiTokenExpiresAt !== undefined) core.setOutput('api-token-expires-at', result.apiTokenExpiresAt?.toISOString() ?? '')
  if (config.exportEnv) core.exportVariable(config.envName, result.accessToken)

  const state: PostState = {
    provider: provider.name,
    baseUrl: config.baseUrl,
    expiresAt,
    revoke: config.revoke,
    timeoutMs: config.timeoutMs,
    maxAttempts: config.maxAttempts,
    apiVersion: result.apiVersion,
    accessToken: provider.revocable && config.revoke ? result.accessToken : undefined,
  }
  core.saveState(STATE_KEY, JSON.stringify(state))
  return state
}

/** A rotated refresh token: the one the caller passed is spent, so this one must be stored now. */
export function publishRefreshToken(core: ActionCore, token: string): void {
  core.setOutput('refresh-token', token)
  core.warning(
    'The provider rotated the refresh token: the api-token this step was given no longer works. ' +
      'Store the refresh-token output as the new secret before this job ends (the README shows how, ' +
      'e.g. gh secret set), or the next run will fail.',
  )
}

export function summaryOfToken(config: Config, provider: Provider, result: TokenResult, state: PostState): string {
  const revoke = !config.revoke
    ? 'no (revoke: false)'
    : provider.revocable
      ? 'yes, in the post step at the end of the job'
      : 'not possible (CSP access tokens cannot be revoked)'
  const rows: [string, string][] = [
    ['Provider', `${provider.title} (\`${provider.name}\`)`],
    ['Host', new URL(config.baseUrl).host],
    ['Org', result.org || '(not reported)'],
    ['Subject', result.subject || '(not reported)'],
    ['Expires', `${state.expiresAt} (in ${lifetime(result.expiresIn)})`],
    ['Revoke', revoke],
  ]
  if (result.apiVersion) rows.push(['API version', result.apiVersion])
  if (result.apiTokenExpiresAt) rows.push(['API token expires', result.apiTokenExpiresAt.toISOString()])
  const table = rows.map(([name, value]) => `| ${name} | ${escapeCell(value)} |`).join('\n')
  const notices = (result.notices ?? []).map((line) => `> [!WARNING]\n> ${line}\n`).join('\n')
  return `### VMware access token issued\n\n| | |\n|---|---|\n${table}\n\n${notices}`
}

function lifetime(seconds: number): string {
  const minutes = Math.round(seconds / 60)
  return minutes < 120 ? `${minutes} min` : `${Math.round(minutes / 60)} h`
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')
}

/** The summary file is missing when run outside a runner; that is no reason to fail. */
export async function writeSummary(core: ActionCore, markdown: string): Promise<void> {
  try {
    await core.summary.addRaw(markdown, true).write()
  } catch (error) {
    core.debug(`job summary not written: ${(error as Error).message}`)
  }
}
