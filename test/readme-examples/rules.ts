/**
 * The rules every README example follows (CONTRIBUTING.md, "Rules for README examples"), as
 * functions of a fenced code block, so the README test applies them to every example and proves
 * each can fail on a small one of its own:
 *
 * - no token, secret or password on a command line: a process's arguments are readable by every
 *   other process on the machine (other jobs of a shared self-hosted runner included);
 * - no `${{ }}` inside `run:`: values reach a script through `env:`, never pasted into its text;
 * - every Terraform provider an HCL example uses is in `required_providers`, with its `source`;
 * - a job runs files of the repository only after `actions/checkout`;
 * - (in the test, which is async) a whole workflow passes the linter the repository's workflows pass.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type YAMLMap } from 'yaml'
import {
  assignedName,
  bashCommands,
  commandNameIndex,
  isBashBuiltin,
  pwshAssigned,
  pwshCommand,
  pwshRefs,
  pwshStatements,
  type Command,
} from './shell-words.ts'

export interface CodeBlock {
  lang: string
  text: string
  /** 1-based line of the Markdown file where the block's first line of code is. */
  line: number
}

export type Rule = 'yaml' | 'secret-on-command-line' | 'expression-in-run' | 'hcl-required-providers' | 'checkout-first'

export interface Violation {
  rule: Rule
  /** 1-based line within the block. */
  line: number
  message: string
}

/** The fenced code blocks of a Markdown text, with their language (lower case; '' for none). */
export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = []
  const lines = markdown.split(/\r?\n/)
  for (let index = 0; index < lines.length; index++) {
    const open = /^\s*```\s*([\w-]*)\s*$/.exec(lines[index])
    if (!open) continue
    const end = lines.findIndex((line, at) => at > index && /^\s*```\s*$/.test(line))
    const close = end === -1 ? lines.length : end
    blocks.push({ lang: open[1].toLowerCase(), text: lines.slice(index + 1, close).join('\n'), line: index + 2 })
    index = close
  }
  return blocks
}

const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'console'])
const PWSH_LANGS = new Set(['powershell', 'pwsh', 'ps1'])
const YAML_LANGS = new Set(['yaml', 'yml'])
const HCL_LANGS = new Set(['hcl', 'terraform', 'tf'])

/** Every rule's violations in one block (the linter aside). */
export function violations(block: CodeBlock): Violation[] {
  if (YAML_LANGS.has(block.lang)) return workflowViolations(block.text)
  if (HCL_LANGS.has(block.lang)) return hclViolations(block.text)
  if (SHELL_LANGS.has(block.lang)) return scriptViolations({ script: block.text, shell: 'bash', line: 1, secrets: new Set() })
  if (PWSH_LANGS.has(block.lang)) return scriptViolations({ script: block.text, shell: 'pwsh', line: 1, secrets: new Set() })
  return []
}

/** Whether a YAML block is a whole workflow (the linter's input), not a list of steps or a part of one. */
export function isWholeWorkflow(text: string): boolean {
  const contents = parseDocument(text).contents
  return isMap(contents) && contents.has('on') && contents.has('jobs')
}

// --- Secrets -----------------------------------------------------------------------------------

/** A name that holds a secret by what it is called; names of files, types, URLs and IDs do not. */
export function isSecretName(name: string): boolean {
  return /TOKEN|SECRET|PASSW|API_?KEY|CREDENTIAL/i.test(name) && !/_(TYPE|FILE|PATH|DIR|URL|ID|NAME|EXPIRES_AT|EXPIRES_IN)$/i.test(name)
}

