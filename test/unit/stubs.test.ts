/**
 * The bundle swaps in stubs for dependencies the action never calls (tsconfig "paths": undici,
 * @actions/exec and tunnel, see src/stubs/). A dependency update that starts to import a name the stub lacks
 * would build silently and fail only at run time: this finds every import of a stubbed module in
 * the bundled packages and checks that the stub exports each name.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '../..')
/** The packages bundled into dist/ that may import a stubbed module. */
const BUNDLED = ['node_modules/@actions/core/lib', 'node_modules/@actions/http-client/lib']

const tsconfig = JSON.parse(
  readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')
    .replace(/^\s*\/\/.*$/gm, '')
    .replace(/,(\s*[}\]])/g, '$1'),
) as { compilerOptions: { paths: Record<string, string[]> } }
const STUBS = Object.entries(tsconfig.compilerOptions.paths).map(([module, [stub]]) => ({ module, stub }))

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.js'))
    .map((entry) => join(entry.parentPath, entry.name))
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

/** Every name `source` takes from `module`: named and default imports, re-exports, namespace members. */
export function importedNames(source: string, module: string): { names: string[]; dynamic: boolean } {
  const from = `\\s*from\\s*['"]${escape(module)}['"]`
  const names = new Set<string>()
  for (const match of source.matchAll(
    new RegExp(`(?:import|export)\\s*(?:type\\s+)?(?:[A-Za-z_$][\\w$]*\\s*,\\s*)?\\{([^}]*)\\}${from}`, 'g'),
  )) {
    for (const part of match[1].split(',')) {
      const name = part.trim().split(/\s+as\s+/)[0]
      if (name && !name.startsWith('type ')) names.add(name)
    }
  }
  if (new RegExp(`import\\s+[A-Za-z_$][\\w$]*\\s*(?:,\\s*\\{[^}]*\\}\\s*)?${from}`).test(source)) names.add('default')
  for (const match of source.matchAll(new RegExp(`import\\s*\\*\\s*as\\s*([A-Za-z_$][\\w$]*)${from}`, 'g'))) {
    for (const use of source.matchAll(new RegExp(`\\b${escape(match[1])}\\.([A-Za-z_$][\\w$]*)`, 'g'))) names.add(use[1])
  }
  const dynamic = new RegExp(`(?:import|require)\\(\\s*['"]${escape(module)}['"]\\s*\\)`).test(source)
  return { names: [...names].sort(), dynamic }
}

describe('build stubs', () => {
  it('are configured for undici, @actions/exec and tunnel, each a file in src/stubs/', () => {
    expect(STUBS.map((entry) => entry.module).sort()).toEqual(['@actions/exec', 'tunnel', 'undici'])
    for (const { stub } of STUBS) expect(stub).toMatch(/^\.\/src\/stubs\/[\w-]+\.ts$/)
  })

  it.each(STUBS)('the stub of $module exports every name the bundled packages import from it', async ({ module, stub }) => {
    const stubExports = Object.keys(await import(join(ROOT, stub)))
    const uses: string[] = []
    for (const file of BUNDLED.flatMap((dir) => jsFiles(join(ROOT, dir)))) {
      const { names, dynamic } = importedNames(readFileSync(file, 'utf8'), module)
      expect(dynamic, `${relative(ROOT, file)} loads ${module} dynamically, which no stub can check`).toBe(false)
      for (const name of names) uses.push(`${name} (${relative(ROOT, file)})`)
      for (const name of names) expect(stubExports, `${relative(ROOT, file)} imports ${name} from ${module}`).toContain(name)
    }
    // The check has something to check: each stubbed module is imported somewhere.
    expect(uses.length, `no bundled package imports ${module}: is its stub still needed?`).toBeGreaterThan(0)
  })

  it('reads named, renamed, default and namespace imports', () => {
    const source = [
      "import { ProxyAgent, Agent as A } from 'undici'",
      "import * as exec from '@actions/exec'",
      'exec.getExecOutput(); exec.exec()',
      "import def, { x } from 'undici'",
    ].join('\n')
    expect(importedNames(source, 'undici').names).toEqual(['Agent', 'ProxyAgent', 'default', 'x'])
    expect(importedNames(source, '@actions/exec').names).toEqual(['exec', 'getExecOutput'])
    expect(importedNames("await import('undici')", 'undici').dynamic).toBe(true)
  })
})
