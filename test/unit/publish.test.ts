import { describe, expect, it } from 'vitest'
import { csp } from '../../src/providers/csp.ts'
import { STATE_KEY, type PostState } from '../../src/post-state.ts'
import type { TokenResult } from '../../src/providers/types.ts'
import { vcd } from '../../src/providers/vcd.ts'
import { publishRefreshToken, publishToken, summaryOfToken, writeSummary } from '../../src/publish.ts'
import { Secrets } from '../../src/secrets.ts'
import { TOKEN_OUTPUT_COMMANDS, expectMaskedBeforeUse, fakeCore } from './fake-core.ts'
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
    const res = result({ outputs: { 'api-token-expires-at': '2030-06-01T00:00:00.000Z' } })
    const state = publishToken(core, cfg, csp, res, NOW)

    expect(core.commands.map((c) => `${c.kind} ${c.name}`)).toEqual([
      ...TOKEN_OUTPUT_COMMANDS,
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

  it("sets the provider's own outputs as it gives them, and no others", () => {
    const core = fakeCore()
    publishToken(core, config(), csp, result({ outputs: { 'api-token-expires-at': '' } }), NOW)
    expect(core.outputs()['api-token-expires-at']).toBe('')
    const none = fakeCore()
    publishToken(none, config(), csp, result(), NOW)
    expect(Object.keys(none.outputs()).sort()).toEqual(['access-token', 'expires-at', 'expires-in', 'org', 'subject', 'token-type'])
  })

  it('replaces control characters in the org and subject a provider reported', () => {
    const core = fakeCore()
    publishToken(core, config(), csp, result({ org: 'acme\r\n', subject: 'ops\n::warning::x' }), NOW)
    expect(core.outputs()).toMatchObject({ org: 'acme  ', subject: 'ops ::warning::x' })
  })

  it('keeps the access token for a Cloud Director logout, unless revoke is false', () => {
    const core = fakeCore()
    const res = result({ outputs: { 'api-version': '38.1' }, revokeData: { apiVersion: '38.1' }, org: 'System', expiresIn: 86400 })
    const state = publishToken(core, config({ provider: 'vcd', baseUrl: 'https://vcd.example.com' }), vcd, res, NOW)
    expect(core.outputs()['api-version']).toBe('38.1')
    expect(state).toMatchObject({
      provider: 'vcd',
      accessToken: res.accessToken,
      data: { apiVersion: '38.1' },
      expiresAt: '2030-05-07T07:08:09.000Z',
    })

    const kept = fakeCore()
    const noRevoke = publishToken(kept, config({ provider: 'vcd', revoke: false }), vcd, res, NOW)
    expect(noRevoke.accessToken).toBeUndefined()
    expect(noRevoke.data).toBeUndefined()
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
    return { text: summaryOfToken(cfg, provider, res, state, new Secrets(() => {})), res, state }
  }

  const row = (name: string, value: string) => `| ${name} | ${value} |`

  it('lists provider, host, org, subject, expiry and revocation for CSP, with no secret', () => {
    const { text, res, state } = summary({ result: { summaryRows: [['API token expires', '2030-06-01T00:00:00.000Z']] } })
    expect(text).toMatch(/^### VMware access token issued\n/)
    expect(text).toContain(row('Provider', 'VMware Cloud Services (csp)'))
    expect(text).toContain(row('Host', 'console.tanzu.broadcom.com'))
    expect(text).toContain(row('Org', ORG_ID))
    expect(text).toContain(row('Subject', 'alice@example.com'))
    expect(text).toContain(row('Expires', `${state.expiresAt} (in 30 min)`))
    expect(text).toContain(row('Revoke', `not possible (${csp.cannotRevoke})`))
    expect(text).toContain(row('API token expires', '2030-06-01T00:00:00.000Z'))
    expect(text).not.toContain('API version')
    expect(text).not.toContain(res.accessToken.slice(0, 8))
  })

  it('for Cloud Director says the token is revoked in the post step, and gives the API version', () => {
    const { text } = summary({ provider: 'vcd', result: { summaryRows: [['API version', '38.1']], org: 'System', expiresIn: 86400 } })
    expect(text).toContain(row('Provider', 'VMware Cloud Director (vcd)'))
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

  it('shows HTML and Markdown from a provider as text, never as markup', () => {
    const hostile = '<img src=x onerror=alert(1)> <script>x</script> [click](https://evil.example) **bold** `code`'
    const { text } = summary({ result: { subject: hostile, org: '<b>org</b>' } })
    const subjectRow = text.split('\n').find((line) => line.startsWith('| Subject |'))!
    expect(subjectRow).not.toMatch(/<img|<script|[^\\]\]\(https|[^\\]\*\*bold|[^\\]`code/)
    expect(subjectRow).toContain('&lt;img src=x onerror=alert(1)&gt;')
    expect(subjectRow).toContain('\\[click\\](https://evil.example)')
    expect(text).toContain(row('Org', '&lt;b&gt;org&lt;/b&gt;'))
  })

  it('adds the notices as warnings', () => {
    const notices = ['The API token expires on 2030-05-10T00:00:00.000Z in 3 days.', 'second']
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
})