/** A workflow value that holds a secret: a secret, GITHUB_TOKEN, or a token output of a step. */
const SECRET_EXPRESSION = /\$\{\{[^}]*\b(secrets\.|github\.token\b|steps\.[\w-]+\.outputs\.(access-token|refresh-token)\b)/

interface Script {
  script: string
  shell: 'bash' | 'pwsh'
  /** 1-based line within the block of the script's first line. */
  line: number
  /** Environment variables known to hold secrets (from `env:` and the action's `env-name`). */
  secrets: Set<string>
}

function scriptViolations(script: Script): Violation[] {
  return script.shell === 'pwsh' ? pwshViolations(script) : bashViolations(script)
}

function bashViolations({ script, line, secrets }: Script): Violation[] {
  const found: Violation[] = []
  const tainted = new Set(secrets)
  const secret = (name: string): boolean => isSecretName(name) || tainted.has(name)
  for (const command of bashCommands(script)) {
    const nameAt = commandNameIndex(command.words)
    const name = nameAt === undefined ? undefined : command.words[nameAt].text
    // Assignments (bare, or by export/local/declare/readonly) carry a secret on to a new name.
    if (nameAt === undefined || ['export', 'local', 'declare', 'typeset', 'readonly'].includes(name!)) {
      for (const word of command.words) {
        const assigned = assignedName(word)
        if (assigned && word.refs.some(secret)) tainted.add(assigned)
      }
      continue
    }
    if (isBashBuiltin(name!)) continue
    const args = command.words.slice(nameAt + 1).filter((word) => !word.redirect)
    const leaked = [...new Set(args.flatMap((word) => word.refs).filter(secret))]
    const at = line + command.line
    if (leaked.length) found.push(secretOnCommandLine(at, name!, leaked.map((ref) => `$${ref}`).join(', ')))
    const literal = literalCredential(args.map((word) => word.text))
    if (literal) found.push(secretOnCommandLine(at, name!, literal))
  }
  return found
}

function pwshViolations({ script, line, secrets }: Script): Violation[] {
  const found: Violation[] = []
  const tainted = new Set([...secrets].map((name) => name.toLowerCase()))
  const secret = (name: string): boolean => isSecretName(name) || tainted.has(name.toLowerCase())
  for (const statement of pwshStatements(script)) {
    const assigned = pwshAssigned(statement.text)
    if (assigned) {
      if (pwshRefs(statement.text).some(secret)) tainted.add(assigned.toLowerCase())
      continue
    }
    const command = pwshCommand(statement.text)
    if (!command || command.inProcess) continue
    const leaked = [...new Set(pwshRefs(command.args.join(' ')).filter(secret))]
    const at = line + statement.line
    if (leaked.length) found.push(secretOnCommandLine(at, command.name, leaked.map((ref) => `$${ref}`).join(', ')))
    const literal = literalCredential(command.args)
    if (literal) found.push(secretOnCommandLine(at, command.name, literal))
  }
  return found
}

/** A password or user:password written into a command's arguments. */
function literalCredential(args: readonly string[]): string | undefined {
  for (const [index, arg] of args.entries()) {
    // A password written as a value ("password": "...", password=...); a reference to one (env.X, $X) is not.
    if (/\bpassword["']?\s*[:=]\s*["']?(?!\$|env\.|\{\{)[^\s,}"']/i.test(arg)) return 'a password in its arguments'
    if ((arg === '-u' || arg === '--user') && args[index + 1]?.includes(':')) return `${arg} user:password`
    if (/^(--user=|-u)[^\s:]+:/.test(arg)) return 'user:password'
    const option = /^--pass(?:word)?(?:=(.*))?$/.exec(arg)
    const value = option && (option[1] ?? args[index + 1])
    if (value && !value.startsWith('$')) return `${arg.replace(/=.*/, '')} with a value`
    if (/:\/\/[^/\s:@]+:[^/\s@]+@/.test(arg)) return 'a URL with a password'
  }
  return undefined
}

function secretOnCommandLine(line: number, command: string, what: string): Violation {
  return {
    rule: 'secret-on-command-line',
    line,
    message:
      `${command} gets ${what} on its command line, which other processes can read. Let it read the ` +
      `environment (curl --variable %NAME --expand-header), standard input or a file a shell builtin wrote.`,
  }
}

// --- Workflows --------------------------------------------------------------------------------------

interface Step {
  uses?: string
  run?: Script
  line: number
}

/** The rules over a YAML block: a workflow, a part with `jobs:`, or a list of steps. */
export function workflowViolations(text: string): Violation[] {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines })
  if (doc.errors.length) return doc.errors.map((error) => ({ rule: 'yaml', line: error.linePos?.[0].line ?? 1, message: error.message }))
  const found: Violation[] = []
  for (const steps of jobsOf(doc.contents, lines)) {
    let checkedOut = false
    for (const step of steps) {
      if (step.uses && /^actions\/checkout@/.test(step.uses)) checkedOut = true
      const needs = step.uses?.startsWith('./') ? `uses: ${step.uses}` : step.run && repositoryFileUse(step.run)
      if (needs && !checkedOut) {
        found.push({
          rule: 'checkout-first',
          line: step.line,
          message: `${needs} needs the repository's files, but no actions/checkout step comes before it in this job.`,
        })
      }
      if (!step.run) continue
      const expression = step.run.script.split('\n').findIndex((scriptLine) => scriptLine.includes('${{'))
      if (expression !== -1) {
        found.push({
          rule: 'expression-in-run',
          line: step.run.line + expression,
          message: '`${{ }}` inside run: pastes a value into the script, where it can run as code: pass it in env: and use $NAME.',
        })
      }
      found.push(...scriptViolations(step.run))
    }
  }
  return found
}

