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
import {
  ALWAYS,
  CONCURRENT_CASES,
  expectFailed,
  expectMessagesClean,
  expectPostHarmless,
  expectWithinBound,
  job,
  logOf,
  retryAfterOf,
  setUp,
} from './support/faults.ts'
import { expectPacing, expectReportedPacing, reportedTries, type Pacing } from './support/pacing.ts'
import { assertNoLeaks, type JobResult } from './support/runner.ts'
import { ConnectProxy, RawServer, closedPort, using } from './support/tcp.ts'

vi.setConfig({ maxConcurrency: CONCURRENT_CASES })

describe.concurrent('network faults below HTTP', () => {
  for (const provider of ['csp', 'vcd'] as const) {
    it(`${provider}: an untrusted TLS certificate is not retried and points at ca-certificate`, async () => {
      const pacing: Pacing = { attempts: 3, timeoutSeconds: 2 }
      const setup = await setUp(provider, pacing)
      // The forwarder counts TCP connections: the emulator never sees a request when TLS fails.
      const counter = await new RawServer({ forwardTo: setup.server.port }).start()
      await using([setup.server, counter], async () => {
        const inputs: Record<string, string> = { ...setup.inputs, url: counter.url }
        delete inputs['ca-certificate']
        const result = await job(inputs)
        assertNoLeaks(result, setup.server.secrets())
        expectFailed(result.main, [/ca-certificate/, /certificate is not trusted/], 1)
        expect(setup.server.requests).toEqual([])
        // One connection for the exchange (VCD: and one for its version lookup beside it).
        expect(counter.connections.length).toBe(provider === 'vcd' ? 2 : 1)
        expectWithinBound(result.main, { ...pacing, attempts: 1 })
        expectPostHarmless(result)
      })
    })
  }

  it('connection refused: retried up to max-attempts, then a message that says so', async () => {
    const pacing: Pacing = { attempts: 3, timeoutSeconds: 2 }
    const port = await closedPort()
    const result = await job({
      url: `https://127.0.0.1:${port}`,
      'api-token': 'A'.repeat(30) + 'Yt6Ui2Op9Gf4',
      'max-attempts': '3',
      'timeout-seconds': '2',
      'expiry-warning-days': '0',
    })
    assertNoLeaks(result, ['A'.repeat(30) + 'Yt6Ui2Op9Gf4'])
    expectFailed(result.main, [/connection refused/, /127\.0\.0\.1/], 3)
    expectWithinBound(result.main, pacing)
    expectPostHarmless(result)
  })

  it('a port that accepts and never speaks (no TLS handshake): each try cut at timeout-seconds', async () => {
    const pacing: Pacing = { attempts: 2, timeoutSeconds: 1, slow: true }
    const silent = await new RawServer('silent').start()
    await using([silent], async () => {
      const token = 'S'.repeat(20) + 'Hj3Lk8Qw5Zx1Cv7N'
      const result = await job({
        url: silent.url,
        'api-token': token,
        'max-attempts': '2',
        'timeout-seconds': '1',
        'expiry-warning-days': '0',
      })
      assertNoLeaks(result, [token])
      expectFailed(result.main, [/timeout-seconds/], 2)
      expect(silent.connections).toHaveLength(2)
      // Each try cut at timeout-seconds by the action's own clock (its deadline starts before the
      // connection, so the gap between the two accepted connections says nothing about it) ...
      expectReportedPacing(reportedTries(result.main, CSP_API_TOKEN_PATH), pacing)
      // ... and, by the runner's clock, the step outlived both deadlines.
      expect(result.main.durationMs).toBeGreaterThanOrEqual(2000)
      expectWithinBound(result.main, pacing)
      expectPostHarmless(result)
    })
  })

  it('a port that resets every connection: retried, then "connection reset"', async () => {
    const pacing: Pacing = { attempts: 3, timeoutSeconds: 2 }
    const reset = await new RawServer('reset').start()
    await using([reset], async () => {
      const token = 'R'.repeat(20) + 'Kq7Zw9Xv2Mn4Bp8T'
      const result = await job({
        url: reset.url,
        'api-token': token,
        'max-attempts': '3',
        'timeout-seconds': '2',
        'expiry-warning-days': '0',
      })
      assertNoLeaks(result, [token])
      expectFailed(result.main, [/connection reset|disconnected|socket/i], 3)
      expect(reset.connections).toHaveLength(3)
      expectWithinBound(result.main, pacing)
      expectPostHarmless(result)
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
      if (fault) server.fault('api-token', fault)
      pacing.retryAfter = fault && retryAfterOf(fault)
      const result = await job(
        {
          url: server.urlFor(HOST),
          'ca-certificate': server.ca,
          'api-token': server.apiToken,
          'expiry-warning-days': '0',
          'timeout-seconds': String(pacing.timeoutSeconds),
          'max-attempts': String(pacing.attempts),
        },
        { https_proxy: proxy.url },
      )
      assertNoLeaks(result, server.secrets())
      expectMessagesClean(result.main, server.secrets())
      const tries = server.requestsTo('api-token')
      expectPacing(tries, pacing, result.main)
      expectWithinBound(result.main, pacing, tries[0]?.time)
      expectPostHarmless(result)
      // Only host names reached the proxy, and every try that reached the server came through it.
      expect(JSON.stringify(proxy.tunnels)).not.toContain(server.apiToken)
      expect(proxy.tunnels.every((tunnel) => tunnel.target === `${HOST}:${server.port}`)).toBe(true)
      for (const request of tries) expect(request.servername).toBe(HOST)
      return { result, server, proxy, tries }
    })
  }

  it('503 once: retried through the proxy, one tunnel per try', async () => {
    const { result, proxy, tries } = await behindProxy({ status: 503, times: 1 }, { attempts: 3, timeoutSeconds: 2 })
    expect(result.main.exitCode, logOf(result)).toBe(0)
    expect(tries.map((request) => request.status)).toEqual([503, 200])
    expect(proxy.tunnels).toHaveLength(2)
  })

  it('429 with Retry-After: 1 through the proxy', async () => {
    const { result, tries } = await behindProxy(
      { status: 429, times: 1, headers: { 'retry-after': '1' } },
      { attempts: 2, timeoutSeconds: 2 },
    )
    expect(result.main.exitCode, logOf(result)).toBe(0)
    expect(tries.map((request) => request.status)).toEqual([429, 200])
  })

  it('a server behind the proxy that never answers: each try cut at timeout-seconds', async () => {
    const { result, proxy, tries } = await behindProxy({ hang: true, times: ALWAYS }, { attempts: 2, timeoutSeconds: 1, slow: true })
    expectFailed(result.main, [/timeout-seconds/], 2)
    expect(tries).toHaveLength(2)
    expect(proxy.tunnels).toHaveLength(2)
  })

  it('a proxy that wants credentials (407): not retried, the message names the proxy and the status', async () => {
    const { result, proxy, server } = await behindProxy(undefined, { attempts: 3, timeoutSeconds: 2 }, { refuseWith: 407 })
    expect(server.requests).toEqual([])
    expect(proxy.tunnels.map((tunnel) => tunnel.status)).toEqual([407])
    expectFailed(result.main, [/csp\.example\.test/, /proxy/, /407/], 1)
  })

  it('a proxy that cannot reach the host (502): retried, then a failure naming the proxy', async () => {
    const { result, proxy, server } = await behindProxy(undefined, { attempts: 2, timeoutSeconds: 2 }, { refuseWith: 502 })
    expect(server.requests).toEqual([])
    expect(proxy.tunnels.map((tunnel) => tunnel.status)).toEqual([502, 502])
    expectFailed(result.main, [/csp\.example\.test/, /proxy/, /502/], 2)
  })

  it('a proxy that accepts and never answers the CONNECT: each try cut at timeout-seconds', async () => {
    const pacing: Pacing = { attempts: 2, timeoutSeconds: 1, slow: true }
    const server = await new CspEmulator({ names: [HOST] }).start()
    const deadProxy = await new RawServer('silent').start()
    await using([server, deadProxy], async () => {
      const result = await job(
        {
          url: server.urlFor(HOST),
          'ca-certificate': server.ca,
          'api-token': server.apiToken,
          'expiry-warning-days': '0',
          'timeout-seconds': '1',
          'max-attempts': '2',
        },
        { https_proxy: `http://127.0.0.1:${deadProxy.port}` },
      )
      assertNoLeaks(result, server.secrets())
      expectFailed(result.main, [/timeout-seconds/], 2)
      expect(deadProxy.connections).toHaveLength(2)
      expectReportedPacing(reportedTries(result.main, CSP_API_TOKEN_PATH), pacing)
      expect(server.requests).toEqual([])
      expectWithinBound(result.main, pacing)
      expectPostHarmless(result)
    })
  })
})
