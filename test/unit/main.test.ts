import nock from 'nock'
import { describe, expect, it, vi } from 'vitest'
import { run as main } from '../../src/main.ts'
import { run as post } from '../../src/post.ts'
import { STATE_KEY, type PostState } from '../../src/post-state.ts'
import { SESSION_PATH, versionsXml } from './cloud-director-kit.ts'
import { answer, API_TOKEN_PATH, DAY, DETAILS_PATH, OAUTH_PATH } from './csp-kit.ts'
import { TOKEN_OUTPUT_COMMANDS, expectMaskedBeforeUse, fakeCore, leakedPieces, type FakeCore } from './fake-core.ts'
import { CSP_DEFAULT_URL, ORG_ID, recorder, secretToken, testCaPem, upperToken, type Reply, type Seen } from './helpers.ts'

const VCD = 'https://vcd.example.com'
const VERSIONS = versionsXml(['37.2', '38.1'])

/** The commands but debug lines, as "kind name". */
function sequence(core: FakeCore): string[] {
  return core.commands.filter((c) => c.kind !== 'debug').map((c) => (c.name ? `${c.kind} ${c.name}` : c.kind))
}

function savedState(core: FakeCore): PostState {
  return JSON.parse(core.states()[STATE_KEY]) as PostState
}

