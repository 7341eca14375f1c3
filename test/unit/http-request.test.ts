import nock from 'nock'
import { Readable } from 'node:stream'
import tls from 'node:tls'
import { describe, expect, it } from 'vitest'
import { backoffMs, BASE_DELAY_MS, createHttp, MAX_DELAY_MS, RequestError, retryAfterMs, type HttpOptions } from '../../src/http/request.ts'
import { trustedCas } from '../../src/http/tls.ts'
import { plural } from '../../src/text.ts'
import {
  expectSettlesIn,
  fakeClock,
  networkError,
  recorder,
  secretToken,
  testCaPem,
  type Seen,
  rejectionOf,
  turns,
  until,
  watch,
} from './helpers.ts'

const ORIGIN = 'https://api.provider.example'

function client(options: Partial<HttpOptions> = {}) {
  const debug: string[] = []
  const sleeps: number[] = []
  const { send } = createHttp({
    userAgent: 'unit-test-agent/1.2',
    timeoutMs: 2000,
    maxAttempts: 3,
    log: { debug: (message) => debug.push(message) },
    sleep: async (ms) => {
      sleeps.push(ms)
    },
    random: () => 0.5,
    ...options,
  })
  return { send, debug, sleeps }
}

describe('createHttp: answers', () => {
  it('sends method, headers, body and the User-Agent, and returns the answer after one try', async () => {
    const seen: Seen[] = []
    nock(ORIGIN)
      .post('/oauth/token')
      .reply(recorder(seen, () => [200, { ok: true }, { 'X-Request-Id': 'r-1' }]))
    const { send, sleeps } = client()
    const response = await send({
      method: 'POST',
      url: `${ORIGIN}/oauth/token`,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: 'a=1&b=2',
      purpose: 'token exchange',
    })
    expect(response).toMatchObject({ status: 200, statusText: 'OK', body: '{"ok":true}', attempts: 1 })
    expect(response.headers['x-request-id']).toBe('r-1')
    expect(seen).toHaveLength(1)
    expect(seen[0]).toMatchObject({ method: 'POST', body: 'a=1&b=2' })
    expect(seen[0].headers).toMatchObject({
      'user-agent': 'unit-test-agent/1.2',
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
    })
    expect(sleeps).toEqual([])
  })

  it('retries 429 and honours Retry-After in seconds (plus up to one base delay of jitter)', async () => {
    const seen: Seen[] = []
    nock(ORIGIN)
      .get('/x')
      .reply(recorder(seen, () => [429, 'slow down', { 'Retry-After': '3' }]))
      .get('/x')
      .reply(recorder(seen, () => [200, 'done']))
    const { send, sleeps } = client()
    const response = await send({ method: 'GET', url: `${ORIGIN}/x`, purpose: 'p' })
    expect(response).toMatchObject({ status: 200, body: 'done', attempts: 2 })
    expect(seen).toHaveLength(2)
    expect(sleeps).toEqual([3000 + 0.5 * BASE_DELAY_MS])
  })

  it('honours Retry-After as an HTTP date', async () => {
    const when = new Date(Date.now() + 10_000).toUTCString()
    nock(ORIGIN).get('/x').reply(503, '', { 'Retry-After': when }).get('/x').reply(200, 'done')
    const { send, sleeps } = client()
    expect((await send({ method: 'GET', url: `${ORIGIN}/x`, purpose: 'p' })).attempts).toBe(2)
    expect(sleeps).toHaveLength(1)
    // The date has whole seconds: 9 to 10 s from now, plus half a base delay of jitter.
    expect(sleeps[0]).toBeGreaterThan(8500 + 500)
    expect(sleeps[0]).toBeLessThanOrEqual(10_000 + 500)
  })

  it('waits the full MAX_DELAY_MS for Retry-After equal to it', async () => {
    nock(ORIGIN)
      .get('/x')
      .reply(429, '', { 'Retry-After': String(MAX_DELAY_MS / 1000) })
      .get('/x')
      .reply(200)
    const { send, sleeps } = client()
    expect((await send({ method: 'GET', url: `${ORIGIN}/x`, purpose: 'p' })).status).toBe(200)
    expect(sleeps).toEqual([MAX_DELAY_MS + 500])
  })

  it('stops retrying when Retry-After asks for more than MAX_DELAY_MS', async () => {
    const seen: Seen[] = []
    nock(ORIGIN)
      .get('/x')
      .reply(recorder(seen, () => [429, 'come back in an hour', { 'Retry-After': '3600' }]))
    nock(ORIGIN).get('/x').optionally().reply(200)
    const { send, sleeps } = client()
    const response = await send({ method: 'GET', url: `${ORIGIN}/x`, purpose: 'p' })
    expect(response).toMatchObject({ status: 429, attempts: 1 })
    expect(seen).toHaveLength(1)
    expect(sleeps).toEqual([])
  })

  it('retries 5xx and 408 with exponential jittered back-off until the tries run out, returning the last answer', async () => {
    const seen: Seen[] = []
    const statuses = [500, 408, 502, 504]
    for (const status of statuses) {
      nock(ORIGIN)
        .get('/x')
        .reply(recorder(seen, () => [status, `error ${status}`]))
    }
    const { send, sleeps } = client({ maxAttempts: 4 })
    const response = await send({ method: 'GET', url: `${ORIGIN}/x`, purpose: 'p' })
    expect(response).toMatchObject({ status: 504, body: 'error 504', attempts: 4 })
    expect(seen).toHaveLength(4)
    // random() = 0.5 of 1, 2, 4 base delays.
    expect(sleeps).toEqual([500, 1000, 2000])
  })

  it('takes the number of tries from the request over the default', async () => {
    nock(ORIGIN).get('/x').reply(503)
    const { send } = client({ maxAttempts: 5 })
    expect(await send({ method: 'GET', url: `${ORIGIN}/x`, purpose: 'p', attempts: 1 })).toMatchObject({ status: 503, attempts: 1 })
  })

  it.each([400, 401, 403, 404, 406, 409, 501])('does not retry HTTP %i', async (status) => {
    const seen: Seen[] = []
    nock(ORIGIN)
      .post('/x')
      .reply(recorder(seen, () => [status, { message: 'no' }]))
    nock(ORIGIN).post('/x').optionally().reply(200)
    const { send, sleeps } = client({ maxAttempts: 4 })
    const response = await send({ method: 'POST', url: `${ORIGIN}/x`, body: 'x', purpose: 'p' })
    expect(response).toMatchObject({ status, attempts: 1 })
    expect(seen).toHaveLength(1)
    expect(sleeps).toEqual([])
  })

  it('does not follow a redirect (it would re-send the credential elsewhere)', async () => {
    const elsewhere: Seen[] = []
    nock('https://elsewhere.example')
      .post('/steal')
      .optionally()
      .reply(recorder(elsewhere, () => [200, 'got it']))
    nock(ORIGIN).post('/x').reply(307, '', { Location: 'https://elsewhere.example/steal' })
    const { send } = client()
    const response = await send({ method: 'POST', url: `${ORIGIN}/x`, headers: { Authorization: 'Basic abc' }, body: 'x', purpose: 'p' })
    expect(response).toMatchObject({ status: 307, attempts: 1 })
    expect(response.headers.location).toBe('https://elsewhere.example/steal')
    expect(elsewhere).toEqual([])
  })
})

