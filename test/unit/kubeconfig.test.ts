/**
 * The kubeconfig writer: every value quoted so that no name can add a key (read back with a real
 * YAML parser), the private CA embedded, the file created exclusively with mode 0600, and the post
 * step's deletion, which takes nothing from a tampered state.
 */
import * as crypto from 'node:crypto'
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { parse } from 'yaml'
import { deleteKubeconfig, KUBECONFIG_STATE, publishKubeconfig, renderKubeconfig, writeKubeconfig } from '../../src/kubeconfig.ts'
import type { KubeconfigSpec } from '../../src/providers/types.ts'
import { fakeCore } from './fake-core.ts'
import { secretToken, testCaPem } from './helpers.ts'

// Lets a test choose the next file name, to find out what meets a file that is already there.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>()
  return { ...actual, randomBytes: vi.fn(actual.randomBytes) }
})

const POSIX = process.platform !== 'win32'
let dir: string

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vmw-kubeconfig-unit-'))
})
afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
  vi.unstubAllEnvs()
})

function spec(overrides: Partial<KubeconfigSpec> = {}): KubeconfigSpec {
  return {
    clusters: [{ name: 'acme:vcfa.example.com', server: 'https://vcfa.example.com/cci/kubernetes' }],
    user: 'acme:ops@vcfa.example.com',
    contexts: [{ name: 'acme', cluster: 'acme:vcfa.example.com', user: 'acme:ops@vcfa.example.com' }],
    currentContext: 'acme',
    ...overrides,
  }
}

function logger() {
  const lines: string[] = []
  return {
    lines,
    log: {
      info: (message: string) => lines.push(`info: ${message}`),
      warning: (message: string) => lines.push(`warning: ${message}`),
      debug: (message: string) => lines.push(`debug: ${message}`),
    },
  }
}

describe('renderKubeconfig', () => {
  it('writes the clusters, the one user with the token, the contexts and the current one; no CA: system trust', () => {
    const token = secretToken(64)
    const text = renderKubeconfig(
      spec({
        clusters: [...spec().clusters, { name: 'acme:ns@host', server: 'https://ns.example.com:6443' }],
        contexts: [...spec().contexts, { name: 'acme:ns:p', cluster: 'acme:ns@host', user: 'acme:ops@vcfa.example.com', namespace: 'ns' }],
        currentContext: 'acme:ns:p',
      }),
      token,
      [],
    )
    expect(parse(text)).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'acme:vcfa.example.com', cluster: { server: 'https://vcfa.example.com/cci/kubernetes' } },
        { name: 'acme:ns@host', cluster: { server: 'https://ns.example.com:6443' } },
      ],
      users: [{ name: 'acme:ops@vcfa.example.com', user: { token } }],
      contexts: [
        { name: 'acme', context: { cluster: 'acme:vcfa.example.com', user: 'acme:ops@vcfa.example.com' } },
        { name: 'acme:ns:p', context: { cluster: 'acme:ns@host', user: 'acme:ops@vcfa.example.com', namespace: 'ns' } },
      ],
      'current-context': 'acme:ns:p',
    })
    expect(text).not.toMatch(/insecure/)
    expect(text.split(token)).toHaveLength(2)
  })

  it('embeds the ca-certificate PEMs in every cluster as certificate-authority-data', () => {
    const ca = testCaPem()
    const config = parse(
      renderKubeconfig(spec({ clusters: [...spec().clusters, { name: 'b', server: 'https://b.example.com' }] }), 'token-1234', [ca, ca]),
    )
    for (const cluster of config.clusters) {
      expect(Buffer.from(cluster.cluster['certificate-authority-data'], 'base64').toString()).toBe(ca + ca)
      expect(cluster.cluster['insecure-skip-tls-verify']).toBeUndefined()
    }
  })

  // Names come from providers (org, user, namespace, endpoint): none may end its scalar or the line.
  it.each([
    ['a quote and a new key', 'x"\nuser:\n  token: "stolen'],
    ['a line break and indentation', 'x\n    insecure-skip-tls-verify: true'],
    ['a carriage return', 'x\rinsecure-skip-tls-verify: true'],
    ['YAML syntax', "- &a *a !!binary '{[#%@`|>"],
    ['a backslash escape written out', '\\n\\u0022\\'],
    ['Unicode line and paragraph separators, NEL', 'a\u2028b\u2029c\u0085d'],
    ['a byte-order mark, DEL, C1 controls and non-characters', '\ufeffa\u007fb\u0090c\ufffe\uffff'],
    ['a tab and NUL', 'a\tb\u0000c'],
    ['letters of other scripts and an emoji', 'Zürich-東京-😀'],
    ['a long name', 'n'.repeat(10_000)],
  ])('%s stays one value of its own key', (_name, hostile) => {
    const token = secretToken(64)
    const text = renderKubeconfig(
      {
        clusters: [{ name: hostile, server: hostile }],
        user: hostile,
        contexts: [{ name: hostile, cluster: hostile, user: hostile, namespace: hostile }],
        currentContext: hostile,
      },
      token,
      [],
    )
    // 17 lines and the end, counting every character YAML may read as a line break.
    expect(text.split(/\r\n|[\n\r\u0085\u2028\u2029]/)).toHaveLength(18)
    expect(parse(text)).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: hostile, cluster: { server: hostile } }],
      users: [{ name: hostile, user: { token } }],
      contexts: [{ name: hostile, context: { cluster: hostile, user: hostile, namespace: hostile } }],
      'current-context': hostile,
    })
  })

  it('a lone surrogate, which no YAML escape can carry, becomes U+FFFD rather than an unreadable file', () => {
    expect(parse(renderKubeconfig(spec({ currentContext: 'a\ud800b' }), 'token-1234', []))['current-context']).toBe('a\ufffdb')
  })
})

