/** Text that reaches the log or the job summary: one line, no control characters, bounded. */

/** No line the action prints is longer: a hostile answer cannot flood the log. */
export const MAX_LINE = 2000

/**
 * C0/C1 controls (a newline or a lone carriage return would let text start a workflow command on
 * a line of its own), line and paragraph separators, and the bidi overrides that make text read
 * other than it is.
 */
const CONTROL = /[\p{Cc}\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu

/** Text a provider controls, made safe to print: every control character becomes a space. */
export function printable(text: string): string {
  return text.replace(CONTROL, ' ')
}

/**
 * The runner's legacy command form `##[name props]data`, which it finds anywhere in a line
 * (actions/runner src/Runner.Common/ActionCommand.cs TryParse: `message.IndexOf("##[")`, the fallback
 * of ActionCommandManager.TryProcessCommand). That IndexOf compares by culture (ICU), which skips
 * characters of no weight (zero-width, format and many combining characters), so a '#' is a start
 * wherever '#' and '[' follow with only non-ASCII characters between.
 */
const LEGACY_COMMAND = /#(?=[^\x20-\x7e]*#[^\x20-\x7e]*\[)/g
/**
 * The `::name::` form, read where a line starts with '::' after white space (ActionCommand.cs
 * TryParseV2: `message.TrimStart()`, then `StartsWith("::")`, also by culture).
 */
const COMMAND_AT_START = /^([^\x21-\x7e]*):(?=[^\x20-\x7e]*:)/

/**
 * One printable line of at most `max` characters that the runner reads as text, never as a
 * workflow command: a space after the first '#' of `##[` and after a leading ':' of `::`. A space is
 * visible and has a weight in every comparison the runner makes; a zero-width joiner would not.
 */
export function logLine(text: string, max = MAX_LINE): string {
  const line = printable(text).replace(LEGACY_COMMAND, '# ').replace(COMMAND_AT_START, '$1: ')
  return line.length > max ? `${line.slice(0, max - 20)}... (${line.length - max + 20} more)` : line
}

/** White space collapsed, cut at `max` characters: a quote from an answer inside a message. */
export function excerpt(text: string, max = 300): string {
  const flat = printable(text).replace(/\s+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max)}...` : flat
}

/**
 * Text for a Markdown table cell of the job summary: HTML and Markdown syntax shown as text, so a
 * name like `<img src=...>` or `[x](https://...)` from a provider stays a name. Parentheses need no
 * escape once brackets have one.
 */
export function markdownText(text: string): string {
  return printable(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|~]/g, (char) => `\\${char}`)
}

/** Values up to this long are quoted in messages; longer ones are described by their length. */
const MAX_QUOTED = 64

/**
 * An input's value for a message: quoted whole, or not at all. The runner masks a secret only as a
 * whole value, so a cut piece of a secret pasted into the wrong input would show.
 */
export function quoteValue(raw: string): string {
  if (raw.length <= MAX_QUOTED && printable(raw) === raw) return `'${raw}'`
  const lines = raw.split(/\r?\n/).length
  return `a value of ${raw.length} characters${lines > 1 ? ` on ${lines} lines` : ''} (not shown)`
}

/** "1 try", "3 tries". */
export function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`
}
