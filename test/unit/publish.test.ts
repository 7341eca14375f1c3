import { describe, expect, it } from 'vitest'
import { csp } from '../../src/providers/csp.ts'
import type { PostState, TokenResult } from '../../src/providers/types.ts'
import { vcd } from '../../src/providers/vcd.ts'
import { IS_POST, publishRefreshToken, publishToken, STATE_KEY, summaryOfToken, writeSummary } from '../../src/publish.ts'
import { expectMaskedBeforeUse, fakeCore } from './fake-core.ts'
import { config, ORG_ID, secretToken } from './helpers.ts'

const NOW = Date.parse('2030-05-06T07:08:09.000Z')

function result(overrides: Partial<TokenResult> = {}): TokenResult {
  return {
    accessToken: secretToken(64),
    tokenType: 'Bearer',
    expiresIn: 1799,
    org: ORG_ID,
    subject: 'alice@example.com',
    notices: [],
    ...overrides,
  }
}

describe('publishToken', () => {
  it('sets the outputs, the env var and the state for the post step, in that order', () => {
    const core = fakeCore()
    const cfg = config({ timeoutMs: 7000, maxAttempts: 3 })
    const res = result({ apiTokenExpiresAt: new Date('2030-06-01T00:00:00Z') })
    const state = publishToken(core, cfg, csp, res, NOW)

    expect(core.commands.map((c) => `${c.kind} ${c.name}`)).toEqual([
      'setOutput access-token',
      'setOutput token-type',
      'setOutput expires-in',
      'setOutput expires-at',
      'setOutput org',
      'setOutput subject',
      'setOutput api-token-expires-at',
      'exportVariable VMW_ACCESS_TOKEN',
      `saveState ${STATE_KEY}`,
    ])
    expect(core.outputs()).toEqual({
      'access-token': res.accessToken,
      'token-type': 'Bearer',
      'expires-in': '1799',
      'expires-at': '2030-05-06T07:38:08.000Z',
      org: ORG_ID,
      subject: 'alice@example.com',
      'api-token-expires-at': '2030-06-01T00:00:00.000Z',
    })
    expect(core.env()).toEqual({ VMW_ACCESS_TOKEN: res.accessToken })
    expect(state).toEqual({
      provider: 'csp',
      baseUrl: cfg.baseUrl,
      expiresAt: '2030-05-06T07:38:08.000Z',
      revoke: true,
      timeoutMs: 7000,
      maxAttempts: 3,
      apiVersion: undefined,
      accessToken: undefined,
    } satisfies PostState)
    expect(JSON.parse(core.states()[STATE_KEY])).toEqual(JSON.parse(JSON.stringify(state)))
    // CSP cannot revoke: the token is not kept.
    expect(core.states()[STATE_KEY]).not.toContain(res.accessToken)
  })

  it('uses env-name, and sets no env var with export-env false', () => {
    const named = fakeCore()
    const res = result()
    publishToken(named, config({ envName: 'TSM_TOKEN' }), csp, res, NOW)
    expect(named.env()).toEqual({ TSM_TOKEN: res.accessToken })

    const none = fakeCore()
    publishToken(none, config({ exportEnv: false }), csp, res, NOW)
    expect(none.env()).toEqual({})
    expect(none.outputs()['access-token']).toBe(res.accessToken)
  })

  it('sets api-token-expires-at empty when the API token never expires, and not at all when not looked up', () => {
    const never = fakeCore()
    publishToken(never, config(), csp, result({ apiTokenExpiresAt: null }), NOW)
    expect(never.outputs()['api-token-expires-at']).toBe('')
    const unknown = fakeCore()
    publishToken(unknown, config(), csp, result(), NOW)
    expect(unknown.outputs()).not.toHaveProperty('api-token-expires-at')
  })

  it('keeps the access token for a Cloud Director logout, unless revoke is false', () => {
    const core = fakeCore()
    const res = result({ apiVersion: '38.1', org: 'System', subject: 'ci-bot', expiresIn: 86400 })
    const state = publishToken(core, config({ provider: 'vcd', baseUrl: 'https://vcd.example.com' }), vcd, res, NOW)
    expect(core.outputs()['api-version']).toBe('38.1')
    expect(state).toMatchObject({
      provider: 'vcd',
      accessToken: res.accessToken,
      apiVersion: '38.1',
      expiresAt: '2030-05-07T07:08:09.000Z',
    })

    const kept = fakeCore()
    const noRevoke = publishToken(kept, config({ provider: 'vcd', revoke: false }), vcd, res, NOW)
    expect(noRevoke.accessToken).toBeUndefined()
    expect(noRevoke.revoke).toBe(false)
    expect(kept.states()[STATE_KEY]).not.toContain(res.accessToken)
  })
})

