/**
 * A recording fake of the part of @actions/core the action uses (src/core.ts). Every call is kept
 * in order as a workflow command, so tests can assert the sequence the runner would see, in the
 * spirit of actions/create-github-app-token's snapshot tests, and check that each secret reached
 * ::add-mask:: before anything else could print it.
 */
import { expect } from 'vitest'
import type { ActionCore } from '../../src/core.ts'

export type CommandKind =
  'setSecret' | 'setOutput' | 'exportVariable' | 'saveState' | 'info' | 'warning' | 'debug' | 'setFailed' | 'summary'

export interface Command {
  kind: CommandKind
  /** Output, variable or state name; '' for the others. */
  name: string
  /** The value or message as the action passed it. */
  value: string
}

/** The outputs every token sets, in the order the action sets them, as `${kind} ${name}` of the commands. */
export const TOKEN_OUTPUT_COMMANDS = ['access-token', 'token-type', 'expires-in', 'expires-at', 'org', 'subject'].map(
  (name) => `setOutput ${name}`,
)

/** Commands whose text the runner prints to the log (or the job summary page). */
const PRINTED: ReadonlySet<CommandKind> = new Set(['info', 'warning', 'debug', 'setFailed', 'summary'])

export interface FakeCoreOptions {
  /** Input values by input name (as in action.yml), untrimmed, as the runner would pass them. */
  inputs?: Record<string, string>
  /** State a previous (main) step saved, for the post step. */
  state?: Record<string, string>
  /** Make summary.write() reject, as it does outside a runner (no GITHUB_STEP_SUMMARY). */
  summaryFails?: boolean
}

export interface FakeCore extends ActionCore {
  readonly commands: Command[]
  readonly inputs: Record<string, string>
  /** Input names read, in order. */
  readonly inputsRead: string[]
  /** Values passed to setSecret, in order. */
  masked(): string[]
  outputs(): Record<string, string>
  env(): Record<string, string>
  states(): Record<string, string>
  messages(kind: 'info' | 'warning' | 'debug' | 'setFailed' | 'summary'): string[]
  /** Everything the runner would print (log lines, failure, summary), one entry per command. */
  printed(): string[]
  /** The commands as the runner sees them, one line each, secrets replaced by <secret N>. */
  transcript(secrets?: string[], options?: { debug?: boolean }): string[]
}

