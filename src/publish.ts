/** Hands the token to later steps: outputs, env var, state for the post step, job summary. */
import type { Config } from './config.js'
import type { ActionCore } from './core.js'
import { savePostState, type PostState } from './post-state.js'
import type { Provider, TokenResult } from './providers/types.js'
import { revokePlan, revokeSummary } from './revocation.js'
import { summaryText, type Secrets } from './secrets.js'
import { printable } from './text.js'

/** Call only with every secret of the result already masked. */
export function publishToken(core: ActionCore, config: Config, provider: Provider, result: TokenResult, now = Date.now()): PostState {
  const expiresAt = expiresAtOf(result, now)
  core.setOutput('access-token', result.accessToken)
  core.setOutput('token-type', result.tokenType)
  // Empty for a session with no fixed lifetime: later steps must not read a made-up number as a fact.
  core.setOutput('expires-in', result.expiresIn === undefined ? '' : String(result.expiresIn))
  core.setOutput('expires-at', expiresAt ?? '')
  // Names a provider controls: no control characters for later steps to trip over.
  core.setOutput('org', printable(result.org))
  core.setOutput('subject', printable(result.subject))
  for (const [name, value] of Object.entries(result.outputs ?? {})) {
    // action.yml declares the provider's outputs (a unit test checks): an undeclared one is a bug.
    if (!provider.outputs?.includes(name)) throw new Error(`provider ${provider.name} returned output '${name}', which it does not declare`)
    core.setOutput(name, value)
  }
  if (config.exportEnv) core.exportVariable(config.envName, result.accessToken)

  const state: PostState = {
    provider: provider.name,
    baseUrl: config.baseUrl,
    ...(expiresAt ? { expiresAt } : {}),
    revoke: config.revoke,
    timeoutMs: config.timeoutMs,
    maxAttempts: config.maxAttempts,
    ...(revokePlan(provider, config.revoke).revokes ? { accessToken: result.accessToken, data: result.revokeData } : {}),
  }
  savePostState(core, state)
  return state
}

/** The instant (ISO 8601 UTC) a token issued now expires; undefined when it has no fixed lifetime. */
export function expiresAtOf(result: Pick<TokenResult, 'expiresIn'>, now = Date.now()): string | undefined {
  return result.expiresIn === undefined ? undefined : new Date(now + result.expiresIn * 1000).toISOString()
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

/** The main step's job summary; every value goes through summaryText (redacted, Markdown shown as text). */
export function summaryOfToken(config: Config, provider: Provider, result: TokenResult, state: PostState, secrets: Secrets): string {
  const rows: [string, string][] = [
    ['Provider', `${provider.title} (${provider.name})`],
    ['Host', new URL(config.baseUrl).host],
    ['Org', result.org || '(not reported)'],
    ['Subject', result.subject || '(not reported)'],
    [
      'Expires',
      state.expiresAt && result.expiresIn !== undefined
        ? `${state.expiresAt} (in ${lifetime(result.expiresIn)})`
        : "no fixed lifetime: it ends at logout or after the server's idle timeout",
    ],
    ['Revoke', revokeSummary(revokePlan(provider, config.revoke))],
    ...(result.summaryRows ?? []),
  ]
  const cell = (text: string): string => summaryText(text, secrets)
  const table = rows.map(([name, value]) => `| ${cell(name)} | ${cell(value)} |`).join('\n')
  const notices = (result.notices ?? []).map((line) => `> [!WARNING]\n> ${cell(line)}\n`).join('\n')
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
