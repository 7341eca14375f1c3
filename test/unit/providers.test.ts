import { describe, expect, it } from 'vitest'
import { csp } from '../../src/providers/csp.ts'
import { isProviderName, PROVIDER_NAMES, providerFor } from '../../src/providers/index.ts'
import { vcd } from '../../src/providers/vcd.ts'
import { isLoopback, splitAtMarker } from '../../src/url.ts'

describe('providers/index', () => {
  it('lists every provider by the value of the provider input', () => {
    expect(PROVIDER_NAMES).toEqual(['csp', 'vcd'])
    expect(providerFor('csp')).toBe(csp)
    expect(providerFor('vcd')).toBe(vcd)
    for (const name of PROVIDER_NAMES) expect(providerFor(name).name).toBe(name)
  })

  it('knows no other name, not even an inherited property', () => {
    for (const name of ['CSP', 'aws', 'toString', 'constructor', '__proto__', '']) expect(isProviderName(name), name).toBe(false)
    expect(() => providerFor('toString')).toThrow("no provider named 'toString'")
    expect(() => providerFor('x'.repeat(100))).toThrow(`no provider named '${'x'.repeat(40)}'`)
  })

  it('gives each provider what the input checks need', () => {
    expect(csp).toMatchObject({ acceptsOAuthApp: true, defaultUrl: 'https://console.cloud.vmware.com', revocable: false })
    expect(vcd).toMatchObject({ acceptsOAuthApp: false, revocable: true })
    expect(vcd.defaultUrl).toBeUndefined()
    for (const provider of [csp, vcd]) {
      expect(() => new URL(provider.exampleUrl)).not.toThrow()
      expect(provider.credentialHelp).not.toBe('')
    }
  })
})

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

  it('isLoopback', () => {
    for (const host of ['localhost', 'LOCALHOST', '127.0.0.1', '127.255.255.254', '[::1]', '::1']) expect(isLoopback(host), host).toBe(true)
    for (const host of ['128.0.0.1', '126.0.0.1', '0.0.0.0', '::2', '[::]', 'example.com', 'localhost.example.com', '127.0.0.1.nip.io']) {
      expect(isLoopback(host), host).toBe(false)
    }
  })
})