describe('publishRefreshToken', () => {
  it('sets the refresh-token output and warns, without the token, that it must be stored', () => {
    const core = fakeCore()
    const token = secretToken(32)
    core.setSecret(token)
    publishRefreshToken(core, token)
    expect(core.outputs()).toEqual({ 'refresh-token': token })
    const [warning] = core.messages('warning')
    expect(warning).toContain('rotated the refresh token')
    expect(warning).toContain('Store the refresh-token output as the new secret')
    expectMaskedBeforeUse(core, [token])
  })
})

describe('summaryOfToken', () => {
  function summary(overrides: { provider?: 'csp' | 'vcd'; revoke?: boolean; result?: Partial<TokenResult> } = {}) {
    const provider = overrides.provider === 'vcd' ? vcd : csp
    const cfg = config({
      provider: overrides.provider ?? 'csp',
      baseUrl: provider === vcd ? 'https://vcd.example.com:8443' : 'https://console.tanzu.broadcom.com',
      revoke: overrides.revoke ?? true,
    })
    const res = result(overrides.result)
    const core = fakeCore()
    const state = publishToken(core, cfg, provider, res, NOW)
    return { text: summaryOfToken(cfg, provider, res, state), res, state }
  }

  const row = (name: string, value: string) => `| ${name} | ${value} |`

  it('lists provider, host, org, subject, expiry and revocation for CSP, with no secret', () => {
    const { text, res, state } = summary({ result: { apiTokenExpiresAt: new Date('2030-06-01T00:00:00Z') } })
    expect(text).toMatch(/^### VMware access token issued\n/)
    expect(text).toContain(row('Provider', 'VMware Cloud Services (`csp`)'))
    expect(text).toContain(row('Host', 'console.tanzu.broadcom.com'))
    expect(text).toContain(row('Org', ORG_ID))
    expect(text).toContain(row('Subject', 'alice@example.com'))
    expect(text).toContain(row('Expires', `${state.expiresAt} (in 30 min)`))
    expect(text).toContain(row('Revoke', 'not possible (CSP access tokens cannot be revoked)'))
    expect(text).toContain(row('API token expires', '2030-06-01T00:00:00.000Z'))
    expect(text).not.toContain('API version')
    expect(text).not.toContain(res.accessToken.slice(0, 8))
  })

  it('for Cloud Director says the token is revoked in the post step, and gives the API version', () => {
    const { text } = summary({ provider: 'vcd', result: { apiVersion: '38.1', org: 'System', subject: 'ci-bot', expiresIn: 86400 } })
    expect(text).toContain(row('Provider', 'VMware Cloud Director (`vcd`)'))
    expect(text).toContain(row('Host', 'vcd.example.com:8443'))
    expect(text).toContain(row('Revoke', 'yes, in the post step at the end of the job'))
    expect(text).toContain(row('API version', '38.1'))
    expect(text).toMatch(/\| Expires \| \S+ \(in 24 h\) \|/)
  })

  it.each([
    [60, '1 min'],
    [119 * 60, '119 min'],
    [120 * 60 - 31, '119 min'],
    [120 * 60, '2 h'],
    [3 * 3600 + 29 * 60, '3 h'],
  ])('gives a lifetime of %i s as %s', (expiresIn, text) => {
    expect(summary({ result: { expiresIn } }).text).toMatch(new RegExp(`\\| Expires \\| \\S+ \\(in ${text}\\) \\|`))
  })

  it('says revoke: false when revoking is off', () => {
    expect(summary({ provider: 'vcd', revoke: false }).text).toContain(row('Revoke', 'no (revoke: false)'))
  })

  it('says "(not reported)" for an unknown org or subject', () => {
    const { text } = summary({ result: { org: '', subject: '' } })
    expect(text).toContain(row('Org', '(not reported)'))
    expect(text).toContain(row('Subject', '(not reported)'))
  })

  it('escapes table syntax in values', () => {
    const { text } = summary({ result: { subject: 'evil | subject\nwith a line' } })
    expect(text).toContain(row('Subject', 'evil \\| subject with a line'))
  })

  it('adds the notices as warnings', () => {
    const notices = ['The CSP API token expires on 2030-05-10T00:00:00.000Z (in 3 days).', 'second']
    const { text } = summary({ result: { notices } })
    expect(text).toContain(`> [!WARNING]\n> ${notices[0]}\n`)
    expect(text).toContain('> [!WARNING]\n> second\n')
  })
})

describe('writeSummary', () => {
  it('writes the markdown to the job summary', async () => {
    const core = fakeCore()
    await writeSummary(core, '### hello')
    expect(core.messages('summary')).toEqual(['### hello\n'])
  })

  it('only notes in a debug line that there is no summary file', async () => {
    const core = fakeCore({ summaryFails: true })
    await writeSummary(core, '### hello')
    expect(core.messages('summary')).toEqual([])
    expect(core.messages('debug')).toEqual([expect.stringMatching(/^job summary not written: Unable to find environment variable/)])
    expect(core.messages('warning')).toEqual([])
  })

  it('IS_POST and STATE_KEY are distinct state names', () => {
    expect(IS_POST).not.toBe(STATE_KEY)
  })
})
