import { describe, expect, it } from 'vitest'
import { basicAuthorization } from '../../src/http/headers.ts'
import { Secrets } from '../../src/secrets.ts'
import { secretToken } from './helpers.ts'

describe('basicAuthorization', () => {
  it('encodes user:password as UTF-8 base64 (RFC 7617) and masks the encoded value first', () => {
    const masked: string[] = []
    const secrets = new Secrets((value) => masked.push(value))
    const password = `${secretToken(16)}é`
    const header = basicAuthorization('administrator@vsphere.local', password, secrets)
    const encoded = Buffer.from(`administrator@vsphere.local:${password}`, 'utf8').toString('base64')
    expect(header).toBe(`Basic ${encoded}`)
    expect(masked).toEqual([encoded])
    expect(secrets.redact(`sent ${header}`)).toBe('sent Basic ***')
  })
})
