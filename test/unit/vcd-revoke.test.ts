/** The Cloud Director post step: logging the session out, and what it says when it cannot. */
import nock from 'nock'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createHttp } from '../../src/http.ts'
import type { PostState } from '../../src/providers/types.ts'
import { vcd } from '../../src/providers/vcd.ts'
import { recorder, rejectionOf, secretToken, type Seen } from './helpers.ts'

const VCD = 'https://vcd.example.com'
const SESSION = '/cloudapi/1.0.0/sessions/current'

beforeAll(() => nock.disableNetConnect())
afterEach(() => {
  nock.abortPendingRequests()
  nock.cleanAll()
})

describe('vcd: revoke', () => {
  function revokeContext(state: Partial<PostState> = {}, maxAttempts = 2) {
    const debug: string[] = []
    const sleeps: number[] = []
    const send = createHttp({
      userAgent: 'vmw-token-action/test',
      timeoutMs: 2000,
      maxAttempts,
      log: { debug: (m) => debug.push(m) },
      sleep: async (ms) => {
        sleeps.push(ms)
      },
      random: () => 0,
    })
    const full: PostState = {
      provider: 'vcd',
      baseUrl: VCD,
      expiresAt: '2031-01-01T00:00:00.000Z',
      revoke: true,
      timeoutMs: 2000,
      maxAttempts,
      apiVersion: '38.1',
      accessToken: secretToken(64),
      ...state,
    }
    return { context: { state: full, send, log: { info() {}, warning() {}, debug() {} } }, state: full, sleeps }
  }

  it('logs out with DELETE sessions/current and the access token', async () => {
    const { context, state } = revokeContext()
    const seen: Seen[] = []
    nock(VCD)
      .delete(SESSION)
      .reply(recorder(seen, () => [204]))
    expect(await vcd.revoke(context)).toBe('Logged out of Cloud Director: the access token is revoked.')
    expect(seen).toHaveLength(1)
    expect(seen[0].headers).toMatchObject({ accept: 'application/json;version=38.1', authorization: `Bearer ${state.accessToken}` })
    expect(vcd.revocable).toBe(true)
  })

  it('logs out without a version when none is known', async () => {
    const { context } = revokeContext({ apiVersion: undefined })
    const seen: Seen[] = []
    nock(VCD)
      .delete(SESSION)
      .reply(recorder(seen, () => [200, {}]))
    await vcd.revoke(context)
    expect(seen[0].headers.accept).toMatch(/^application\/json(;version=(3[6-9]|[4-9]\d)\.\d+)?$/)
  })

  it('uses the legacy DELETE /api/session below API 36', async () => {
    const { context, state } = revokeContext({ apiVersion: '35.2' })
    const seen: Seen[] = []
    nock(VCD)
      .delete('/api/session')
      .reply(recorder(seen, () => [204]))
    expect(await vcd.revoke(context)).toContain('Logged out')
    expect(seen[0].headers).toMatchObject({ accept: 'application/*+xml;version=35.2', authorization: `Bearer ${state.accessToken}` })
  })

  it.each([401, 404])('takes HTTP %i as a session already gone', async (status) => {
    const { context } = revokeContext()
    nock(VCD).delete(SESSION).reply(status, { message: 'gone' })
    expect(await vcd.revoke(context)).toBe(`The Cloud Director session was already gone (HTTP ${status}): nothing left to revoke.`)
  })

  it('throws on HTTP 500 after every try (the post step adds until when the token stays valid)', async () => {
    const { context, sleeps } = revokeContext({}, 2)
    const seen: Seen[] = []
    nock(VCD)
      .delete(SESSION)
      .times(2)
      .reply(recorder(seen, () => [500, { message: 'internal error' }]))
    const error = await rejectionOf(vcd.revoke(context))
    expect(seen).toHaveLength(2)
    expect(sleeps).toHaveLength(1)
    expect(error.message).toBe('Cloud Director logout failed: HTTP 500 Internal Server Error: internal error (2 tries).')
  })

  it('sends nothing when no access token was kept', async () => {
    const { context } = revokeContext({ accessToken: undefined })
    const seen: Seen[] = []
    nock(VCD)
      .delete(SESSION)
      .optionally()
      .reply(recorder(seen, () => [204]))
    expect(await vcd.revoke(context)).toBe('No Cloud Director access token was kept: nothing to revoke.')
    expect(seen).toEqual([])
  })
})
