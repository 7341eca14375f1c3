import { describe, expect, it } from 'vitest'
import { describeError, redactingLog, Secrets } from '../../src/secrets.ts'
import { parseCommandLine } from '../e2e/support/workflow-commands.ts'
import { fakeCore, leakedPieces } from './fake-core.ts'
import { secretToken, upperToken } from './helpers.ts'

function secretsWithMasks(): { secrets: Secrets; masked: string[] } {
  const masked: string[] = []
  return { secrets: new Secrets((value) => masked.push(value)), masked }
}

describe('Secrets.mask', () => {
  it('registers a value with the runner once, trimmed', () => {
    const { secrets, masked } = secretsWithMasks()
    const token = secretToken(40)
    secrets.mask(`  ${token}\n`)
    secrets.mask(token)
    secrets.mask(token)
    expect(masked).toEqual([token])
  })

  it('registers each line of a multi-line value besides the whole, as the runner masks line by line', () => {
    const { secrets, masked } = secretsWithMasks()
    const [a, b, c] = [secretToken(20), secretToken(24), secretToken(12)]
    const value = `${a}\r\n${b}\n  ${c}  `
    secrets.mask(value)
    expect(masked).toEqual([value.trim(), a, b, c])
    expect(secrets.redact(`line: ${b}`)).toBe('line: ***')
  })

  it('ignores values shorter than 4 characters, empty lines, null and undefined', () => {
    const { secrets, masked } = secretsWithMasks()
    secrets.mask('abc')
    secrets.mask('')
    secrets.mask(null)
    secrets.mask(undefined)
    secrets.mask('   ')
    secrets.mask('ab\n\ncd')
    expect(masked).toEqual(['ab\n\ncd'])
    // Nothing short is looked for: ordinary text survives.
    expect(secrets.redact('abc cd ab')).toBe('abc cd ab')
  })

  it('registers a value of exactly 4 characters', () => {
    const { secrets, masked } = secretsWithMasks()
    secrets.mask('wxyz')
    expect(masked).toEqual(['wxyz'])
    expect(secrets.redact('a wxyz b')).toBe('a *** b')
  })

  it('masks a secret that is one line of an earlier multi-line value only once', () => {
    const { secrets, masked } = secretsWithMasks()
    const [a, b] = [secretToken(16), secretToken(16)]
    secrets.mask(`${a}\n${b}`)
    secrets.mask(b)
    expect(masked.filter((value) => value === b)).toHaveLength(1)
  })
})

