/**
 * SDDC Manager's revocation of the refresh token: the JSON string, then the bare id; what counts as
 * revoked, already gone or failed; and the main and post steps around it (what is kept, what is
 * masked, what the post step says of the access token it cannot revoke).
 */
import { randomUUID } from 'node:crypto'
import nock from 'nock'
import { describe, expect, it } from 'vitest'
import { UntrustedStateError } from '../../src/errors.ts'
import { run as main } from '../../src/main.ts'
import { run as post } from '../../src/post.ts'
import { STATE_KEY } from '../../src/post-state.ts'
import { sddcManager } from '../../src/providers/sddc-manager.ts'
import { expectMaskedBeforeUse, fakeCore } from './fake-core.ts'
import { jwt, recorder, rejectionOf, secretToken, type Seen } from './helpers.ts'
import { revokeContext as kitRevokeContext } from './provider-kit.ts'

const SDDC = 'https://sddc-manager.example.com'
const REVOKE = '/v1/tokens/refresh-token'
const EXPIRES_AT = '2030-01-01T13:00:00.000Z'
const LIVES = `the access token cannot be revoked and stays valid until it expires at ${EXPIRES_AT}.`

/** The kit's revoke context for a new refresh token id, with the access token's expiry the post step knows. */
function revokeContext(data: Record<string, string> = { refreshTokenId: randomUUID() }, maxAttempts = 2) {
  const { context, masked } = kitRevokeContext(SDDC, data, maxAttempts)
  return { context: { ...context, expiresAt: EXPIRES_AT }, masked, id: data.refreshTokenId }
}

/** Answers the revocation by the form of its body: the id as a JSON string, or bare. */
function revokeServer(answer: { json: number; bare?: number; body?: Record<string, unknown> }, seen: Seen[] = []): Seen[] {
  nock(SDDC)
    .persist()
    .delete(REVOKE)
    .reply(recorder(seen, (request) => [request.body.startsWith('"') ? answer.json : (answer.bare ?? 599), answer.body ?? '']))
  return seen
}

const revoke = sddcManager.revoke!

