/** The Cloud Director post step: logging the session out, and what it says when it cannot. */
import { describe, expect, it } from 'vitest'
import { UntrustedStateError } from '../../src/errors.ts'
import { readCloudDirectorError } from '../../src/providers/cloud-director-api.ts'
import { vcd } from '../../src/providers/vcd.ts'
import { LEGACY_SESSION_PATH, onLogout } from './cloud-director-kit.ts'
import { rejectionOf } from './helpers.ts'
import { revokeContext } from './provider-kit.ts'

const VCD = 'https://vcd.example.com'

describe('vcd: revoke', () => {
  const revoke = vcd.revoke!

  it('logs out with DELETE sessions/current and the access token', async () => {
    const { context } = revokeContext(VCD, { apiVersion: '38.1' })
    const seen = onLogout(VCD, [204])
    expect(await revoke(context)).toBe('Logged out of Cloud Director: the access token is revoked.')
    expect(seen).toHaveLength(1)
    expect(seen[0].headers).toMatchObject({ accept: 'application/json;version=38.1', authorization: `Bearer ${context.accessToken}` })
  })

  it('logs out without a version when none is known', async () => {
    const { context } = revokeContext(VCD, {})
    const seen = onLogout(VCD, [200, {}])
    await revoke(context)
    expect(seen[0].headers.accept).toMatch(/^application\/json(;version=(3[6-9]|[4-9]\d)\.\d+)?$/)
  })

  it('uses the legacy DELETE /api/session below API 36', async () => {
    const { context } = revokeContext(VCD, { apiVersion: '35.2' })
    const seen = onLogout(VCD, [204], { path: LEGACY_SESSION_PATH })
    expect(await revoke(context)).toContain('Logged out')
    expect(seen[0].headers).toMatchObject({ accept: 'application/*+xml;version=35.2', authorization: `Bearer ${context.accessToken}` })
  })

  it.each([401, 404])('takes HTTP %i as a session already gone', async (status) => {
    const { context } = revokeContext(VCD, { apiVersion: '38.1' })
    onLogout(VCD, [status, { message: 'gone' }])
    expect(await revoke(context)).toBe(`The Cloud Director session was already gone (HTTP ${status}): nothing left to revoke.`)
  })

  it('throws on HTTP 500 after every try (the post step adds until when the token stays valid)', async () => {
    const { context, sleeps } = revokeContext(VCD, {}, 2)
    const seen = onLogout(VCD, [500, { message: 'internal error' }], { times: 2 })
    const error = await rejectionOf(revoke(context))
    expect(seen).toHaveLength(2)
    expect(sleeps).toHaveLength(1)
    // rejection() adds the busy advice to every failed answer of a busy or failing provider.
    expect(error.message).toBe(
      'Cloud Director logout failed: HTTP 500 Internal Server Error: internal error (2 tries). ' +
        'Cloud Director is busy or unavailable; try again later, or raise max-attempts / timeout-seconds.',
    )
  })

  it.each(['38.1; rm -rf', '', '1', 'x.y'])(
    'refuses saved data whose API version %j is not a version, sending nothing',
    async (apiVersion) => {
      const { context } = revokeContext(VCD, { apiVersion })
      const seen = onLogout(VCD, [204])
      if (apiVersion === '') return expect(await revoke(context)).toContain('Logged out')
      expect(await rejectionOf(revoke(context))).toBeInstanceOf(UntrustedStateError)
      expect(seen).toEqual([])
    },
  )
})

describe('readCloudDirectorError', () => {
  it('reads the JSON and the XML error bodies, entities decoded', () => {
    expect(readCloudDirectorError(JSON.stringify({ minorErrorCode: 'invalid_grant', message: 'Invalid refresh token' }))).toBe(
      'invalid_grant: Invalid refresh token',
    )
    expect(readCloudDirectorError(JSON.stringify({ minorErrorCode: 'same', message: 'same' }))).toBe('same')
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error xmlns="http://www.vmware.com/vcloud/v1.5" stackTrace="..." ' +
      'message="[ 1a2b ] Org &quot;acme&quot; &amp; friends &lt;none&gt;" majorErrorCode="403" minorErrorCode="ACCESS_TO_RESOURCE_IS_FORBIDDEN"/>'
    expect(readCloudDirectorError(xml)).toBe('[ 1a2b ] Org "acme" & friends <none>')
    expect(readCloudDirectorError('{"error":"x"}')).toBeUndefined()
    expect(readCloudDirectorError('<html>')).toBeUndefined()
  })
})
