/**
 * The commands a README example's script runs, with the words each is given: enough of bash and of
 * PowerShell to tell what ends up in a new process's argument list (which other processes on the
 * machine can read) from what stays in the shell (builtins, assignments, heredocs and here-strings,
 * which a command reads on its standard input, and redirection targets).
 *
 * Not a shell: it reads the forms the examples use. Where it cannot tell, it errs towards calling a
 * word an argument, so a rule built on it fails rather than passes an example it does not follow.
 */

export interface Word {
  /** The word with quotes removed and expansions left as written (`$NAME`, `$(...)`). */
  text: string
  /** Variables the word expands, its command substitutions' included (their output becomes the word). */
  refs: string[]
  /** A redirection's target or a here-string: not an argument. */
  redirect: boolean
}

export interface Command {
  words: Word[]
  /** 0-based line of the script the command starts on. */
  line: number
}

/** Words that open or close a compound command: the command proper follows them. */
const LEADING_KEYWORDS = new Set(['if', 'then', 'elif', 'else', 'while', 'until', 'do', '!', 'time', '{'])
/** Statements whose words are no command's arguments. */
const STATEMENTS = new Set(['for', 'case', 'select', 'function', '[[', 'fi', 'done', 'esac', '}', ']]', 'in', ';;'])
/** bash builtins: they run inside the shell, so their words reach no process list. */
const BASH_BUILTINS = new Set(
  (
    'echo printf read test [ export local declare typeset readonly set unset shift exit return cd pushd popd ' +
    'source . alias unalias let true false : trap wait hash type getopts umask ulimit mapfile readarray break continue'
  ).split(' '),
)
const ASSIGNMENT = /^([A-Za-z_]\w*)(\[[^\]]*\])?\+?=/

/** A bash script's simple commands, those in command substitutions and process substitutions included. */
export function bashCommands(script: string): Command[] {
  const lexer = new BashLexer(script, 0)
  lexer.lex()
  return lexer.commands
}

/** Where a command's name is, past assignments and keywords; undefined for a statement or a bare assignment. */
export function commandNameIndex(words: readonly Word[]): number | undefined {
  let index = 0
  while (index < words.length && (ASSIGNMENT.test(words[index].text) || LEADING_KEYWORDS.has(words[index].text))) index++
  const name = words[index]?.text
  if (name === undefined || STATEMENTS.has(name)) return undefined
  return index
}

export function isBashBuiltin(name: string): boolean {
  return BASH_BUILTINS.has(name)
}

/** The name an assignment word assigns, or undefined. */
export function assignedName(word: Word): string | undefined {
  return ASSIGNMENT.exec(word.text)?.[1]
}

class BashLexer {
  readonly commands: Command[] = []
  private i = 0
  private line: number
  private words: Word[] = []
  private word: Word | undefined
  private commandLine: number
  private redirectPending = false
  private readonly heredocs: { delimiter: string; stripTabs: boolean }[] = []
  private readonly src: string

  constructor(src: string, firstLine: number) {
    this.src = src
    this.line = firstLine
    this.commandLine = firstLine
  }

  lex(): void {
    const src = this.src
    while (this.i < src.length) {
      const c = src[this.i]
      const next = src[this.i + 1]
      if (c === '\\' && next === '\n') {
        this.i += 2
        this.line++
      } else if (c === '\n') {
        this.endCommand()
        this.i++
        this.line++
        this.skipHeredocBodies()
        this.commandLine = this.line
      } else if (c === ' ' || c === '\t') {
        this.endWord()
        this.i++
      } else if (c === '#' && !this.word) {
        while (this.i < src.length && src[this.i] !== '\n') this.i++
      } else if (c === '&' && next === '>') {
        this.endWord()
        this.redirection()
      } else if (c === ';' || c === '&' || c === '|' || c === '(' || c === ')') {
        this.endCommand()
        this.i++
      } else if (c === '<' || c === '>') {
        if (this.word && /^\d+$/.test(this.word.text) && this.word.refs.length === 0) this.word = undefined
        this.endWord()
        this.redirection()
      } else {
        this.wordPart()
      }
    }
    this.endCommand()
  }

