/**
 * The README's Inputs and Outputs tables are the user's copy of action.yml: this fails when the
 * two disagree on names, defaults or descriptions, or when an example uses an input or output that
 * action.yml does not have. action.yml is read with a small parser for the YAML it uses (block
 * mappings, plain, quoted and block scalars), so the test needs no YAML package.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
const actionYml = readFileSync(`${root}action.yml`, 'utf8')
const readme = readFileSync(`${root}README.md`, 'utf8')
const ACTION = 'org/vmw-token-action@v1'

interface Entry {
  description: string
  default?: string
}

const metadata = {
  inputs: entriesOf(actionYml, 'inputs'),
  outputs: entriesOf(actionYml, 'outputs'),
}
const tables = {
  inputs: tableAfter(readme, 'Inputs', ['Input', 'Default', 'Description']),
  outputs: tableAfter(readme, 'Outputs', ['Output', 'Description']),
}

describe('README and action.yml', () => {
  it('both describe some inputs and outputs (the parsers found them)', () => {
    expect(metadata.inputs.size).toBeGreaterThan(5)
    expect(metadata.outputs.size).toBeGreaterThan(5)
    expect(tables.inputs.length).toBeGreaterThan(5)
    expect(tables.outputs.length).toBeGreaterThan(5)
  })

  it('list the same inputs', () => {
    const names = tables.inputs.map((row) => unquoteCode(row[0]))
    expect(duplicates(names)).toEqual([])
    expect([...names].sort()).toEqual([...metadata.inputs.keys()].sort())
  })

  it('list the same outputs', () => {
    const names = tables.outputs.map((row) => unquoteCode(row[0]))
    expect(duplicates(names)).toEqual([])
    expect([...names].sort()).toEqual([...metadata.outputs.keys()].sort())
  })

  it('give each input the same default', () => {
    const readmeDefaults = Object.fromEntries(tables.inputs.map((row) => [unquoteCode(row[0]), row[1] === '' ? null : unquoteCode(row[1])]))
    const actionDefaults = Object.fromEntries([...metadata.inputs].map(([name, entry]) => [name, entry.default ?? null]))
    expect(readmeDefaults).toEqual(actionDefaults)
  })

  it('give each input the same description', () => {
    const readmeText = Object.fromEntries(tables.inputs.map((row) => [unquoteCode(row[0]), normalise(row[2])]))
    const actionText = Object.fromEntries([...metadata.inputs].map(([name, entry]) => [name, normalise(entry.description)]))
    expect(readmeText).toEqual(actionText)
  })

  it('give each output the same description', () => {
    const readmeText = Object.fromEntries(tables.outputs.map((row) => [unquoteCode(row[0]), normalise(row[1])]))
    const actionText = Object.fromEntries([...metadata.outputs].map(([name, entry]) => [name, normalise(entry.description)]))
    expect(readmeText).toEqual(actionText)
  })

  it('use only inputs that action.yml has in the examples', () => {
    const used = inputsUsedInExamples(readme)
    expect(used.size).toBeGreaterThan(0)
    expect([...used].filter((name) => !metadata.inputs.has(name))).toEqual([])
  })

  it('use only outputs that action.yml has in the examples', () => {
    const used = new Set([...readme.matchAll(/\bsteps\.[\w-]+\.outputs\.([\w-]+)/g)].map((match) => match[1]))
    expect(used.size).toBeGreaterThan(0)
    expect([...used].filter((name) => !metadata.outputs.has(name))).toEqual([])
  })
})

describe('the minimal action.yml parser', () => {
  it('reads plain, quoted, folded and literal scalars and skips comments', () => {
    const yaml = [
      '# comment',
      'name: x',
      'inputs:',
      '  plain:',
      '    description: A plain value # a comment',
      '    default: csp',
      '  double:',
      '    description: "Say \\"hi\\": then go"',
      '    default: "30"',
      '  single:',
      "    description: 'It''s: quoted'",
      "    default: ''",
      '  folded:',
      '    description: >-',
      '      one',
      '      two',
      '',
      '  literal:',
      '    description: |',
      '      line one',
      '      line two',
      '  continued:',
      '    description: first part',
      '      second part',
      'outputs:',
      '  out:',
      '    description: Out.',
      'runs:',
      '  using: node24',
    ].join('\n')
    expect(Object.fromEntries(entriesOf(yaml, 'inputs'))).toEqual({
      plain: { description: 'A plain value', default: 'csp' },
      double: { description: 'Say "hi": then go', default: '30' },
      single: { description: "It's: quoted", default: '' },
      folded: { description: 'one two' },
      literal: { description: 'line one\nline two\n' },
      continued: { description: 'first part second part' },
    })
    expect(Object.fromEntries(entriesOf(yaml, 'outputs'))).toEqual({ out: { description: 'Out.' } })
  })

  it('reads a README table with escaped pipes and empty cells', () => {
    const md =
      '## Inputs\n\ntext\n\n| Input | Default | Description |\n| --- | --- | --- |\n| `a` | | x \\| y |\n| `b` | `1` | z |\n\n## Next\n'
    expect(tableAfter(md, 'Inputs', ['Input', 'Default', 'Description'])).toEqual([
      ['`a`', '', 'x | y'],
      ['`b`', '`1`', 'z'],
    ])
  })
})

/** The entries of a top-level block mapping such as `inputs:`, with their description and default. */
function entriesOf(yaml: string, section: string): Map<string, Entry> {
  const lines = yaml.split(/\r?\n/)
  const start = lines.findIndex((line) => new RegExp(`^${section}:\\s*(#.*)?$`).test(line))
  const entries = new Map<string, Entry>()
  if (start === -1) return entries
  let end = lines.findIndex((line, index) => index > start && /^\S/.test(line) && !line.startsWith('#'))
  if (end === -1) end = lines.length
  const body = lines.slice(start + 1, end)
  const entryIndent = Math.min(...body.filter(isContent).map(indentOf))
  let name: string | undefined
  let fields: Record<string, string> = {}
  const flush = (): void => {
    if (name !== undefined) {
      entries.set(name, { description: fields.description ?? '', ...(fields.default !== undefined ? { default: fields.default } : {}) })
    }
  }
  for (let i = 0; i < body.length; i++) {
    const line = body[i]
    if (!isContent(line)) continue
    const indent = indentOf(line)
    const pair = /^\s*([\w-]+):(?:\s+(.*))?$/.exec(line)
    if (!pair) throw new Error(`${section}: cannot read line ${JSON.stringify(line)}`)
    if (indent === entryIndent) {
      flush()
      name = pair[1]
      fields = {}
      continue
    }
    // A field of the current entry: its value may go on over the more indented lines below.
    const more: string[] = []
    while (i + 1 < body.length && (!isContent(body[i + 1]) || indentOf(body[i + 1]) > indent)) more.push(body[++i])
    fields[pair[1]] = scalar(pair[2] ?? '', more)
  }
  flush()
  return entries
}