describe('createHttp: network failures', () => {
  it('retries a reset connection, then succeeds', async () => {
    nock(ORIGIN).get('/x').replyWithError(networkError('ECONNRESET')).get('/x').reply(200, 'fine')
    const { send, sleeps } = client()
    expect(await send({ method: 'GET', url: `${ORIGIN}/x`, purpose: 'p' })).toMatchObject({ status: 200, attempts: 2 })
    expect(sleeps).toEqual([500])
  })

  it('gives a RequestError with the code and the try count when every try fails', async () => {
    nock(ORIGIN).get('/x').times(3).replyWithError(networkError('ECONNRESET'))
    const { send, sleeps } = client({ maxAttempts: 3 })
    const error = await rejectionOf(send({ method: 'GET', url: `${ORIGIN}/x`, purpose: 'CSP token exchange' }))
    expect(error).toBeInstanceOf(RequestError)
    expect(error.message).toBe('CSP token exchange at api.provider.example failed: connection reset (3 tries).')
    expect(sleeps).toEqual([500, 1000])
  })

  it('does not retry a host name that does not resolve', async () => {
    nock(ORIGIN).get('/x').replyWithError(networkError('ENOTFOUND', 'getaddrinfo ENOTFOUND api.provider.example'))
    nock(ORIGIN).get('/x').optionally().reply(200)
    const { send, sleeps } = client({ maxAttempts: 4 })
    const error = await rejectionOf(send({ method: 'GET', url: `${ORIGIN}/x`, purpose: 'lookup' }))
    expect(error).toBeInstanceOf(RequestError)
    expect(error.message).toBe('lookup at api.provider.example failed: host name not found (check url) (1 try).')
    expect(sleeps).toEqual([])
  })

  it.each([
    'SELF_SIGNED_CERT_IN_CHAIN',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'CERT_HAS_EXPIRED',
    'ERR_TLS_CERT_ALTNAME_INVALID',
  ])('does not retry the TLS failure %s and points at ca-certificate', async (code) => {
    nock(ORIGIN).get('/x').replyWithError(networkError(code))
    nock(ORIGIN).get('/x').optionally().reply(200)
    const { send } = client({ maxAttempts: 4 })
    const error = await rejectionOf(send({ method: 'GET', url: `${ORIGIN}/x`, purpose: 'p' }))
    expect(error).toBeInstanceOf(RequestError)
    expect(error.message).toContain(`not trusted (${code})`)
    expect(error.message).toMatch(/\(1 try\)\.$/)
    expect(error.message).toContain('ca-certificate')
  })

  it.each([
    ['ECONNREFUSED', 'connection refused'],
    ['EAI_AGAIN', 'temporary DNS failure'],
    ['ETIMEDOUT', 'connection timed out'],
    ['EPROTO', 'EPROTO happened'],
  ])('retries %s and says %j', async (code, text) => {
    nock(ORIGIN).get('/x').times(2).replyWithError(networkError(code))
    const { send } = client({ maxAttempts: 2 })
    const error = await rejectionOf(send({ method: 'GET', url: `${ORIGIN}/x`, purpose: 'p' }))
    expect(error).toBeInstanceOf(RequestError)
    expect(error.message).toBe(`p at api.provider.example failed: ${text} (2 tries).`)
  })

  it.each([
    ['407', false, ': it wants credentials, give them in https_proxy as http://user:password@host:port'],
    ['403', false, ''],
    ['502', true, ''],
  ])('says a proxy refused the tunnel with HTTP %s (retried: %s)', async (status, retried, hint) => {
    const tries = retried ? 2 : 1
    nock(ORIGIN)
      .get('/x')
      .times(tries)
      .replyWithError(
        Object.assign(networkError('ERR_PROXY_TUNNEL', `Failed to establish tunnel: HTTP ${status}`), { statusCode: Number(status) }),
      )
    nock(ORIGIN).get('/x').optionally().reply(200)
    const { send } = client({ maxAttempts: 2 })
    const error = await rejectionOf(send({ method: 'GET', url: `${ORIGIN}/x`, purpose: 'p' }))
    expect(error).toBeInstanceOf(RequestError)
    expect(error.message).toBe(
      `p at api.provider.example failed: the proxy (https_proxy) refused the tunnel with HTTP ${status}${hint} (${tries === 1 ? '1 try' : '2 tries'}).`,
    )
  })

  it('cuts a server that never answers at the deadline, on every try', async () => {
    const clock = fakeClock()
    nock(ORIGIN).get('/hang').times(2).delay(10_000).reply(200, 'too late')
    const { send, sleeps, debug } = client({ timeoutMs: 150, maxAttempts: 2 })
    const sent = watch(rejectionOf(send({ method: 'GET', url: `${ORIGIN}/hang`, purpose: 'p' })))
    await clock.advance(149)
    expect(debug).toEqual([])
    await clock.advance(1)
    expect(debug[0]).toMatch(/ -> TIMEOUT \(try 1 of 2, 150 ms\)$/)
    // The injected sleep returns at once: the second try starts at 150 ms and is cut at 300 ms.
    await expectSettlesIn(clock, sent, 150)
    const error = await sent.promise
    expect(error).toBeInstanceOf(RequestError)
    expect(error.message).toBe('p at api.provider.example failed: no complete answer within 0.15 s (timeout-seconds) (2 tries).')
    expect(sleeps).toEqual([500])
    expect(debug[2]).toMatch(/ -> TIMEOUT \(try 2 of 2, 150 ms\)$/)
  })

  it('cuts an answer whose body never ends at the deadline', async () => {
    const clock = fakeClock()
    nock(ORIGIN)
      .get('/trickle')
      .reply(200, () => {
        const body = new Readable({ read() {} })
        body.push('{"access_token": "partial')
        return body
      })
    const { send } = client({ timeoutMs: 150, maxAttempts: 1 })
    const sent = watch(rejectionOf(send({ method: 'GET', url: `${ORIGIN}/trickle`, purpose: 'p' })))
    await expectSettlesIn(clock, sent, 150)
    const error = await sent.promise
    expect(error).toBeInstanceOf(RequestError)
    expect(error.message).toBe('p at api.provider.example failed: no complete answer within 0.15 s (timeout-seconds) (1 try).')
  })
})

