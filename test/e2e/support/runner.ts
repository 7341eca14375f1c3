/**
 * Runs the built action (action.yml's runs.main and runs.post bundles) the way the GitHub runner runs a JavaScript action, and
 * shows what a workflow log would show. Only erasable TypeScript: scripts run this file directly.
 *
 *   const step = await runStep({ step: 'main', inputs: { 'api-token': token, url }, env: { https_proxy } })
 *   const job = await runJob({ inputs, env })        // main, then post (post-if: always(), so also after a
 *                                                    // failed main) with main's GITHUB_ENV and GITHUB_STATE
 *   runJob({ inputs, runnerTemp, between: async (main) => { ... } })   // one RUNNER_TEMP for both steps (the
 *                                                    // caller's), and later steps' work between them
 *   job.main / job.post                              // StepResult
 *   job.log                                          // both steps' log lines as the runner shows them
 *
 * runStep spawns `process.execPath <bundle>` (runs.main or runs.post of action.yml, under $VMW_E2E_DIST instead of dist/ when set) with an env of only: PATH, INPUT_<NAME> for every
 * action.yml input (defaults applied when the test gives none; NAME upper-cased, spaces to _,
 * hyphens kept), GITHUB_OUTPUT / GITHUB_ENV / GITHUB_STATE / GITHUB_PATH / GITHUB_STEP_SUMMARY
 * (fresh files per step), RUNNER_TEMP (fresh per step unless `runnerTemp` names the job's), GITHUB_ACTIONS=true, CI=true, STATE_<name> (post step, from
 * `state`), the job env (`jobEnv`: earlier steps' GITHUB_ENV) and `env` from the test. Nothing is
 * inherited from the test process (no proxy, no NODE_EXTRA_CA_CERTS) unless passed in `env`.
 *
 * StepResult: exitCode, signal, timedOut, durationMs, stdout, stderr, summary (GITHUB_STEP_SUMMARY),
 * outputs (GITHUB_OUTPUT over set-output commands), env (GITHUB_ENV), state (GITHUB_STATE over
 * save-state commands), path, fileCommandErrors, commands (parsed workflow commands in either form,
 * `::name::` at a line's start or `##[name]` anywhere in a line, see workflow-commands.ts; raw
 * messages), warnings / errors / notices / debug (raw messages), masks (every value masked by the end
 * of the step), log (lines as the runner shows them: ::add-mask:: hidden, `##[warning]msg` etc., every
 * mask registered so far replaced by ***), earlyLeaks (displayed lines holding an 8+ character piece
 * of a value that was masked only AFTER the line was printed).
 *
 *   assertNoLeaks(resultOrJob, secrets)   // throws unless no 8+ character piece of any secret is in the
 *                                         // masked log, stderr or the job summary, and earlyLeaks is empty
 *   findLeaks(resultOrJob, secrets)       // the same, as data
 *   interpretStep({ stdout, stderr, summary, masks })  // the log analysis alone (used by the self-test)
 *   applyMasks(text, result.masks)       // any text (an output value, say) as the log would show it
 *   readActionYml()                       // { inputs: { name: { default?, required } }, outputs: [...], runs: {...} }
 *
 * Masking is the runner's, simplified: exact values, line by line (a multi-line value only masks
 * when a line equals it); the runner's extra encodings (base64, JSON, URL) are not applied, which
 * makes this emulation stricter, never laxer.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { COMMANDS, parseCommandLine, type WorkflowCommand } from './workflow-commands.ts'

export { parseCommandLine, type WorkflowCommand }

export const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)))
/** The bundles under test: dist/, or another build that VMW_E2E_DIST points the whole suite at (e.g. a mutant). */
export const DIST = process.env.VMW_E2E_DIST ? resolve(process.env.VMW_E2E_DIST) : join(ROOT, 'dist')

/** The bundle the runner runs for a step: action.yml's runs.main or runs.post, inside DIST. */
export function bundleFor(step: 'main' | 'post'): string {
  const path = readActionYml().runs[step]
  if (!path?.startsWith('dist/')) throw new Error(`action.yml runs.${step} is not a bundle in dist/: ${path}`)
  return join(DIST, path.slice('dist/'.length))
}