describe('Secrets.redact', () => {
  it('returns text unchanged when nothing is registered, and empty text as is', () => {
    const { secrets } = secretsWithMasks()
    expect(secrets.redact('nothing to hide')).toBe('nothing to hide')
    secrets.mask(secretToken())
    expect(secrets.redact('')).toBe('')
  })

  it('replaces every occurrence of a whole secret', () => {
    const { secrets } = secretsWithMasks()
    const token = secretToken(30)
    secrets.mask(token)
    expect(secrets.redact(`a ${token} b ${token}`)).toBe('a *** b ***')
  })

  it('removes every 8+ character piece of a secret, from its start, middle and end', () => {
    const { secrets } = secretsWithMasks()
    const token = upperToken(40)
    secrets.mask(token)
    const text = `[${token.slice(0, 8)}] [${token.slice(10, 22)}] [${token.slice(-9)}]`
    expect(secrets.redact(text)).toBe('[***] [***] [***]')
    expect(leakedPieces(secrets.redact(`${text} ${token}`), token, 8)).toEqual([])
  })

  it('hides the lower-cased pieces of a secret too: URL lowercases a host a secret was pasted into', () => {
    const { secrets } = secretsWithMasks()
    const token = upperToken(40)
    secrets.mask(token)
    expect(secrets.redact(`GET ${token.toLowerCase()}.example.test/api -> ENOTFOUND`)).toBe('GET ***.example.test/api -> ENOTFOUND')
    expect(secrets.redact(`at ${token.slice(3, 14).toLowerCase()}.example.test`)).toBe('at ***.example.test')
  })

  it('keeps pieces shorter than 8 characters: they cannot be told from ordinary words', () => {
    const { secrets } = secretsWithMasks()
    const token = upperToken(40)
    secrets.mask(token)
    const seven = token.slice(5, 12)
    expect(secrets.redact(`x ${seven} y`)).toBe(`x ${seven} y`)
  })

  it('leaves ordinary words alone even when a secret contains them', () => {
    const { secrets } = secretsWithMasks()
    // Not random, as people's secrets sometimes are: words that also occur in messages.
    secrets.mask('pass-word:62bc-64a9.exam-ple@ops')
    const text = 'Issued for ops@example.org in org 62bc64a9-1111-2222-3333-444455556666: check the user name or password.'
    expect(secrets.redact(text)).toBe(text)
  })

  it('hides a secret shorter than 8 characters only whole', () => {
    const { secrets } = secretsWithMasks()
    secrets.mask('k3y!Zq')
    expect(secrets.redact('a k3y!Zq b k3y!')).toBe('a *** b k3y!')
  })

  it('hides every JWT, registered or not, and the start of a cut one', () => {
    const { secrets } = secretsWithMasks()
    const jwt = `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.${upperToken(43)}`
    expect(secrets.redact(`token ${jwt} end`)).toBe('token *** end')
    expect(secrets.redact(`cut ${jwt.slice(0, 30)}`)).toBe('cut ***')
    expect(secrets.redact('a sentence. eyJ is no token')).toBe('a sentence. eyJ is no token')
  })

  it('merges adjacent and overlapping hits into one ***', () => {
    const { secrets } = secretsWithMasks()
    const [a, b] = [upperToken(20), upperToken(20)]
    secrets.mask(a)
    secrets.mask(b)
    // Two secrets back to back, then a fragment straight after.
    expect(secrets.redact(`<${a}${b}${a.slice(3, 11)}>`)).toBe('<***>')
    // Separated by one character: two hits.
    expect(secrets.redact(`<${a}-${b}>`)).toBe('<***-***>')
  })

  it('redacts at the very start and end of the text', () => {
    const { secrets } = secretsWithMasks()
    const token = secretToken(24)
    secrets.mask(token)
    expect(secrets.redact(`${token} middle ${token}`)).toBe('*** middle ***')
  })

  it('redacts pieces of every registered secret', () => {
    const { secrets } = secretsWithMasks()
    const tokens = [upperToken(30), secretToken(30), upperToken(12)]
    for (const token of tokens) secrets.mask(token)
    const text = tokens.map((token) => `(${token.slice(-8)})`).join(' ')
    expect(secrets.redact(text)).toBe('(***) (***) (***)')
  })
})

describe('Secrets.maskTokensIn', () => {
  const jwt = (): string => `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ${upperToken(12)}.${upperToken(40)}`

  it('masks the token fields of a JSON body that does not parse, a cut value too', () => {
    const { secrets, masked } = secretsWithMasks()
    const [access, refresh, id, cut] = [secretToken(50), secretToken(30), secretToken(30), secretToken(20)]
    secrets.maskTokensIn(`\uFEFF)]}',{"access_token": "${access}","refresh_token":"${refresh}", "id_token" : "${id}", "token":"${cut}`)
    expect(masked).toEqual([access, refresh, id, cut])
    expect(secrets.redact(`x ${refresh.slice(3, 14)} y`)).toBe('x *** y')
  })

  it('masks JWTs and token parameters anywhere in a body', () => {
    const { secrets, masked } = secretsWithMasks()
    const [a, b] = [jwt(), secretToken(30)]
    secrets.maskTokensIn(`<html>${a}</html> access_token=${b}&x=1`)
    expect(masked).toEqual([b, a])
  })

  it('leaves short values, nulls and other fields alone', () => {
    const { secrets, masked } = secretsWithMasks()
    secrets.maskTokensIn('{"access_token": null, "token": "short", "message": "Invalid refresh token", "tokenValue": "x"}')
    expect(masked).toEqual([])
  })

  it('registers at most 32 values from one body, so a hostile body cannot flood the log', () => {
    const { secrets, masked } = secretsWithMasks()
    const fields = Array.from({ length: 100 }, (_, index) => `"token":"${secretToken(20)}${index}"`)
    secrets.maskTokensIn(`{${fields.join(',')}}`)
    expect(masked).toHaveLength(32)
  })
})

describe('redactingLog', () => {
  it('redacts info, warning and debug lines before they reach the runner', () => {
    const core = fakeCore()
    const { secrets } = secretsWithMasks()
    const token = secretToken(40)
    secrets.mask(token)
    const log = redactingLog(core, secrets)
    log.info(`info ${token}`)
    log.warning(`warning ${token.slice(4, 12)}`)
    log.debug(`debug ${token.slice(-8)}`)
    expect(core.commands).toEqual([
      { kind: 'info', name: '', value: 'info ***' },
      { kind: 'warning', name: '', value: 'warning ***' },
      { kind: 'debug', name: '', value: 'debug ***' },
    ])
  })
})