describe('createHttp: answer size', () => {
  it('stops reading a streamed answer past 1 MiB, and does not retry it', async () => {
    let pushed = 0
    nock(ORIGIN)
      .get('/big')
      .reply(200, () => {
        const body = new Readable({
          read() {
            // Never ends by itself: only the cap stops it.
            pushed += 64 * 1024
            this.push(Buffer.alloc(64 * 1024, 'a'))
          },
        })
        return body
      })
    nock(ORIGIN).get('/big').optionally().reply(200, 'small')
    const { send, sleeps } = client({ maxAttempts: 3 })
    const error = await rejectionOf(send({ method: 'GET', url: `${ORIGIN}/big`, purpose: 'p' }))
    expect(error).toBeInstanceOf(RequestError)
    expect(error.message).toBe(
      'p at api.provider.example failed: the answer is larger than 1024 KiB, far more than any answer of the API; check url (1 try).',
    )
    expect(pushed).toBeLessThan(3 * 1024 * 1024)
    expect(sleeps).toEqual([])
  })

  it('refuses an answer whose Content-Length is over 1 MiB before reading it', async () => {
    nock(ORIGIN)
      .get('/big')
      .reply(200, 'x', { 'Content-Length': String(5 * 1024 * 1024) })
    const { send } = client()
    expect((await rejectionOf(send({ method: 'GET', url: `${ORIGIN}/big`, purpose: 'p' }))).message).toContain(
      'the answer is larger than 1024 KiB',
    )
  })

  it('reads an answer of exactly 1 MiB', async () => {
    nock(ORIGIN)
      .get('/edge')
      .reply(200, 'b'.repeat(1024 * 1024))
    const { send } = client()
    expect((await send({ method: 'GET', url: `${ORIGIN}/edge`, purpose: 'p' })).body).toHaveLength(1024 * 1024)
  })
})