describe('writeKubeconfig', () => {
  it('creates a new file named vmw-kubeconfig-<random>.yaml in the directory, mode 0600, and saves its path', () => {
    const core = fakeCore()
    const first = writeKubeconfig(core, 'one', dir)
    const second = writeKubeconfig(core, 'two', dir)
    expect(first).toMatch(/vmw-kubeconfig-[0-9a-f]{32}\.yaml$/)
    expect(first.startsWith(join(dir, 'vmw-kubeconfig-'))).toBe(true)
    expect(second).not.toBe(first)
    expect(readFileSync(first, 'utf8')).toBe('one')
    if (POSIX) expect(statSync(first).mode & 0o777).toBe(0o600)
    expect(core.commands.filter((command) => command.kind === 'saveState')).toEqual([
      { kind: 'saveState', name: KUBECONFIG_STATE, value: first },
      { kind: 'saveState', name: KUBECONFIG_STATE, value: second },
    ])
  })

  it('goes in RUNNER_TEMP by default', () => {
    vi.stubEnv('RUNNER_TEMP', dir)
    expect(writeKubeconfig(fakeCore(), 'x').startsWith(join(dir, 'vmw-kubeconfig-'))).toBe(true)
  })

  it.skipIf(!POSIX)('mode 0600 whatever the umask allows', () => {
    const previous = process.umask(0)
    try {
      expect(statSync(writeKubeconfig(fakeCore(), 'x', dir)).mode & 0o777).toBe(0o600)
    } finally {
      process.umask(previous)
    }
  })

  it.each([
    ['a file', (path: string) => writeFileSync(path, 'someone else')],
    ['a link', (path: string) => symlinkSync(join(dir, 'target'), path)],
  ])('never writes through %s already at its path, and leaves it alone', (_what, plant) => {
    writeFileSync(join(dir, 'target'), 'target')
    const bytes = Buffer.alloc(16, 0xab)
    vi.mocked(crypto.randomBytes).mockImplementationOnce((() => bytes) as never)
    const path = join(dir, `vmw-kubeconfig-${bytes.toString('hex')}.yaml`)
    plant(path)
    const core = fakeCore()
    expect(() => writeKubeconfig(core, 'token', dir)).toThrow(/^Could not write the kubeconfig: EEXIST/)
    expect(existsSync(path) || lstatSync(path).isSymbolicLink()).toBe(true)
    expect(readFileSync(join(dir, 'target'), 'utf8')).toBe('target')
    expect(core.states()).toEqual({})
  })

  it('a directory that is not there: an error, and no state', () => {
    const core = fakeCore()
    expect(() => writeKubeconfig(core, 'x', join(dir, 'missing'))).toThrow(/^Could not write the kubeconfig: ENOENT/)
    expect(core.states()).toEqual({})
  })
})

