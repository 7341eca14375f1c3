/** vcenter: the session login in both API forms, the session's user, logout, and what a refusal says. */
import nock from 'nock'
import { describe, expect, it, vi } from 'vitest'
import type { Config } from '../../src/config.ts'
import { InputError, ProviderError, UntrustedStateError } from '../../src/errors.ts'
import { run as main } from '../../src/main.ts'
import { run as post } from '../../src/post.ts'
import { RequestError } from '../../src/http/request.ts'
import { readVapiError, vcenter } from '../../src/providers/vcenter.ts'
import { expectMaskedBeforeUse, fakeCore, leakedPieces } from './fake-core.ts'
import { harness, named, networkError, recorder, rejectionOf, secretToken, type Reply, type Seen } from './helpers.ts'
import { expectSays, failedExchange, passwordConfig, registryEntry, revokeContext, type Password, type Says } from './provider-kit.ts'

const VC = 'https://vcenter.example.com'
const API = '/api/session'
const REST = '/rest/com/vmware/cis/session'
const USER = 'ci-bot@vsphere.local'
/** Real session IDs are 32 hex digits; this one is also clear of the action's own text. */
const sessionId = (): string => secretToken(32)

function vcConfig(overrides: Partial<Config<Password>> = {}, username = USER): Config<Password> {
  return passwordConfig('vcenter', VC, username, overrides)
}

const passwordOf = (cfg: Config<Password>): string => cfg.credential.password
const basicOf = (cfg: Config<Password>): string => Buffer.from(`${cfg.credential.username}:${cfg.credential.password}`).toString('base64')

type Route = (request: Seen) => Reply
interface Routes {
  apiLogin?: Route
  apiUser?: Route
  apiLogout?: Route
  restLogin?: Route
  restUser?: Route
  restLogout?: Route
}

const sessionInfo = (user = USER) => ({ user, created_time: '2026-12-07T10:00:00.000Z', last_accessed_time: '2026-12-07T10:00:01.000Z' })
const notFound: Route = () => [404, '']
const unauthenticated = {
  error_type: 'UNAUTHENTICATED',
  messages: [{ id: 'vapi.method.authentication.required', default_message: 'Authentication required.', args: [] }],
}
const restUnauthenticated = {
  type: 'com.vmware.vapi.std.errors.unauthenticated',
  value: {
    messages: [{ args: [], default_message: 'Authentication required.', id: 'com.vmware.vapi.endpoint.method.authentication.required' }],
  },
}
const capMessage = 'User session count is limited to 550. Existing session count is 550 for user ci-bot@vsphere.local'
const cap = (form: 'api' | 'rest') => {
  const message = { id: 'com.vmware.vapi.endpoint.failedToLoginMaxUserSessionCountReached', default_message: capMessage, args: [] }
  return form === 'api'
    ? { error_type: 'SERVICE_UNAVAILABLE', messages: [message] }
    : { type: 'com.vmware.vapi.std.errors.service_unavailable', value: { messages: [message] } }
}

/** vCenter 7.0 U2 and later: both forms; `id` is what the login issues. */
function modern(id: string, routes: Routes = {}): Routes {
  return {
    ...legacy(id),
    apiLogin: () => [201, JSON.stringify(id), { 'Content-Type': 'application/json' }],
    apiUser: () => [200, sessionInfo()],
    apiLogout: () => [204],
    ...routes,
  }
}

/** vCenter 6.5 to 7.0 U1 (and vcsim): /rest only, JSON as text/plain as vcsim sends it. */
function legacy(id: string, routes: Routes = {}): Routes {
  return {
    apiLogin: notFound,
    apiUser: notFound,
    apiLogout: notFound,
    restLogin: () => [200, JSON.stringify({ value: id }), { 'Content-Type': 'text/plain; charset=utf-8' }],
    restUser: () => [200, { value: sessionInfo() }],
    restLogout: () => [200],
    ...routes,
  }
}