describe('sddc-manager: revoke', () => {
  it('sends the id as a JSON string with the access token; 204 is revoked, and says until when the access token lives', async () => {
    const { context, masked, id } = revokeContext()
    const seen = revokeServer({ json: 204 })
    expect(await revoke(context)).toBe(`Revoked the SDDC Manager refresh token; ${LIVES}`)
    expect(seen).toHaveLength(1)
    expect(seen[0].url.href).toBe(`${SDDC}${REVOKE}`)
    expect(seen[0].body).toBe(`"${id}"`)
    expect(seen[0].headers).toMatchObject({
      'content-type': 'application/json',
      accept: 'application/json',
      authorization: `Bearer ${context.accessToken}`,
    })
    // The id is a secret: masked before it is sent.
    expect(masked).toEqual([id])
  })

  it('says so when the access token has no known expiry', async () => {
    const { context } = revokeContext()
    revokeServer({ json: 200 })
    expect(await revoke({ ...context, expiresAt: undefined })).toBe(
      'Revoked the SDDC Manager refresh token; the access token cannot be revoked and stays valid until the server ends it (it has no fixed lifetime).',
    )
  })

  it.each([
    [404, 'a build that reads the body raw finds no id with quotes'],
    [400, 'a build that refuses a JSON string'],
  ])('a JSON string refused with %i (%s) is sent again bare: 204 is revoked', async (status) => {
    const { context, id } = revokeContext()
    const seen = revokeServer({ json: status, bare: 204 })
    expect(await revoke(context)).toBe(`Revoked the SDDC Manager refresh token; ${LIVES}`)
    expect(seen.map((request) => [request.body, request.headers.authorization])).toEqual([
      [`"${id}"`, `Bearer ${context.accessToken}`],
      [id, `Bearer ${context.accessToken}`],
    ])
  })

  it.each([
    [404, 404, 'HTTP 404 to the id as a JSON string, 404 to the bare id'],
    // A build that parses JSON: not found, and the bare id refused as malformed.
    [404, 400, 'HTTP 404 to the id as a JSON string, 400 to the bare id'],
    // A build that reads the body raw (and checks its form): the quoted id malformed, the bare one not found.
    [400, 404, 'HTTP 400 to the id as a JSON string, 404 to the bare id'],
    [404, 401, 'HTTP 404 to the id as a JSON string, 401 to the bare id'],
    [401, undefined, 'HTTP 401'],
  ])('JSON string %i, bare id %s: already gone, which is success', async (json, bare, answers) => {
    const { context } = revokeContext()
    const seen = revokeServer({ json, bare, body: { errorCode: 'NOT_FOUND', message: 'Refresh token not found.' } })
    expect(await revoke(context)).toBe(`The SDDC Manager refresh token was already gone (${answers}): nothing left to revoke; ${LIVES}`)
    expect(seen).toHaveLength(bare === undefined ? 1 : 2)
  })

  it('both forms refused as malformed: a failure quoting the message, which the post step turns into a warning', async () => {
    const { context } = revokeContext()
    revokeServer({ json: 400, bare: 400, body: { message: 'Malformed request.', remediationMessage: 'Send a valid id.' } })
    const error = await rejectionOf(revoke(context))
    expect(error.message).toBe(
      'SDDC Manager refresh token revocation failed: HTTP 400 Bad Request: Malformed request. Send a valid id. (1 try). ' +
        'SDDC Manager refused the refresh token id both as a JSON string and bare.',
    )
  })

  it.each([
    [403, 1, /HTTP 403 Forbidden: Not allowed\. \(1 try\)\.$/],
    [500, 2, /HTTP 500 Internal Server Error: Not allowed\. \(2 tries\)\. SDDC Manager is busy or unavailable/],
  ])('HTTP %i: a failure after %i tries, never sent bare', async (status, tries, message) => {
    const { context } = revokeContext()
    const seen = revokeServer({ json: status, body: { message: 'Not allowed.' } })
    expect((await rejectionOf(revoke(context))).message).toMatch(message)
    expect(seen.map((request) => request.body.startsWith('"'))).toEqual(Array(tries).fill(true))
  })

  it('redacts the id when the server echoes it', async () => {
    const id = secretToken(36)
    const { context } = revokeContext({ refreshTokenId: id })
    revokeServer({ json: 403, body: { message: `Refresh token ${id} belongs to another user.` } })
    const error = await rejectionOf(revoke(context))
    expect(context.secrets.redact(error.message)).toContain('Refresh token *** belongs to another user.')
  })

  it.each([
    ['no id', {}],
    ['an id with a quote', { refreshTokenId: 'abc"def-ghi' }],
    ['an id with a space', { refreshTokenId: 'abcdefgh ijk' }],
    ['an id too short', { refreshTokenId: 'abc' }],
  ])('saved data with %s: UntrustedStateError, nothing sent', async (_name, data) => {
    const { context, masked } = revokeContext(data as Record<string, string>)
    const seen = revokeServer({ json: 204 })
    expect(await rejectionOf(revoke(context))).toBeInstanceOf(UntrustedStateError)
    expect(seen).toEqual([])
    expect(masked).toEqual([])
  })
})