  private current(): Word {
    if (!this.word) {
      if (this.words.length === 0) this.commandLine = this.line
      this.word = { text: '', refs: [], redirect: this.redirectPending }
      this.redirectPending = false
    }
    return this.word
  }

  private endWord(): void {
    if (this.word) this.words.push(this.word)
    this.word = undefined
  }

  private endCommand(): void {
    this.endWord()
    if (this.words.length) this.commands.push({ words: this.words, line: this.commandLine })
    this.words = []
    this.redirectPending = false
  }

  private wordPart(): void {
    const src = this.src
    const c = src[this.i]
    const word = this.current()
    if (c === "'") {
      const end = this.find("'", this.i + 1)
      word.text += src.slice(this.i + 1, end)
      this.i = end + 1
    } else if (c === '"') {
      this.i++
      while (this.i < src.length && src[this.i] !== '"') {
        if (src[this.i] === '\\' && this.i + 1 < src.length) {
          word.text += src[this.i + 1]
          this.i += 2
        } else if (src[this.i] === '$' || src[this.i] === '`') {
          this.expansion(word)
        } else {
          if (src[this.i] === '\n') this.line++
          word.text += src[this.i++]
        }
      }
      this.i++
    } else if (c === '$' || c === '`') {
      this.expansion(word)
    } else if (c === '\\') {
      word.text += src[this.i + 1] ?? ''
      this.i += 2
    } else {
      word.text += c
      this.i++
    }
  }

