/**
 * The post step under faults: the Cloud Director logout failing in every way. Never a failed
 * job; a failure is one ::warning:: that says what happened, how many tries, and until when the
 * token stays valid; "session already gone" (401, 404) is success.
 */
import { describe, expect, it, vi } from 'vitest'
import { ALWAYS, retryAfter, retryAfterDate, revoked, status, warns, type RevokeCase } from './support/fault-cases.ts'
import * as faults from './support/faults.ts'
import { vcdInputs } from './support/inputs.ts'
import { triesText, type Pacing } from './support/pacing.ts'
import { assertNoLeaks, runStep } from './support/runner.ts'
import { ConnectProxy, using } from './support/tcp.ts'
import { VCD_SESSION_PATH, VcdEmulator } from './support/vcd-emulator.ts'

vi.setConfig({ maxConcurrency: faults.CONCURRENT_CASES })

const LOGOUT_CASES: RevokeCase[] = [
  revoked('429 with Retry-After: 1, once', status(429, 1, retryAfter('1')), { attempts: 2, tries: 2 }),
  revoked('429 with Retry-After as an HTTP date, once', () => ({ status: 429, times: 1, headers: retryAfterDate(2500) }), {
    attempts: 2,
    tries: 2,
  }),
  warns('429 without Retry-After, every time', status(429, ALWAYS), [/HTTP 429/], { attempts: 2, tries: 2 }),
  warns('429 with Retry-After: 60, every time: one try', status(429, ALWAYS, retryAfter('60')), [/HTTP 429/], { attempts: 3, tries: 1 }),
  ...[500, 502, 503, 504].map((code) =>
    warns(`${code} every time`, status(code, ALWAYS), [new RegExp(`HTTP ${code}`)], { attempts: 3, tries: 3 }),
  ),
  revoked('503 once', status(503, 1), { attempts: 2, tries: 2 }),
  warns('400: not retried', status(400, ALWAYS), [/HTTP 400/], { attempts: 3, tries: 1 }),
  warns('403: not retried', status(403, ALWAYS), [/HTTP 403/], { attempts: 3, tries: 1 }),
  warns('connection reset every time', () => ({ reset: true, times: ALWAYS }), [/connection reset/], { attempts: 2, tries: 2 }),
  revoked('connection reset once', () => ({ reset: true, times: 1 }), { attempts: 2, tries: 2 }),
  warns('never answers, every time', () => ({ hang: true, times: ALWAYS }), [/timeout-seconds/], { attempts: 2, tries: 2, slow: true }),
  // The server logged out but its answer was lost: the retry finds the session gone (401), which is success.
  revoked('never answers after logging out, once: the retry finds the session gone', () => ({ hang: 'after-route', times: 1 }), {
    attempts: 2,
    tries: 2,
    slow: true,
  }),
  warns(
    'slow trickle, every time',
    () => ({ status: 500, trickle: { chunkBytes: 1, intervalMs: 200 }, times: ALWAYS }),
    [/timeout-seconds/],
    { attempts: 2, tries: 2, slow: true },
  ),
  warns('HTML 502 page every time', () => ({ html: true, status: 502, times: ALWAYS }), [/HTTP 502/, /HTML page/], {
    attempts: 2,
    tries: 2,
  }),
  warns('500 echoing the access token, every time', () => ({ echo: 'token', status: 500, times: ALWAYS }), [/HTTP 500/], {
    attempts: 2,
    tries: 2,
  }),
  warns("400 echoing the access token's tail", () => ({ echo: 'tail', echoTail: 16, status: 400, times: ALWAYS }), [/HTTP 400/], {
    attempts: 3,
    tries: 1,
  }),
  warns('400 echoing the request body (empty for a DELETE)', () => ({ echo: 'request-body', status: 400, times: ALWAYS }), [/HTTP 400/], {
    attempts: 3,
    tries: 1,
  }),
  revoked('401 (session already gone) is success', status(401, ALWAYS), { attempts: 3, tries: 1, ended: false }),
  revoked('404 (session already gone) is success', status(404, ALWAYS), { attempts: 3, tries: 1, ended: false }),
]

