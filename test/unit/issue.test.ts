/** The core's rule for a token the main step issued but could not hand on (src/issue.ts). */
import { describe, expect, it, vi } from 'vitest'
import { exchangeAndHandOn } from '../../src/issue.ts'
import type { ExchangeContext, Provider, RevokeContext, TokenResult } from '../../src/providers/types.ts'
import { config, harness, rejectionOf, secretToken } from './helpers.ts'

const RESULT = (accessToken: string): TokenResult => ({ accessToken, tokenType: 'Bearer', expiresIn: 60, org: '', subject: 'ci' })

/** A provider whose exchange runs `body` and whose revoke records what it was given. */
function fakeProvider(body: (context: ExchangeContext) => Promise<TokenResult>, revokes = true) {
  const revoked: RevokeContext[] = []
  const base = {
    name: 'fake',
    title: 'Fake',
    credentials: ['api-token'] as const,
    credentialHelp: 'a token',
    exampleUrl: 'https://fake.example',
  }
  const provider = {
    ...base,
    resolveUrl: (url: URL) => ({ baseUrl: url.origin, orgFromUrl: '' }),
    parseOrg: () => '',
    exchange: body,
    ...(revokes
      ? {
          revoke: async (context: RevokeContext) => {
            revoked.push(context)
            return 'ended'
          },
        }
      : { cannotRevoke: 'it cannot' }),
  } as Provider
  return { provider, revoked }
}

describe('exchangeAndHandOn', () => {
  it('ends the last token the exchange reported, with one try, when the exchange fails after it; masked before', async () => {
    const h = harness(config())
    const [first, second] = [secretToken(40), secretToken(40)]
    const { provider, revoked } = fakeProvider(async ({ issued }) => {
      issued({ accessToken: first })
      issued({ accessToken: second, revokeData: { version: '38.1' } })
      throw new Error('a later check failed')
    })
    const send = vi.fn(h.context.send)
    const error = await rejectionOf(exchangeAndHandOn(provider, { ...h.context, send }))
    expect(error.message).toBe('a later check failed')
    expect(h.masked).toEqual(expect.arrayContaining([first, second]))
    expect(revoked.map(({ accessToken, data, expiresAt }) => ({ accessToken, data, expiresAt }))).toEqual([
      { accessToken: second, data: { version: '38.1' }, expiresAt: undefined },
    ])
    void revoked[0].send({ method: 'DELETE', url: 'https://fake.example/x', purpose: 'logout' }).catch(() => {})
    expect(send).toHaveBeenCalledWith(expect.objectContaining({ attempts: 1 }))
    expect(h.logs.map((line) => line.message)).toContain('the step failed after the token was issued: ended')
  })

  it('ends the returned token, with its revokeData and expiry, when handing it on fails', async () => {
    const h = harness(config())
    const token = secretToken(40)
    const { provider, revoked } = fakeProvider(async () => ({ ...RESULT(token), revokeData: { form: 'api' } }))
    const error = await rejectionOf(
      exchangeAndHandOn(provider, h.context, async () => {
        throw new Error('ENOSPC')
      }),
    )
    expect(error.message).toBe('ENOSPC')
    expect(h.masked).toContain(token)
    expect(revoked).toHaveLength(1)
    expect(revoked[0]).toMatchObject({ accessToken: token, data: { form: 'api' }, expiresAt: expect.stringMatching(/Z$/) })
  })

  it('ends nothing when the exchange fails before a token exists, or succeeds, or the provider cannot revoke', async () => {
    const h = harness(config())
    const before = fakeProvider(async () => {
      throw new Error('refused')
    })
    await rejectionOf(exchangeAndHandOn(before.provider, h.context))
    const good = fakeProvider(async () => RESULT(secretToken(40)))
    await exchangeAndHandOn(good.provider, h.context)
    const cannot = fakeProvider(async ({ issued }) => {
      issued({ accessToken: secretToken(40) })
      throw new Error('later')
    }, false)
    await rejectionOf(exchangeAndHandOn(cannot.provider, h.context))
    expect([before.revoked, good.revoked, cannot.revoked]).toEqual([[], [], []])
  })
})
