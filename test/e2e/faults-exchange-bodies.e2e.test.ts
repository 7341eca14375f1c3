/**
 * Faults of the token exchange in what the answer says, for both providers: 200 answers that are
 * no token (empty, not JSON, no access_token, a bad expires_in), error messages that try to inject
 * workflow commands, and error bodies that echo the credential (whole, its tail, or the request
 * body), which must never reach the log. What each case checks is in support/faults.ts.
 *
 * Then, against one emulator of each shared by the file: 200 answers that do not parse (cut
 * short, junk after them, a guard in front) are never printed, and answers far larger than any
 * API's are cut off with one short line.
 */
import { describe, expect, it, vi } from 'vitest'
import { CspEmulator } from './support/csp-emulator.ts'
import { ALWAYS, fails, succeeds, type ExchangeCase } from './support/fault-cases.ts'
import { CONCURRENT_CASES, exchangeCase, expectFailed } from './support/faults.ts'
import { cspInputs, vcdInputs } from './support/inputs.ts'
import { assertNoLeaks, runJob } from './support/runner.ts'
import { VcdEmulator } from './support/vcd-emulator.ts'
import { shareEmulators } from './support/shared-emulators.ts'

vi.setConfig({ maxConcurrency: CONCURRENT_CASES })

/** A 200 answer the action refuses: one try of three, a message that names the problem and counts no tries. */
const body = (error: RegExp[]) => ({ attempts: 3, tries: 1, error, countsTries: false })

const CASES: ExchangeCase[] = [
  // 200 answers that are no token: not retried, and the message does not count tries
  fails('200 with an empty body', () => ({ replaceBody: '', times: ALWAYS }), body([/HTTP 200/, /empty body/])),
  fails('200 with a non-JSON body', () => ({ replaceBody: 'OK', times: ALWAYS }), body([/HTTP 200/, /JSON/])),
  fails('200 without access_token', () => ({ omit: ['access_token'], times: ALWAYS }), body([/without an access_token/, /expires_in/])),
  succeeds('200 with expires_in as the numeric string "1799": accepted', () => ({ patch: { expires_in: '1799' }, times: ALWAYS }), {
    attempts: 3,
    tries: 1,
    then: (step) => {
      expect(step.outputs['expires-in']).toBe('1799')
      const left = Date.parse(step.outputs['expires-at']) - Date.now()
      expect(left).toBeGreaterThan(1700_000)
      expect(left).toBeLessThanOrEqual(1799_000)
    },
  }),
  // The action received a token it refuses: it must not leave it alive
  fails('200 with expires_in as a non-numeric string', () => ({ patch: { expires_in: 'soon' }, times: ALWAYS }), {
    ...body([/expires_in/, /soon/]),
    receivesToken: true,
  }),
  fails('200 without expires_in', () => ({ omit: ['expires_in'], times: ALWAYS }), { ...body([/expires_in/]), receivesToken: true }),
  // An error message that tries to smuggle workflow commands onto their own lines
  fails(
    '400 whose message tries to inject workflow commands',
    () => ({
      status: 400,
      body: { minorErrorCode: 'invalid_grant', message: 'denied\n::warning::injected\r\n::add-path::/tmp/evil\n::stop-commands::x' },
      times: ALWAYS,
    }),
    { attempts: 3, tries: 1, error: [/HTTP 400/, /denied/] },
  ),
  // Error bodies echoing the credential: never retried for 4xx, retried (and redacted each time) for 5xx
  fails('400 whose message echoes the whole token', () => ({ echo: 'token', status: 400, times: ALWAYS }), {
    attempts: 3,
    tries: 1,
    error: [/HTTP 400/, /Invalid refresh token/],
  }),
  fails("401 whose message echoes the token's last 12 characters", () => ({ echo: 'tail', echoTail: 12, status: 401, times: ALWAYS }), {
    attempts: 3,
    tries: 1,
    error: [/HTTP 401/, /Invalid refresh token/],
  }),
  fails('400 whose message echoes the request body', () => ({ echo: 'request-body', status: 400, times: ALWAYS }), {
    attempts: 3,
    tries: 1,
    error: [/HTTP 400/, /Bad request/],
  }),
  fails('500 echoing the whole token, every time (retried, redacted each time)', () => ({ echo: 'token', status: 500, times: ALWAYS }), {
    attempts: 2,
    tries: 2,
    error: [/HTTP 500/],
  }),
  succeeds("503 echoing the token's tail, once", () => ({ echo: 'tail', echoTail: 20, status: 503, times: 1 }), { attempts: 2, tries: 2 }),
]

describe.concurrent('token exchange faults: CSP API token', () => {
  for (const testCase of CASES) it(testCase.name, () => exchangeCase('csp', testCase))
})

describe.concurrent('token exchange faults: Cloud Director API token', () => {
  for (const testCase of CASES) it(testCase.name, () => exchangeCase('vcd', testCase))
})

// ---------------------------------------------------------------------------------------------
// Against one emulator of each, shared by the tests below.

let csp: CspEmulator
let vcd: VcdEmulator

