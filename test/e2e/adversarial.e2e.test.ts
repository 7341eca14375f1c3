/**
 * What an adversarial review got out of version 1 (issue 13), end to end: the built action run as
 * the runner runs it against emulators that answer with hostile or broken bodies, report hostile
 * names, or get a secret pasted into the wrong input. Every run is leak-scanned.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CspEmulator } from './support/csp-emulator.ts'
import { ConnectProxy } from './support/tcp.ts'
import { assertNoLeaks, runJob, runStep, type JobResult } from './support/runner.ts'
import { VcdEmulator } from './support/vcd-emulator.ts'

let csp: CspEmulator
let vcd: VcdEmulator

beforeAll(async () => {
  ;[csp, vcd] = await Promise.all([new CspEmulator().start(), new VcdEmulator().start()])
})
afterAll(async () => {
  await Promise.all([csp?.close(), vcd?.close()])
})
afterEach(() => {
  for (const server of [csp, vcd]) {
    server.clearFaults()
    server.clearRequests()
  }
})

function cspInputs(extra: Record<string, string> = {}): Record<string, string> {
  return { url: csp.url, 'ca-certificate': csp.ca, 'api-token': csp.apiToken, 'expiry-warning-days': '0', 'max-attempts': '2', ...extra }
}

function vcdInputs(token: string, extra: Record<string, string> = {}): Record<string, string> {
  return { provider: 'vcd', url: vcd.url, 'ca-certificate': vcd.ca, 'api-token': token, 'max-attempts': '2', ...extra }
}

/** The body up to the end of a field's value (`after`), or into the middle of it. */
function cutAt(field: string, where: 'after' | 'inside') {
  return (body: string): string => {
    const start = body.indexOf(`"${field}":"`) + field.length + 4
    const end = body.indexOf('"', start)
    return body.slice(0, where === 'after' ? end + 1 : start + Math.floor((end - start) / 2))
  }
}

function failureOf(job: JobResult): string {
  expect(job.main.exitCode, job.log.join('\n')).toBe(1)
  expect(job.main.errors).toHaveLength(1)
  return job.main.errors[0]
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
      const job = await runJob({ inputs: cspInputs() })
      assertNoLeaks(job, csp.secrets())
      if (mangled.works) {
        expect(job.main.exitCode, job.log.join('\n')).toBe(0)
        expect(job.main.outputs['access-token']).toBe(csp.issued.at(-1)!.access_token)
        return
      }
      expect(failureOf(job)).toMatch(
        /answered HTTP 200 OK with (JSON that does not parse|a JSON object)[^;]*; expected a JSON token response/,
      )
      expect(csp.requestsTo('api-token')).toHaveLength(1)
    })

    it(`Cloud Director, ${mangled.name}: ${mangled.works ? 'read leniently' : 'fails without quoting it'}`, async () => {
      vcd.fault('token', { mapBody: mangled.map })
      const job = await runJob({ inputs: vcdInputs(vcd.providerToken) })
      assertNoLeaks(job, vcd.secrets())
      if (mangled.works) {
        expect(job.main.exitCode, job.log.join('\n')).toBe(0)
        expect(job.post?.log.join('\n')).toContain('Logged out')
        return
      }
      expect(failureOf(job)).toMatch(/answered HTTP 200 OK with [^;]*; expected a JSON token response/)
    })
  }

  it('Cloud Director service account, a body cut after the rotated refresh token: the token is not lost', async () => {
    const given = vcd.addToken({ org: vcd.tenantOrg, user: 'robot', kind: 'service-account' })
    vcd.fault('token', { mapBody: cutAt('refresh_token', 'after') })
    const job = await runJob({ inputs: vcdInputs(given, { org: vcd.tenantOrg }) })
    assertNoLeaks(job, vcd.secrets())
    expect(failureOf(job)).toContain('The refresh token it held is in the refresh-token output: store it.')
    const rotated = vcd.latestRefreshToken(given)
    expect(rotated).not.toBe(given)
    expect(job.main.outputs['refresh-token']).toBe(rotated)
    expect(job.main.masks).toContain(rotated)

    // The next run, with the stored token, works.
    const next = await runJob({ inputs: vcdInputs(rotated, { org: vcd.tenantOrg }) })
    assertNoLeaks(next, vcd.secrets())
    expect(next.main.exitCode, next.log.join('\n')).toBe(0)
  })
})

