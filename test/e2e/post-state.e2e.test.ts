/**
 * The state the main step leaves the post step, tampered with or broken, end to end: the post step
 * sends the token nowhere it should not (plain http, a million tries, a day-long timeout), warns
 * without quoting the state, and never fails the job. Every run is leak-scanned.
 */
import { describe, expect, it } from 'vitest'
import { vcdInputs } from './support/inputs.ts'
import { assertNoLeaks, runJob, runStep } from './support/runner.ts'
import { ConnectProxy } from './support/tcp.ts'
import { VcdEmulator } from './support/vcd-emulator.ts'
import { shareEmulators } from './support/shared-emulators.ts'

let vcd: VcdEmulator

shareEmulators(async () => [(vcd = await new VcdEmulator().start())])

describe('the post step and a state it cannot trust', () => {
  async function tampered(change: (state: Record<string, unknown>) => void, env: Record<string, string> = {}) {
    const main = await runJob({ inputs: vcdInputs(vcd, vcd.providerToken), post: false })
    expect(main.main.exitCode, main.log.join('\n')).toBe(0)
    const state = JSON.parse(main.main.state.token) as Record<string, unknown>
    change(state)
    vcd.clearRequests()
    const post = await runStep({
      step: 'post',
      inputs: vcdInputs(vcd, vcd.providerToken),
      state: { token: JSON.stringify(state) },
      masks: main.main.masks,
      env,
    })
    assertNoLeaks(post, vcd.secrets())
    expect(post.exitCode, post.log.join('\n')).toBe(0)
    return post
  }

  it('sends the token nowhere over plain http, and says why', async () => {
    const proxy = await new ConnectProxy().start()
    try {
      const post = await tampered((state) => (state.baseUrl = 'http://vcd.example.test'), { http_proxy: proxy.url })
      expect(post.warnings).toEqual([expect.stringMatching(/cannot be trusted \(its url is unsafe for a token: it uses http:/)])
      expect(proxy.otherRequests).toEqual([])
      expect(proxy.tunnels).toEqual([])
    } finally {
      await proxy.close()
    }
  })

  it.each([
    ['a million attempts', (state: Record<string, unknown>) => (state.maxAttempts = 1_000_000)],
    ['a timeout of a day', (state: Record<string, unknown>) => (state.timeoutMs = 86_400_000)],
    ['an expiry that is no date', (state: Record<string, unknown>) => (state.expiresAt = 'never')],
  ])('with %s: a warning, and nothing sent', async (_name, change) => {
    const post = await tampered(change)
    expect(post.warnings).toEqual([expect.stringMatching(/^Not revoking: the state the main step saved cannot be trusted/)])
    expect(vcd.requests).toEqual([])
  })

  it('that is not JSON: a warning that quotes none of it', async () => {
    const post = await runStep({
      step: 'post',
      inputs: vcdInputs(vcd, vcd.providerToken),
      state: { token: `{"accessToken":"${vcd.providerToken}` },
    })
    assertNoLeaks(post, vcd.secrets())
    expect(post.warnings).toEqual([expect.stringMatching(/is not the JSON the main step writes \(\d+ characters\)/)])
    expect(post.log.join('\n')).not.toContain(vcd.providerToken.slice(0, 8))
  })
})
