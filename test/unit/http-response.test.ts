import { describe, expect, it } from 'vitest'
import { decodeXml, jsonObject, responseReason, type HttpResponse } from '../../src/http/response.ts'

describe('responseReason', () => {
  const reason = (status: number, body: string, statusText = '') =>
    responseReason({ status, statusText, body } satisfies Pick<HttpResponse, 'status' | 'statusText' | 'body'>)

  it('gives the fields of a JSON error, once each', () => {
    expect(reason(400, JSON.stringify({ error: 'invalid_grant', error_description: 'Token is expired' }), 'Bad Request')).toBe(
      'HTTP 400 Bad Request: invalid_grant: Token is expired',
    )
    expect(
      reason(400, JSON.stringify({ statusCode: 400, moduleCode: 513, message: 'invalid_grant: Invalid refresh token: xxxxx...tN3NK' })),
    ).toBe('HTTP 400: invalid_grant: Invalid refresh token: xxxxx...tN3NK')
    // Other fields are the provider's own format (cloud-director-api.ts reads minorErrorCode).
    expect(reason(401, JSON.stringify({ minorErrorCode: 'invalid_grant', message: 'Invalid refresh token' }))).toBe(
      'HTTP 401: Invalid refresh token',
    )
    expect(reason(400, JSON.stringify({ error: 'same', message: 'same' }))).toBe('HTTP 400: same')
    expect(reason(500, JSON.stringify({ error: 42 }))).toBe('HTTP 500: 42')
  })

  it('gives a JSON body without known fields as it is', () => {
    expect(reason(400, '{"code": "E1",\n "detail": "x"}')).toBe('HTTP 400: {"code": "E1", "detail": "x"}')
    expect(reason(400, '[1, 2]')).toBe('HTTP 400: [1, 2]')
  })

  it("uses the provider's own reader first, and the usual fields when it finds nothing", () => {
    const readError = (body: string) => (body.includes('mine') ? 'read by the provider' : undefined)
    expect(responseReason({ status: 400, statusText: '', body: '{"message":"mine"}' }, readError)).toBe('HTTP 400: read by the provider')
    expect(responseReason({ status: 400, statusText: '', body: '{"message":"other"}' }, readError)).toBe('HTTP 400: other')
  })

  it('never quotes a 2xx body, which may hold a token', () => {
    const token = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.sig'
    const cut = `{"access_token":"${token}"`
    expect(reason(200, cut)).toBe(`HTTP 200 with JSON that does not parse, cut short or with extra text (${cut.length} bytes)`)
    expect(reason(201, `${cut}}`)).toBe(`HTTP 201 with a JSON object (${cut.length + 1} bytes)`)
    expect(reason(200, `token=${token}`)).toBe(`HTTP 200 with a body that is not JSON (${token.length + 6} bytes)`)
  })

  it('says what kind of page an HTML answer is', () => {
    expect(
      reason(502, '<!DOCTYPE html><html><head><title> 502 Bad\n Gateway </title></head><body>nginx</body></html>', 'Bad Gateway'),
    ).toBe('HTTP 502 Bad Gateway, an HTML page ("502 Bad Gateway") instead of an API answer: a proxy, firewall or outage page?')
    expect(reason(200, '<html><head><title>Token</title></head><body>Maintenance</body></html>')).toBe(
      'HTTP 200, an HTML page instead of an API answer: a proxy, firewall or outage page?',
    )
    expect(reason(403, '<HEAD></HEAD><BODY>Access denied &amp; logged</BODY>')).toMatch(/^HTTP 403, an HTML page instead/)
  })

  it('says when the body is empty', () => {
    expect(reason(404, '', 'Not Found')).toBe('HTTP 404 Not Found, empty body')
    expect(reason(503, ' \n\t ')).toBe('HTTP 503, empty body')
  })

  it('puts a long or multi-line body on one line, at most 300 characters', () => {
    const long = `line one\n\nline two ${'y'.repeat(400)}`
    const text = reason(500, long)
    expect(text).toBe(`HTTP 500: line one line two ${'y'.repeat(300 - 'line one line two '.length)}...`)
    const longMessage = reason(400, JSON.stringify({ message: 'z'.repeat(1000) }))
    expect(longMessage).toBe(`HTTP 400: ${'z'.repeat(300)}...`)
  })
})

describe('jsonObject', () => {
  it('takes objects only', () => {
    expect(jsonObject('{"a":1}')).toEqual({ a: 1 })
    expect(jsonObject('{}')).toEqual({})
    for (const body of ['[1]', 'null', '"text"', '42', 'true', '', '<html>', '{"a":']) expect(jsonObject(body), body).toBeUndefined()
  })
})

describe('decodeXml', () => {
  it('decodes &amp; last', () => {
    expect(decodeXml('&amp;lt; &lt;a&gt; &quot;b&quot; &apos;c&apos;')).toBe('&lt; <a> "b" \'c\'')
  })
})