describe('sddc-manager: main and post steps', () => {
  const inputs = (extra: Record<string, string> = {}) => ({
    provider: 'sddc-manager',
    url: SDDC,
    username: 'svc-ci@vsphere.local',
    password: secretToken(20),
    'max-attempts': '1',
    ...extra,
  })

  function tokenServer(accessToken: string, id: string): void {
    nock(SDDC).post('/v1/tokens').reply(201, { accessToken, refreshToken: { id } })
  }

  it('keeps the refresh token id only in the state, masked first; the post step revokes it and says until when the access token lives', async () => {
    const now = Math.floor(Date.now() / 1000)
    const accessToken = jwt({ sub: 'svc-ci@vsphere.local', iat: now, exp: now + 3600 })
    const id = randomUUID()
    const core = fakeCore({ inputs: inputs() })
    tokenServer(accessToken, id)
    await main(core)
    expect(core.messages('setFailed')).toEqual([])
    const outputs = core.outputs()
    expect(outputs).toMatchObject({ 'access-token': accessToken, 'token-type': 'Bearer', subject: 'svc-ci@vsphere.local', org: '' })
    expect(JSON.stringify(outputs)).not.toContain(id)
    expect(JSON.stringify(core.env())).not.toContain(id)
    const state = JSON.parse(core.states()[STATE_KEY]) as { data: Record<string, string>; accessToken: string; expiresAt: string }
    expect(state.data).toEqual({ refreshTokenId: id })
    expect(state.expiresAt).toBe(outputs['expires-at'])
    expect(core.messages('summary')[0]).toContain(
      '| Revoke covers | the refresh token only: the access token cannot be revoked and lives until it expires |',
    )
    expectMaskedBeforeUse(core, [accessToken, id])

    const postCore = fakeCore({ inputs: core.inputs, state: core.states() })
    const seen = revokeServer({ json: 204 })
    await post(postCore)
    expect(seen.map((request) => request.body)).toEqual([`"${id}"`])
    expect(postCore.messages('warning')).toEqual([])
    expect(postCore.messages('info')).toEqual([
      `Revoked the SDDC Manager refresh token; the access token cannot be revoked and stays valid until it expires at ${state.expiresAt}.`,
    ])
    expectMaskedBeforeUse(postCore, [accessToken, id])
  })

  it('a failed revocation is a warning, the id hidden even where the server echoes it, and the job goes on', async () => {
    const id = secretToken(36)
    const state = {
      provider: 'sddc-manager',
      baseUrl: SDDC,
      expiresAt: EXPIRES_AT,
      revoke: true,
      timeoutMs: 2000,
      maxAttempts: 1,
      accessToken: jwt({ sub: 'x' }),
      data: { refreshTokenId: id },
    }
    const postCore = fakeCore({ state: { [STATE_KEY]: JSON.stringify(state) } })
    revokeServer({ json: 403, body: { message: `Refresh token ${id} is not yours.` } })
    await post(postCore, Date.parse('2030-01-01T12:00:00.000Z'))
    expect(postCore.messages('setFailed')).toEqual([])
    expect(postCore.messages('warning')).toEqual([
      'Could not revoke: SDDC Manager refresh token revocation failed: HTTP 403 Forbidden: Refresh token *** is not yours. (1 try). ' +
        `The access token stays valid until it expires at ${EXPIRES_AT}.`,
    ])
    expectMaskedBeforeUse(postCore, [id])
  })

  it('a failure when publishing revokes the refresh token at once, with one try', async () => {
    const accessToken = jwt({ sub: 'svc-ci@vsphere.local', exp: Math.floor(Date.now() / 1000) + 3600 })
    const id = randomUUID()
    const core = fakeCore({ inputs: inputs({ 'max-attempts': '3', 'env-name': 'SDDC_TOKEN' }) })
    core.exportVariable = () => {
      throw new Error('ENOSPC: no space left on device')
    }
    tokenServer(accessToken, id)
    const seen = revokeServer({ json: 503 })
    await main(core)
    expect(core.messages('setFailed')).toEqual(['ENOSPC: no space left on device'])
    expect(seen.map((request) => request.body)).toEqual([`"${id}"`])
    expect(
      core.messages('debug').some((line) => line.includes('ending it failed too: SDDC Manager refresh token revocation failed: HTTP 503')),
    ).toBe(true)
    expect(core.states()).toEqual({})
  })
})