/** A YAML scalar: the text after `key:` and the lines that continue it. */
function scalar(first: string, more: string[]): string {
  const head = first.trim()
  const block = /^([|>])([+-]?)\s*(#.*)?$/.exec(head)
  if (block) {
    while (more.length && more[more.length - 1].trim() === '') more.pop()
    const indent = Math.min(...more.filter(isContent).map(indentOf))
    const text = more.map((line) => line.slice(indent))
    const joined = block[1] === '|' ? text.join('\n') : text.join('\n').replace(/([^\n])\n(?=[^\n])/g, '$1 ')
    return block[2] === '-' ? joined : `${joined}\n`
  }
  const whole = [head, ...more.map((line) => line.trim())].join('\n')
  const folded = (text: string): string => text.replace(/\s*\n\s*/g, ' ')
  if (whole.startsWith('"')) {
    const closing = /^"((?:[^"\\]|\\.)*)"/s.exec(whole)
    if (!closing) throw new Error(`unterminated double-quoted scalar: ${whole}`)
    return JSON.parse(`"${folded(closing[1])}"`) as string
  }
  if (whole.startsWith("'")) {
    const closing = /^'((?:[^']|'')*)'/s.exec(whole)
    if (!closing) throw new Error(`unterminated single-quoted scalar: ${whole}`)
    return folded(closing[1]).replace(/''/g, "'")
  }
  return folded(whole.replace(/(^|\s)#.*$/gm, '')).trim()
}

function isContent(line: string): boolean {
  return line.trim() !== '' && !line.trim().startsWith('#')
}

function indentOf(line: string): number {
  return /^ */.exec(line)![0].length
}

/** The rows of the first table under a `## heading`, as cell texts, after checking its header. */
function tableAfter(markdown: string, heading: string, header: string[]): string[][] {
  const lines = markdown.split(/\r?\n/)
  const start = lines.findIndex((line) => line.trim() === `## ${heading}`)
  if (start === -1) throw new Error(`README has no "## ${heading}" section`)
  const first = lines.findIndex((line, index) => index > start && line.trim().startsWith('|'))
  if (first === -1 || lines.slice(start + 1, first).some((line) => /^#{1,2} /.test(line))) {
    throw new Error(`README's "## ${heading}" section has no table`)
  }
  const rows: string[][] = []
  for (let i = first; i < lines.length && lines[i].trim().startsWith('|'); i++) rows.push(cells(lines[i]))
  expect(rows[0], `header of the ${heading} table`).toEqual(header)
  expect(
    rows[1].every((cell) => /^:?-+:?$/.test(cell)),
    `delimiter row of the ${heading} table`,
  ).toBe(true)
  return rows.slice(2)
}

function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\|/, '')
    .replace(/(?<!\\)\|$/, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim().replace(/\\\|/g, '|'))
}

/** `name` -> name; anything else is returned as it is, so that a missing backtick shows in the diff. */
function unquoteCode(cell: string): string {
  return /^`([^`]*)`$/.exec(cell)?.[1] ?? cell
}

function normalise(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}

function duplicates(names: string[]): string[] {
  return names.filter((name, index) => names.indexOf(name) !== index)
}

/** The keys under `with:` of every example step that uses this action. */
function inputsUsedInExamples(markdown: string): Set<string> {
  const used = new Set<string>()
  for (const block of markdown.matchAll(/```ya?ml\n([\s\S]*?)```/g)) {
    const lines = block[1].split('\n')
    lines.forEach((line, index) => {
      if (!line.includes(`uses: ${ACTION}`)) return
      // The step's own keys sit at the indent of `uses:` (after a `- ` for the first of them).
      const stepIndent = line.indexOf('uses:')
      const withAt = lines.findIndex((other, at) => at > index && indentOf(other) === stepIndent && other.trim().startsWith('with:'))
      const nextStep = lines.findIndex((other, at) => at > index && isContent(other) && indentOf(other) < stepIndent)
      if (withAt === -1 || (nextStep !== -1 && withAt > nextStep)) return
      for (let at = withAt + 1; at < lines.length && (!isContent(lines[at]) || indentOf(lines[at]) > stepIndent); at++) {
        const key = /^\s*([\w-]+):/.exec(lines[at])?.[1]
        if (key && indentOf(lines[at]) === stepIndent + 2) used.add(key)
      }
    })
  }
  return used
}
