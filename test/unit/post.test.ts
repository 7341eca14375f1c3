import nock from 'nock'
import { describe, expect, it } from 'vitest'
import { run as post } from '../../src/post.ts'
import { STATE_KEY, type PostState } from '../../src/post-state.ts'
import { SESSION_PATH } from './cloud-director-kit.ts'
import { expectMaskedBeforeUse, fakeCore, leakedPieces, type FakeCore } from './fake-core.ts'
import { CSP_DEFAULT_URL, recorder, secretToken, testCaPem, type Seen } from './helpers.ts'

const VCD = 'https://vcd.example.com'
const NOW = Date.parse('2030-01-01T12:00:00.000Z')
const LATER = '2030-01-01T13:00:00.000Z'

function vcdState(overrides: Partial<PostState> = {}): PostState {
  return {
    provider: 'vcd',
    baseUrl: VCD,
    expiresAt: LATER,
    revoke: true,
    timeoutMs: 2000,
    maxAttempts: 1,
    data: { apiVersion: '38.1' },
    accessToken: secretToken(64),
    ...overrides,
  }
}

function coreWith(state: PostState | Record<string, unknown> | string | undefined, inputs: Record<string, string> = {}): FakeCore {
  const saved: Record<string, string> =
    state === undefined ? {} : { [STATE_KEY]: typeof state === 'string' ? state : JSON.stringify(state) }
  return fakeCore({ inputs, state: saved })
}

/** Records every request to the Cloud Director host; answers logout with `status`. */
function logoutServer(status = 204, body: string | Record<string, unknown> = ''): Seen[] {
  const seen: Seen[] = []
  nock(VCD)
    .persist()
    .intercept(/.*/, 'DELETE')
    .optionally()
    .reply(recorder(seen, () => [status, body]))
  return seen
}

function neverFails(core: FakeCore): void {
  expect(core.messages('setFailed')).toEqual([])
}