/** The steps of each job (a list of steps is one job); nothing for YAML that is not a workflow's. */
function jobsOf(contents: unknown, lines: LineCounter): Step[][] {
  if (isSeq(contents)) return [stepsOf(contents.items, { lines, env: new Map(), shell: undefined, windows: false })]
  if (!isMap(contents) || !isMap(contents.get('jobs'))) return []
  const workflowEnv = secretEnv(contents.get('env'))
  const workflowShell = scalarAt(contents, ['defaults', 'run', 'shell'])
  return (contents.get('jobs') as YAMLMap).items.map((pair) => {
    const job = pair.value
    if (!isMap(job)) return []
    const steps = job.get('steps')
    const runsOn = String(job.toJSON()['runs-on'] ?? '')
    return stepsOf(isSeq(steps) ? steps.items : [], {
      lines,
      env: new Map([...workflowEnv, ...secretEnv(job.get('env'))]),
      shell: scalarAt(job, ['defaults', 'run', 'shell']) ?? workflowShell,
      windows: /windows/i.test(runsOn),
    })
  })
}

interface JobContext {
  lines: LineCounter
  /** Environment variables the job or workflow sets, with whether each holds a secret. */
  env: Map<string, boolean>
  shell: string | undefined
  windows: boolean
}

function stepsOf(items: unknown[], job: JobContext): Step[] {
  // The action's env-name exports the token under that name for the rest of the job.
  const exported = items.flatMap((item) => {
    const name = isMap(item) ? scalarAt(item, ['with', 'env-name']) : undefined
    return name ? [name] : []
  })
  return items.filter(isMap).map((item) => {
    const line = job.lines.linePos((item as Node).range?.[0] ?? 0).line
    const uses = scalarAt(item, ['uses'])
    const runNode = item.get('run', true)
    if (!isScalar(runNode)) return { uses, line }
    const env = new Map([...job.env, ...secretEnv(item.get('env'))])
    const shell = scalarAt(item, ['shell']) ?? job.shell ?? (job.windows ? 'pwsh' : 'bash')
    const block = runNode.type === 'BLOCK_LITERAL' || runNode.type === 'BLOCK_FOLDED'
    const run: Script = {
      script: String(runNode.value),
      shell: /^(pwsh|powershell)\b/.test(shell) ? 'pwsh' : 'bash',
      line: job.lines.linePos(runNode.range?.[0] ?? 0).line + (block ? 1 : 0),
      secrets: new Set([...exported, ...[...env].filter(([, holdsSecret]) => holdsSecret).map(([name]) => name)]),
    }
    return { uses, line, run }
  })
}

function secretEnv(node: unknown): Map<string, boolean> {
  if (!isMap(node)) return new Map()
  return new Map(
    node.items.map((pair) => [String(isScalar(pair.key) ? pair.key.value : pair.key), SECRET_EXPRESSION.test(String(pair.value))]),
  )
}

function scalarAt(map: YAMLMap, path: string[]): string | undefined {
  const value = map.getIn(path)
  return value === undefined || value === null || typeof value === 'object' ? undefined : String(value)
}

/** The first command of a script that reads files of the repository, described; undefined if none. */
export function repositoryFileUse(run: Script): string | undefined {
  const commands =
    run.shell === 'pwsh'
      ? pwshStatements(run.script).flatMap((statement) => {
          const command = pwshCommand(statement.text)
          return command ? [[command.name, ...command.args]] : []
        })
      : bashCommands(run.script).map((command) => wordsOf(command))
  for (const words of commands) {
    const use = readsRepository(words)
    if (use) return use
  }
  return undefined
}