describe('createHttp: inspectBody', () => {
  it('sees every body, before the debug line about it', async () => {
    nock(ORIGIN).get('/x').reply(503, 'busy').get('/x').reply(200, 'done')
    const events: string[] = []
    const { send } = client({ inspectBody: (body) => events.push(`body ${body}`), log: { debug: (line) => events.push(line) } })
    await send({ method: 'GET', url: `${ORIGIN}/x`, purpose: 'p' })
    expect(events.filter((event) => !event.startsWith('waiting')).map((event) => event.replace(/ \(try.*$/, ''))).toEqual([
      'body busy',
      'GET api.provider.example/x -> 503',
      'body done',
      'GET api.provider.example/x -> 200',
    ])
  })
})

describe('createHttp: abort', () => {
  it('stops a request in flight when the signal aborts, with no retry and no RequestError', async () => {
    const clock = fakeClock()
    nock(ORIGIN).get('/slow').delay(10_000).reply(200)
    nock(ORIGIN).get('/slow').optionally().reply(200)
    const { send, sleeps } = client({ timeoutMs: 10_000, maxAttempts: 3 })
    const controller = new AbortController()
    const reason = new Error('no longer needed')
    setTimeout(() => controller.abort(reason), 50)
    const sent = watch(rejectionOf(send({ method: 'GET', url: `${ORIGIN}/slow`, purpose: 'p', signal: controller.signal })))
    // Ended by the abort at 50 ms, not by the 10 s deadline.
    await expectSettlesIn(clock, sent, 50)
    expect(await sent.promise).toBe(reason)
    expect(sleeps).toEqual([])
  })

  it('sends nothing when the signal has already aborted', async () => {
    const seen: Seen[] = []
    nock(ORIGIN)
      .get('/x')
      .optionally()
      .reply(recorder(seen, () => [200]))
    const { send, sleeps } = client()
    await expect(send({ method: 'GET', url: `${ORIGIN}/x`, purpose: 'p', signal: AbortSignal.abort() })).rejects.toThrow()
    expect(seen).toEqual([])
    expect(sleeps).toEqual([])
  })

  // As when the signal aborts mid-request, the caller gets the signal's reason, not a client error.
  it('rejects with the reason of a signal that has already aborted', async () => {
    nock(ORIGIN).get('/x').optionally().reply(200)
    const { send } = client()
    const reason = new Error('cancelled before it started')
    const error = await rejectionOf(send({ method: 'GET', url: `${ORIGIN}/x`, purpose: 'p', signal: AbortSignal.abort(reason) }))
    expect(error).toBe(reason)
  })

  /** GET /x answers 503, then (when asked again) 200; `seen` records the requests. */
  function busyOnce(seen: Seen[]): void {
    nock(ORIGIN)
      .get('/x')
      .reply(recorder(seen, () => [503]))
      .get('/x')
      .optionally()
      .reply(recorder(seen, () => [200, 'ok']))
  }

  it('stops the default back-off sleep when the signal aborts', async () => {
    const clock = fakeClock()
    const seen: Seen[] = []
    busyOnce(seen)
    // No injected sleep: the real one, of 0.5 * 1000 ms.
    const { send, debug } = client({ sleep: undefined, random: () => 0.5, maxAttempts: 2 })
    const controller = new AbortController()
    const sent = watch(rejectionOf(send({ method: 'GET', url: `${ORIGIN}/x`, purpose: 'p', signal: controller.signal })))
    expect(await until(() => debug.includes('waiting 500 ms before the next try'))).toBe(true)
    setTimeout(() => controller.abort(), 50)
    await clock.advance(50)
    // Ended inside the 500 ms wait: no second try.
    expect(sent.settled()).toBe(true)
    expect((await sent.promise).name).toBe('AbortError')
    expect(seen).toHaveLength(1)
  })

  it('the default sleep waits, then the next try runs', async () => {
    const clock = fakeClock()
    const seen: Seen[] = []
    busyOnce(seen)
    const { send, debug } = client({ sleep: undefined, random: () => 0.02 })
    const sent = watch(send({ method: 'GET', url: `${ORIGIN}/x`, purpose: 'p' }))
    expect(await until(() => debug.includes('waiting 20 ms before the next try'))).toBe(true)
    // The wait is 0.02 * 1000 ms: nothing is sent before it is over.
    await clock.advance(19)
    await turns(50)
    expect(seen).toHaveLength(1)
    await clock.advance(1)
    expect(await until(() => sent.settled())).toBe(true)
    expect(seen).toHaveLength(2)
    expect(await sent.promise).toMatchObject({ status: 200, attempts: 2 })
  })
})

describe('createHttp: debug lines', () => {
  it('say method, host, path, status or code and the try, and never a header, query or body', async () => {
    const [authorization, body, answer, query] = [secretToken(40), secretToken(40), secretToken(40), secretToken(20)]
    nock(ORIGIN)
      .post('/csp/token')
      .query(true)
      .reply(503, answer)
      .post('/csp/token')
      .query(true)
      .replyWithError(networkError('ECONNRESET'))
      .post('/csp/token')
      .query(true)
      .reply(200, answer, { 'Set-Cookie': `session=${answer}` })
    const { send, debug } = client()
    await send({
      method: 'POST',
      url: `${ORIGIN}/csp/token?q=${query}`,
      headers: { Authorization: `Bearer ${authorization}` },
      body: `token=${body}`,
      purpose: 'p',
    })
    expect(debug).toHaveLength(5)
    expect(debug[0]).toMatch(/^POST api\.provider\.example\/csp\/token -> 503 \(try 1 of 3, \d+ ms\)$/)
    expect(debug[1]).toBe('waiting 500 ms before the next try')
    expect(debug[2]).toMatch(/^POST api\.provider\.example\/csp\/token -> ECONNRESET \(try 2 of 3, \d+ ms\)$/)
    expect(debug[3]).toBe('waiting 1000 ms before the next try')
    expect(debug[4]).toMatch(/ -> 200 \(try 3 of 3, \d+ ms\)$/)
    for (const line of debug) {
      for (const secret of [authorization, body, answer, query]) expect(line).not.toContain(secret.slice(0, 8))
    }
  })
})

describe('retryAfterMs', () => {
  const now = Date.parse('2025-06-01T12:00:00Z')
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['soon', undefined],
    ['0', 0],
    ['5', 5000],
    [' 12 ', 12_000],
    ['1.5', 1500],
    [['7', '9'], 7000],
    ['Sun, 01 Jun 2025 12:00:30 GMT', 30_000],
    ['Sun, 01 Jun 2025 11:59:00 GMT', 0],
  ] as const)('%j -> %j', (value, expected) => {
    expect(retryAfterMs(value as string | string[] | undefined, now)).toBe(expected)
  })
})

