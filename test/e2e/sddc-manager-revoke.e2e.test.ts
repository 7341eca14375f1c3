/**
 * End to end, SDDC Manager's post step: the refresh token is revoked by its id as a JSON string (the
 * spec, vcf-sdk-go), and sent again bare when that is refused, against both builds the emulator can
 * be (one that parses JSON, one that reads the body raw); a token already gone is success; a failure is
 * a warning; a step that fails after the pair was issued revokes it at once. Every run is leak-scanned.
 */
import { describe, expect, it } from 'vitest'
import { SddcManagerEmulator, type SddcRevokeForm } from './support/sddc-manager-emulator.ts'
import { assertNoLeaks, runJob, runStep, type JobResult } from './support/runner.ts'
import { shareEmulators } from './support/shared-emulators.ts'

let sddc: SddcManagerEmulator

shareEmulators(async () => [(sddc = await new SddcManagerEmulator().start())])

function inputsOf(extra: Record<string, string> = {}): Record<string, string> {
  return {
    provider: 'sddc-manager',
    url: sddc.url,
    username: sddc.username,
    password: sddc.password,
    'ca-certificate': sddc.ca,
    'timeout-seconds': '5',
    'max-attempts': '2',
    ...extra,
  }
}

function job(extra: Record<string, string> = {}, options: { post?: boolean } = {}): Promise<JobResult> {
  return runJob({ inputs: inputsOf(extra), ...options })
}

/** The main step worked; the post step ended green with one line (returned) and no warning. */
function postLine(result: JobResult): string {
  assertNoLeaks(result, sddc.secrets())
  expect(result.main.exitCode, result.log.join('\n')).toBe(0)
  expect(result.post!.exitCode).toBe(0)
  expect(result.post!.errors).toEqual([])
  expect(result.post!.warnings).toEqual([])
  return result.post!.log.join('\n')
}

const revokes = (): [string, number | undefined][] =>
  sddc.requestsTo('revoke').map((request) => [request.body.startsWith('"') ? 'json-string' : 'raw', request.status])

describe('SDDC Manager post step: the body, in either build', () => {
  it.each<[string, SddcRevokeForm[], [string, number][]]>([
    ['both forms (the default)', ['json-string', 'raw'], [['json-string', 204]]],
    ['a JSON string only (the spec)', ['json-string'], [['json-string', 204]]],
    // A build that reads the body raw finds no id "with quotes": 404, then the bare id.
    [
      'the bare id only',
      ['raw'],
      [
        ['json-string', 404],
        ['raw', 204],
      ],
    ],
  ])('a build that takes %s: the refresh token is revoked', async (_name, forms, expected) => {
    sddc.revokeForms = forms
    const result = await job()
    const line = postLine(result)
    const issued = sddc.issued.at(-1)!
    expect(line).toContain(
      `Revoked the SDDC Manager refresh token; the access token cannot be revoked and stays valid until it expires at ${result.main.outputs['expires-at']}.`,
    )
    expect(revokes()).toEqual(expected)
    expect(sddc.refreshTokens.get(issued.refreshTokenId)).toMatchObject({ revoked: true, revokedWith: expected.at(-1)![0] })
    expect(sddc.isAlive(issued.accessToken)).toBe(true)
  })

  it.each<[string, SddcRevokeForm[], [string, number][], string]>([
    // Not found as a JSON string; the bare id refused as malformed by a build that parses JSON.
    [
      'a JSON string only',
      ['json-string'],
      [
        ['json-string', 404],
        ['raw', 400],
      ],
      'HTTP 404 to the id as a JSON string, 400 to the bare id',
    ],
    [
      'the bare id only',
      ['raw'],
      [
        ['json-string', 404],
        ['raw', 404],
      ],
      'HTTP 404 to the id as a JSON string, 404 to the bare id',
    ],
  ])(
    'a refresh token already revoked, in a build that takes %s: already gone, which is success',
    async (_name, forms, expected, answers) => {
      sddc.revokeForms = forms
      const result = await job({}, { post: false })
      // Revoked on the server by the time the post step runs.
      sddc.refreshTokens.get(sddc.issued.at(-1)!.refreshTokenId)!.revoked = true
      result.post = await runStep({ step: 'post', inputs: inputsOf(), state: result.main.state, masks: result.main.masks })
      const line = postLine(result)
      expect(line).toContain(`The SDDC Manager refresh token was already gone (${answers}): nothing left to revoke;`)
      expect(revokes()).toEqual(expected)
    },
  )

  it('a build that wants the access token on the revocation gets it', async () => {
    sddc.revokeNeedsBearer = true
    const line = postLine(await job())
    const issued = sddc.issued.at(-1)!
    expect(line).toContain('Revoked the SDDC Manager refresh token')
    expect(sddc.requestsTo('revoke').map((request) => [request.headers.authorization, request.status])).toEqual([
      [`Bearer ${issued.accessToken}`, 204],
    ])
  })

  it('revoke: false keeps the refresh token alive and says until when the access token lives', async () => {
    const line = postLine(await job({ revoke: 'false' }))
    expect(line).toMatch(/^Not revoking: revoke is false\. The access token stays valid until it expires at /m)
    expect(sddc.requestsTo('revoke')).toEqual([])
    expect(sddc.refreshTokens.get(sddc.issued.at(-1)!.refreshTokenId)?.revoked).toBe(false)
  })
})