shareEmulators(async () => ([csp, vcd] = await Promise.all([new CspEmulator().start(), new VcdEmulator().start()])))

/** The body up to the end of a field's value (`after`), or into the middle of it. */
function cutAt(field: string, where: 'after' | 'inside') {
  return (body: string): string => {
    const start = body.indexOf(`"${field}":"`) + field.length + 4
    const end = body.indexOf('"', start)
    return body.slice(0, where === 'after' ? end + 1 : start + Math.floor((end - start) / 2))
  }
}

const MANGLED = [
  { name: 'a byte-order mark in front', map: (body: string) => `\uFEFF${body}`, works: true },
  { name: "the )]}' guard in front", map: (body: string) => `)]}',\n${body}`, works: true },
  { name: 'junk after the JSON', map: (body: string) => `${body}<!-- cached by proxy -->`, works: false },
  { name: 'a body cut after the access token', map: cutAt('access_token', 'after'), works: false },
  { name: 'a body cut inside the access token', map: cutAt('access_token', 'inside'), works: false },
]

describe('a 200 token answer that does not parse is never printed', () => {
  for (const mangled of MANGLED) {
    it(`CSP, ${mangled.name}: ${mangled.works ? 'read leniently' : 'fails without quoting it'}`, async () => {
      csp.fault('api-token', { mapBody: mangled.map })
      const job = await runJob({ inputs: cspInputs(csp) })
      assertNoLeaks(job, csp.secrets())
      if (mangled.works) {
        expect(job.main.exitCode, job.log.join('\n')).toBe(0)
        expect(job.main.outputs['access-token']).toBe(csp.issued.at(-1)!.access_token)
        return
      }
      expect(expectFailed(job.main, [])).toMatch(
        /answered HTTP 200 OK with (JSON that does not parse|a JSON object)[^;]*; expected a JSON token response/,
      )
      expect(csp.requestsTo('api-token')).toHaveLength(1)
    })

    it(`Cloud Director, ${mangled.name}: ${mangled.works ? 'read leniently' : 'fails without quoting it'}`, async () => {
      vcd.fault('token', { mapBody: mangled.map })
      const job = await runJob({ inputs: vcdInputs(vcd, vcd.providerToken) })
      assertNoLeaks(job, vcd.secrets())
      if (mangled.works) {
        expect(job.main.exitCode, job.log.join('\n')).toBe(0)
        expect(job.post?.log.join('\n')).toContain('Logged out')
        return
      }
      expect(expectFailed(job.main, [])).toMatch(/answered HTTP 200 OK with [^;]*; expected a JSON token response/)
    })
  }

  it('Cloud Director service account, a body cut after the rotated refresh token: the token is not lost', async () => {
    const given = vcd.addToken({ org: vcd.tenantOrg, user: 'robot', kind: 'service-account' })
    vcd.fault('token', { mapBody: cutAt('refresh_token', 'after') })
    const job = await runJob({ inputs: vcdInputs(vcd, given, { org: vcd.tenantOrg }) })
    assertNoLeaks(job, vcd.secrets())
    expect(expectFailed(job.main, [])).toContain('The refresh token it held is in the refresh-token output: store it.')
    const rotated = vcd.latestRefreshToken(given)
    expect(rotated).not.toBe(given)
    expect(job.main.outputs['refresh-token']).toBe(rotated)
    expect(job.main.masks).toContain(rotated)

    // The next run, with the stored token, works.
    const next = await runJob({ inputs: vcdInputs(vcd, rotated, { org: vcd.tenantOrg }) })
    assertNoLeaks(next, vcd.secrets())
    expect(next.main.exitCode, next.log.join('\n')).toBe(0)
  })
})

describe('oversized answers', () => {
  it('stops reading at 1 MiB with a clear error, not retried', async () => {
    const huge = JSON.stringify({ access_token: 'x'.repeat(16), padding: 'p'.repeat(3 * 1024 * 1024) })
    csp.fault('api-token', { times: Infinity, replaceBody: huge })
    const job = await runJob({ inputs: cspInputs(csp, { 'max-attempts': '4' }) })
    assertNoLeaks(job, csp.secrets())
    expect(expectFailed(job.main, [])).toContain(
      'the answer is larger than 1024 KiB, far more than any answer of the API; check url (1 try)',
    )
    expect(csp.requestsTo('api-token')).toHaveLength(1)
  })

  it('a 200 answer of 40,000 fields and no token: one short error line', async () => {
    const fields = Object.fromEntries(Array.from({ length: 40_000 }, (_, index) => [`field_${index}`, index]))
    vcd.fault('token', { replaceBody: JSON.stringify(fields) })
    const job = await runJob({ inputs: vcdInputs(vcd, vcd.providerToken) })
    assertNoLeaks(job, vcd.secrets())
    const failure = expectFailed(job.main, [])
    expect(failure).toContain('without an access_token; fields present: field_0, field_1')
    expect(failure).toContain('and 39990 more')
    for (const line of job.log) expect(line.length).toBeLessThan(2000)
  })
})