describe('backoffMs', () => {
  it('is full jitter of an exponential delay, capped at MAX_DELAY_MS', () => {
    expect(backoffMs(1, undefined, () => 0)).toBe(0)
    expect(backoffMs(1, undefined, () => 0.999)).toBeCloseTo(999, 5)
    expect(backoffMs(2, undefined, () => 0.5)).toBe(1000)
    expect(backoffMs(3, undefined, () => 1)).toBe(4000)
    expect(backoffMs(6, undefined, () => 1)).toBe(MAX_DELAY_MS)
    expect(backoffMs(40, undefined, () => 1)).toBe(MAX_DELAY_MS)
    for (let attempt = 1; attempt <= 12; attempt++) {
      const value = backoffMs(attempt, undefined, Math.random)
      expect(value).toBeGreaterThanOrEqual(0)
      expect(value).toBeLessThanOrEqual(Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (attempt - 1)))
    }
  })

  it('honours Retry-After, capped, plus at most one base delay of jitter', () => {
    expect(backoffMs(1, 5000, () => 0)).toBe(5000)
    expect(backoffMs(4, 5000, () => 1)).toBe(5000 + BASE_DELAY_MS)
    expect(backoffMs(1, 0, () => 0.25)).toBe(250)
    expect(backoffMs(1, 10 * MAX_DELAY_MS, () => 0)).toBe(MAX_DELAY_MS)
  })
})

describe('plural', () => {
  it('counts', () => {
    expect(plural(1, 'try', 'tries')).toBe('1 try')
    expect(plural(0, 'try', 'tries')).toBe('0 tries')
    expect(plural(4, 'try', 'tries')).toBe('4 tries')
  })
})

describe('trustedCas', () => {
  it("is node's default when there are no extra CAs", () => {
    expect(trustedCas([])).toBeUndefined()
  })

  it('adds the extra CAs to the default ones', () => {
    const pem = testCaPem()
    const trusted = trustedCas([pem])!
    expect(trusted.at(-1)).toBe(pem)
    expect(trusted.slice(0, -1)).toEqual(tls.getCACertificates('default'))
  })
})