describe('post', () => {
  it('does nothing when the main step issued no token', async () => {
    const core = coreWith(undefined)
    const seen = logoutServer()
    await post(core, NOW)
    expect(core.commands).toEqual([{ kind: 'info', name: '', value: 'The main step issued no access token: nothing to revoke.' }])
    expect(seen).toEqual([])
  })

  it('logs out of Cloud Director with the saved token, masked first', async () => {
    const state = vcdState()
    const core = coreWith(state)
    const seen = logoutServer(204)
    await post(core, NOW)
    neverFails(core)
    expect(seen).toHaveLength(1)
    expect(seen[0].url.pathname).toBe(SESSION_PATH)
    expect(seen[0].headers.authorization).toBe(`Bearer ${state.accessToken}`)
    expect(seen[0].headers['user-agent']).toMatch(/^vmw-token-action\//)
    expect(core.commands[0]).toEqual({ kind: 'setSecret', name: '', value: state.accessToken })
    expect(core.messages('info')).toEqual(['Logged out of Cloud Director: the access token is revoked.'])
    expect(core.messages('summary')).toEqual([
      expect.stringMatching(/^\*\*VMware access token:\*\* Logged out of Cloud Director: the access token is revoked\.\n+$/),
    ])
    expect(core.messages('warning')).toEqual([])
    expectMaskedBeforeUse(core, [state.accessToken ?? ''])
  })

  it('uses the saved API version for the legacy logout', async () => {
    const core = coreWith(vcdState({ data: { apiVersion: '33.0' } }))
    const seen = logoutServer(204)
    await post(core, NOW)
    expect(seen.map((s) => s.url.pathname)).toEqual(['/api/session'])
  })

  it('takes a session already gone as success', async () => {
    const core = coreWith(vcdState())
    logoutServer(401, { message: 'unauthorized' })
    await post(core, NOW)
    neverFails(core)
    expect(core.messages('warning')).toEqual([])
    expect(core.messages('info')[0]).toContain('already gone (HTTP 401)')
  })

  it('skips revoking when revoke is false, saying until when the token stays valid', async () => {
    const core = coreWith(vcdState({ revoke: false, accessToken: undefined }))
    const seen = logoutServer()
    await post(core, NOW)
    expect(seen).toEqual([])
    expect(core.messages('info')).toEqual([`Not revoking: revoke is false. The access token stays valid until it expires at ${LATER}.`])
    neverFails(core)
  })

  it('skips revoking an expired token', async () => {
    const core = coreWith(vcdState({ expiresAt: '2030-01-01T11:59:59.000Z' }))
    const seen = logoutServer()
    await post(core, NOW)
    expect(seen).toEqual([])
    expect(core.messages('info')).toEqual(['The access token expired at 2030-01-01T11:59:59.000Z: nothing to revoke.'])
    // Expiring exactly now counts as expired.
    const atNow = coreWith(vcdState({ expiresAt: new Date(NOW).toISOString() }))
    await post(atNow, NOW)
    expect(seen).toEqual([])
  })

  it("still revokes a provider's refresh token after the access token it came with has expired", async () => {
    const refreshTokenId = '5a0e9b7c-6d0f-4c1e-9a3b-2f7e8d9c0b1a'
    const core = coreWith({
      ...vcdState({ provider: 'sddc-manager', baseUrl: 'https://sddc.example.com', expiresAt: '2030-01-01T11:00:00.000Z' }),
      data: { refreshTokenId },
    })
    const seen: Seen[] = []
    nock('https://sddc.example.com')
      .delete('/v1/tokens/refresh-token')
      .reply(recorder(seen, () => [204]))
    await post(core, NOW)
    neverFails(core)
    expect(seen.map((request) => request.body)).toEqual([JSON.stringify(refreshTokenId)])
    expect(core.messages('info')[0]).toMatch(/^Revoked the SDDC Manager refresh token/)
  })

  it('says plainly that a CSP access token cannot be revoked, and when it expires', async () => {
    const core = coreWith({ provider: 'csp', baseUrl: CSP_DEFAULT_URL, expiresAt: LATER, revoke: true, timeoutMs: 30_000, maxAttempts: 4 })
    const seen: Seen[] = []
    for (const method of ['GET', 'POST', 'DELETE']) {
      nock(CSP_DEFAULT_URL)
        .persist()
        .intercept(/.*/, method)
        .optionally()
        .reply(recorder(seen, () => [200]))
    }
    await post(core, NOW)
    expect(seen).toEqual([])
    const [info] = core.messages('info')
    expect(info).toContain('cannot be revoked')
    expect(info).toContain(LATER)
    expect(core.messages('summary')[0]).toContain('cannot be revoked')
    neverFails(core)
  })

  it('only warns when the logout fails, with a redacted message', async () => {
    const state = vcdState()
    const core = coreWith(state)
    logoutServer(500, { message: `session ${state.accessToken} could not be deleted` })
    await post(core, NOW)
    neverFails(core)
    const [warning] = core.messages('warning')
    expect(warning).toMatch(/^Could not revoke: Cloud Director logout failed: HTTP 500/)
    expect(warning).toContain('session *** could not be deleted')
    expect(warning).toContain(`stays valid until it expires at ${LATER}`)
    // The summary quotes the same line, redacted the same way, its Markdown shown as text.
    expect(core.messages('summary')).toEqual([`**VMware access token:** ${warning.replaceAll('*', '\\*')}\n\n`])
    expectMaskedBeforeUse(core, [state.accessToken ?? ''])
  })

  it('only warns when Cloud Director cannot be reached', async () => {
    const core = coreWith(vcdState())
    nock(VCD)
      .delete(SESSION_PATH)
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))
    await post(core, NOW)
    neverFails(core)
    expect(core.messages('warning')).toEqual([
      'Could not revoke: Cloud Director logout at vcd.example.com failed: connection refused (1 try). The access token stays valid until it expires at 2030-01-01T13:00:00.000Z.',
    ])
  })

  it('only warns on a state naming a provider it does not know', async () => {
    const core = coreWith({ ...vcdState(), provider: 'aws' })
    const seen = logoutServer()
    await post(core, NOW)
    neverFails(core)
    expect(seen).toEqual([])
    expect(core.messages('warning')).toEqual([
      "Not revoking: the state the main step saved cannot be trusted (its provider 'aws' is not one this action knows), so nothing was sent.",
    ])
  })

  it('only warns on a state that is not JSON, without quoting any of it', async () => {
    const token = secretToken(64)
    const core = coreWith(`{"accessToken":"${token}"`)
    await post(core, NOW)
    neverFails(core)
    expect(core.messages('warning')).toEqual([
      `Not revoking: the state the main step saved cannot be trusted (it is not the JSON the main step writes (${token.length + 17} characters)), so nothing was sent.`,
    ])
    for (const line of core.printed()) expect(leakedPieces(line, token)).toEqual([])
  })

  // Whoever can change the state file must not be able to send the token elsewhere, or hold the job.
  it.each([
    ['an http url to a host that is not loopback', { baseUrl: 'http://evil.example' }, /url is unsafe for a token: it uses http:/],
    ['a url with a user part', { baseUrl: 'https://u:p@vcd.example.com' }, /user name or password/],
    ['a url with a query', { baseUrl: 'https://vcd.example.com/?x=1' }, /query string/],
    ['a url that is no URL', { baseUrl: 'vcd.example.com' }, /url is not a URL/],
    ['a million attempts', { maxAttempts: 1_000_000 }, /attempts are not 1-10/],
    ['no attempts', { maxAttempts: 0 }, /attempts are not 1-10/],
    ['attempts as text', { maxAttempts: '3' }, /attempts are not 1-10/],
    ['a timeout of a day', { timeoutMs: 86_400_000 }, /timeout is not 1-600 s/],
    ['a timeout of a fraction', { timeoutMs: 1500.5 }, /timeout is not 1-600 s/],
    ['an expiry that is not a date', { expiresAt: 'tomorrow' }, /expiry is not an ISO 8601 UTC date/],
    ['an expiry of 2030-13-45', { expiresAt: '2030-13-45T00:00:00.000Z' }, /expiry is not an ISO 8601 UTC date/],
    ['a revoke flag as text', { revoke: 'yes' }, /revoke flag/],
    ['an access token with a line break', { accessToken: 'abc\n::warning::x' }, /access token is not a token/],
    ['provider data that is not strings', { data: { apiVersion: 38 } }, /provider's data/],
    ['a provider that is not a name', { provider: '../x' }, /provider is not a name/],
    ['revoke true without a token', { accessToken: undefined }, /keeps no access token/],
  ])('only warns, sending nothing, on a state with %s', async (_name, change, reason) => {
    const core = coreWith({ ...vcdState(), ...change })
    const seen = logoutServer(204)
    await post(core, NOW)
    neverFails(core)
    expect(seen).toEqual([])
    const [warning] = core.messages('warning')
    expect(warning).toMatch(/^Not revoking: the state the main step saved cannot be trusted \(/)
    expect(warning).toMatch(reason)
    expect(warning).toMatch(/so nothing was sent\.$/)
  })

  it('reads ca-certificate again for the logout', async () => {
    const core = coreWith(vcdState(), { 'ca-certificate': testCaPem() })
    const seen = logoutServer(204)
    await post(core, NOW)
    expect(core.inputsRead).toContain('ca-certificate')
    expect(seen).toHaveLength(1)
    neverFails(core)
  })

  it('only warns, without a request, when ca-certificate is not PEM', async () => {
    const core = coreWith(vcdState(), { 'ca-certificate': '/etc/ssl/my-ca.pem' })
    const seen = logoutServer(204)
    await post(core, NOW)
    expect(seen).toEqual([])
    neverFails(core)
    expect(core.messages('warning')[0]).toMatch(/^Could not revoke: Input 'ca-certificate': .*looks like a file path/)
  })

  it('does not read ca-certificate when there is nothing to revoke', async () => {
    const core = coreWith(vcdState({ revoke: false }), { 'ca-certificate': 'garbage' })
    await post(core, NOW)
    expect(core.inputsRead).not.toContain('ca-certificate')
    expect(core.messages('warning')).toEqual([])
  })

  it('revokes a token with no fixed lifetime, and says how long it lives when it cannot', async () => {
    const noExpiry = vcdState({ expiresAt: undefined })
    const core = coreWith(noExpiry)
    const seen = logoutServer()
    await post(core, NOW)
    expect(seen).toHaveLength(1)
    neverFails(core)

    const kept = coreWith(vcdState({ expiresAt: undefined, revoke: false, accessToken: undefined }))
    await post(kept, NOW)
    expect(kept.messages('info')).toEqual([
      'Not revoking: revoke is false. The access token stays valid until the server ends it (it has no fixed lifetime).',
    ])
  })
})
