import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ariaAutomation } from '../../src/providers/aria-automation.ts'
import { ariaOperations } from '../../src/providers/aria-operations.ts'
import { csp } from '../../src/providers/csp.ts'
import { findProvider, PROVIDER_NAMES } from '../../src/providers/index.ts'
import { vcd } from '../../src/providers/vcd.ts'
import { vcfa } from '../../src/providers/vcfa.ts'
import { isLoopback, splitAtMarker, unsafeUrlReason } from '../../src/url.ts'

const SRC = join(import.meta.dirname, '../../src')

describe('providers/index', () => {
  it('lists every provider by the value of the provider input', () => {
    expect(PROVIDER_NAMES).toEqual(['csp', 'vcd', 'vcfa', 'aria-automation', 'aria-operations'])
    expect(findProvider('aria-operations')).toBe(ariaOperations)
    expect(findProvider('vcfa')).toBe(vcfa)
    expect(findProvider('aria-automation')).toBe(ariaAutomation)
    expect(findProvider('csp')).toBe(csp)
    expect(findProvider('vcd')).toBe(vcd)
    expect(findProvider('vcfa')).toBe(vcfa)
    for (const name of PROVIDER_NAMES) expect(findProvider(name)?.name).toBe(name)
  })

  it('knows no other name, not even an inherited property', () => {
    for (const name of ['CSP', 'aws', 'toString', 'constructor', '__proto__', '']) expect(findProvider(name), name).toBeUndefined()
  })

  it('gives each provider what the input checks need', () => {
    expect(csp).toMatchObject({ credentials: ['api-token', 'oauth-app'], defaultUrl: 'https://console.cloud.vmware.com' })
    expect(csp.revoke).toBeUndefined()
    expect(csp.cannotRevoke).toMatch(/\w/)
    expect(vcd).toMatchObject({ credentials: ['api-token'] })
    expect(vcd.revoke).toBeTypeOf('function')
    expect(vcd.defaultUrl).toBeUndefined()
    expect(vcfa).toMatchObject({ credentials: ['api-token'] })
    expect(vcfa.revoke).toBeTypeOf('function')
    expect(vcfa.defaultUrl).toBeUndefined()
    expect(ariaAutomation).toMatchObject({ credentials: ['api-token', 'password'], cannotRevoke: expect.stringMatching(/\w/) })
    expect(ariaOperations).toMatchObject({ credentials: ['password'] })
    expect(ariaOperations.revoke).toBeTypeOf('function')
    expect(ariaOperations.defaultUrl).toBeUndefined()
    for (const name of PROVIDER_NAMES) {
      const provider = findProvider(name)!
      expect(() => new URL(provider.exampleUrl)).not.toThrow()
      expect(provider.credentialHelp).not.toBe('')
      expect(provider.title).not.toBe('')
      // Exactly one of the two: revoke, or a sentence saying why not.
      expect(typeof provider.revoke === 'function').not.toBe(typeof provider.cannotRevoke === 'string')
    }
  })
})

describe('provider-neutral core', () => {
  // Every name users call a provider by, and the protocol words only a provider knows.
  const PROVIDER_WORDS =
    /\b(csp|vcd|vcfa|aria|vra|vrealize|cloud director|cloud services|tanzu|tsm|vmc|tmc|wavefront|minorErrorCode|context_name|\/tenant\/|\/oauth\/|cloudapi|api-tokens)\b/i

  function sourceFiles(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) return entry.name === 'providers' ? [] : sourceFiles(path)
      return entry.name.endsWith('.ts') ? [path] : []
    })
  }

  it('no module outside src/providers/ names a provider or its protocol', () => {
    const files = sourceFiles(SRC)
    expect(files.length).toBeGreaterThan(10)
    const offending = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, index) => ({ line, index }))
        .filter(({ line }) => PROVIDER_WORDS.test(line))
        .map(({ line, index }) => `${relative(SRC, file)}:${index + 1}: ${line.trim()}`),
    )
    expect(offending).toEqual([])
  })

  it('src/ has no import cycle: the configuration and parse helpers sit below the providers', () => {
    const imports = new Map<string, string[]>()
    const all = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? all(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
      )
    for (const file of all(SRC)) {
      const targets = [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^'"]*from '(\.{1,2}\/[^']+)\.js'/gm)].map((match) =>
        join(dirname(file), `${match[1]}.ts`),
      )
      imports.set(file, targets)
    }
    const cycles: string[] = []
    const visit = (file: string, path: string[]): void => {
      if (path.includes(file)) return void cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(SRC, f)).join(' -> '))
      for (const target of imports.get(file) ?? []) visit(target, [...path, file])
    }
    for (const file of imports.keys()) visit(file, [])
    expect(imports.size).toBeGreaterThan(10)
    expect([...new Set(cycles)]).toEqual([])
  })

  it('the check would see a provider word', () => {
    expect(PROVIDER_WORDS.test("throw new Error('Cloud Director refused')")).toBe(true)
    expect(PROVIDER_WORDS.test('const path = `/oauth/tenant/x`')).toBe(true)
    expect(PROVIDER_WORDS.test('the provider refused the token')).toBe(false)
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
