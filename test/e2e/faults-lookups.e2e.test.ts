/**
 * The requests beside the token exchange under faults: Cloud Director's version lookup and
 * session check, a service-account token spent by a try whose answer was lost, and the CSP
 * API-token expiry lookup (one try, never fails the step, and costs at most the grace period
 * when it hangs).
 */
import { describe, expect, it, vi } from 'vitest'
import { CspEmulator } from './support/csp-emulator.ts'
import type { Fault } from './support/emulator.ts'
import { ALWAYS, status } from './support/fault-cases.ts'
import * as faults from './support/faults.ts'
import { vcdInputs } from './support/inputs.ts'
import { RUN_OVERHEAD_MS } from './support/pacing.ts'
import { assertNoLeaks, runStep, type JobResult } from './support/runner.ts'
import { using } from './support/tcp.ts'
import { VcdEmulator } from './support/vcd-emulator.ts'

vi.setConfig({ maxConcurrency: faults.CONCURRENT_CASES })

// ---------------------------------------------------------------------------------------------
// Cloud Director: the other requests of the exchange, and a spent service-account token.

describe.concurrent('Cloud Director: versions lookup and service accounts under faults', () => {
  const startVcd = () => new VcdEmulator().start()
  const providerToken = (vcd: VcdEmulator, limits: Record<string, string>) => vcdInputs(vcd, vcd.providerToken, limits)

  it('versions lookup answering 503 once is retried; the run succeeds', () =>
    faults.faultCase(startVcd, 'versions', { fault: status(503, 1), attempts: 2 }, providerToken, (vcd, result, pacing) => {
      expect(result.main.exitCode, faults.logOf(result)).toBe(0)
      expect(vcd.requestsTo('versions').map((request) => request.status)).toEqual([503, 200])
      expect(result.main.outputs['api-version']).toBe(vcd.maxVersion)
      faults.expectWithinBound(result.main, pacing)
      faults.expectPostHarmless(result)
    }))

  // The exchange beside it is healthy and must answer within timeout-seconds: TIMEOUT_SECONDS, not less.
  it('versions lookup that never answers fails the step after its tries, naming the lookup', () =>
    faults.faultCase(
      startVcd,
      'versions',
      { fault: () => ({ hang: true, times: ALWAYS }), attempts: 2, slow: true },
      providerToken,
      (vcd, result, pacing) => {
        faults.expectFailed(result.main, [/version lookup/, /timeout-seconds/], 2)
        expect(vcd.requestsTo('versions')).toHaveLength(2)
        faults.expectWithinBound(result.main, pacing)
        faults.expectPostHarmless(result)
      },
    ))

  it('a session check answering 503 every time: retried, then the step fails and the main step logs the session out', () =>
    faults.faultCase(startVcd, 'session', { fault: status(503, ALWAYS), attempts: 2 }, providerToken, (vcd, result, pacing) => {
      expect(vcd.requestsTo('session')).toHaveLength(2)
      faults.expectFailed(result.main, [/session check/, /HTTP 503/], 2)
      faults.expectWithinBound(result.main, pacing)
      // The token the step could not hand out does not outlive the step.
      const [issued] = vcd.issued
      expect(vcd.isAlive(issued.access_token)).toBe(false)
      expect(vcd.requestsTo('logout').map((request) => request.headers.authorization)).toEqual([`Bearer ${issued.access_token}`])
      const post = faults.expectPostHarmless(result)
      expect(post.warnings).toEqual([])
    }))

  it('a service-account token spent by a try whose answer was lost: the failure says an earlier try may have spent it', () => {
    const serviceAccount = (vcd: VcdEmulator, limits: Record<string, string>) =>
      vcdInputs(vcd, vcd.serviceAccountToken, { org: vcd.tenantOrg, ...limits })
    const lost = { fault: () => ({ reset: 'after-route' as const, times: 1 }), attempts: 2 }
    return faults.faultCase(startVcd, 'token', lost, serviceAccount, (vcd, result) => {
      expect(vcd.requestsTo('token')).toHaveLength(2)
      faults.expectFailed(result.main, [/invalid_grant|Invalid refresh token/, /earlier try/], 2)
      faults.expectPostHarmless(result)
    })
  })
})

// ---------------------------------------------------------------------------------------------
// The CSP API-token expiry lookup (POST .../api-tokens/details): one try, never fails the step,
// and costs at most ~2 s when it hangs.

