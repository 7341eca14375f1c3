/** The helpers several providers share: JWT claims, OAuth-style token answers, failures. */
import { describe, expect, it } from 'vitest'
import type { HttpResponse } from '../../src/http/response.ts'
import { hideEchoedTokenTails } from '../../src/secrets.ts'
import { dateClaim, readJwtClaims, stringClaim } from '../../src/providers/jwt-claims.ts'
import { fieldNames, normaliseTokenType, readTokenAnswer } from '../../src/providers/token-answer.ts'
import { Secrets } from '../../src/secrets.ts'
import { jwt, rejectionOf, secretToken } from './helpers.ts'

describe('jwt-claims', () => {
  it('stringClaim gives the first non-empty string of the names, in order', () => {
    const claims = { a: '', b: 42, c: 'third', d: 'fourth' }
    expect(stringClaim(claims, 'a', 'b', 'c', 'd')).toBe('third')
    expect(stringClaim(claims, 'x')).toBeUndefined()
    expect(stringClaim(undefined, 'a')).toBeUndefined()
  })

  it('dateClaim reads a NumericDate as milliseconds, and nothing else', () => {
    expect(dateClaim({ exp: 1_900_000_000 }, 'exp')).toBe(1_900_000_000_000)
    for (const exp of ['1900000000', 0, -1, Number.NaN, Infinity, 1e13, null])
      expect(dateClaim({ exp }, 'exp'), String(exp)).toBeUndefined()
    expect(dateClaim(readJwtClaims(jwt({ exp: 2_000_000_000 })), 'exp')).toBe(2_000_000_000_000)
  })
})

describe('token-answer', () => {
  function answer(body: string, status = 200): HttpResponse {
    return { status, statusText: 'OK', headers: {}, body, attempts: 1 }
  }

  it('hands on a whole rotated refresh token found in an answer that does not parse, and says so', async () => {
    const masked: string[] = []
    const secrets = new Secrets((value) => masked.push(value))
    const [access, refresh] = [secretToken(48), secretToken(32)]
    const rotated: string[] = []
    const error = await rejectionOf(
      Promise.resolve().then(() =>
        readTokenAnswer(answer(`{"access_token":"${access}","refresh_token":"${refresh}"`), secrets, 'X', (token) => rotated.push(token)),
      ),
    )
    expect(rotated).toEqual([refresh])
    expect(masked).toEqual([access, refresh])
    expect(error.message).toBe(
      `X answered HTTP 200 OK with JSON that does not parse, cut short or with extra text (${48 + 32 + 37} bytes); expected a JSON token response. The refresh token it held is in the refresh-token output: store it.`,
    )
  })

  it('hands on no refresh token that was cut short', async () => {
    const rotated: string[] = []
    const body = `{"access_token":"${secretToken(48)}","refresh_token":"${secretToken(32).slice(0, 20)}`
    await rejectionOf(
      Promise.resolve().then(() => readTokenAnswer(answer(body), new Secrets(() => {}), 'X', (token) => rotated.push(token))),
    )
    expect(rotated).toEqual([])
  })

  it('normaliseTokenType', () => {
    expect(normaliseTokenType('bearer')).toBe('Bearer')
    expect(normaliseTokenType(' BEARER ')).toBe('Bearer')
    expect(normaliseTokenType(undefined)).toBe('Bearer')
    expect(normaliseTokenType('mac')).toBe('mac')
    expect(normaliseTokenType('x'.repeat(100))).toBe(`${'x'.repeat(40)}...`)
  })

  it('fieldNames lists a few short names', () => {
    expect(fieldNames({})).toBe('none')
    expect(fieldNames({ a: 1, b: 2 })).toBe('a, b')
    const many = Object.fromEntries(Array.from({ length: 25 }, (_, index) => [`f${index}`, index]))
    expect(fieldNames(many)).toBe('f0, f1, f2, f3, f4, f5, f6, f7, f8, f9 and 15 more')
    expect(fieldNames({ ['k'.repeat(100)]: 1 })).toBe(`${'k'.repeat(40)}...`)
  })
})

describe('failures', () => {
  it('hideEchoedTokenTails hides what follows a run of x-es and dots, and nothing else', () => {
    expect(hideEchoedTokenTails('invalid_grant: Invalid refresh token: xxxxx...tN3NK')).toBe(
      'invalid_grant: Invalid refresh token: xxxxx...***',
    )
    expect(hideEchoedTokenTails('a xxx..ab~_-9 b xxxxx...c')).toBe('a xxx..*** b xxxxx...***')
    for (const text of ['box...ok', 'xx...tail', 'xxx.tail', 'Invalid refresh token.']) expect(hideEchoedTokenTails(text)).toBe(text)
  })
})