function wordsOf(command: Command): string[] {
  const nameAt = commandNameIndex(command.words)
  if (nameAt === undefined) return command.words[0]?.text === 'for' ? command.words.map((word) => word.text) : []
  return command.words.slice(nameAt).map((word) => word.text)
}

const RELATIVE_PATH = /^(?!-|\$|\/|~|[A-Za-z]+:)[\w.][\w.-]*[/\\][^\s]*$|^[\w.-]+\.(sh|ps1|py|js|ts|rb|pl|ya?ml|json|tf)$/
const INTERPRETERS = new Set(['bash', 'sh', 'zsh', 'pwsh', 'powershell', 'python', 'python3', 'node', 'ruby', 'perl', 'source', '.'])

function readsRepository([name, ...args]: string[]): string | undefined {
  if (name === undefined) return undefined
  if (name === 'for') {
    const list = args.slice(args.indexOf('in') + 1)
    const path = list.find((word) => RELATIVE_PATH.test(word) || /^[\w.-]+\/.*\*/.test(word))
    return path && `for ... in ${path}`
  }
  if (/^\.{1,2}[/\\]/.test(name) || (RELATIVE_PATH.test(name) && !/^[\w.-]+$/.test(name))) return name
  if (INTERPRETERS.has(name)) {
    const file = args.find((arg) => !arg.startsWith('-'))
    if (file && RELATIVE_PATH.test(file)) return `${name} ${file}`
  }
  if (/^(terraform|tofu)$/.test(name)) {
    const sub = args.find((arg) => !arg.startsWith('-'))
    if (sub && /^(init|plan|apply|validate|destroy|import|refresh|test|fmt)$/.test(sub))
      return `${name} ${sub} (a configuration in the repository)`
  }
  if (/^(kubectl|oc|helm)$/.test(name)) {
    const at = args.findIndex((arg) => /^(-f|--filename|-k|--kustomize|--values)(=|$)/.test(arg))
    const file = at === -1 ? undefined : args[at].includes('=') ? args[at].split('=')[1] : args[at + 1]
    if (file && file !== '-' && !/^(https?:|\$|\/)/.test(file)) return `${name} ${args[at].replace(/=.*/, '')} ${file}`
  }
  if (name === 'curl') {
    const file = args.find((arg) => /^@(?![-$/])./.test(arg) || /=@(?![-$/])/.test(arg))
    if (file) return `curl ${file}`
  }
  if (/^(make|npm|yarn|pnpm|mvn|gradle|go)$/.test(name) || (name === 'docker' && args[0] === 'build'))
    return [name, args[0]].join(' ').trim()
  return undefined
}

// --- Terraform ----------------------------------------------------------------------------------

/** Each provider an HCL block configures or uses needs `required_providers` with its `source`. */
export function hclViolations(text: string): Violation[] {
  const lineOf = (index: number): number => text.slice(0, index).split('\n').length
  const used = new Map<string, number>()
  for (const match of text.matchAll(/^\s*provider\s+"([\w-]+)"/gm)) used.set(match[1], lineOf(match.index))
  for (const match of text.matchAll(/^\s*(?:resource|data|ephemeral)\s+"([a-z0-9]+)_[\w-]+"/gm)) {
    if (match[1] !== 'terraform' && !used.has(match[1])) used.set(match[1], lineOf(match.index))
  }
  const declared = new Set<string>()
  const block = /\brequired_providers\s*\{/.exec(text)
  if (block) {
    const body = text.slice(block.index + block[0].length, closingBrace(text, block.index + block[0].length - 1))
    for (const entry of body.matchAll(/^\s*([\w-]+)\s*=\s*\{([^}]*)\}/gm)) {
      if (/\bsource\s*=\s*"[^"]+"/.test(entry[2])) declared.add(entry[1])
    }
  }
  return [...used]
    .filter(([name]) => !declared.has(name))
    .map(([name, line]) => ({
      rule: 'hcl-required-providers',
      line,
      message:
        `provider ${name} is not in terraform { required_providers { ${name} = { source = "..." } } }: ` +
        `terraform init would look for hashicorp/${name}.`,
    }))
}

function closingBrace(text: string, open: number): number {
  let depth = 0
  for (let at = open; at < text.length; at++) {
    if (text[at] === '{') depth++
    else if (text[at] === '}' && --depth === 0) return at
  }
  return text.length
}
