/**
 * Faults below HTTP, for the token exchange: a port that refuses, one that resets every
 * connection, one that accepts and never speaks (no TLS handshake), an untrusted certificate; and
 * faults of an https_proxy in between (retries through it, a proxy that wants credentials, that
 * cannot reach the host, that never answers the CONNECT). The emulator answers for a made-up name
 * only the proxy resolves, so every request provably went through the proxy.
 */
import { describe, expect, it, vi } from 'vitest'
import { CSP_API_TOKEN_PATH, CspEmulator } from './support/csp-emulator.ts'
import type { Fault, RecordedRequest } from './support/emulator.ts'
import { ALWAYS } from './support/fault-cases.ts'
import * as faults from './support/faults.ts'
import { cspInputs } from './support/inputs.ts'
import { expectReportedPacing, reportedTries, type Pacing } from './support/pacing.ts'
import { assertNoLeaks, type JobResult } from './support/runner.ts'
import { ConnectProxy, RawServer, closedPort, using } from './support/tcp.ts'

vi.setConfig({ maxConcurrency: faults.CONCURRENT_CASES })

describe.concurrent('network faults below HTTP', () => {
  /** A CSP job against `url` with `token` and the limits of `pacing`, debug lines on; no expiry lookup. */
  const jobAt = (url: string, token: string, pacing: Pacing) =>
    faults.job({ url, 'api-token': token, ...faults.limitsOf(pacing), 'expiry-warning-days': '0' })

  for (const provider of ['csp', 'vcd'] as const) {
    it(`${provider}: an untrusted TLS certificate is not retried and points at ca-certificate`, async () => {
      const pacing: Pacing = { attempts: 3, timeoutSeconds: 2 }
      const setup = await faults.setUp(provider, pacing)
      // The forwarder counts TCP connections: the emulator never sees a request when TLS fails.
      const counter = await new RawServer({ forwardTo: setup.server.port }).start()
      await using([setup.server, counter], async () => {
        const inputs: Record<string, string> = { ...setup.inputs, url: counter.url }
        delete inputs['ca-certificate']
        const result = await faults.job(inputs)
        assertNoLeaks(result, setup.server.secrets())
        faults.expectFailed(result.main, [/ca-certificate/, /certificate is not trusted/], 1)
        expect(setup.server.requests).toEqual([])
        // One connection for the exchange (VCD: and one for its version lookup beside it).
        expect(counter.connections.length).toBe(provider === 'vcd' ? 2 : 1)
        faults.expectWithinBound(result.main, { ...pacing, attempts: 1 })
        faults.expectPostHarmless(result)
      })
    })
  }

  it('connection refused: retried up to max-attempts, then a message that says so', async () => {
    const pacing: Pacing = { attempts: 3, timeoutSeconds: 2 }
    const port = await closedPort()
    const result = await jobAt(`https://127.0.0.1:${port}`, 'A'.repeat(30) + 'Yt6Ui2Op9Gf4', pacing)
    assertNoLeaks(result, ['A'.repeat(30) + 'Yt6Ui2Op9Gf4'])
    faults.expectFailed(result.main, [/connection refused/, /127\.0\.0\.1/], 3)
    faults.expectWithinBound(result.main, pacing)
    faults.expectPostHarmless(result)
  })

  it('a port that accepts and never speaks (no TLS handshake): each try cut at timeout-seconds', async () => {
    const pacing: Pacing = { attempts: 2, timeoutSeconds: 1, slow: true }
    const silent = await new RawServer('silent').start()
    await using([silent], async () => {
      const token = 'S'.repeat(20) + 'Hj3Lk8Qw5Zx1Cv7N'
      const result = await jobAt(silent.url, token, pacing)
      assertNoLeaks(result, [token])
      faults.expectFailed(result.main, [/timeout-seconds/], 2)
      expect(silent.connections).toHaveLength(2)
      // Each try cut at timeout-seconds by the action's own clock (its deadline starts before the
      // connection, so the gap between the two accepted connections says nothing about it) ...
      expectReportedPacing(reportedTries(result.main, CSP_API_TOKEN_PATH), pacing)
      // ... and, by the runner's clock, the step outlived both deadlines.
      expect(result.main.durationMs).toBeGreaterThanOrEqual(2000)
      faults.expectWithinBound(result.main, pacing)
      faults.expectPostHarmless(result)
    })
  })

  it('a port that resets every connection: retried, then "connection reset"', async () => {
    const pacing: Pacing = { attempts: 3, timeoutSeconds: 2 }
    const reset = await new RawServer('reset').start()
    await using([reset], async () => {
      const token = 'R'.repeat(20) + 'Kq7Zw9Xv2Mn4Bp8T'
      const result = await jobAt(reset.url, token, pacing)
      assertNoLeaks(result, [token])
      faults.expectFailed(result.main, [/connection reset|disconnected|socket/i], 3)
      expect(reset.connections).toHaveLength(3)
      faults.expectWithinBound(result.main, pacing)
      faults.expectPostHarmless(result)
    })
  })
})

