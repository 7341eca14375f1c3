/**
 * Faults of the token exchange on the connection, for both providers: a reset (before or after
 * the server did the work), a server that never answers, an answer that trickles in slower than
 * timeout-seconds allows. Every try of a slow fault is cut at timeout-seconds, by the action's own
 * clock (support/pacing.ts). What each case checks besides is in support/faults.ts.
 */
import { describe, it, vi } from 'vitest'
import { ALWAYS, fails, succeeds, type ExchangeCase } from './support/fault-cases.ts'
import { CONCURRENT_CASES, exchangeCase } from './support/faults.ts'

vi.setConfig({ maxConcurrency: CONCURRENT_CASES })

const trickle = (times: number) => () => ({ trickle: { chunkBytes: 1, intervalMs: 200 }, times })

const CASES: ExchangeCase[] = [
  // Connection reset
  succeeds('connection reset once', () => ({ reset: true, times: 1 }), { attempts: 2, tries: 2 }),
  fails('connection reset every time', () => ({ reset: true, times: ALWAYS }), { attempts: 3, tries: 3, error: [/connection reset/] }),
  succeeds('connection reset after the server issued a token (answer lost), once', () => ({ reset: 'after-route', times: 1 }), {
    attempts: 2,
    tries: 2,
  }),
  // A server that accepts and never answers: cut at timeout-seconds per try
  fails('never answers, every time', () => ({ hang: true, times: ALWAYS }), {
    attempts: 2,
    tries: 2,
    slow: true,
    error: [/timeout-seconds/, /within 2 s/],
  }),
  succeeds('never answers, once', () => ({ hang: true, times: 1 }), { attempts: 2, tries: 2, slow: true }),
  succeeds('never answers after issuing a token, once', () => ({ hang: 'after-route', times: 1 }), { attempts: 2, tries: 2, slow: true }),
  // A slow trickle: headers at once, the body a byte every 200 ms
  fails('slow trickle, every time', trickle(ALWAYS), { attempts: 2, tries: 2, slow: true, error: [/timeout-seconds/] }),
  succeeds('slow trickle, once', trickle(1), { attempts: 2, tries: 2, slow: true }),
  succeeds(
    'a trickle that completes within timeout-seconds is accepted in one try',
    () => ({ trickle: { chunkBytes: 200, intervalMs: 50 }, times: 1 }),
    { attempts: 2, timeoutSeconds: 4, tries: 1 },
  ),
]

describe.concurrent('token exchange faults: CSP API token', () => {
  for (const testCase of CASES) it(testCase.name, () => exchangeCase('csp', testCase))
})

describe.concurrent('token exchange faults: Cloud Director API token', () => {
  for (const testCase of CASES) it(testCase.name, () => exchangeCase('vcd', testCase))
})
