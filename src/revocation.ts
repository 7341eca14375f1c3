/**
 * Whether the post step revokes the token, and what both steps say about it: the one place that
 * decides. The main step keeps the token for the post step only when it will revoke it.
 */
import type { Provider, RevokeContext } from './providers/types.js'

export type RevokePlan =
  | { revokes: true; revoke: (context: RevokeContext) => Promise<string> }
  | { revokes: false; reason: 'revoke-false' }
  /** `why`: the provider's own sentence, its cannotRevoke. */
  | { revokes: false; reason: 'cannot'; why: string }

export function revokePlan(provider: Provider, revoke: boolean): RevokePlan {
  if (!revoke) return { revokes: false, reason: 'revoke-false' }
  if (!provider.revoke) return { revokes: false, reason: 'cannot', why: provider.cannotRevoke }
  return { revokes: true, revoke: (context) => provider.revoke(context) }
}

/** The Revoke row of the main step's summary. */
export function revokeSummary(plan: RevokePlan): string {
  if (plan.revokes) return 'yes, in the post step at the end of the job'
  return plan.reason === 'cannot' ? `not possible (${plan.why})` : 'no (revoke: false)'
}

/** How long a token the post step leaves alone stays usable. */
export function stillValid(expiresAt: string | undefined): string {
  return expiresAt ? `until it expires at ${expiresAt}` : 'until the server ends it (it has no fixed lifetime)'
}

/** The post step's line for a token it leaves alone. */
export function notRevokingLine(plan: Exclude<RevokePlan, { revokes: true }>, expiresAt: string | undefined): string {
  return plan.reason === 'cannot'
    ? `The access token cannot be revoked (${plan.why}); it stays valid ${stillValid(expiresAt)}.`
    : `Not revoking: revoke is false. The access token stays valid ${stillValid(expiresAt)}.`
}

/**
 * Whether the post step has nothing left to end: the access token has expired by itself, and what
 * the provider revokes does not outlive it.
 */
export function expiredBeforeRevoke(provider: Provider, expiresAt: string | undefined, now: number): boolean {
  return expiresAt !== undefined && Date.parse(expiresAt) <= now && !provider.revokeAfterExpiry
}