describe('oversized answers', () => {
  it('stops reading at 1 MiB with a clear error, not retried', async () => {
    const huge = JSON.stringify({ access_token: 'x'.repeat(16), padding: 'p'.repeat(3 * 1024 * 1024) })
    csp.fault('api-token', { times: Infinity, replaceBody: huge })
    const job = await runJob({ inputs: cspInputs({ 'max-attempts': '4' }) })
    assertNoLeaks(job, csp.secrets())
    expect(failureOf(job)).toContain('the answer is larger than 1024 KiB, far more than any answer of the API; check url (1 try)')
    expect(csp.requestsTo('api-token')).toHaveLength(1)
  })

  it('a 200 answer of 40,000 fields and no token: one short error line', async () => {
    const fields = Object.fromEntries(Array.from({ length: 40_000 }, (_, index) => [`field_${index}`, index]))
    vcd.fault('token', { replaceBody: JSON.stringify(fields) })
    const job = await runJob({ inputs: vcdInputs(vcd.providerToken) })
    assertNoLeaks(job, vcd.secrets())
    const failure = failureOf(job)
    expect(failure).toContain('without an access_token; fields present: field_0, field_1')
    expect(failure).toContain('and 39990 more')
    for (const line of job.log) expect(line.length).toBeLessThan(2000)
  })
})

describe('names a provider controls', () => {
  const HOSTILE = '<img src=x onerror=alert(1)> [site](https://evil.example)\n::warning::injected\r::error::injected too'

  it('CSP: a username claim cannot start a workflow command, nor put markup in the summary', async () => {
    const token = csp.addApiToken({ username: HOSTILE })
    const job = await runJob({ inputs: cspInputs({ 'api-token': token }) })
    assertNoLeaks(job, csp.secrets())
    expect(job.main.exitCode, job.log.join('\n')).toBe(0)
    expect([...job.main.warnings, ...job.main.errors].join('\n')).not.toMatch(/injected/)
    expect(job.main.commands.filter((command) => /injected/.test(command.message) && command.command !== 'add-mask')).toEqual([])
    expect(job.main.outputs.subject).not.toMatch(/[\r\n]/)
    expect(job.summary).not.toMatch(/<img|[^\\]\]\(https/)
    expect(job.summary).toContain('&lt;img src=x onerror=alert(1)&gt;')
  })

  it('Cloud Director: a user name from the session cannot start a workflow command, nor put markup in the summary', async () => {
    const token = vcd.addToken({ org: 'System', user: HOSTILE })
    const job = await runJob({ inputs: vcdInputs(token) })
    assertNoLeaks(job, vcd.secrets())
    expect(job.main.exitCode, job.log.join('\n')).toBe(0)
    expect([...job.main.warnings, ...job.main.errors].join('\n')).not.toMatch(/injected/)
    expect(job.main.outputs.subject).toContain('::warning::injected')
    expect(job.main.outputs.subject).not.toMatch(/[\r\n]/)
    expect(job.summary).not.toMatch(/<img|[^\\]\]\(https/)
  })
})

describe('a secret pasted into the wrong input', () => {
  const INPUTS = ['org', 'provider', 'timeout-seconds', 'max-attempts', 'export-env', 'revoke', 'expiry-warning-days', 'env-name']

  for (const input of INPUTS) {
    it(`${input}: the message quotes it whole (masked by the runner) or not at all, never a piece`, async () => {
      // Secrets of the repository that the action does not know as such: another 65-character API
      // token (described by its length) and a 40-character secret (quoted whole).
      const secrets = [csp.addApiToken(), csp.clientSecret]
      for (const secret of secrets) {
        const job = await runJob({ inputs: cspInputs({ [input]: secret }), runnerSecrets: secrets })
        assertNoLeaks(job, [...secrets, ...csp.secrets()])
        // An alphanumeric secret is a valid variable name: the token goes to a variable of that name.
        if (input === 'env-name' && job.main.exitCode === 0) continue
        expect(failureOf(job)).toMatch(new RegExp(`^Input '${input}'`))
      }
      if (input !== 'env-name') expect(csp.requests).toEqual([])
    })
  }
})

describe('the post step and a state it cannot trust', () => {
  async function tampered(change: (state: Record<string, unknown>) => void, env: Record<string, string> = {}) {
    const main = await runJob({ inputs: vcdInputs(vcd.providerToken), post: false })
    expect(main.main.exitCode, main.log.join('\n')).toBe(0)
    const state = JSON.parse(main.main.state.token) as Record<string, unknown>
    change(state)
    vcd.clearRequests()
    const post = await runStep({
      step: 'post',
      inputs: vcdInputs(vcd.providerToken),
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
      inputs: vcdInputs(vcd.providerToken),
      state: { token: `{"accessToken":"${vcd.providerToken}` },
    })
    assertNoLeaks(post, vcd.secrets())
    expect(post.warnings).toEqual([expect.stringMatching(/is not the JSON the main step writes \(\d+ characters\)/)])
    expect(post.log.join('\n')).not.toContain(vcd.providerToken.slice(0, 8))
  })
})