describe('publishKubeconfig', () => {
  it('sets the kubeconfig output, and KUBECONFIG only with export-env', () => {
    const exported = fakeCore()
    publishKubeconfig(exported, true, '/tmp/k.yaml')
    expect(exported.outputs()).toEqual({ kubeconfig: '/tmp/k.yaml' })
    expect(exported.env()).toEqual({ KUBECONFIG: '/tmp/k.yaml' })
    const quiet = fakeCore()
    publishKubeconfig(quiet, false, '/tmp/k.yaml')
    expect(quiet.outputs()).toEqual({ kubeconfig: '/tmp/k.yaml' })
    expect(quiet.env()).toEqual({})
  })
})

describe('deleteKubeconfig', () => {
  it('deletes the file the main step wrote and says so; a second time, that it was already gone', () => {
    const path = writeKubeconfig(fakeCore(), 'x', dir)
    const { lines, log } = logger()
    deleteKubeconfig(path, log, dir)
    expect(existsSync(path)).toBe(false)
    deleteKubeconfig(path, log, dir)
    expect(lines).toEqual([`info: Deleted the kubeconfig ${path}.`, `info: The kubeconfig ${path} was already gone.`])
  })

  it('does nothing without a saved path', () => {
    const { lines, log } = logger()
    deleteKubeconfig('', log, dir)
    expect(lines).toEqual([])
  })

  it.each([
    ['a file outside RUNNER_TEMP', () => join(dir, 'outside', 'vmw-kubeconfig-' + 'a'.repeat(32) + '.yaml')],
    ['a way out of RUNNER_TEMP', () => join(dir, 'temp', '..', 'outside', 'vmw-kubeconfig-' + 'a'.repeat(32) + '.yaml')],
    ['a file in RUNNER_TEMP the action does not write', () => join(dir, 'temp', 'other.yaml')],
    ['a name that only looks like one', () => join(dir, 'temp', 'vmw-kubeconfig-' + 'A'.repeat(32) + '.yaml')],
    ['a relative path', () => join('temp', 'vmw-kubeconfig-' + 'a'.repeat(32) + '.yaml')],
  ])('a tampered state naming %s: nothing is deleted, a warning says why', (_what, saved) => {
    const temp = join(dir, 'temp')
    mkdirSync(temp)
    mkdirSync(join(dir, 'outside'))
    const path = saved()
    if (!path.startsWith('temp')) writeFileSync(path, 'keep')
    const { lines, log } = logger()
    deleteKubeconfig(path, log, temp)
    if (!path.startsWith('temp')) expect(readFileSync(path, 'utf8')).toBe('keep')
    expect(lines).toEqual(['warning: Not deleting the kubeconfig the main step saved: it is not a file this action writes in RUNNER_TEMP.'])
  })

  it.each([
    ['a link to a file elsewhere', (path: string) => symlinkSync(join(dir, 'elsewhere'), path)],
    ['a directory', (path: string) => mkdirSync(path)],
  ])('%s under the name the main step saved: neither removed nor followed', (_what, plant) => {
    writeFileSync(join(dir, 'elsewhere'), 'keep')
    const path = join(dir, `vmw-kubeconfig-${'c'.repeat(32)}.yaml`)
    plant(path)
    const { lines, log } = logger()
    deleteKubeconfig(path, log, dir)
    expect(lstatSync(path)).toBeTruthy()
    expect(readFileSync(join(dir, 'elsewhere'), 'utf8')).toBe('keep')
    expect(lines).toEqual([`warning: Not deleting the kubeconfig the main step saved: it is not a file (${path}).`])
  })
})