describe('main: CSP', () => {
  it('masks, then publishes outputs, env and state, logs and writes the summary', async () => {
    const apiToken = secretToken(65)
    const core = fakeCore({ inputs: { 'api-token': apiToken, org: ORG_ID.toUpperCase() } })
    const { accessToken, body } = answer()
    const seen: Seen[] = []
    const expiresAt = Date.now() + 200 * DAY
    nock(CSP_DEFAULT_URL)
      .post(API_TOKEN_PATH)
      .reply(recorder(seen, () => [200, { ...body, refresh_token: apiToken }]))
      .post(DETAILS_PATH)
      .reply(recorder(seen, () => [200, { expiresAt }]))
    await main(core)

    expect(core.messages('setFailed')).toEqual([])
    expect(sequence(core)).toEqual([
      'setSecret',
      'setSecret',
      ...TOKEN_OUTPUT_COMMANDS,
      'setOutput api-token-expires-at',
      'exportVariable VMW_ACCESS_TOKEN',
      `saveState ${STATE_KEY}`,
      'info',
      'summary',
    ])
    expect(core.masked()).toEqual([apiToken, accessToken])
    expectMaskedBeforeUse(core, [apiToken, accessToken])
    expect(core.outputs()).toMatchObject({
      'access-token': accessToken,
      'token-type': 'Bearer',
      'expires-in': '1799',
      org: ORG_ID,
      subject: 'alice@example.com',
      'api-token-expires-at': new Date(expiresAt).toISOString(),
    })
    expect(Date.parse(core.outputs()['expires-at']) - Date.now()).toBeGreaterThan(1790_000)
    expect(core.env()).toEqual({ VMW_ACCESS_TOKEN: accessToken })
    expect(savedState(core)).toMatchObject({ provider: 'csp', baseUrl: CSP_DEFAULT_URL, revoke: true, timeoutMs: 30_000, maxAttempts: 4 })
    expect(savedState(core).accessToken).toBeUndefined()
    expect(core.messages('info')[0]).toBe(
      `Issued a VMware Cloud Services access token for alice@example.com in org ${ORG_ID}, valid until ${core.outputs()['expires-at']}.`,
    )
    const [summary] = core.messages('summary')
    expect(summary).toContain('console.cloud.vmware.com')
    expect(summary).toContain('alice@example.com')
    // The requests carried the action's User-Agent.
    expect(seen.map((s) => s.headers['user-agent'])).toEqual([
      expect.stringMatching(/^vmw-token-action\/\d+\.\d+\.\d+/),
      expect.any(String),
    ])
    expect(core.transcript([apiToken, accessToken]).slice(0, 3)).toEqual([
      '::add-mask::<secret 1>',
      '::add-mask::<secret 2>',
      '::set-output name=access-token::<secret 2>',
    ])
  })

  it('with an OAuth app masks the secret and the Basic value before any output', async () => {
    const clientSecret = secretToken(40)
    const core = fakeCore({ inputs: { 'client-id': 'app-1', 'client-secret': clientSecret, 'export-env': 'false' } })
    const { accessToken, body } = answer({ context_name: ORG_ID, sub: 'app-1' })
    const seen: Seen[] = []
    nock(CSP_DEFAULT_URL)
      .post(OAUTH_PATH)
      .reply(recorder(seen, () => [200, body]))
    await main(core)
    const basic = Buffer.from(`app-1:${clientSecret}`).toString('base64')
    expect(core.masked()).toEqual([clientSecret, basic, accessToken])
    expectMaskedBeforeUse(core, [clientSecret, basic, accessToken])
    expect(seen[0].headers.authorization).toBe(`Basic ${basic}`)
    expect(core.env()).toEqual({})
    expect(core.outputs()).not.toHaveProperty('api-token-expires-at')
    expect(core.outputs().subject).toBe('app-1')
  })

  it('warns when the API token expires soon and puts the notice in the summary', async () => {
    const apiToken = secretToken(65)
    const core = fakeCore({ inputs: { 'api-token': apiToken, 'expiry-warning-days': '10' } })
    nock(CSP_DEFAULT_URL)
      .post(API_TOKEN_PATH)
      .reply(200, answer().body)
      .post(DETAILS_PATH)
      .reply(200, { expiresAt: Date.now() + 3 * DAY + 60_000 })
    await main(core)
    const [warning] = core.messages('warning')
    expect(warning).toMatch(/The CSP API token expires on \S+ \(in 3 days\)/)
    expect(core.messages('summary')[0]).toContain(`> [!WARNING]\n> ${warning}`)
    expectMaskedBeforeUse(core, [apiToken])
  })

  it('fails on an input error before any request, naming the input, having masked the secret', async () => {
    const apiToken = secretToken(65)
    const core = fakeCore({ inputs: { 'api-token': apiToken, url: 'http://console.cloud.vmware.com' } })
    const seen: Seen[] = []
    nock(/./)
      .persist()
      .post(/./)
      .optionally()
      .reply(recorder(seen, () => [200, answer().body]))
    await main(core)
    expect(sequence(core)).toEqual(['setSecret', 'setFailed'])
    expect(core.messages('setFailed')[0]).toMatch(/^Input 'url': must use https:\/\//)
    expect(seen).toEqual([])
  })

  it('fails with a redacted message when CSP refuses the token, publishing nothing', async () => {
    const apiToken = upperToken(65)
    const core = fakeCore({ inputs: { 'api-token': apiToken, 'expiry-warning-days': '0' } })
    nock(CSP_DEFAULT_URL)
      .post(API_TOKEN_PATH)
      .reply(400, { statusCode: 400, moduleCode: 513, message: `invalid_grant: Invalid refresh token: xxxxx...${apiToken.slice(-5)}` })
    await main(core)
    const [failure] = core.messages('setFailed')
    expect(failure).toContain('invalid_grant: Invalid refresh token: xxxxx...***')
    expect(failure).toContain('console.tanzu.broadcom.com')
    expect(leakedPieces(failure, apiToken, 4)).toEqual([])
    expect(core.outputs()).toEqual({})
    expect(core.env()).toEqual({})
    expect(core.states()).toEqual({})
    expectMaskedBeforeUse(core, [apiToken])
  })

  // That the CA is trusted, and only for the step's own connections, the e2e tests prove with a private CA.
  it('fails on a garbage ca-certificate, and takes a valid one', async () => {
    const bad = fakeCore({ inputs: { 'api-token': secretToken(65), 'ca-certificate': 'not a certificate' } })
    await main(bad)
    expect(bad.messages('setFailed')[0]).toMatch(/^Input 'ca-certificate': must be PEM text/)

    const good = fakeCore({ inputs: { 'api-token': secretToken(65), 'ca-certificate': testCaPem(), 'expiry-warning-days': '0' } })
    nock(CSP_DEFAULT_URL).post(API_TOKEN_PATH).reply(200, answer().body)
    await main(good)
    expect(good.messages('setFailed')).toEqual([])
  })

  it('says so when the token names no subject or org', async () => {
    const core = fakeCore({ inputs: { 'api-token': secretToken(65), 'expiry-warning-days': '0' } })
    nock(CSP_DEFAULT_URL)
      .post(API_TOKEN_PATH)
      .reply(200, { access_token: secretToken(48), token_type: 'bearer', expires_in: 600 })
    await main(core)
    expect(core.messages('setFailed')).toEqual([])
    expect(core.outputs()).toMatchObject({ org: '', subject: '', 'expires-in': '600' })
    expect(core.messages('info')[0]).toMatch(/^Issued a VMware Cloud Services access token for an unnamed subject, valid until /)
  })

  it('still succeeds when the job summary cannot be written', async () => {
    const core = fakeCore({ inputs: { 'api-token': secretToken(65), 'expiry-warning-days': '0' }, summaryFails: true })
    nock(CSP_DEFAULT_URL).post(API_TOKEN_PATH).reply(200, answer().body)
    await main(core)
    expect(core.messages('setFailed')).toEqual([])
    expect(core.outputs()).toHaveProperty('access-token')
    expect(core.messages('debug').some((line) => line.startsWith('job summary not written'))).toBe(true)
  })
})

describe('main: Cloud Director', () => {
  function vcdServer(token: () => Reply, session: () => Reply = () => [200, { user: { name: 'ci-bot' }, org: { name: 'acme' } }]) {
    const seen: Seen[] = []
    nock(VCD)
      .post('/oauth/tenant/acme/token')
      .reply(recorder(seen, token))
      .get('/api/versions')
      .reply(recorder(seen, () => [200, VERSIONS]))
      .get(SESSION_PATH)
      .reply(recorder(seen, session))
    return seen
  }

  it('publishes a rotated refresh token, masked, before the access token, and keeps the token for logout', async () => {
    const [apiToken, rotated, accessToken] = [secretToken(32), secretToken(32), secretToken(64)]
    const core = fakeCore({ inputs: { provider: 'vcd', url: `${VCD}/tenant/acme/vdcs`, 'api-token': apiToken, 'env-name': 'VCD_TOKEN' } })
    vcdServer(() => [200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3600, refresh_token: rotated }])
    await main(core)

    expect(core.messages('setFailed')).toEqual([])
    expect(sequence(core)).toEqual([
      'setSecret',
      'setSecret',
      'setSecret',
      'setOutput refresh-token',
      'warning',
      ...TOKEN_OUTPUT_COMMANDS,
      'setOutput api-version',
      'exportVariable VCD_TOKEN',
      `saveState ${STATE_KEY}`,
      'info',
      'summary',
    ])
    expectMaskedBeforeUse(core, [apiToken, accessToken, rotated])
    expect(core.outputs()).toMatchObject({
      'refresh-token': rotated,
      'access-token': accessToken,
      org: 'acme',
      subject: 'ci-bot',
      'api-version': '38.1',
    })
    expect(savedState(core)).toMatchObject({ provider: 'vcd', baseUrl: VCD, accessToken, data: { apiVersion: '38.1' }, revoke: true })
    expect(core.messages('summary')[0]).toContain('yes, in the post step')
  })

  it('keeps no access token in the state with revoke false', async () => {
    const accessToken = secretToken(64)
    const core = fakeCore({ inputs: { provider: 'vcd', url: VCD, org: 'acme', 'api-token': secretToken(32), revoke: 'false' } })
    vcdServer(() => [200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3600 }])
    await main(core)
    expect(core.messages('setFailed')).toEqual([])
    expect(savedState(core).accessToken).toBeUndefined()
    expect(core.states()[STATE_KEY]).not.toContain(accessToken)
    expect(core.outputs()).not.toHaveProperty('refresh-token')
  })

  it('has published the rotated refresh token when a later session check fails the step', async () => {
    const rotated = secretToken(32)
    const core = fakeCore({ inputs: { provider: 'vcd', url: VCD, org: 'acme', 'api-token': secretToken(32), 'max-attempts': '1' } })
    vcdServer(
      () => [200, { access_token: secretToken(64), token_type: 'Bearer', expires_in: 3600, refresh_token: rotated }],
      () => [403, { message: 'Forbidden' }],
    )
    await main(core)
    expect(core.messages('setFailed')[0]).toContain('session check')
    expect(core.outputs()).toEqual({ 'refresh-token': rotated })
    expectMaskedBeforeUse(core, [rotated])
  })

  it('logs out the session of a step that failed after the exchange; the post step has nothing left to do', async () => {
    const accessToken = secretToken(64)
    const core = fakeCore({ inputs: { provider: 'vcd', url: VCD, org: 'acme', 'api-token': secretToken(32), 'max-attempts': '1' } })
    const logout: Seen[] = []
    vcdServer(
      () => [200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3600 }],
      () => [403, { message: 'Forbidden' }],
    )
    nock(VCD)
      .persist()
      .delete(SESSION_PATH)
      .optionally()
      .reply(recorder(logout, () => [204]))
    await main(core)
    expect(core.messages('setFailed')).toHaveLength(1)
    expect(logout.map((s) => s.headers.authorization)).toEqual([`Bearer ${accessToken}`])
    expectMaskedBeforeUse(core, [accessToken])

    const postCore = fakeCore({ inputs: core.inputs, state: core.states() })
    await post(postCore)
    expect(logout).toHaveLength(1)
    expect(postCore.messages('info')).toEqual(['The main step issued no access token: nothing to revoke.'])
  })

  it.each([
    [204, 'the step failed after the token was issued: Logged out of Cloud Director'],
    [503, 'the step failed after the token was issued, and ending it failed too'],
  ])('ends the session, with one try, when publishing the token fails after the exchange (logout %i)', async (status, debug) => {
    const accessToken = secretToken(64)
    const core = fakeCore({ inputs: { provider: 'vcd', url: VCD, org: 'acme', 'api-token': secretToken(32), 'max-attempts': '3' } })
    // A full disk: the runner's GITHUB_ENV cannot be written.
    vi.spyOn(core, 'exportVariable').mockImplementation(() => {
      throw new Error('ENOSPC: no space left on device')
    })
    vcdServer(() => [200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3600 }])
    const logout: Seen[] = []
    nock(VCD)
      .persist()
      .delete(SESSION_PATH)
      .reply(recorder(logout, () => [status]))
    await main(core)
    expect(core.messages('setFailed')).toEqual(['ENOSPC: no space left on device'])
    expect(logout.map((s) => s.headers.authorization)).toEqual([`Bearer ${accessToken}`])
    expect(core.messages('debug').some((line) => line.startsWith(debug))).toBe(true)
    expect(core.states()).toEqual({})
    expectMaskedBeforeUse(core, [accessToken])
  })
})
