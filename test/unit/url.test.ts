/** The url rules every provider's address goes through: where a token may be sent, and where its own paths start. */
import { describe, expect, it } from 'vitest'
import { isLoopback, splitAtMarker, unsafeUrlReason } from '../../src/url.ts'

describe('url helpers', () => {
  const split = (url: string, markers: string[]) => splitAtMarker(new URL(url), (segment) => markers.includes(segment))

  it('splitAtMarker cuts at the first marker segment, compared in lower case', () => {
    expect(split('https://h.example/a/b/api/versions', ['api'])).toEqual({ root: 'https://h.example/a/b', rest: ['api', 'versions'] })
    expect(split('https://h.example/a/API/x', ['api'])).toEqual({ root: 'https://h.example/a', rest: ['API', 'x'] })
    expect(split('https://h.example/tenant/acme/api', ['api', 'tenant'])).toEqual({
      root: 'https://h.example',
      rest: ['tenant', 'acme', 'api'],
    })
  })

  it('splitAtMarker keeps a path without a marker, without empty segments or a trailing slash', () => {
    expect(split('https://h.example//a//b/', ['api'])).toEqual({ root: 'https://h.example/a/b', rest: [] })
    expect(split('https://h.example:8443', ['api'])).toEqual({ root: 'https://h.example:8443', rest: [] })
    expect(split('https://api.example.com/apis/apix', ['api'])).toEqual({ root: 'https://api.example.com/apis/apix', rest: [] })
  })

  it('unsafeUrlReason: https, or http to loopback, without a user part or a query', () => {
    for (const url of ['https://h.example', 'https://h.example:8443/p', 'http://127.0.0.1:1', 'http://localhost', 'http://[::1]:8080']) {
      expect(unsafeUrlReason(new URL(url)), url).toBeUndefined()
    }
    expect(unsafeUrlReason(new URL('http://h.example'))).toMatch(/not loopback/)
    expect(unsafeUrlReason(new URL('ftp://h.example'))).toMatch(/ftp:/)
    expect(unsafeUrlReason(new URL('https://u:p@h.example'))).toMatch(/user name or password/)
    expect(unsafeUrlReason(new URL('https://h.example/?t=1'))).toMatch(/query/)
  })

  it('isLoopback', () => {
    for (const host of ['localhost', 'LOCALHOST', '127.0.0.1', '127.255.255.254', '[::1]', '::1']) expect(isLoopback(host), host).toBe(true)
    for (const host of ['128.0.0.1', '126.0.0.1', '0.0.0.0', '::2', '[::]', 'example.com', 'localhost.example.com', '127.0.0.1.nip.io']) {
      expect(isLoopback(host), host).toBe(false)
    }
  })
})