describe.concurrent('CSP API-token expiry lookup', () => {
  const GRACE_MS = 2000
  const TIMEOUT_SECONDS = 10
  /**
   * How much later than an answered lookup a hung one may end the run. The grace the action used is
   * read from its own debug line (and pinned with a fake clock in the unit tests); the run times
   * only have to show that the grace ended the wait, not timeout-seconds: halfway between the two.
   */
  const HANG_COST_BOUND_MS = (GRACE_MS + TIMEOUT_SECONDS * 1000) / 2
  const GRACE_LINE = `API token expiry unknown: no answer from the details lookup within ${GRACE_MS} ms of the exchange`

  async function lookupRun(
    fault: Fault | undefined,
    extra: Record<string, string> = {},
  ): Promise<{ result: JobResult; server: CspEmulator }> {
    const server = await new CspEmulator({ apiTokenExpiresInDays: 200 }).start()
    return using([server], async () => {
      if (fault) server.fault('details', fault)
      const result = await faults.job({
        url: server.url,
        'ca-certificate': server.ca,
        'api-token': server.apiToken,
        'timeout-seconds': String(TIMEOUT_SECONDS),
        'max-attempts': '3',
        ...extra,
      })
      assertNoLeaks(result, server.secrets())
      faults.expectMessagesClean(result.main, server.secrets())
      faults.expectPostHarmless(result)
      // One try, whatever happened.
      expect(server.requestsTo('details')).toHaveLength(1)
      return { result, server }
    })
  }

  it('a hanging lookup delays the run by at most ~2 s compared with an answering one', async () => {
    const [answered, hung] = await Promise.all([lookupRun(undefined), lookupRun({ hang: true, times: ALWAYS })])
    for (const { result } of [answered, hung]) expect(result.main.exitCode, faults.logOf(result)).toBe(0)
    expect(answered.result.main.outputs['api-token-expires-at']).toBe(
      new Date(answered.server.apiTokens.get(answered.server.apiToken)!.expiresAt!).toISOString(),
    )
    // Unknown, not a failure; and no warning about it.
    expect(hung.result.main.outputs['api-token-expires-at']).toBe('')
    expect(hung.result.main.warnings).toEqual([])
    // The action gave up after the grace, by its own clock; the answered run never waited for it.
    expect(hung.result.main.debug).toContain(GRACE_LINE)
    expect(answered.result.main.debug).not.toContain(GRACE_LINE)
    const cost = hung.result.main.durationMs - answered.result.main.durationMs
    console.log(
      `expiry lookup: answered run ${Math.round(answered.result.main.durationMs)} ms, hung run ${Math.round(hung.result.main.durationMs)} ms, cost ${Math.round(cost)} ms`,
    )
    expect(cost).toBeLessThanOrEqual(HANG_COST_BOUND_MS)
    // Far from timeout-seconds: the grace period, not the request timeout, ended the wait.
    expect(hung.result.main.durationMs).toBeLessThan(answered.result.main.durationMs + HANG_COST_BOUND_MS)
  })

  it('a trickling lookup is abandoned after the same grace', async () => {
    const [answered, slow] = await Promise.all([
      lookupRun(undefined),
      lookupRun({ trickle: { chunkBytes: 1, intervalMs: 300 }, times: ALWAYS }),
    ])
    expect(slow.result.main.exitCode, faults.logOf(slow.result)).toBe(0)
    expect(slow.result.main.outputs['api-token-expires-at']).toBe('')
    expect(slow.result.main.debug).toContain(GRACE_LINE)
    expect(slow.result.main.durationMs - answered.result.main.durationMs).toBeLessThanOrEqual(HANG_COST_BOUND_MS)
  })

  for (const [name, fault] of [
    ['429 with Retry-After: 1', { status: 429, headers: { 'retry-after': '1' }, times: ALWAYS }],
    ['503', { status: 503, times: ALWAYS }],
    ['connection reset', { reset: true, times: ALWAYS }],
    ['HTML 502 page', { html: true, times: ALWAYS }],
    ['500 echoing the API token', { echo: 'token', status: 500, times: ALWAYS }],
    ['200 with an empty body', { replaceBody: '', times: ALWAYS }],
  ] as [string, Fault][]) {
    it(`${name}: one try, the step succeeds with the expiry unknown`, async () => {
      const { result } = await lookupRun(fault)
      expect(result.main.exitCode, faults.logOf(result)).toBe(0)
      expect(result.main.outputs['api-token-expires-at']).toBe('')
      expect(result.main.warnings).toEqual([])
      expect(result.main.durationMs).toBeLessThan(RUN_OVERHEAD_MS + 1000)
    })
  }

  it('a hanging lookup does not hold a failing exchange: the failure comes at once', async () => {
    const server = await new CspEmulator().start()
    await using([server], async () => {
      server.fault('details', { hang: true, times: ALWAYS })
      server.fault('api-token', { status: 403, times: ALWAYS })
      const step = await runStep({
        inputs: {
          url: server.url,
          'ca-certificate': server.ca,
          'api-token': server.apiToken,
          'timeout-seconds': '10',
          'max-attempts': '3',
        },
        debug: true,
      })
      assertNoLeaks(step, server.secrets())
      faults.expectFailed(step, [/HTTP 403/], 1)
      // No grace wait began (the failure cancels the lookup), and the step did not wait for timeout-seconds.
      expect(step.debug).not.toContain(GRACE_LINE)
      expect(step.durationMs).toBeLessThan(RUN_OVERHEAD_MS)
    })
  })
})