// ---------------------------------------------------------------------------------------------
// A proxy in between (https_proxy). The emulator answers for a made-up name only the proxy
// resolves, so every request provably went through the proxy.

describe.concurrent('faults through an https_proxy', () => {
  const HOST = 'csp.example.test'

  async function behindProxy(
    fault: Fault | undefined,
    pacing: Pacing,
    proxyOptions: { refuseWith?: number } = {},
  ): Promise<{ result: JobResult; server: CspEmulator; proxy: ConnectProxy; tries: RecordedRequest[] }> {
    const server = await new CspEmulator({ names: [HOST] }).start()
    const proxy = await new ConnectProxy({ hosts: { [HOST]: '127.0.0.1' }, ...proxyOptions }).start()
    return using([proxy, server], async () => {
      const inputs = cspInputs(server, { url: server.urlFor(HOST), ...faults.limitsOf(pacing) })
      const result = await faults.faultedJob(server, 'api-token', fault, pacing, inputs, { https_proxy: proxy.url })
      const tries = server.requestsTo('api-token')
      faults.expectPaced(tries, pacing, result.main)
      faults.expectPostHarmless(result)
      // Only host names reached the proxy, and every try that reached the server came through it.
      expect(JSON.stringify(proxy.tunnels)).not.toContain(server.apiToken)
      expect(proxy.tunnels.every((tunnel) => tunnel.target === `${HOST}:${server.port}`)).toBe(true)
      for (const request of tries) expect(request.servername).toBe(HOST)
      return { result, server, proxy, tries }
    })
  }

  it('503 once: retried through the proxy, one tunnel per try', async () => {
    const { result, proxy, tries } = await behindProxy({ status: 503, times: 1 }, { attempts: 3, timeoutSeconds: 2 })
    expect(result.main.exitCode, faults.logOf(result)).toBe(0)
    expect(tries.map((request) => request.status)).toEqual([503, 200])
    expect(proxy.tunnels).toHaveLength(2)
  })

  it('429 with Retry-After: 1 through the proxy', async () => {
    const { result, tries } = await behindProxy(
      { status: 429, times: 1, headers: { 'retry-after': '1' } },
      { attempts: 2, timeoutSeconds: 2 },
    )
    expect(result.main.exitCode, faults.logOf(result)).toBe(0)
    expect(tries.map((request) => request.status)).toEqual([429, 200])
  })

  it('a server behind the proxy that never answers: each try cut at timeout-seconds', async () => {
    const { result, proxy, tries } = await behindProxy({ hang: true, times: ALWAYS }, { attempts: 2, timeoutSeconds: 1, slow: true })
    faults.expectFailed(result.main, [/timeout-seconds/], 2)
    expect(tries).toHaveLength(2)
    expect(proxy.tunnels).toHaveLength(2)
  })

  it('a proxy that wants credentials (407): not retried, the message names the proxy and the status', async () => {
    const { result, proxy, server } = await behindProxy(undefined, { attempts: 3, timeoutSeconds: 2 }, { refuseWith: 407 })
    expect(server.requests).toEqual([])
    expect(proxy.tunnels.map((tunnel) => tunnel.status)).toEqual([407])
    faults.expectFailed(result.main, [/csp\.example\.test/, /proxy/, /407/], 1)
  })

  it('a proxy that cannot reach the host (502): retried, then a failure naming the proxy', async () => {
    const { result, proxy, server } = await behindProxy(undefined, { attempts: 2, timeoutSeconds: 2 }, { refuseWith: 502 })
    expect(server.requests).toEqual([])
    expect(proxy.tunnels.map((tunnel) => tunnel.status)).toEqual([502, 502])
    faults.expectFailed(result.main, [/csp\.example\.test/, /proxy/, /502/], 2)
  })

  it('a proxy that accepts and never answers the CONNECT: each try cut at timeout-seconds', async () => {
    const pacing: Pacing = { attempts: 2, timeoutSeconds: 1, slow: true }
    const server = await new CspEmulator({ names: [HOST] }).start()
    const deadProxy = await new RawServer('silent').start()
    await using([server, deadProxy], async () => {
      const inputs = cspInputs(server, { url: server.urlFor(HOST), 'timeout-seconds': '1', 'max-attempts': '2' })
      const result = await faults.job(inputs, { https_proxy: `http://127.0.0.1:${deadProxy.port}` })
      assertNoLeaks(result, server.secrets())
      faults.expectFailed(result.main, [/timeout-seconds/], 2)
      expect(deadProxy.connections).toHaveLength(2)
      expectReportedPacing(reportedTries(result.main, CSP_API_TOKEN_PATH), pacing)
      expect(server.requests).toEqual([])
      faults.expectWithinBound(result.main, pacing)
      faults.expectPostHarmless(result)
    })
  })
})
