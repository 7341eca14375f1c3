import { describe, expect, it } from 'vitest'
import { describeError, redactingLog, Secrets } from '../../src/secrets.ts'
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

  it("removes a 4+ character fragment such as the tail CSP echoes ('xxxxx...tN3NK')", () => {
    const { secrets } = secretsWithMasks()
    const token = upperToken(65)
    secrets.mask(token)
    const message = `invalid_grant: Invalid refresh token: xxxxx...${token.slice(-5)}`
    const redacted = secrets.redact(message)
    expect(redacted).toBe('invalid_grant: Invalid refresh token: xxxxx...***')
    expect(leakedPieces(redacted, token, 4)).toEqual([])
  })

  it('removes fragments from the middle and the start of a secret', () => {
    const { secrets } = secretsWithMasks()
    const token = upperToken(40)
    secrets.mask(token)
    expect(secrets.redact(`[${token.slice(10, 14)}] [${token.slice(0, 9)}]`)).toBe('[***] [***]')
  })

  it('keeps 3-character fragments: too short to be told from ordinary text', () => {
    const { secrets } = secretsWithMasks()
    const token = upperToken(40)
    secrets.mask(token)
    const three = token.slice(5, 8)
    expect(secrets.redact(`x ${three} y`)).toBe(`x ${three} y`)
  })

  it('merges adjacent and overlapping hits into one ***', () => {
    const { secrets } = secretsWithMasks()
    const [a, b] = [upperToken(20), upperToken(20)]
    secrets.mask(a)
    secrets.mask(b)
    // Two secrets back to back, then a fragment straight after.
    expect(secrets.redact(`<${a}${b}${a.slice(3, 9)}>`)).toBe('<***>')
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
    const text = tokens.map((token) => `(${token.slice(-6)})`).join(' ')
    expect(secrets.redact(text)).toBe('(***) (***) (***)')
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
    log.debug(`debug ${token.slice(-4)}`)
    expect(core.commands).toEqual([
      { kind: 'info', name: '', value: 'info ***' },
      { kind: 'warning', name: '', value: 'warning ***' },
      { kind: 'debug', name: '', value: 'debug ***' },
    ])
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
