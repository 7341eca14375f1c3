/**
 * End to end, both steps' job summaries against a hostile provider: text the provider controls is
 * redacted exactly like the log (the runner masks only whole registered secrets in a summary) and
 * its Markdown and HTML are shown as text, in the main step's table and in the post step's line.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { assertNoLeaks, containsPiece, runJob } from './support/runner.ts'
import { VcdEmulator } from './support/vcd-emulator.ts'

let vcd: VcdEmulator

beforeAll(async () => {
  vcd = await new VcdEmulator().start()
})
afterAll(async () => {
  await vcd?.close()
})
afterEach(() => {
  vcd.clearFaults()
  vcd.clearRequests()
})

const inputs = (): Record<string, string> => ({
  provider: 'vcd',
  url: vcd.url,
  'ca-certificate': vcd.ca,
  'api-token': vcd.providerToken,
  'timeout-seconds': '5',
  'max-attempts': '1',
})

/** Markup a summary must never render: an image that loads from anywhere, a working link. */
const HOSTILE_MARKUP = '<img src=https://evil.example/x.png> [Session expired: sign in](https://evil.example/phish)'

function expectNoMarkup(summary: string): void {
  expect(summary).not.toContain('<img')
  expect(summary).not.toMatch(/[^\\]\]\(https:/)
  expect(summary).toContain('&lt;img src=https://evil.example/x.png&gt;')
  expect(summary).toContain('\\[Session expired: sign in\\](https://evil.example/phish)')
}

describe('job summaries: text a provider controls', () => {
  it("the post step's summary shows a logout error's HTML and links as text", async () => {
    vcd.fault('logout', { status: 500, body: { message: HOSTILE_MARKUP }, times: Infinity })
    const job = await runJob({ inputs: inputs() })
    assertNoLeaks(job, vcd.secrets())
    expect(job.main.exitCode, job.log.join('\n')).toBe(0)
    expect(job.post!.exitCode).toBe(0)
    expect(job.post!.warnings[0]).toContain(HOSTILE_MARKUP)
    expect(job.post!.summary).toMatch(/^\*\*VMware access token:\*\* Could not revoke: /)
    expectNoMarkup(job.post!.summary)
  })

  it("the main step's summary redacts a name holding a piece of the API token, as the log does", async () => {
    // 12 characters of the API token inside the session's user name: the runner's mask (whole
    // values only) does not hide them; the action's redaction of 8+ character pieces must.
    const piece = vcd.providerToken.slice(10, 22)
    vcd.fault('session', { patch: { user: { name: `svc-${piece}`, id: 'urn:vcloud:user:1' } }, times: Infinity })
    const job = await runJob({ inputs: inputs() })
    expect(job.main.exitCode, job.log.join('\n')).toBe(0)
    assertNoLeaks(job, vcd.secrets())
    expect(containsPiece(job.main.summary, vcd.providerToken)).toBe(false)
    expect(job.main.summary).toContain('| Subject | svc-\\*\\*\\* |')
    expect(job.main.log.join('\n')).toContain('for svc-***')
  })

  it("the main step's summary shows a hostile user name's HTML and links as text", async () => {
    vcd.fault('session', { patch: { user: { name: HOSTILE_MARKUP, id: 'urn:vcloud:user:1' } }, times: Infinity })
    const job = await runJob({ inputs: inputs() })
    assertNoLeaks(job, vcd.secrets())
    expect(job.main.exitCode, job.log.join('\n')).toBe(0)
    expectNoMarkup(job.main.summary)
  })
})