export function fakeCore(options: FakeCoreOptions = {}): FakeCore {
  const commands: Command[] = []
  const inputs = { ...(options.inputs ?? {}) }
  const inputsRead: string[] = []
  const state: Record<string, string> = { ...(options.state ?? {}) }
  const record = (kind: CommandKind, name: string, value: unknown): void => {
    commands.push({ kind, name, value: value instanceof Error ? value.message : String(value) })
  }

  let buffer = ''
  const summary = {
    addRaw(text: string, addEOL = false) {
      buffer += text + (addEOL ? '\n' : '')
      return summary
    },
    async write() {
      if (options.summaryFails) {
        throw new Error(
          'Unable to find environment variable for $GITHUB_STEP_SUMMARY. Check if your runtime environment supports job summaries.',
        )
      }
      record('summary', '', buffer)
      buffer = ''
      return summary
    },
  }

  const byKind = (kind: CommandKind): Command[] => commands.filter((c) => c.kind === kind)
  const toRecord = (kind: CommandKind): Record<string, string> => Object.fromEntries(byKind(kind).map((c) => [c.name, c.value]))

  const core = {
    commands,
    inputs,
    inputsRead,
    // Same lookup and trimming as @actions/core's getInput.
    getInput(name: string, opts?: { required?: boolean; trimWhitespace?: boolean }): string {
      inputsRead.push(name)
      const value = inputs[name] ?? ''
      if (opts?.required && !value) throw new Error(`Input required and not supplied: ${name}`)
      return opts?.trimWhitespace === false ? value : value.trim()
    },
    getState: (name: string): string => state[name] ?? '',
    saveState(name: string, value: unknown): void {
      const text = typeof value === 'string' ? value : JSON.stringify(value)
      state[name] = text
      record('saveState', name, text)
    },
    setSecret: (value: string): void => record('setSecret', '', value),
    setOutput: (name: string, value: unknown): void => record('setOutput', name, value),
    exportVariable: (name: string, value: unknown): void => record('exportVariable', name, value),
    setFailed: (message: string | Error): void => record('setFailed', '', message),
    info: (message: string): void => record('info', '', message),
    warning: (message: string | Error): void => record('warning', '', message),
    debug: (message: string): void => record('debug', '', message),
    summary,

    masked: () => byKind('setSecret').map((c) => c.value),
    outputs: () => toRecord('setOutput'),
    env: () => toRecord('exportVariable'),
    states: () => toRecord('saveState'),
    messages: (kind: 'info' | 'warning' | 'debug' | 'setFailed' | 'summary') => byKind(kind).map((c) => c.value),
    printed: () => commands.filter((c) => PRINTED.has(c.kind)).map((c) => c.value),
    transcript(secrets: string[] = [], opts: { debug?: boolean } = {}): string[] {
      const hide = (text: string): string =>
        secrets.reduce((out, secret, index) => (secret ? out.split(secret).join(`<secret ${index + 1}>`) : out), text)
      return commands
        .filter((c) => opts.debug || c.kind !== 'debug')
        .map((c) => {
          switch (c.kind) {
            case 'setSecret':
              return `::add-mask::${hide(c.value)}`
            case 'setOutput':
              return `::set-output name=${c.name}::${hide(c.value)}`
            case 'exportVariable':
              return `::set-env name=${c.name}::${hide(c.value)}`
            case 'saveState':
              return `::save-state name=${c.name}::${c.name === 'token' ? '<json>' : hide(c.value)}`
            case 'setFailed':
              return `::error::${hide(c.value)}`
            case 'summary':
              return `::summary::${hide(c.value).split('\n')[0]}`
            default:
              return `::${c.kind}::${hide(c.value)}`
          }
        })
    },
  }
  return core as unknown as FakeCore
}

/** Every piece of `secret` of `length` characters (the contract speaks of 8+). */
export function piecesOf(secret: string, length: number): string[] {
  const pieces: string[] = []
  for (let i = 0; i + length <= secret.length; i++) pieces.push(secret.slice(i, i + length))
  return pieces
}

/** The pieces of `secret` of `length` characters found in `text`. */
export function leakedPieces(text: string, secret: string, length = 8): string[] {
  return piecesOf(secret, Math.min(length, secret.length)).filter((piece) => text.includes(piece))
}

/**
 * The masking contract: each secret was given to setSecret (as a whole) before any other command
 * held it, and no printed line (log, failure, summary) holds it or any `pieceLength`-character
 * piece of it, masked or not.
 */
export function expectMaskedBeforeUse(core: FakeCore, secrets: string[], pieceLength = 8): void {
  for (const [index, secret] of secrets.entries()) {
    const label = `secret ${index + 1} (${secret.length} chars)`
    const maskedAt = core.commands.findIndex((c) => c.kind === 'setSecret' && c.value === secret)
    expect(maskedAt, `${label} was never passed to setSecret`).toBeGreaterThanOrEqual(0)
    const firstUse = core.commands.findIndex((c) => c.kind !== 'setSecret' && (c.value.includes(secret) || c.name.includes(secret)))
    if (firstUse !== -1) {
      expect(firstUse, `${label} was used by ${core.commands[firstUse].kind} before setSecret`).toBeGreaterThan(maskedAt)
    }
    for (const command of core.commands) {
      if (!PRINTED.has(command.kind)) continue
      expect(leakedPieces(command.value, secret, pieceLength), `${command.kind} line leaks ${label}: ${command.value}`).toEqual([])
    }
  }
}
