/**
 * A token pasted into the url input as well as api-token (issue 19, item 5), end to end: nothing the
 * step prints holds a piece of it, in its own case or lower-cased. URL lowercases a host, which
 * neither the runner's mask (whole values, as given) nor a case-sensitive redaction would match, so
 * a bad url is quoted as given, whole, and the action's redaction hides lower-cased pieces too
 * (debug lines and errors name the host).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomToken } from './support/jwt.ts'
import { assertNoLeaks, runStep, type StepResult } from './support/runner.ts'
import { ConnectProxy } from './support/tcp.ts'

/** Capital letters and digits, as VMware's tokens hold: its lower-cased form differs in every piece. */
const TOKEN = randomToken(40).toUpperCase()

let proxy: ConnectProxy

beforeAll(async () => {
  proxy = await new ConnectProxy().start()
})
afterAll(async () => {
  await proxy?.close()
})

function expectNoPieceInAnyCase(step: StepResult): void {
  assertNoLeaks(step, [TOKEN, TOKEN.toLowerCase()])
  for (const message of [...step.errors, ...step.warnings, ...step.debug]) {
    expect(message.toLowerCase(), 'a raw message').not.toContain(TOKEN.toLowerCase().slice(0, 8))
  }
}

describe('a token in the host of the url', () => {
  it.each(['http', 'ftp'])('%s://<token>.example.com: refused, quoted as given, and the token hidden', async (scheme) => {
    const step = await runStep({ inputs: { provider: 'vcd', url: `${scheme}://${TOKEN}.example.com`, 'api-token': TOKEN }, debug: true })
    expect(step.exitCode).toBe(1)
    expect(step.errors).toEqual([
      expect.stringMatching(new RegExp(`^Input 'url': must use https:// \\(got '${scheme}://\\*\\*\\*\\.example\\.com'\\)`)),
    ])
    expectNoPieceInAnyCase(step)
  })

  it('https://<token>.example.test, refused by the proxy: the debug lines and the error name the host with the token hidden', async () => {
    const step = await runStep({
      inputs: { provider: 'vcd', url: `https://${TOKEN}.example.test`, 'api-token': TOKEN, 'max-attempts': '1' },
      env: { https_proxy: proxy.url },
      debug: true,
    })
    expect(step.exitCode).toBe(1)
    expectNoPieceInAnyCase(step)
    // The request went to the proxy only, for the lower-cased host.
    expect(proxy.tunnels.map((tunnel) => tunnel.target)).toContain(`${TOKEN.toLowerCase()}.example.test:443`)
    expect(step.errors).toEqual([expect.stringContaining('at ***.example.test failed')])
    expect(step.debug.length).toBeGreaterThan(0)
  })
})