describe.concurrent('post step: Cloud Director logout faults', () => {
  const startVcd = () => new VcdEmulator().start()
  const providerToken = (vcd: VcdEmulator, limits: Record<string, string>) => vcdInputs(vcd, vcd.providerToken, limits)

  for (const testCase of LOGOUT_CASES) {
    it(testCase.name, () =>
      faults.faultCase(startVcd, 'logout', testCase, providerToken, async (vcd, result, pacing) => {
        expect(result.main.exitCode, faults.logOf(result)).toBe(0)
        const token = result.main.outputs['access-token']
        const post = faults.expectPostHarmless(result)
        const tries = vcd.requestsTo('logout')
        for (const request of tries) expect(request.headers.authorization).toBe(`Bearer ${token}`)
        faults.expectPaced(tries, pacing, post, { count: testCase.tries })

        if (testCase.revoked) {
          expect(post.warnings).toEqual([])
          expect(faults.logOf(post)).toMatch(/revoked|already gone/)
          if (testCase.ended === false) return expect(faults.logOf(post)).toMatch(/already gone/)
          // The token opens nothing any more.
          const reply = await vcd.request(VCD_SESSION_PATH, {
            headers: { Accept: `application/json;version=${vcd.maxVersion}`, Authorization: `Bearer ${token}` },
          })
          expect(reply.status).toBe(401)
        } else {
          const warning = faults.expectRevokeWarning(post, testCase)
          // When the server answered, it says until when the token stays valid.
          if (testCase.warning?.some((pattern) => pattern.source.startsWith('HTTP')))
            expect(warning).toContain(result.main.outputs['expires-at'])
          expect(vcd.isAlive(token)).toBe(true)
        }
      }),
    )
  }

  it('the server is gone by the post step (connection refused): a warning, exit 0', async () => {
    const pacing: Pacing = { attempts: 2, timeoutSeconds: 2 }
    const { server, inputs } = await faults.setUp('vcd', pacing)
    const main = await runStep({ inputs, debug: true })
    await server.close()
    const post = await runStep({ step: 'post', inputs, state: main.state, jobEnv: main.env, masks: main.masks, debug: true })
    assertNoLeaks([main, post], server.secrets())
    expect(main.exitCode).toBe(0)
    expect(post.exitCode).toBe(0)
    expect(post.errors).toEqual([])
    expect(post.warnings).toHaveLength(1)
    expect(post.warnings[0]).toMatch(/Could not revoke.*connection refused/)
    expect(post.warnings[0]).toContain(triesText(2))
    faults.expectWithinBound(post, pacing)
  })

  it('through an https_proxy, a logout failing with 502 is a warning', async () => {
    const host = 'vcd.example.test'
    const vcd = await new VcdEmulator({ names: [host] }).start()
    const proxy = await new ConnectProxy({ hosts: { [host]: '127.0.0.1' } }).start()
    await using([proxy, vcd], async () => {
      vcd.fault('logout', { status: 502, times: ALWAYS })
      const inputs = vcdInputs(vcd, vcd.providerToken, { url: vcd.urlFor(host), 'timeout-seconds': '2', 'max-attempts': '2' })
      const result = await faults.job(inputs, { https_proxy: proxy.url })
      assertNoLeaks(result, vcd.secrets())
      expect(result.main.exitCode, faults.logOf(result)).toBe(0)
      const post = faults.expectPostHarmless(result)
      expect(post.warnings).toHaveLength(1)
      expect(post.warnings[0]).toMatch(/HTTP 502/)
      expect(post.warnings[0]).toContain(triesText(2))
      const logouts = vcd.requestsTo('logout')
      expect(logouts).toHaveLength(2)
      expect(logouts.every((request) => request.servername === host)).toBe(true)
      // Every connection came through a tunnel (requests that follow one another share one).
      expect(proxy.tunnels.length).toBe(new Set(vcd.requests.map((request) => request.connection)).size)
    })
  })
})
