/**
 * The registry of providers, checked against what a new provider adds rather than against a list:
 * every provider module of src/providers/ is registered under its name, in the order action.yml
 * names them, and each gives what the input checks and the post step need. What one provider takes
 * (its credentials, its default url) is checked in its own test file.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { DEFAULT_PROVIDER, loadProvider, PROVIDER_NAMES } from '../../src/providers/index.ts'
import type { Provider } from '../../src/providers/types.ts'
import { readActionYml } from '../e2e/support/runner.ts'
import { providerNamed } from './provider-kit.ts'

const SRC = join(import.meta.dirname, '../../src')

/** Every provider the modules of src/providers/ export: an object with a name and an exchange. */
async function exportedProviders(): Promise<Provider[]> {
  const dir = join(SRC, 'providers')
  const modules = await Promise.all(
    readdirSync(dir)
      .filter((name) => name.endsWith('.ts'))
      .map((name) => import(pathToFileURL(join(dir, name)).href) as Promise<Record<string, unknown>>),
  )
  return modules.flatMap((exports) =>
    Object.values(exports).filter(
      (value): value is Provider =>
        typeof value === 'object' &&
        value !== null &&
        typeof (value as Provider).name === 'string' &&
        typeof (value as Provider).exchange === 'function',
    ),
  )
}

describe('providers/index', () => {
  it('registers every provider a module of src/providers/ exports, under its name, and nothing else', async () => {
    const providers = await exportedProviders()
    expect(providers.length).toBeGreaterThanOrEqual(4)
    expect([...PROVIDER_NAMES].sort()).toEqual(providers.map((provider) => provider.name).sort())
    for (const provider of providers) expect(await loadProvider(provider.name), provider.name).toBe(provider)
    for (const name of PROVIDER_NAMES) expect((await loadProvider(name))?.name).toBe(name)
  })

  it('lists the providers in the order the provider input of action.yml names them, its default first', () => {
    const input = readActionYml().inputs.provider
    const named = [...(input.description ?? '').matchAll(/'([a-z][a-z-]*)'/g)].map((match) => match[1])
    expect(named).toEqual(PROVIDER_NAMES)
    expect(input.default).toBe(DEFAULT_PROVIDER)
    expect(PROVIDER_NAMES[0]).toBe(DEFAULT_PROVIDER)
  })

  it('knows no other name, not even an inherited property', async () => {
    for (const name of ['CSP', 'aws', 'toString', 'constructor', '__proto__', '']) expect(await loadProvider(name), name).toBeUndefined()
  })

  it('gives each provider what the input checks need', () => {
    for (const name of PROVIDER_NAMES) {
      const provider = providerNamed(name)
      expect(provider.credentials.length, name).toBeGreaterThan(0)
      expect(() => new URL(provider.exampleUrl)).not.toThrow()
      expect(provider.credentialHelp).not.toBe('')
      expect(provider.title).not.toBe('')
      // Exactly one of the two: revoke, or a sentence saying why not.
      expect(typeof provider.revoke === 'function').not.toBe(typeof provider.cannotRevoke === 'string')
      if (provider.cannotRevoke !== undefined) expect(provider.cannotRevoke, name).toMatch(/\w/)
    }
  })
})

describe('provider-neutral core', () => {
  // Every name users call a provider by (its provider input value and its title come from the
  // registry), and the protocol words only a provider knows: a new provider adds its own here.
  const OTHER_NAMES = [
    'aria',
    'vra',
    'vrealize',
    'cloud director',
    'cloud services',
    'tanzu',
    'tsm',
    'vmc',
    'tmc',
    'wavefront',
    'sddc',
    'cloud foundation',
  ]
  const PROTOCOL_WORDS = [
    'minorErrorCode',
    'context_name',
    '/tenant/',
    '/oauth/',
    'cloudapi',
    'api-tokens',
    'remediationMessage',
    'wcp',
    'cci',
    'vmware-api-session-id',
    'cis/session',
  ]
  const words = [...PROVIDER_NAMES.flatMap((name) => [name, providerNamed(name).title]), ...OTHER_NAMES, ...PROTOCOL_WORDS]
  const PROVIDER_WORDS = new RegExp(`\\b(${words.map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})\\b`, 'i')

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
    for (const name of PROVIDER_NAMES) expect(PROVIDER_WORDS.test(`if (provider === '${name}')`), name).toBe(true)
  })
})
