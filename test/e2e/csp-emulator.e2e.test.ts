/**
 * The CSP emulator (support/csp-emulator.ts) checked on its own: it must behave as its header
 * comment says, or the e2e tests of `provider: csp` would prove nothing.
 */
import { describe, expect, it } from 'vitest'
import { CspEmulator } from './support/csp-emulator.ts'

describe('CSP emulator', () => {
  it('CSP refuses an API token in the query string and flags it', async () => {
    const csp = await new CspEmulator().start()
    try {
      const reply = await csp.request(`/csp/gateway/am/api/auth/api-tokens/authorize?api_token=${csp.apiToken}`, { method: 'POST' })
      expect(reply.status).toBe(400)
      expect(csp.credentialsInUrl).toHaveLength(1)
      const unknown = await csp.request('/csp/gateway/am/api/auth/api-tokens/authorize', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'api_token=abcdefghijklmnopqrstuvwxyz12345',
      })
      expect(unknown.status).toBe(400)
      expect(JSON.parse(unknown.body)).toMatchObject({
        statusCode: 400,
        moduleCode: 513,
        message: 'invalid_grant: Invalid refresh token: xxxxx...12345',
      })
    } finally {
      await csp.close()
    }
  })
})