/** One vCenter on nock: every route answers any number of times and records what it saw, in order. */
function fakeVcenter(routes: Routes): Seen[] {
  const seen: Seen[] = []
  const answer = (route: Route | undefined): Route => route ?? notFound
  const scope = nock(VC).persist()
  scope
    .post(API)
    .query(true)
    .reply(recorder(seen, answer(routes.apiLogin)))
  scope
    .get(API)
    .query(true)
    .reply(recorder(seen, answer(routes.apiUser)))
  scope
    .delete(API)
    .query(true)
    .reply(recorder(seen, answer(routes.apiLogout)))
  scope
    .post(REST)
    .query(true)
    .reply(recorder(seen, (request) => answer(request.url.search ? routes.restUser : routes.restLogin)(request)))
  scope.get(REST).query(true).reply(recorder(seen, notFound))
  scope
    .delete(REST)
    .query(true)
    .reply(recorder(seen, answer(routes.restLogout)))
  return seen
}

const calls = (seen: Seen[]): string[] => seen.map((request) => `${request.method} ${request.url.pathname}${request.url.search}`)

it('takes a user name and password, has no default url, and logs out', () => {
  expect(registryEntry(vcenter)).toEqual({ credentials: ['password'], defaultUrl: undefined, revokes: true, cannotRevoke: undefined })
  expect(vcenter.authSource).toBeUndefined()
})

describe('vcenter: the session', () => {
  it('/api: POST /api/session with Basic auth and vmware-use-header-authn, then GET /api/session for the user', async () => {
    const cfg = vcConfig()
    const h = harness(cfg)
    const id = sessionId()
    const seen = fakeVcenter(modern(id))
    const result = await vcenter.exchange(h.context)

    expect(calls(seen)).toEqual(['POST /api/session', 'GET /api/session'])
    const [login, lookup] = seen
    expect(login.headers).toMatchObject({
      authorization: `Basic ${basicOf(cfg)}`,
      'vmware-use-header-authn': 'true',
      accept: 'application/json',
      'user-agent': 'vmw-token-action/test',
    })
    expect(login.body).toBe('')
    expect(login.headers['vmware-api-session-id']).toBeUndefined()
    expect(lookup.headers).toMatchObject({ 'vmware-api-session-id': id, accept: 'application/json' })
    expect(lookup.headers.authorization).toBeUndefined()
    for (const request of seen) expect(leakedPieces(request.url.href, passwordOf(cfg))).toEqual([])

    expect(result).toEqual({
      accessToken: id,
      tokenType: 'Session',
      org: '',
      subject: USER,
      summaryRows: [['Session API', API]],
      revokeData: { form: 'api' },
    })
    expect(result.expiresIn).toBeUndefined()
    // The password first (the harness, as the core does), then its Basic form, then the session.
    expect(h.masked).toEqual([passwordOf(cfg), basicOf(cfg), id])
    expect(h.logs.filter((line) => line.level !== 'debug')).toEqual([])
  })

  it('/rest on a 404 for /api (vCenter before 7.0 U2, vcsim): the same login, POST ?~action=get for the user', async () => {
    const cfg = vcConfig()
    const h = harness(cfg)
    const id = sessionId()
    const seen = fakeVcenter(legacy(id))
    const result = await vcenter.exchange(h.context)

    expect(calls(seen)).toEqual(['POST /api/session', `POST ${REST}`, `POST ${REST}?~action=get`])
    expect(seen[1].headers).toMatchObject({ authorization: `Basic ${basicOf(cfg)}`, 'vmware-use-header-authn': 'true' })
    expect(seen[2].headers).toMatchObject({ 'vmware-api-session-id': id })
    expect(seen[2].headers.authorization).toBeUndefined()
    expect(result).toMatchObject({ accessToken: id, tokenType: 'Session', subject: USER, revokeData: { form: 'rest' } })
    expect(result.summaryRows).toEqual([['Session API', REST]])
    expect(h.masked).toContain(id)
  })

  it.each([
    ['/api answering {"value": id}', (id: string) => modern(id, { apiLogin: () => [201, { value: id }] })],
    ['/rest answering a JSON string', (id: string) => legacy(id, { restLogin: () => [200, JSON.stringify(id)] })],
    ['/api telling the user in {"value"}', (id: string) => modern(id, { apiUser: () => [200, { value: sessionInfo() }] })],
    ['/rest telling the user unwrapped', (id: string) => legacy(id, { restUser: () => [200, sessionInfo()] })],
  ])('reads either shape on either path: %s', async (_name, routes) => {
    const id = sessionId()
    fakeVcenter(routes(id))
    const result = await vcenter.exchange(harness(vcConfig()).context)
    expect(result).toMatchObject({ accessToken: id, subject: USER })
  })

  it('any address of the vCenter a user may paste resolves to its root; org is refused', () => {
    for (const url of [
      'https://vcenter.example.com',
      'https://vcenter.example.com/',
      'https://vcenter.example.com/ui/app/home',
      'https://vcenter.example.com/ui/#?extensionId=vsphere.core.vm',
      'https://vcenter.example.com/api',
      'https://vcenter.example.com/rest/',
      'https://vcenter.example.com/sdk',
      'https://VCENTER.example.com/api/session',
    ]) {
      expect(vcenter.resolveUrl(new URL(url)), url).toEqual({ baseUrl: VC, orgFromUrl: '' })
    }
    expect(vcenter.resolveUrl(new URL('https://vc.example.com:8443/ui/'))).toEqual({
      baseUrl: 'https://vc.example.com:8443',
      orgFromUrl: '',
    })
    expect(vcenter.parseOrg('')).toBe('')
    const error = (() => {
      try {
        return vcenter.parseOrg('acme')
      } catch (caught) {
        return caught
      }
    })()
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).message).toBe(
      "Input 'org': is not used by provider vcenter: a vCenter session is the user's own. Remove org.",
    )
  })
})