  /** `$NAME`, `${...}`, `$(...)`, `$((...))` or a backquoted command at this.i. */
  private expansion(word: Word): void {
    const src = this.src
    const start = this.i
    if (src[start] === '`') {
      const end = this.find('`', start + 1)
      this.substitution(word, src.slice(start + 1, end), true)
      this.i = end + 1
    } else if (src.startsWith('$((', start) || src.startsWith('$(', start)) {
      const end = this.closing(start + 1)
      const arithmetic = src.startsWith('$((', start)
      const inner = src.slice(start + (arithmetic ? 3 : 2), end - (arithmetic ? 1 : 0))
      // Arithmetic: only the expansions inside it run anything; a substitution's output is the word.
      this.substitution(word, arithmetic ? `: "${inner.replace(/"/g, '')}"` : inner, true)
      this.i = end + 1
    } else if (src[start + 1] === '{') {
      const end = this.find('}', start + 2)
      const inner = src.slice(start + 2, end)
      const name = /^[#!]?([A-Za-z_]\w*)/.exec(inner)?.[1]
      if (name) word.refs.push(name)
      this.substitution(word, `: "${inner.slice(name ? inner.indexOf(name) + name.length : 0)}"`, true)
      this.i = end + 1
    } else {
      const name = /^[A-Za-z_]\w*/.exec(src.slice(start + 1))?.[0]
      if (name) word.refs.push(name)
      this.i = start + 1 + (name?.length ?? (/[\d@*#?$!-]/.test(src[start + 1] ?? '') ? 1 : 0))
    }
    word.text += src.slice(start, this.i)
  }

  /** Lexes `inner` as a script of its own: its commands are this script's too. */
  private substitution(word: Word | undefined, inner: string, outputIsTheWord: boolean): void {
    const sub = new BashLexer(inner, this.line)
    sub.lex()
    this.commands.push(...sub.commands)
    if (word && outputIsTheWord) word.refs.push(...sub.commands.flatMap((command) => command.words.flatMap((w) => w.refs)))
    this.line += (inner.match(/\n/g) ?? []).length
  }

  private redirection(): void {
    const src = this.src
    if ((src[this.i] === '<' || src[this.i] === '>') && src[this.i + 1] === '(') {
      // Process substitution: the command's argument is a path (/dev/fd/N), its output stays in a pipe.
      const end = this.closing(this.i + 1)
      const word = this.current()
      this.substitution(undefined, src.slice(this.i + 2, end), false)
      word.text += src.slice(this.i, end + 1)
      this.i = end + 1
      return
    }
    if (src.startsWith('<<<', this.i)) {
      this.i += 3
      this.redirectPending = true
      return
    }
    if (src.startsWith('<<', this.i)) {
      const stripTabs = src[this.i + 2] === '-'
      this.i += stripTabs ? 3 : 2
      while (src[this.i] === ' ') this.i++
      const delimiter = /^(['"]?)([^\s'";&|<>]+)\1/.exec(src.slice(this.i))
      this.heredocs.push({ delimiter: delimiter?.[2] ?? '', stripTabs })
      this.i += delimiter?.[0].length ?? 0
      return
    }
    const operator = /^&?[<>]+(&(\d+|-)|&|\|)?/.exec(src.slice(this.i))![0]
    this.i += operator.length
    // `2>&1` and `>&-` are complete; any other operator takes the next word as its target.
    if (!/&(\d+|-)$/.test(operator)) this.redirectPending = true
  }

  /** Heredoc bodies: text a command reads on its standard input, never its arguments. */
  private skipHeredocBodies(): void {
    for (const { delimiter, stripTabs } of this.heredocs.splice(0)) {
      while (this.i < this.src.length) {
        const end = this.src.indexOf('\n', this.i)
        const lineText = this.src.slice(this.i, end === -1 ? undefined : end)
        this.i = end === -1 ? this.src.length : end + 1
        this.line++
        if ((stripTabs ? lineText.replace(/^\t+/, '') : lineText) === delimiter) break
      }
    }
  }

  private find(char: string, from: number): number {
    let at = from
    while (at < this.src.length && this.src[at] !== char) at += this.src[at] === '\\' && char !== "'" ? 2 : 1
    return at
  }

  /** The index of the `)` that closes the `(` at `open`, past quotes and nested parentheses. */
  private closing(open: number): number {
    let depth = 0
    for (let at = open; at < this.src.length; at++) {
      const c = this.src[at]
      if (c === "'" || c === '"') at = this.find(c, at + 1)
      else if (c === '\\') at++
      else if (c === '(') depth++
      else if (c === ')' && --depth === 0) return at
    }
    return this.src.length
  }
}

export interface PwshStatement {
  text: string
  /** 0-based line of the script the statement starts on. */
  line: number
}

/**
 * A PowerShell script's statements: lines joined at a trailing backtick, inside an open hashtable,
 * array or parenthesis (data, not a script block), and here-strings kept whole; then cut at `;` and
 * `|` outside quotes and brackets (a pipeline's commands are statements of their own here).
 */
export function pwshStatements(script: string): PwshStatement[] {
  const lines = script.split('\n')
  const logical: PwshStatement[] = []
  for (let index = 0; index < lines.length; index++) {
    const start = index
    let text = lines[index]
    for (;;) {
      if (/`\s*$/.test(text) && index + 1 < lines.length) text = text.replace(/`\s*$/, ' ') + lines[++index]
      else if (/@["']\s*$/.test(text) && index + 1 < lines.length) {
        const closer = text.trimEnd().endsWith('"') ? '"@' : "'@"
        do text += `\n${lines[++index]}`
        while (index + 1 < lines.length && !lines[index].trimStart().startsWith(closer))
      } else if (openData(text) && index + 1 < lines.length) text += `\n${lines[++index]}`
      else break
    }
    logical.push({ text, line: start })
  }
  return logical.flatMap(({ text, line }) => splitOutside(text, /[;|]/).map((part) => ({ text: part.trim(), line })))
}

/** Whether a hashtable (`@{`), an array (`@(`) or a parenthesis is still open at the end of `text`. */
function openData(text: string): boolean {
  const open: string[] = []
  let quote: string | undefined
  for (let at = 0; at < text.length; at++) {
    const c = text[at]
    if (quote) {
      if (c === quote) quote = undefined
    } else if (c === '"' || c === "'") quote = c
    else if (c === '#' && (at === 0 || /\s/.test(text[at - 1]))) break
    else if (c === '{') open.push(text[at - 1] === '@' ? 'data' : 'block')
    else if (c === '(' || c === '[') open.push('data')
    else if (c === '}' || c === ')' || c === ']') open.pop()
  }
  return open.includes('data')
}

/**
 * The command of a PowerShell statement: its name, its arguments, and whether it runs in the
 * shell's own process (cmdlets, functions, expressions, assignments, .ps1 scripts) or is a program.
 * A statement that opens or closes a block (`if (...) {`, `} else {`) is read for what follows it.
 */
export function pwshCommand(statement: string): { name: string; args: string[]; inProcess: boolean } | undefined {
  const text = withoutBlockSyntax(statement.replace(/(^|\s)#.*$/, '').trim())
  if (text === '') return undefined
  const words = splitOutside(text, /\s/)
    .map((word) => word.trim())
    .filter(Boolean)
  const call = words[0] === '&' || words[0] === '.'
  const [name, ...args] = call ? words.slice(1) : words
  const bare = (name ?? '').replace(/^['"]|['"]$/g, '')
  const inProcess =
    (!call && /^[$@[(]/.test(text)) ||
    /\.ps1$/i.test(bare) ||
    PWSH_KEYWORDS.has(bare.toLowerCase()) ||
    (/^[A-Za-z]+-[A-Za-z0-9]+$/.test(bare) && bare.toLowerCase() !== 'start-process')
  return { name: bare, args: args.map((arg) => arg.replace(/^['"]|['"]$/g, '')), inProcess }
}

/** `if (...) {`, `} elseif (...) {`, `else {`, `try {`, a closing `}`: stripped, leaving the statement inside. */
function withoutBlockSyntax(text: string): string {
  let rest = text.replace(/^\}\s*/, '')
  const conditional = /^(if|elseif|while|foreach|for|switch)\s*\(/i.exec(rest)
  if (conditional) {
    let depth = 0
    let at = conditional[0].length - 1
    for (; at < rest.length; at++) {
      if (rest[at] === '(') depth++
      else if (rest[at] === ')' && --depth === 0) break
    }
    rest = rest.slice(at + 1).trim()
  } else {
    rest = rest.replace(/^(else|try|finally|do)\b\s*/i, '')
  }
  return rest
    .replace(/^\{\s*/, '')
    .replace(/\s*\}$/, '')
    .trim()
}

const PWSH_KEYWORDS = new Set(
  (
    'if elseif else foreach for while do until switch try catch finally trap return throw exit break continue param ' +
    'function filter begin process end echo write cd ls dir cat type pwd sleep select where % ? measure sort'
  ).split(' '),
)

/** The variables a PowerShell statement reads (`$name`, `${name}`, `$env:NAME`), outside single quotes. */
export function pwshRefs(statement: string): string[] {
  const refs: string[] = []
  const unquoted = statement.replace(/'[^']*'/g, "''")
  for (const match of unquoted.matchAll(/\$\{?(?:(env|script|global|local):)?([A-Za-z_]\w*)\}?/g)) refs.push(match[2])
  return refs
}

/** An assignment's variable (`$x = ...`, `$env:X = ...`), or undefined. */
export function pwshAssigned(statement: string): string | undefined {
  return /^\$\{?(?:(?:env|script|global|local):)?([A-Za-z_]\w*)\}?\s*[+]?=(?!=)/.exec(statement.trim())?.[1]
}

/** `text` cut at `separator` where it stands outside quotes and (), {} and [] brackets. */
function splitOutside(text: string, separator: RegExp): string[] {
  const parts: string[] = []
  let depth = 0
  let quote: string | undefined
  let part = ''
  for (const c of text) {
    if (quote) {
      if (c === quote) quote = undefined
    } else if (c === '"' || c === "'") {
      quote = c
    } else if ('({['.includes(c)) {
      depth++
    } else if (')}]'.includes(c)) {
      depth = Math.max(0, depth - 1)
    } else if (depth === 0 && separator.test(c)) {
      parts.push(part)
      part = ''
      continue
    }
    part += c
  }
  parts.push(part)
  return parts
}
