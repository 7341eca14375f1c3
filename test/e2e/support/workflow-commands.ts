/**
 * The runner's two forms of workflow command, read from one line of a step's output as actions/runner
 * reads them (src/Runner.Common/ActionCommand.cs, src/Runner.Worker/ActionCommandManager.cs
 * TryProcessCommand): first `::name k=v,k=v::data` where the line starts with '::' after white space
 * (TryParseV2), and when that is no registered command, the legacy `##[name k=v;k=v]data` ANYWHERE in
 * the line (TryParse: `message.IndexOf("##[")`). Command and property names compare case-insensitively
 * (OrdinalIgnoreCase). Only erasable TypeScript: scripts run this file directly.
 *
 * The runner's IndexOf("##[") compares by culture (ICU) and so also finds the prefix with characters
 * of no weight inside it; it then reads the name three characters after the match's start, which is
 * inside such a prefix, so those matches name no command. Plain indexOf finds every prefix that works.
 */

export interface WorkflowCommand {
  /** The name, lower-cased (the runner compares names case-insensitively). */
  command: string
  /** Property names lower-cased, values unescaped. */
  properties: Record<string, string>
  /** Unescaped message, as the action sent it (not masked). */
  message: string
  /** Index of the stdout line it came from. */
  line: number
  /** `::name::` (v2), or the `##[name]` form the runner reads anywhere in a line (legacy). */
  form: 'v2' | 'legacy'
}

/** The commands the runner registers (ActionCommandManager: its extensions and stop-commands). */
export const COMMANDS: ReadonlySet<string> = new Set([
  'add-mask',
  'debug',
  'notice',
  'warning',
  'error',
  'group',
  'endgroup',
  'echo',
  'stop-commands',
  'add-matcher',
  'remove-matcher',
  'save-state',
  'set-output',
  'set-env',
  'add-path',
])

function unescapeData(text: string): string {
  return text.replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%25/g, '%')
}

function unescapeProperty(text: string): string {
  return text.replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%3A/gi, ':').replace(/%2C/gi, ',').replace(/%25/g, '%')
}

/** ActionCommand.Unescape, the legacy form's: ordinal, case-sensitive replacements in this order. */
function unescapeLegacy(text: string): string {
  return text.replaceAll('%3B', ';').replaceAll('%0D', '\r').replaceAll('%0A', '\n').replaceAll('%5D', ']').replaceAll('%25', '%')
}

/**
 * `k=v` pairs split at `separator`; a pair needs a name and a value (the runner splits at the first
 * '=' and drops empty parts, so leading '='s go too).
 */
function readProperties(text: string, separator: string, unescape: (value: string) => string): Record<string, string> {
  const properties: Record<string, string> = {}
  for (const pair of text.split(separator)) {
    const trimmed = pair.replace(/^=+/, '')
    const equals = trimmed.indexOf('=')
    if (equals > 0 && equals < trimmed.length - 1)
      properties[trimmed.slice(0, equals).trim().toLowerCase()] = unescape(trimmed.slice(equals + 1))
  }
  return properties
}

/** The name, and the properties after its first space, of a command's head. */
function splitHead(head: string): { command: string; rest: string | undefined } {
  const space = head.indexOf(' ')
  return { command: (space === -1 ? head : head.slice(0, space)).toLowerCase(), rest: space > 0 ? head.slice(space + 1) : undefined }
}

function parseV2(line: string, index: number, registered: ReadonlySet<string>): WorkflowCommand | undefined {
  const text = line.trim()
  if (!text.startsWith('::')) return undefined
  const end = text.indexOf('::', 2)
  if (end === -1) return undefined
  const { command, rest } = splitHead(text.slice(2, end))
  if (!registered.has(command)) return undefined
  const properties = rest === undefined ? {} : readProperties(rest.trim(), ',', unescapeProperty)
  return { command, properties, message: unescapeData(text.slice(end + 2)), line: index, form: 'v2' }
}

function parseLegacy(line: string, index: number, registered: ReadonlySet<string>): WorkflowCommand | undefined {
  const prefix = line.indexOf('##[')
  if (prefix === -1) return undefined
  const end = line.indexOf(']', prefix)
  if (end === -1) return undefined
  const { command, rest } = splitHead(line.slice(prefix + 3, end))
  if (!registered.has(command)) return undefined
  const properties = rest === undefined ? {} : readProperties(rest, ';', unescapeLegacy)
  return { command, properties, message: unescapeLegacy(line.slice(end + 1)), line: index, form: 'legacy' }
}

/**
 * The command a line holds, in either form, or undefined for an ordinary line. `registered` is what
 * the runner would act on: COMMANDS, plus the token of a stop-commands while commands are stopped.
 */
export function parseCommandLine(line: string, index: number, registered: ReadonlySet<string> = COMMANDS): WorkflowCommand | undefined {
  return parseV2(line, index, registered) ?? parseLegacy(line, index, registered)
}