describe('redactingLog: provider text', () => {
  it('replaces control characters, so no text can start a workflow command, and bounds each line', () => {
    const core = fakeCore()
    const log = redactingLog(core, secretsWithMasks().secrets)
    log.info('Issued for ops\n::warning::fake in org \r::error::x\u2028y')
    log.warning(`long ${'z'.repeat(5000)}`)
    const [info, warning] = core.commands.map((command) => command.value)
    expect(info).toBe('Issued for ops ::warning::fake in org  ::error::x y')
    expect(warning.length).toBeLessThanOrEqual(2000)
    expect(warning).toMatch(/\.\.\. \(\d+ more\)$/)
  })
})

describe('redactingLog and describeError: no workflow command in either form', () => {
  // What the runner would act on in a printed line (test/e2e/support/workflow-commands.ts mirrors actions/runner).
  const commandIn = (line: string) => parseCommandLine(line, 0)
  const printedBy = (text: string) => {
    const core = fakeCore()
    const log = redactingLog(core, secretsWithMasks().secrets)
    log.info(text)
    log.warning(text)
    log.debug(text)
    return [...core.commands.map((command) => command.value), describeError(new Error(text), secretsWithMasks().secrets)]
  }

  it.each([
    [
      'the legacy form mid-line',
      'Issued for deployer ##[set-output name=refresh-token;]junk in org x',
      'Issued for deployer # #[set-output name=refresh-token;]junk in org x',
    ],
    ['the legacy form at the start', '##[add-mask]Issued', '# #[add-mask]Issued'],
    ['three #', 'a ###[stop-commands]x', 'a ## #[stop-commands]x'],
    ['a zero-width joiner inside', 'a #\u2060#[set-output name=x;]y', 'a # \u2060#[set-output name=x;]y'],
    ['a combining mark inside', 'a ##\u0301[set-output name=x;]y', 'a # #\u0301[set-output name=x;]y'],
    ['a new line inside', 'a #\n#[set-output name=x;]y', 'a # #[set-output name=x;]y'],
    [':: at the start', '::set-output name=x::y', ': :set-output name=x::y'],
    [':: after white space', ' \u00a0\t::warning::y', ' \u00a0 : :warning::y'],
  ])('breaks %s with a visible space', (_name, text, expected) => {
    for (const line of printedBy(text)) {
      expect(line).toBe(expected)
      expect(commandIn(line)).toBeUndefined()
    }
  })

  it('leaves ordinary text alone', () => {
    for (const text of ['Issue #42 [closed]', 'C# [x] ## done', 'a::b', 'version ::1 [##]', '# [#[']) {
      expect(printedBy(text)).toEqual([text, text, text, text])
    }
  })

  it('no mix of command characters, white space, zero-width and non-ASCII characters gets one through', () => {
    const parts = ['#', '##', '[', ']', ':', '::', ' ', '\n', '\u200b', '\u00e9', '\u0301', 'a', 'set-output name=x;', 'warning']
    let seed = 19
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % parts.length
    for (let round = 0; round < 2000; round++) {
      const text = Array.from({ length: 1 + (round % 12) }, () => parts[next()]).join('')
      for (const line of printedBy(text)) {
        expect(line.includes('##['), JSON.stringify(text)).toBe(false)
        expect(/#[^\x20-\x7e]*#[^\x20-\x7e]*\[|^[^\x21-\x7e]*:[^\x20-\x7e]*:/.test(line), JSON.stringify(text)).toBe(false)
        expect(commandIn(line), JSON.stringify(text)).toBeUndefined()
      }
    }
  })
})

describe('describeError', () => {
  it('gives the redacted message of an Error (not its name or stack)', () => {
    const { secrets } = secretsWithMasks()
    const token = secretToken(40)
    secrets.mask(token)
    const error = new TypeError(`request failed for ${token}`)
    expect(describeError(error, secrets)).toBe('request failed for ***')
  })

  it('gives anything else thrown as redacted text', () => {
    const { secrets } = secretsWithMasks()
    const token = secretToken(40)
    secrets.mask(token)
    expect(describeError(`thrown string ${token}`, secrets)).toBe('thrown string ***')
    expect(describeError(42, secrets)).toBe('42')
    expect(describeError(undefined, secrets)).toBe('undefined')
  })
})
