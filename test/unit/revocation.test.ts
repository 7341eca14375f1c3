/** The one decision about revoking, as both steps and the summary word it. */
import { describe, expect, it } from 'vitest'
import { csp } from '../../src/providers/csp.ts'
import { vcd } from '../../src/providers/vcd.ts'
import { expiredBeforeRevoke, notRevokingLine, revokePlan, revokeSummary, stillValid } from '../../src/revocation.ts'
import { providerNamed } from './provider-kit.ts'

describe('revokePlan', () => {
  it.each([
    ['a revoking provider, revoke true', vcd, true, 'yes, in the post step at the end of the job'],
    ['a revoking provider, revoke false', vcd, false, 'no (revoke: false)'],
    ['a provider that cannot, revoke true', csp, true, `not possible (${csp.cannotRevoke})`],
    ['a provider that cannot, revoke false', csp, false, 'no (revoke: false)'],
  ])('%s: %s', (_label, provider, revoke, summary) => {
    const plan = revokePlan(provider, revoke)
    expect(plan.revokes).toBe(provider === vcd && revoke)
    expect(revokeSummary(plan)).toBe(summary)
  })

  it('words the post step line for a token it leaves alone, with or without an expiry', () => {
    const at = '2030-01-01T13:00:00.000Z'
    const cannot = revokePlan(csp, true)
    const off = revokePlan(vcd, false)
    if (cannot.revokes || off.revokes) throw new Error('expected plans that do not revoke')
    expect(notRevokingLine(cannot, at)).toBe(
      `The access token cannot be revoked (${csp.cannotRevoke}); it stays valid until it expires at ${at}.`,
    )
    expect(notRevokingLine(off, undefined)).toBe(`Not revoking: revoke is false. The access token stays valid ${stillValid(undefined)}.`)
    expect(stillValid(undefined)).toBe('until the server ends it (it has no fixed lifetime)')
  })
})

describe('expiredBeforeRevoke', () => {
  const now = Date.parse('2030-01-01T12:00:00.000Z')
  it.each([
    ['vcd', '2030-01-01T11:59:59.000Z', true],
    ['vcd', '2030-01-01T12:00:00.000Z', true],
    ['vcd', '2030-01-01T12:00:01.000Z', false],
    ['vcd', undefined, false],
    // What they revoke outlives expires-at: a refresh token; a token each use extends.
    ['sddc-manager', '2030-01-01T11:00:00.000Z', false],
    ['aria-operations', '2030-01-01T11:00:00.000Z', false],
  ])('%s, a token that expires at %s: %s', (name, expiresAt, expired) => {
    expect(expiredBeforeRevoke(providerNamed(name), expiresAt, now)).toBe(expired)
  })
})