export interface ActionYml {
  inputs: Record<string, { default?: string; required: boolean; description?: string }>
  outputs: string[]
  runs: Record<string, string>
}

export interface EarlyLeak {
  /** Index in `log`. */
  line: number
  text: string
  /** Index in `masks` of the value that was masked too late. */
  mask: number
}

export interface StepAnalysis {
  commands: WorkflowCommand[]
  warnings: string[]
  errors: string[]
  notices: string[]
  debug: string[]
  masks: string[]
  log: string[]
  earlyLeaks: EarlyLeak[]
  /** Outputs and state that set-output and save-state commands set (the file commands override them). */
  commandOutputs: Record<string, string>
  commandState: Record<string, string>
  /** Commands the runner refuses and fails the step for (set-env, add-path). */
  failedCommands: string[]
}

export interface StepResult extends StepAnalysis {
  step: 'main' | 'post'
  exitCode: number | null
  signal: NodeJS.Signals | null
  timedOut: boolean
  durationMs: number
  stdout: string
  stderr: string
  summary: string
  outputs: Record<string, string>
  env: Record<string, string>
  state: Record<string, string>
  path: string[]
  fileCommandErrors: string[]
  /** exitCode 0, no file-command error and no failed command: what the runner marks as success. */
  succeeded: boolean
}

export interface StepOptions {
  step?: 'main' | 'post'
  /** Action inputs by their action.yml name; undefined or absent: the default applies. */
  inputs?: Record<string, string | undefined>
  /** Extra environment for the process (e.g. https_proxy). */
  env?: Record<string, string>
  /** STATE_<name> values (the post step gets the main step's GITHUB_STATE). */
  state?: Record<string, string>
  /** Variables earlier steps set with GITHUB_ENV. */
  jobEnv?: Record<string, string>
  /** Values already masked in this job (runner secrets, earlier steps' ::add-mask::). */
  masks?: string[]
  /** Kill the step after this long (default 60 s); the result says timedOut. */
  timeoutMs?: number
  /** Show ::debug:: lines in the log (as with ACTIONS_STEP_DEBUG); they are parsed either way. */
  debug?: boolean
  /** The bundle to run (default: the step's bundle, see bundleFor). */
  action?: string
  /** Accept inputs action.yml does not declare (the runner only warns). Default false: a typo throws. */
  allowUnknownInputs?: boolean
  /** The job's RUNNER_TEMP, which a runner gives every step of a job (the caller removes it). Default: a fresh one per step. */
  runnerTemp?: string
}

export interface JobOptions extends Omit<StepOptions, 'step' | 'state' | 'jobEnv' | 'masks'> {
  /** Values the runner masks from the start, as it does for ${{ secrets.* }}. Default none. */
  runnerSecrets?: string[]
  /** Run the post step (default true: post-if is always()). */
  post?: boolean
  /** Later steps of the job, between main and post (with runnerTemp, they see the main step's files). */
  between?: (main: StepResult) => Promise<void>
}

export interface JobResult {
  main: StepResult
  post?: StepResult
  /** Job environment after the job (GITHUB_ENV of both steps). */
  env: Record<string, string>
  log: string[]
  summary: string
  durationMs: number
}

let actionYmlCache: ActionYml | undefined

