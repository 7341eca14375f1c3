// `npm run readme-tables`: rewrites the README's Inputs and Outputs tables from action.yml, which is
// the contract: test/readme.test.ts fails when the two disagree, and this makes them agree.
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

const root = resolve(fileURLToPath(import.meta.url), '../..')
const action = parse(readFileSync(join(root, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { description: string; default?: string }>
  outputs: Record<string, { description: string }>
}

/** A table cell: one line, pipes escaped. */
const cell = (text: string): string => text.replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|')

const tables: Record<string, string[]> = {
  Inputs: [
    '| Input | Default | Description |',
    '| --- | --- | --- |',
    ...Object.entries(action.inputs).map(
      ([name, input]) => `| \`${name}\` | ${input.default === undefined ? '' : `\`${input.default}\``} | ${cell(input.description)} |`,
    ),
  ],
  Outputs: [
    '| Output | Description |',
    '| --- | --- |',
    ...Object.entries(action.outputs).map(([name, output]) => `| \`${name}\` | ${cell(output.description)} |`),
  ],
}

const file = join(root, 'README.md')
const lines = readFileSync(file, 'utf8').split('\n')
for (const [heading, rows] of Object.entries(tables)) {
  const start = lines.findIndex((line) => line.trim() === `## ${heading}`)
  const first = lines.findIndex((line, index) => index > start && line.startsWith('|'))
  if (start === -1 || first === -1) throw new Error(`README.md has no table under "## ${heading}"`)
  let end = first
  while (end < lines.length && lines[end].startsWith('|')) end++
  lines.splice(first, end - first, ...rows)
}
writeFileSync(file, lines.join('\n'))
console.log('README.md: Inputs and Outputs tables written from action.yml')