describe('SDDC Manager post step: failures are warnings', () => {
  it('HTTP 500 on every try: a warning that says until when the access token lives; the job stays green', async () => {
    const fault = sddc.fault('revoke', { times: Number.POSITIVE_INFINITY, status: 500 })
    const result = await job()
    assertNoLeaks(result, sddc.secrets())
    expect(result.main.exitCode).toBe(0)
    expect(result.post!.exitCode).toBe(0)
    expect(result.post!.errors).toEqual([])
    expect(fault.hits).toBe(2)
    expect(revokes()).toEqual([
      ['json-string', 500],
      ['json-string', 500],
    ])
    expect(result.post!.warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          '^Could not revoke: SDDC Manager refresh token revocation failed: HTTP 500 Internal Server Error.* \\(2 tries\\)\\. ' +
            `SDDC Manager is busy or unavailable; try again later, or raise max-attempts / timeout-seconds\\. The access token stays valid until it expires at ${result.main.outputs['expires-at']}\\.$`,
        ),
      ),
    ])
    expect(sddc.refreshTokens.get(sddc.issued.at(-1)!.refreshTokenId)?.revoked).toBe(false)
  })

  it("SDDC Manager's own words in the warning: quoted, redacted, and no workflow command", async () => {
    sddc.fault('revoke', {
      status: 403,
      body: { errorCode: 'FORBIDDEN', message: 'Not yours ##[set-output name=refresh-token;]junk', remediationMessage: 'Ask an ADMIN.' },
      times: Number.POSITIVE_INFINITY,
    })
    const result = await job()
    assertNoLeaks(result, sddc.secrets())
    expect(result.post!.succeeded).toBe(true)
    expect(result.post!.commands.filter((command) => command.form === 'legacy')).toEqual([])
    expect(result.post!.warnings).toEqual([
      expect.stringContaining('HTTP 403 Forbidden: Not yours # #[set-output name=refresh-token;]junk Ask an ADMIN. (1 try).'),
    ])
  })

  it('both forms refused as malformed: a warning naming both, nothing else sent', async () => {
    sddc.fault('revoke', { times: 2, status: 400 })
    const result = await job()
    assertNoLeaks(result, sddc.secrets())
    expect(result.post!.exitCode).toBe(0)
    expect(revokes()).toEqual([
      ['json-string', 400],
      ['raw', 400],
    ])
    expect(result.post!.warnings[0]).toMatch(
      /HTTP 400 Bad Request.*\(1 try\)\. SDDC Manager refused the refresh token id both as a JSON string and bare\. The access token stays valid until/,
    )
  })

  it('an access token that is already expired when issued fails the main step, which revokes the new refresh token at once', async () => {
    sddc.accessTokenLifetime = -60
    const result = await job({ 'max-attempts': '3' })
    assertNoLeaks(result, sddc.secrets())
    expect(result.main.exitCode).toBe(1)
    expect(result.main.errors[0]).toMatch(/^The access token SDDC Manager issued expired at .* \(its exp claim\), by this runner's clock\./)
    const issued = sddc.issued.at(-1)!
    expect(sddc.refreshTokens.get(issued.refreshTokenId)).toMatchObject({ revoked: true, revokedWith: 'json-string' })
    expect(revokes()).toEqual([['json-string', 204]])
    expect(result.post!.log.join('\n')).toContain('The main step issued no access token: nothing to revoke.')
  })
})