/** A minimal reader for the action.yml shape: top-level maps, their keys, and scalar properties. */
export function readActionYml(file = join(ROOT, 'action.yml')): ActionYml {
  if (actionYmlCache && file === join(ROOT, 'action.yml')) return actionYmlCache
  const result: ActionYml = { inputs: {}, outputs: [], runs: {} }
  let section = ''
  let key = ''
  for (const raw of readFileSync(file, 'utf8').split(/\r?\n/)) {
    if (/^\s*(#|$)/.test(raw)) continue
    const indent = raw.length - raw.trimStart().length
    const match = /^([^:#]+?):(?:\s+(.*))?$/.exec(raw.trim())
    if (!match) continue
    const name = match[1].trim()
    const value = yamlScalar(match[2] ?? '')
    if (indent === 0) {
      section = name
      key = ''
    } else if (indent === 2 && section === 'inputs') {
      key = name
      result.inputs[key] = { required: false }
    } else if (indent === 2 && section === 'outputs') {
      key = name
      result.outputs.push(name)
    } else if (indent === 2 && section === 'runs') {
      result.runs[name] = value
    } else if (indent === 4 && section === 'inputs' && key) {
      if (name === 'default') result.inputs[key].default = value
      if (name === 'required') result.inputs[key].required = value === 'true'
      if (name === 'description') result.inputs[key].description = value
    }
  }
  if (file === join(ROOT, 'action.yml')) actionYmlCache = result
  return result
}

function yamlScalar(text: string): string {
  const trimmed = text.trim()
  if (trimmed.startsWith("'")) return trimmed.slice(1, trimmed.lastIndexOf("'")).replace(/''/g, "'")
  if (trimmed.startsWith('"')) {
    return JSON.parse(trimmed.slice(0, trimmed.lastIndexOf('"') + 1)) as string
  }
  return trimmed.replace(/\s+#.*$/, '')
}

export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`
}

/** The runner's file commands of one step, as fresh empty files in dir. */
export function stepFiles(
  dir: string,
): Record<'GITHUB_OUTPUT' | 'GITHUB_ENV' | 'GITHUB_STATE' | 'GITHUB_PATH' | 'GITHUB_STEP_SUMMARY', string> {
  const files = {
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_ENV: join(dir, 'env'),
    GITHUB_STATE: join(dir, 'state'),
    GITHUB_PATH: join(dir, 'path'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary'),
  }
  for (const file of Object.values(files)) writeFileSync(file, '')
  return files
}

/** Runs one step of the action in a child process and reads everything it produced. */
export async function runStep(options: StepOptions): Promise<StepResult> {
  const step = options.step ?? 'main'
  const action = options.action ?? bundleFor(step)
  if (!existsSync(action)) throw new Error(`${action} does not exist: run 'npm run build' first.`)
  const yml = readActionYml()
  const unknown = Object.keys(options.inputs ?? {}).filter((name) => !(name in yml.inputs))
  if (unknown.length && !options.allowUnknownInputs) {
    throw new Error(`runStep: unknown input(s) ${unknown.join(', ')}; action.yml declares ${Object.keys(yml.inputs).join(', ')}`)
  }

  const dir = mkdtempSync(join(tmpdir(), `vmw-e2e-${step}-`))
  const files = stepFiles(dir)
  const runnerTemp = options.runnerTemp ?? join(dir, 'runner-temp')
  const workspace = join(dir, 'workspace')
  if (!options.runnerTemp) mkdirSync(runnerTemp)
  mkdirSync(workspace)

  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...options.jobEnv,
    ...options.env,
    ...files,
    RUNNER_TEMP: runnerTemp,
    GITHUB_WORKSPACE: workspace,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
  }
  if (options.debug) env.RUNNER_DEBUG = '1'
  for (const [name, spec] of Object.entries(yml.inputs)) {
    const given = options.inputs?.[name]
    env[inputEnvName(name)] = given ?? spec.default ?? ''
  }
  for (const name of unknown) env[inputEnvName(name)] = options.inputs?.[name] ?? ''
  for (const [name, value] of Object.entries(options.state ?? {})) env[`STATE_${name}`] = value

  const started = performance.now()
  const child = spawn(process.execPath, [action], { cwd: workspace, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    child.kill('SIGKILL')
  }, options.timeoutMs ?? 60_000)
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done, fail) => {
    child.on('error', fail)
    child.on('close', (code, sig) => done([code, sig]))
  }).finally(() => clearTimeout(timer))
  const durationMs = performance.now() - started

  const fileCommandErrors: string[] = []
  const read = (name: keyof typeof files): string => readFileSync(files[name], 'utf8')
  const outputs = parseFileCommand(read('GITHUB_OUTPUT'), 'output', fileCommandErrors)
  const stepEnv = parseFileCommand(read('GITHUB_ENV'), 'env', fileCommandErrors)
  for (const blocked of Object.keys(stepEnv).filter((name) => name.toUpperCase() === 'NODE_OPTIONS')) {
    fileCommandErrors.push(`env: Can't store ${blocked} output parameter using '$GITHUB_ENV' command.`)
    delete stepEnv[blocked]
  }
  const state = parseFileCommand(read('GITHUB_STATE'), 'state', fileCommandErrors)
  const path = read('GITHUB_PATH').split(/\r?\n/).filter(Boolean)
  const summary = read('GITHUB_STEP_SUMMARY')
  rmSync(dir, { recursive: true, force: true })

  const analysis = interpretStep({ stdout, stderr, masks: options.masks, debug: options.debug })
  return {
    step,
    exitCode,
    signal,
    timedOut,
    durationMs,
    stdout,
    stderr,
    summary,
    ...analysis,
    // The runner processes the file commands after the step: they win over set-output and save-state.
    outputs: { ...analysis.commandOutputs, ...outputs },
    env: stepEnv,
    state: { ...analysis.commandState, ...state },
    path,
    fileCommandErrors,
    succeeded: exitCode === 0 && fileCommandErrors.length === 0 && analysis.failedCommands.length === 0,
  }
}

/** Main step, then (always) the post step with main's state and env, as a job of one `uses:` step. */
export async function runJob(options: JobOptions = {}): Promise<JobResult> {
  const started = performance.now()
  const { runnerSecrets = [], post = true, between, ...common } = options
  const main = await runStep({ ...common, step: 'main', masks: runnerSecrets })
  await between?.(main)
  const jobEnv = { ...main.env }
  let postResult: StepResult | undefined
  if (post) {
    postResult = await runStep({ ...common, step: 'post', state: main.state, jobEnv, masks: main.masks })
    Object.assign(jobEnv, postResult.env)
  }
  return {
    main,
    post: postResult,
    env: jobEnv,
    log: [...main.log, ...(postResult?.log ?? [])],
    summary: main.summary + (postResult?.summary ?? ''),
    durationMs: performance.now() - started,
  }
}

/**
 * The runner's file-command format: `name<<DELIMITER` heredocs and `name=value` lines. Malformed
 * content is reported in `errors` (the runner fails the step for it).
 */
export function parseFileCommand(text: string, what: string, errors: string[] = []): Record<string, string> {
  const values: Record<string, string> = {}
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    if (line === '') continue
    const heredoc = line.indexOf('<<')
    const equals = line.indexOf('=')
    if (heredoc > 0 && (equals === -1 || heredoc < equals)) {
      const name = line.slice(0, heredoc)
      const delimiter = line.slice(heredoc + 2)
      if (!delimiter) {
        errors.push(`${what}: empty delimiter for ${name}`)
        continue
      }
      const body: string[] = []
      let closed = false
      for (i++; i < lines.length; i++) {
        if (lines[i] === delimiter) {
          closed = true
          break
        }
        body.push(lines[i])
      }
      if (!closed) errors.push(`${what}: matching delimiter not found '${delimiter}' for ${name}`)
      else values[name] = body.join('\n')
    } else if (equals > 0) {
      values[line.slice(0, equals)] = line.slice(equals + 1)
    } else {
      errors.push(`${what}: invalid format '${line.slice(0, 40)}'`)
    }
  }
  return values
}

/** Text as the runner would print it with these values masked. */
export function applyMasks(text: string, masks: string[]): string {
  return text
    .split('\n')
    .map((line) => new Masker(masks).mask(line))
    .join('\n')
}

class Masker {
  readonly values: string[]
  constructor(initial: string[]) {
    this.values = []
    for (const value of initial) this.add(value)
  }
  add(value: string): void {
    if (value.trim() !== '' && !this.values.includes(value)) this.values.push(value)
  }
  /** Replaces every occurrence of the first `count` values, overlapping ones merged, with ***. */
  mask(line: string, count = this.values.length): string {
    const covered = new Uint8Array(line.length)
    let any = false
    for (const value of this.values.slice(0, count)) {
      for (let at = line.indexOf(value); at !== -1; at = line.indexOf(value, at + 1)) {
        covered.fill(1, at, at + value.length)
        any = true
      }
    }
    if (!any) return line
    let out = ''
    for (let i = 0; i < line.length; i++) {
      if (!covered[i]) out += line[i]
      else if (i === 0 || !covered[i - 1]) out += '***'
    }
    return out
  }
}

/**
 * What the runner makes of a step's output: workflow commands processed in order, masks applied
 * to every line printed after their ::add-mask::, and lines that held a value masked only later.
 */
export function interpretStep(input: { stdout: string; stderr?: string; masks?: string[]; debug?: boolean }): StepAnalysis {
  const masker = new Masker(input.masks ?? [])
  const analysis: StepAnalysis = {
    commands: [],
    warnings: [],
    errors: [],
    notices: [],
    debug: [],
    masks: masker.values,
    log: [],
    earlyLeaks: [],
    commandOutputs: {},
    commandState: {},
    failedCommands: [],
  }
  /** For each log line, how many masks were active when it was printed. */
  const activeAt: number[] = []
  const show = (text: string): void => {
    for (const line of text.split(/\r?\n/)) {
      analysis.log.push(masker.mask(line))
      activeAt.push(masker.values.length)
    }
  }
  /** What the runner prints when a command throws (ActionCommandManager.TryProcessCommand); the step then fails. */
  const fail = (line: string, reason: string): void => {
    const failure = `Unable to process command '${line.slice(0, 40)}' successfully. ${reason}`
    analysis.failedCommands.push(failure)
    analysis.errors.push(failure)
    show(`##[error]${failure}`)
  }
  let stopToken: string | undefined
  const lines = input.stdout.split('\n')
  if (lines.at(-1) === '') lines.pop()
  lines.forEach((rawLine, index) => {
    const line = rawLine.replace(/\r$/, '')
    if (stopToken !== undefined) {
      // While stopped, the runner registers the token as a command, in either form; an empty one never resumes.
      if (stopToken && parseCommandLine(line, index, new Set([...COMMANDS, stopToken]))?.command === stopToken) stopToken = undefined
      return show(line)
    }
    const command = parseCommandLine(line, index)
    if (!command) return show(line)
    analysis.commands.push(command)
    const title = command.properties.title ? `${command.properties.title}: ` : ''
    switch (command.command) {
      case 'add-mask':
        masker.add(command.message)
        return
      case 'debug':
        analysis.debug.push(command.message)
        if (input.debug) show(`##[debug]${command.message}`)
        return
      case 'warning':
      case 'error':
      case 'notice':
        ;(command.command === 'warning' ? analysis.warnings : command.command === 'error' ? analysis.errors : analysis.notices).push(
          command.message,
        )
        return show(`##[${command.command}]${title}${command.message}`)
      case 'group':
        return show(`##[group]${command.message}`)
      case 'endgroup':
        return show('##[endgroup]')
      case 'stop-commands':
        // The runner prints the line that stops commands, and the one that resumes them.
        stopToken = command.message.toLowerCase()
        return show(line)
      case 'save-state':
      case 'set-output': {
        // Deprecated, still acted on (ActionCommandManager SetOutputCommandExtension, SaveStateCommandExtension).
        const deprecated = `The \`${command.command}\` command is deprecated and will be disabled soon. Please upgrade to using Environment Files.`
        analysis.warnings.push(deprecated)
        show(`##[warning]${deprecated}`)
        if (!command.properties.name) return fail(line, `Required field 'name' is missing in ##[${command.command}] command.`)
        ;(command.command === 'set-output' ? analysis.commandOutputs : analysis.commandState)[command.properties.name] = command.message
        return
      }
      case 'set-env':
      case 'add-path':
        return fail(line, `The \`${command.command}\` command is disabled.`)
      default:
        return
    }
  })
  for (const line of (input.stderr ?? '').split('\n')) if (line) show(line.replace(/\r$/, ''))

  // Lines printed before a value was masked: the runner cannot take them back.
  analysis.log.forEach((text, line) => {
    for (let mask = activeAt[line]; mask < masker.values.length; mask++) {
      if (containsPiece(text, masker.values[mask])) analysis.earlyLeaks.push({ line, text, mask })
    }
  })
  return analysis
}

export const MIN_LEAK = 8

/** Whether text holds a MIN_LEAK-character piece of secret (or all of it when shorter). */
export function containsPiece(text: string, secret: string): boolean {
  if (secret.length <= MIN_LEAK) return secret.length > 0 && text.includes(secret)
  for (let i = 0; i + MIN_LEAK <= secret.length; i++) if (text.includes(secret.slice(i, i + MIN_LEAK))) return true
  return false
}

export interface Leak {
  source: string
  line: number
  /** Index into the secrets given. */
  secret: number
  /** The line, with the leaked piece marked [[...]]. */
  excerpt: string
}

type Scannable = Pick<StepResult, 'step' | 'log' | 'stderr' | 'summary' | 'earlyLeaks'> | JobResult

function stepsOf(result: Scannable | Scannable[]): Pick<StepResult, 'step' | 'log' | 'stderr' | 'summary' | 'earlyLeaks'>[] {
  const list = Array.isArray(result) ? result : [result]
  return list.flatMap((item) => ('main' in item ? [item.main, ...(item.post ? [item.post] : [])] : [item]))
}

/** Every MIN_LEAK-character piece of a secret in the masked log, stderr or the summary. */
export function findLeaks(result: Scannable | Scannable[], secrets: (string | null | undefined)[]): Leak[] {
  const grams = new Map<string, number>()
  const short: [string, number][] = []
  secrets.forEach((secret, index) => {
    if (!secret) return
    if (secret.length < MIN_LEAK) return void short.push([secret, index])
    for (let i = 0; i + MIN_LEAK <= secret.length; i++)
      if (!grams.has(secret.slice(i, i + MIN_LEAK))) grams.set(secret.slice(i, i + MIN_LEAK), index)
  })
  const leaks: Leak[] = []
  const scan = (source: string, lines: string[]): void => {
    lines.forEach((text, line) => {
      for (let i = 0; i + MIN_LEAK <= text.length; i++) {
        const secret = grams.get(text.slice(i, i + MIN_LEAK))
        if (secret === undefined) continue
        let end = i + MIN_LEAK
        while (end < text.length && grams.has(text.slice(end - MIN_LEAK + 1, end + 1))) end++
        leaks.push({
          source,
          line,
          secret,
          excerpt: `${text.slice(Math.max(0, i - 60), i)}[[${text.slice(i, end)}]]${text.slice(end, end + 60)}`,
        })
        i = end - 1
      }
      for (const [secret, index] of short) {
        if (text.includes(secret)) leaks.push({ source, line, secret: index, excerpt: text.slice(0, 200) })
      }
    })
  }
  for (const step of stepsOf(result)) {
    scan(`${step.step} log`, step.log)
    scan(`${step.step} stderr`, step.stderr.split('\n'))
    scan(`${step.step} job summary`, step.summary.split('\n'))
  }
  return leaks
}

/** Fails unless no secret (nor an 8+ character piece of one) reached the log, stderr or summary unmasked. */
export function assertNoLeaks(result: Scannable | Scannable[], secrets: (string | null | undefined)[]): void {
  const problems: string[] = []
  for (const leak of findLeaks(result, secrets)) {
    problems.push(`secret #${leak.secret} in ${leak.source}, line ${leak.line + 1}: ${leak.excerpt}`)
  }
  for (const step of stepsOf(result)) {
    for (const early of step.earlyLeaks) {
      problems.push(`${step.step} log line ${early.line + 1} was printed before its secret was masked: ${early.text.slice(0, 200)}`)
    }
  }
  if (problems.length) throw new Error(`Secrets leaked (${problems.length}):\n${problems.join('\n')}`)
}
