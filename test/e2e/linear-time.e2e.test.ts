/**
 * No answer under the 1 MiB cap holds a step noticeably past timeout-seconds x max-attempts, end to
 * end (issue 19, item 2): the built action, run as the runner runs it, gets answers just under the
 * cap built to make a backtracking pattern take minutes ('eyJ' repeated for the token matcher that
 * every answer goes through, '<Error ' for Cloud Director's error reader, '<title' for the HTML
 * reader, '<VersionInfo>' for the version list, a run of x's for the echoed-token-tail filter).
 * Each step must end within what its inputs allow plus a generous overhead; a hung one is killed
 * there and fails the test.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AriaEmulator } from './support/aria-emulator.ts'
import { CspEmulator } from './support/csp-emulator.ts'
import type { Fault } from './support/emulator.ts'
import { RUN_OVERHEAD_MS, requestBoundMs, type Pacing } from './support/pacing.ts'
import { assertNoLeaks, runJob, type JobResult } from './support/runner.ts'
import { VcdEmulator } from './support/vcd-emulator.ts'

const PACING: Pacing = { attempts: 2, timeoutSeconds: 5 }
const LIMITS = { 'timeout-seconds': String(PACING.timeoutSeconds), 'max-attempts': String(PACING.attempts) }
/** Generous on purpose: reading 1 MiB a few times takes well under a second; a quadratic pattern takes minutes. */
const MARGIN_MS = 15_000
/** A step's bound: its failing request's tries and waits, one more request's (VCD's parallel lookups), the run's overhead. */
const STEP_BOUND_MS = 2 * requestBoundMs(PACING) + RUN_OVERHEAD_MS + MARGIN_MS

/** `unit` repeated to just under the 1 MiB cap, inside `before` and `after`. */
function nearCap(unit: string, before = '', after = ''): string {
  const size = 1024 * 1024 - 64 - before.length - after.length
  return before + unit.repeat(Math.ceil(size / unit.length)).slice(0, size) + after
}

let csp: CspEmulator
let vcd: VcdEmulator
let aria: AriaEmulator

beforeAll(async () => {
  ;[csp, vcd, aria] = await Promise.all([new CspEmulator().start(), new VcdEmulator().start(), new AriaEmulator().start()])
})
afterAll(async () => {
  await Promise.all([csp?.close(), vcd?.close(), aria?.close()])
})
afterEach(() => {
  for (const server of [csp, vcd, aria]) {
    server.clearFaults()
    server.clearRequests()
  }
})

function inputsOf(server: CspEmulator | VcdEmulator | AriaEmulator): Record<string, string> {
  if (server instanceof CspEmulator)
    return { url: server.url, 'ca-certificate': server.ca, 'api-token': server.apiToken, 'expiry-warning-days': '0' }
  if (server instanceof VcdEmulator)
    return { provider: 'vcd', url: server.url, 'ca-certificate': server.ca, 'api-token': server.providerToken }
  return { provider: 'aria-automation', url: server.url, 'ca-certificate': server.ca, 'api-token': server.refreshToken }
}

/** Both steps, each killed at STEP_BOUND_MS; neither may be. */
async function boundedJob(server: CspEmulator | VcdEmulator | AriaEmulator): Promise<JobResult> {
  const job = await runJob({ inputs: { ...inputsOf(server), ...LIMITS }, timeoutMs: STEP_BOUND_MS })
  for (const step of [job.main, job.post!]) {
    expect(step.timedOut, `the ${step.step} step was still running after ${STEP_BOUND_MS} ms`).toBe(false)
    expect(step.durationMs).toBeLessThan(STEP_BOUND_MS)
  }
  assertNoLeaks(job, server.secrets())
  return job
}

describe('an answer just under 1 MiB, made to make a backtracking pattern take minutes', () => {
  const failures: {
    name: string
    server: () => CspEmulator | VcdEmulator | AriaEmulator
    route: string
    fault: () => Fault
    error: RegExp
  }[] = [
    {
      name: "CSP's token exchange: 400 of 'eyJ' repeated (the token matcher)",
      server: () => csp,
      route: 'api-token',
      fault: () => ({ status: 400, body: nearCap('eyJ') }),
      error: /HTTP 400/,
    },
    {
      name: "Cloud Director's token exchange: 400 of '<Error ' repeated (its XML error reader)",
      server: () => vcd,
      route: 'token',
      fault: () => ({ status: 400, body: nearCap('<Error ') }),
      error: /HTTP 400/,
    },
    {
      name: "Cloud Director's token exchange: 400, an HTML page of '<title' repeated (the page title reader)",
      server: () => vcd,
      route: 'token',
      fault: () => ({ status: 400, body: nearCap('<title', '<html>') }),
      error: /HTTP 400[^]*an HTML page/,
    },
    {
      name: "Cloud Director's version list: 200 of '<VersionInfo>' repeated (the version reader)",
      server: () => vcd,
      route: 'versions',
      fault: () => ({ replaceBody: nearCap('<VersionInfo>') }),
      error: /without any API version/,
    },
    {
      name: "Aria Automation's login: 400 whose message is a run of x's (the echoed-token-tail filter)",
      server: () => aria,
      route: 'login',
      fault: () => ({ status: 400, body: JSON.stringify({ message: nearCap('x').slice(64), statusCode: 400 }) }),
      error: /HTTP 400/,
    },
  ]

  for (const { name, server, route, fault, error } of failures) {
    it(`${name}: the main step fails within its bound`, async () => {
      server().fault(route, fault())
      const job = await boundedJob(server())
      expect(job.main.exitCode, job.log.join('\n').slice(0, 4000)).toBe(1)
      expect(job.main.errors).toEqual([expect.stringMatching(error)])
    })
  }

  it("Cloud Director's logout in the post step: 500 of 'eyJ' repeated, every try, and the job still succeeds", async () => {
    vcd.fault('logout', { status: 500, body: nearCap('eyJ'), times: Infinity })
    const job = await boundedJob(vcd)
    expect(job.main.succeeded, job.log.join('\n').slice(0, 4000)).toBe(true)
    expect(job.post!.succeeded).toBe(true)
    expect(vcd.requestsTo('logout')).toHaveLength(PACING.attempts)
    expect(job.post!.warnings).toEqual([expect.stringMatching(/HTTP 500[^]*2 tries/)])
  })
})