describe('vcenter: what a refused login says', () => {
  const CHECK_CREDENTIALS =
    'vCenter refused the user name or password. Check username and password: the user name needs its domain, e.g. user@vsphere.local.'
  const ONCE = 'The action sends a login once: repeated failures can lock the account.'
  const FAILURES: { name: string; routes: Routes; username?: string; says: Says; calls: string[] }[] = [
    {
      name: '/api 401 UNAUTHENTICATED: the credentials and their domain, sent once, never to /rest',
      routes: { apiLogin: () => [401, unauthenticated] },
      says: ['vCenter login failed: HTTP 401 Unauthorized: UNAUTHENTICATED: Authentication required. (1 try).', CHECK_CREDENTIALS, ONCE],
      calls: ['POST /api/session'],
    },
    {
      name: 'a user name without a domain: says it has none',
      routes: { apiLogin: () => [401, unauthenticated] },
      username: 'ci-bot',
      says: ['e.g. user@vsphere.local (the one given has none).'],
      calls: ['POST /api/session'],
    },
    {
      name: 'DOMAIN\\user has a domain',
      routes: { apiLogin: () => [401, unauthenticated] },
      username: 'EXAMPLE\\ci-bot',
      says: [/e\.g\. user@vsphere\.local\. The action/],
      calls: ['POST /api/session'],
    },
    {
      name: '/rest 401 with no body (vcsim)',
      routes: legacy('unused', { restLogin: () => [401, ''] }),
      says: ['vCenter login failed: HTTP 401 Unauthorized, empty body (1 try).', CHECK_CREDENTIALS],
      calls: ['POST /api/session', `POST ${REST}`],
    },
    {
      name: '/rest 401 in the old error shape',
      routes: legacy('unused', { restLogin: () => [401, restUnauthenticated] }),
      says: ['HTTP 401 Unauthorized: unauthenticated: Authentication required. (1 try).', CHECK_CREDENTIALS],
      calls: ['POST /api/session', `POST ${REST}`],
    },
    {
      name: '/rest 403 is read as a refusal too',
      routes: legacy('unused', { restLogin: () => [403, ''] }),
      says: ['HTTP 403 Forbidden, empty body (1 try).', CHECK_CREDENTIALS],
      calls: ['POST /api/session', `POST ${REST}`],
    },
    {
      name: '404 on both paths: not a vCenter',
      routes: {},
      says: [
        'There is no vSphere Automation API at this address: /api/session and /rest/com/vmware/cis/session both answered 404 (HTTP 404 Not Found, empty body).',
        "Check url: it must be the vCenter's address, e.g. https://vcenter.example.com.",
      ],
      calls: ['POST /api/session', `POST ${REST}`],
    },
    {
      name: 'the session cap on /api: what it means, and that this action logs out; retried as any 503',
      routes: { apiLogin: () => [503, cap('api')] },
      says: [
        `vCenter login failed: HTTP 503 Service Unavailable: SERVICE_UNAVAILABLE: ${capMessage} (2 tries).`,
        'com.vmware.vapi.endpoint.failedToLoginMaxUserSessionCountReached: the user has as many API sessions as vCenter allows.',
        'this action always logs its own out.',
      ],
      calls: ['POST /api/session', 'POST /api/session'],
    },
    {
      name: 'the session cap on /rest',
      routes: legacy('unused', { restLogin: () => [503, cap('rest')] }),
      says: [`HTTP 503 Service Unavailable: service_unavailable: ${capMessage} (2 tries).`, 'as vCenter allows.'],
      calls: ['POST /api/session', `POST ${REST}`, `POST ${REST}`],
    },
    {
      name: 'another 503 on every try: busy, not the credentials',
      routes: { apiLogin: () => [503, { error_type: 'SERVICE_UNAVAILABLE', messages: [] }] },
      says: ['HTTP 503 Service Unavailable: SERVICE_UNAVAILABLE (2 tries).', 'vCenter is busy or unavailable; try again later'],
      calls: ['POST /api/session', 'POST /api/session'],
    },
    {
      name: 'a proxy page is named by its title',
      routes: { apiLogin: () => [403, '<html><head><title>Access denied</title></head></html>'] },
      says: [/HTTP 403 Forbidden, an HTML page \("Access denied"\) instead of an API answer/],
      calls: ['POST /api/session'],
    },
    {
      name: 'a redirect is not followed',
      routes: { apiLogin: () => [302, '', { Location: 'https://sso.example.com/' }] },
      says: [
        'HTTP 302 Found, empty body (1 try). vCenter answered with a redirect, which the action does not follow for a credential; check url.',
      ],
      calls: ['POST /api/session'],
    },
    {
      name: 'another 4xx: check the inputs',
      routes: { apiLogin: () => [400, { error_type: 'INVALID_ARGUMENT', messages: [{ default_message: 'Bad request.' }] }] },
      says: ['HTTP 400 Bad Request: INVALID_ARGUMENT: Bad request. (1 try). Check url, username and password.'],
      calls: ['POST /api/session'],
    },
  ]

  it.each(named(FAILURES))('%s', async (_name, { routes, username, says, calls: expected }) => {
    const seen = fakeVcenter(routes)
    const { error, h } = await failedExchange(vcenter, vcConfig({ maxAttempts: 2 }, username))
    expect(error).toBeInstanceOf(ProviderError)
    expectSays(error.message, says)
    expect(calls(seen)).toEqual(expected)
    expect(h.masked).toHaveLength(2)
  })

  it('retries a 429 and logs in', async () => {
    const id = sessionId()
    let tries = 0
    const seen = fakeVcenter(
      modern(id, { apiLogin: () => (++tries === 1 ? [429, '', { 'Retry-After': '1' }] : [201, JSON.stringify(id)]) }),
    )
    const h = harness(vcConfig({ maxAttempts: 3 }))
    expect((await vcenter.exchange(h.context)).accessToken).toBe(id)
    expect(calls(seen)).toEqual(['POST /api/session', 'POST /api/session', 'GET /api/session'])
    expect(h.sleeps).toEqual([1500])
  })

  it('redacts the password, its Basic form and a session ID that the server echoes', async () => {
    const cfg = vcConfig()
    const echo = `Authentication required for ${cfg.credential.username} with ${passwordOf(cfg)} (Basic ${basicOf(cfg)})`
    fakeVcenter({ apiLogin: () => [401, { error_type: 'UNAUTHENTICATED', messages: [{ default_message: echo }] }] })
    const { printed } = await failedExchange(vcenter, cfg)
    expect(printed).toContain(`HTTP 401 Unauthorized: UNAUTHENTICATED: Authentication required for ${USER} with *** (Basic ***)`)
    expect(leakedPieces(printed, passwordOf(cfg))).toEqual([])
    expect(leakedPieces(printed, basicOf(cfg))).toEqual([])
  })

  it('an untrusted certificate: the core points at ca-certificate, the provider at the VMCA', async () => {
    nock(VC).post(API).replyWithError(networkError('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'))
    const { error } = await failedExchange(vcenter, vcConfig())
    expect(error).toBeInstanceOf(RequestError)
    expect(error.message).toMatch(
      /^vCenter login at vcenter\.example\.com failed: the server's TLS certificate is not trusted \(SELF_SIGNED_CERT_IN_CHAIN\)\./,
    )
    expect(error.message).toContain('in the ca-certificate input (1 try).')
    expect(error.message).toMatch(/A vCenter's is usually from its own CA, the VMCA \(vSphere Client: .*Certificate Management\)\.$/)
  })

  it('passes other network failures on as they are', async () => {
    nock(VC).post(API).times(2).replyWithError(networkError('ECONNRESET', 'reset'))
    const { error } = await failedExchange(vcenter, vcConfig({ maxAttempts: 2 }))
    expect(error.message).toBe('vCenter login at vcenter.example.com failed: connection reset (2 tries).')
  })
})

describe('vcenter: odd answers to the login', () => {
  it.each([
    ['HTML', () => [200, '<!doctype html><html><title>vSphere</title></html>'] as Reply, /answered the login HTTP 200 OK, an HTML page/],
    [
      'JSON that is not a string',
      () => [201, { value: 42 }] as Reply,
      /answered the login HTTP 201 Created with a JSON object \(\d+ bytes\), not a session ID/,
    ],
    ['an empty body', () => [201, ''] as Reply, /answered the login HTTP 201 Created, empty body, not a session ID/],
  ])('%s: no session ID, the body never quoted', async (_name, reply, message) => {
    const seen = fakeVcenter({ apiLogin: reply })
    const { error } = await failedExchange(vcenter, vcConfig())
    expect(error.message).toMatch(message)
    expect(error.message).toContain("Check url: it must be the vCenter's address")
    expect(calls(seen)).toEqual(['POST /api/session'])
  })

  it('a body cut inside the session ID: fails without quoting what came', async () => {
    const id = sessionId()
    fakeVcenter({ apiLogin: () => [201, JSON.stringify(id).slice(0, 20)] })
    const { error, printed } = await failedExchange(vcenter, vcConfig())
    expect(error.message).toMatch(/not a session ID/)
    expect(leakedPieces(printed, id)).toEqual([])
  })

  it.each([
    ['too short', 'abc1234'],
    ['with a space', `${secretToken(16)} ${secretToken(16)}`],
    ['with a line break', `${secretToken(16)}\n${secretToken(16)}`],
    ['too long', secretToken(4097)],
  ])('a session ID %s is masked, then refused, and sends nothing more', async (_name, id) => {
    const seen = fakeVcenter({ apiLogin: () => [201, JSON.stringify(id)] })
    const { error, printed, h } = await failedExchange(vcenter, vcConfig())
    expect(error.message).toMatch(new RegExp(`a session ID of ${id.length} characters that no header can carry`))
    expect(h.masked).toContain(id)
    expect(printed).not.toContain(id)
    expect(calls(seen)).toEqual(['POST /api/session'])
  })
})

describe('vcenter: a failed session lookup ends the new session first', () => {
  const LOOKUPS: { name: string; routes: (id: string) => Routes; says: Says; lookups: number }[] = [
    {
      name: '/api lookup refused: 401',
      routes: (id) => modern(id, { apiUser: () => [401, unauthenticated] }),
      says: [
        'vCenter session lookup failed: HTTP 401 Unauthorized: UNAUTHENTICATED: Authentication required. (1 try).',
        'so it was ended. Run the job again.',
      ],
      lookups: 1,
    },
    {
      name: '/rest lookup failing on every try: 500',
      routes: (id) => legacy(id, { restUser: () => [500, ''] }),
      says: ['HTTP 500 Internal Server Error, empty body (2 tries).', 'vCenter is busy or unavailable'],
      lookups: 2,
    },
    {
      name: 'a lookup without the user',
      routes: (id) => modern(id, { apiUser: () => [200, { created_time: '2026-12-07T10:00:00Z' }] }),
      says: [
        /^vCenter \(vcenter\.example\.com\) answered the session lookup HTTP 200 OK with a JSON object \(\d+ bytes\), without the session's user\./,
      ],
      lookups: 1,
    },
    {
      name: 'a lookup with an empty user',
      routes: (id) => legacy(id, { restUser: () => [200, { value: { user: '' } }] }),
      says: ["without the session's user"],
      lookups: 1,
    },
  ]

  it.each(named(LOOKUPS))('%s', async (_name, { routes, says, lookups }) => {
    const id = sessionId()
    const built = routes(id)
    const seen = fakeVcenter(built)
    const { error, h } = await failedExchange(vcenter, vcConfig({ maxAttempts: 2 }))
    expectSays(error.message, says)
    const logouts = seen.filter((request) => request.method === 'DELETE')
    // One try: the step is failing anyway.
    expect(logouts).toHaveLength(1)
    expect(logouts[0].url.pathname).toBe(built.apiLogin === notFound ? REST : API)
    expect(logouts[0].headers['vmware-api-session-id']).toBe(id)
    expect(calls(seen).filter((call) => call.includes('~action') || call.startsWith('GET'))).toHaveLength(lookups)
    expect(h.logs.map((line) => line.message)).toContain(
      'the step failed after the token was issued: Logged out of vCenter: the session is ended.',
    )
  })

  it('a lookup lost on the network; the logout failing too still fails with the lookup', async () => {
    nock(VC).post(API).reply(201, JSON.stringify(sessionId()))
    nock(VC).get(API).replyWithError(networkError('ECONNRESET'))
    nock(VC).delete(API).replyWithError(networkError('ECONNREFUSED'))
    const { error, h } = await failedExchange(vcenter, vcConfig({ maxAttempts: 1 }))
    expect(error.message).toBe('vCenter session lookup at vcenter.example.com failed: connection reset (1 try).')
    expect(h.logs.map((line) => line.message)).toContain(
      'the step failed after the token was issued, and ending it failed too: vCenter logout at vcenter.example.com failed: connection refused (1 try).',
    )
  })
})

describe('vcenter: revoke', () => {
  const revoke = vcenter.revoke!

  it.each([
    ['api', API, 204],
    ['rest', REST, 200],
  ] as const)('%s: DELETE %s with the session header, answered %i', async (form, path, status) => {
    const { context } = revokeContext(VC, { form })
    const seen: Seen[] = []
    nock(VC)
      .delete(path)
      .reply(recorder(seen, () => [status]))
    expect(await revoke(context)).toBe('Logged out of vCenter: the session is ended.')
    expect(seen).toHaveLength(1)
    expect(seen[0].headers).toMatchObject({ 'vmware-api-session-id': context.accessToken, accept: 'application/json' })
    expect(seen[0].headers.authorization).toBeUndefined()
    expect(seen[0].url.search).toBe('')
  })

  it('401: the session was already gone (logged out or timed out), which is success', async () => {
    const { context } = revokeContext(VC, { form: 'api' })
    nock(VC).delete(API).reply(401, unauthenticated)
    expect(await revoke(context)).toBe('The vCenter session was already gone (HTTP 401): nothing left to end.')
  })

  it.each([
    [500, 2, 'vCenter logout failed: HTTP 500 Internal Server Error, empty body (2 tries). vCenter is busy or unavailable'],
    [404, 1, 'vCenter logout failed: HTTP 404 Not Found: NOT_FOUND (1 try).'],
  ])('HTTP %i: throws (the post step warns), after %i tries', async (status, tries, message) => {
    const { context, sleeps } = revokeContext(VC, { form: 'api' }, 2)
    const seen: Seen[] = []
    nock(VC)
      .delete(API)
      .times(tries)
      .reply(recorder(seen, () => [status, status === 404 ? { error_type: 'NOT_FOUND', messages: [] } : '']))
    const error = await rejectionOf(revoke(context))
    expect(error.message).toContain(message)
    expect(seen).toHaveLength(tries)
    expect(sleeps).toHaveLength(tries - 1)
  })

  it.each<Record<string, string>>([{}, { form: 'API' }, { form: 'soap' }, { form: '' }])(
    'refuses saved data %j, sending nothing',
    async (data) => {
      const { context } = revokeContext(VC, data)
      const seen: Seen[] = []
      nock(VC)
        .delete(/.*/)
        .optionally()
        .reply(recorder(seen, () => [204]))
      const error = await rejectionOf(revoke(context))
      expect(error).toBeInstanceOf(UntrustedStateError)
      expect(seen).toEqual([])
    },
  )
})

describe('readVapiError', () => {
  it.each([
    ['/api', JSON.stringify(unauthenticated), 'UNAUTHENTICATED: Authentication required.'],
    ['/rest', JSON.stringify(restUnauthenticated), 'unauthenticated: Authentication required.'],
    [
      'several messages',
      JSON.stringify({ error_type: 'ERROR', messages: [{ default_message: 'One.' }, { default_message: 'Two.' }] }),
      'ERROR: One. Two.',
    ],
    ['a kind alone', JSON.stringify({ error_type: 'NOT_FOUND', messages: [] }), 'NOT_FOUND'],
    ['odd messages', JSON.stringify({ error_type: 'X', messages: [null, 7, { default_message: 3 }, { default_message: '' }] }), 'X'],
    ['/rest with a value that is no object', JSON.stringify({ type: 'a.b', value: 'x' }), undefined],
    ['neither', JSON.stringify({ message: 'other' }), undefined],
    ['not JSON', '404 page not found\n', undefined],
  ])('%s', (_name, body, reason) => {
    expect(readVapiError(body)).toBe(reason)
  })
})

describe('vcenter through the core: main and post', () => {
  const stepInputs = (password: string) => ({ provider: 'vcenter', url: `${VC}/ui/`, username: USER, password, 'max-attempts': '3' })

  it('publishes the session, keeps its form for the post step, which logs out on that form', async () => {
    const password = secretToken(24)
    const id = sessionId()
    const seen = fakeVcenter(legacy(id))
    const core = fakeCore({ inputs: stepInputs(password) })
    await main(core)
    expect(core.messages('setFailed')).toEqual([])
    expect(core.outputs()).toMatchObject({ 'access-token': id, 'token-type': 'Session', 'expires-in': '', 'expires-at': '', subject: USER })
    expectMaskedBeforeUse(core, [password, id])
    const saved = JSON.parse(Object.values(core.states())[0]) as { data?: Record<string, string>; expiresAt?: string }
    expect(saved.data).toEqual({ form: 'rest' })
    expect(saved.expiresAt).toBeUndefined()

    const postCore = fakeCore({ inputs: stepInputs(password), state: core.states() })
    await post(postCore)
    expect(postCore.messages('info')).toContain('Logged out of vCenter: the session is ended.')
    expect(calls(seen).at(-1)).toBe(`DELETE ${REST}`)
    expect(seen.at(-1)!.headers['vmware-api-session-id']).toBe(id)
  })

  it('ends the session, with one try, when publishing it fails after the login', async () => {
    const id = sessionId()
    const seen = fakeVcenter(modern(id, { apiLogout: () => [503, ''] }))
    const core = fakeCore({ inputs: stepInputs(secretToken(24)) })
    // A full disk: the runner's GITHUB_ENV cannot be written.
    vi.spyOn(core, 'exportVariable').mockImplementation(() => {
      throw new Error('ENOSPC: no space left on device')
    })
    await main(core)
    expect(core.messages('setFailed')).toEqual(['ENOSPC: no space left on device'])
    const logouts = seen.filter((request) => request.method === 'DELETE')
    expect(logouts.map((request) => request.headers['vmware-api-session-id'])).toEqual([id])
    expect(
      core.messages('debug').some((line) => line.startsWith('the step failed after the token was issued, and ending it failed too')),
    ).toBe(true)
  })
})
