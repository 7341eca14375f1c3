/**
 * Aria Operations 8.x (formerly vRealize Operations) emulator: the Suite API's token acquire and release,
 * and the calls a pipeline makes with the token (find a resource, start and end its maintenance), on an
 * EmulatorServer (emulator.ts: recording, faults, close). Facts and their sources: notes/aria-operations.md
 * (vmware/vcf-api-specs vcf-operations-openapi.json acquireToken, releaseToken, getResources,
 * markResourceAsBeingMaintained; the 8.17.1 and 8.18 API Programming Guides; the 8.10 API reference's
 * "Handling Token Expiration"; vmware/vmware-aria-operations-integration-sdk SuiteApiClient.kt
 * TokenDelegate and releaseToken). Only erasable TypeScript: scripts run it directly.
 *
 *   const ops = await new AriaOperationsEmulator().start()
 *   ops.url, ops.ca                       // https://127.0.0.1:<port>, the private CA's PEM
 *   ops.username, ops.password            // a local user ('ci-deployer'): acquire without authSource (or 'LOCAL')
 *   ops.authSource, ops.sourceUsername, ops.sourcePassword   // a user only in the auth source 'Corp LDAP'
 *   ops.addUser({ username, password, authSource, roles, readOnly })   // another user
 *   ops.issued                            // every token acquired: { token, username, authSource, validity, released, time }
 *   ops.isAlive(token)                    // acquired, not released, validity not passed
 *   ops.expireToken(token)                // as if its 6 hours had passed without use
 *   ops.resources                         // 'web-01', 'web-02' (VirtualMachine), 'db-01': { identifier, name, ..., maintenance }
 *   ops.credentialsInUrl                  // requests that carried a credential in the query string
 *   ops.secrets()                         // passwords, tokens, and every Authorization value seen, scheme cut off
 *   ops.requestsTo('acquire' | 'release' | 'resources' | 'maintenance')
 *   ops.fault('acquire', { status: 503 }) // see emulator.ts; canned errors are {message, httpStatusCode}
 *   ops.reset()                           // faults, recorded requests, maintenance and the options below as constructed
 *
 * Options (also plain fields, changeable between tests), plus EmulatorOptions (tls, names):
 *   tokenLifetimeMs  how long a token lives after its last use (default 6 hours: "The validity of the acquired
 *                    token is extended after each call and is set to 6 hours from the last call", acquireToken)
 *   extendOnUse      each authorized call moves validity to now + tokenLifetimeMs (default true)
 *   releaseStatus    the release's success status (default 200, spec releaseToken; 204 to test tolerance)
 *   authSchemes      Authorization schemes accepted (default ['OpsToken', 'vRealizeOpsToken']: 8.17.1 guide
 *                    "REST Requests"; ['vRealizeOpsToken'] acts as a build that predates OpsToken, unverified)
 *
 * Routes (route names for faults and requestsTo):
 *   acquire      POST /suite-api/api/auth/token/acquire   JSON {username, password, authSource?}. authSource
 *                absent, null or 'LOCAL' (any case) means local users; otherwise the user must be in the auth
 *                source of that exact name. Wrong user, password or auth source: 401 (spec: "HTTP Status 401
 *                will be sent back if the authentication operation has failed"; its body is undocumented, so
 *                this one is ours: {message, httpStatusCode: 401}). Missing fields: 400; a body that is not
 *                JSON: 415. 200 {token: '<uuid>::<uuid>', validity: <epoch ms>, expiresAt: 'Friday, August 5,
 *                2016 6:22:05 PM UTC', roles: [...]} (the guides' example); without Accept: application/json
 *                the same as XML (the Suite API's default; element layout unverified). A password or token in
 *                the query string: 400, flagged in credentialsInUrl.
 *   release      POST /suite-api/api/auth/token/release   Authorization <scheme> <token>: releaseStatus, empty;
 *                the token is dead. No, unknown, released or expired token: the 401 below.
 *   resources    GET /suite-api/api/resources[?name=&resourceKind=]   {pageInfo, links, resourceList}
 *   maintenance  PUT /suite-api/api/resources/{id}/maintained[?duration=<minutes>|&end=<epoch ms>]: 200, the
 *                resource is MAINTAINED until then (end wins over duration), or MAINTAINED_MANUAL without
 *                either; DELETE the same path: 200, maintenance ends. Unknown id 404, a bad number 400, a
 *                readOnly user 403 ("lacking the required privilege return 403", VCF Operations API docs).
 *   Every route but acquire needs a live token; otherwise 401 {"message": "The provided token for auth scheme
 *   \"vRealizeOpsToken\" is either invalid or has expired.", "httpStatusCode": 401, "apiErrorCode": 1512}
 *   (8.10 API reference, "Handling Token Expiration").
 */
import { randomUUID } from 'node:crypto'
import { EmulatorServer, type EmulatorOptions, type RecordedRequest, type Reply } from './emulator.ts'
import { drawClear, randomToken } from './jwt.ts'

export const OPS_ACQUIRE_PATH = '/suite-api/api/auth/token/acquire'
export const OPS_RELEASE_PATH = '/suite-api/api/auth/token/release'
export const OPS_RESOURCES_PATH = '/suite-api/api/resources'
export const OPS_TOKEN_LIFETIME_MS = 6 * 3_600_000
/** The documented answer to a call with an invalid or expired token (8.10 API reference). */
export const OPS_TOKEN_ERROR = {
  message: 'The provided token for auth scheme "vRealizeOpsToken" is either invalid or has expired.',
  httpStatusCode: 401,
  apiErrorCode: 1512,
}
/** Ours: the real text of a failed acquire's 401 is not documented. */
export const OPS_ACQUIRE_FAILED_MESSAGE = 'Authentication failed: invalid username, password or auth source.'
export type OpsAuthScheme = 'OpsToken' | 'vRealizeOpsToken'

const CREDENTIAL_PARAMS = ['username', 'password', 'token']
const OPS_NAMESPACE = 'http://webservice.vmware.com/vRealizeOpsMgr/1.0/'

export interface OpsUser {
  username: string
  password: string
  /** The auth source's name; undefined for a local user. */
  authSource?: string
  roles: string[]
  /** Maintenance calls answer 403. */
  readOnly: boolean
}

export interface OpsIssued {
  token: string
  username: string
  authSource?: string
  /** Epoch ms the token dies unless used (moved by every authorized call when extendOnUse). */
  validity: number
  released: boolean
  time: number
}

export interface OpsResource {
  identifier: string
  name: string
  adapterKindKey: string
  resourceKindKey: string
  maintenance?: { state: 'MAINTAINED' | 'MAINTAINED_MANUAL'; until?: number; by: string }
}

export interface AriaOperationsOptions extends Omit<EmulatorOptions, 'routes' | 'errorBody'> {
  tokenLifetimeMs?: number
  extendOnUse?: boolean
  releaseStatus?: 200 | 204
  authSchemes?: OpsAuthScheme[]
}

export class AriaOperationsEmulator extends EmulatorServer {
  readonly username = 'ci-deployer'
  readonly password = `pw-${randomToken(20)}`
  readonly authSource = 'Corp LDAP'
  readonly sourceUsername = 'svc-deploy'
  readonly sourcePassword = `pw-${randomToken(20)}`
  readonly users: OpsUser[] = []
  readonly issued: OpsIssued[] = []
  readonly resources: OpsResource[]
  tokenLifetimeMs = OPS_TOKEN_LIFETIME_MS
  extendOnUse = true
  releaseStatus: 200 | 204 = 200
  authSchemes: OpsAuthScheme[] = ['OpsToken', 'vRealizeOpsToken']
  private readonly options: AriaOperationsOptions

  constructor(options: AriaOperationsOptions = {}) {
    super({ ...options, errorBody: (status, message) => opsError(status, message) })
    this.options = options
    this.applyOptions()
    this.addUser({ username: this.username, password: this.password, roles: ['Administrator'] })
    this.addUser({ username: this.sourceUsername, password: this.sourcePassword, authSource: this.authSource })
    this.resources = [
      ['web-01', 'VirtualMachine'],
      ['web-02', 'VirtualMachine'],
      ['db-01', 'VirtualMachine'],
    ].map(([name, kind]) => ({ identifier: randomUUID(), name, adapterKindKey: 'VMWARE', resourceKindKey: kind }))
    this.routes = [
      {
        name: 'acquire',
        method: 'POST',
        path: OPS_ACQUIRE_PATH,
        credential: (request) => (request.json as { password?: string } | undefined)?.password,
        handle: (request) => this.acquire(request),
      },
      { name: 'release', method: 'POST', path: OPS_RELEASE_PATH, credential: tokenOf, handle: (r) => this.release(r) },
      { name: 'resources', method: 'GET', path: OPS_RESOURCES_PATH, credential: tokenOf, handle: (r) => this.listResources(r) },
      ...['PUT', 'DELETE'].map((method) => ({
        name: 'maintenance',
        method,
        path: /^\/suite-api\/api\/resources\/([^/]+)\/maintained$/,
        credential: tokenOf,
        handle: (request: RecordedRequest, [id]: string[]) => this.maintenance(request, id),
      })),
    ]
  }

  /** Back to the options it was made with, without faults, recorded requests or maintenance (for afterEach). */
  override reset(): void {
    super.reset()
    for (const resource of this.resources) delete resource.maintenance
    this.applyOptions()
  }

  private applyOptions(): void {
    const options = this.options
    this.tokenLifetimeMs = options.tokenLifetimeMs ?? OPS_TOKEN_LIFETIME_MS
    this.extendOnUse = options.extendOnUse ?? true
    this.releaseStatus = options.releaseStatus ?? 200
    this.authSchemes = options.authSchemes ?? ['OpsToken', 'vRealizeOpsToken']
  }

  addUser(user: Partial<OpsUser> & { username: string; password: string }): OpsUser {
    const added: OpsUser = { roles: [], readOnly: false, ...user }
    this.users.push(added)
    this.remember(added.password)
    return added
  }

  isAlive(token: string): boolean {
    const issued = this.issued.find((entry) => entry.token === token)
    return !!issued && !issued.released && issued.validity > Date.now()
  }

  expireToken(token: string): void {
    const issued = this.issued.find((entry) => entry.token === token)
    if (issued) issued.validity = Date.now() - 1000
  }

  /** Also the bare token of every OpsToken / vRealizeOpsToken header seen. */
  override secrets(): string[] {
    return [...new Set(super.secrets().map((value) => value.replace(/^(OpsToken|vRealizeOpsToken)\s+/i, '')))]
  }

  private acquire(request: RecordedRequest): Reply {
    const refused = this.refusedInQuery(request, CREDENTIAL_PARAMS, opsError(400, 'Credentials must not be sent in the query string.'))
    if (refused) return refused
    if (!String(request.headers['content-type'] ?? '').includes('json')) {
      return { status: 415, body: opsError(415, 'Unsupported Media Type') }
    }
    const body = (request.json ?? {}) as { username?: unknown; password?: unknown; authSource?: unknown }
    if (typeof body.username !== 'string' || typeof body.password !== 'string' || !body.username) {
      return { status: 400, body: opsError(400, 'username and password are required') }
    }
    const source = typeof body.authSource === 'string' && body.authSource.toUpperCase() !== 'LOCAL' ? body.authSource : undefined
    const user = this.users.find(
      (candidate) => candidate.username === body.username && candidate.password === body.password && candidate.authSource === source,
    )
    if (!user) return { status: 401, body: opsError(401, OPS_ACQUIRE_FAILED_MESSAGE) }

    const now = Date.now()
    const issued: OpsIssued = {
      // Two UUIDs joined by '::' (the guides' example), drawn clear of the action's text as one value.
      token: drawClear(() => `${randomUUID()}::${randomUUID()}`),
      username: user.username,
      authSource: user.authSource,
      validity: now + this.tokenLifetimeMs,
      released: false,
      time: now,
    }
    this.issued.push(issued)
    this.remember(issued.token)
    const answer = { token: issued.token, validity: issued.validity, expiresAt: opsExpiresAt(issued.validity), roles: user.roles }
    if (String(request.headers.accept ?? '').includes('json')) return { status: 200, body: answer }
    return { status: 200, headers: { 'content-type': 'application/xml;charset=UTF-8' }, body: authTokenXml(answer) }
  }

  private release(request: RecordedRequest): Reply {
    const caller = this.authorized(request)
    if (!caller) return unauthorized()
    caller.released = true
    return { status: this.releaseStatus, body: '' }
  }

  private listResources(request: RecordedRequest): Reply {
    if (!this.authorized(request)) return unauthorized()
    const { name, resourceKind } = request.query
    const found = this.resources.filter(
      (resource) =>
        (name === undefined || resource.name === name) && (resourceKind === undefined || resource.resourceKindKey === resourceKind),
    )
    return {
      status: 200,
      body: {
        pageInfo: { totalCount: found.length, page: 0, pageSize: 1000 },
        links: [{ href: `${OPS_RESOURCES_PATH}?page=0&pageSize=1000`, rel: 'SELF', name: 'current' }],
        resourceList: found.map((resource) => ({
          creationTime: 1753340199158,
          resourceKey: {
            name: resource.name,
            adapterKindKey: resource.adapterKindKey,
            resourceKindKey: resource.resourceKindKey,
            resourceIdentifiers: [],
          },
          resourceStatusStates: [],
          dtEnabled: true,
          badges: [],
          relatedResources: [],
          identifier: resource.identifier,
        })),
      },
    }
  }

  private maintenance(request: RecordedRequest, id: string): Reply {
    const caller = this.authorized(request)
    if (!caller) return unauthorized()
    const user = this.users.find((candidate) => candidate.username === caller.username && candidate.authSource === caller.authSource)
    if (user?.readOnly) return { status: 403, body: opsError(403, 'Forbidden: the user lacks the privilege for this operation.') }
    const resource = this.resources.find((candidate) => candidate.identifier === id)
    if (!resource) return { status: 404, body: opsError(404, `Resource with id ${id} not found`) }
    if (request.method === 'DELETE') {
      delete resource.maintenance
      return { status: 200, body: '' }
    }
    const { duration, end } = request.query
    for (const value of [duration, end]) {
      if (value !== undefined && !/^\d+$/.test(value)) return { status: 400, body: opsError(400, `Invalid number: ${value}`) }
    }
    const until = end !== undefined ? Number(end) : duration !== undefined ? Date.now() + Number(duration) * 60_000 : undefined
    resource.maintenance = { state: until === undefined ? 'MAINTAINED_MANUAL' : 'MAINTAINED', until, by: caller.username }
    return { status: 200, body: '' }
  }

  /** The live token the request carries in an accepted scheme; extends it (a use) when extendOnUse. */
  private authorized(request: RecordedRequest): OpsIssued | undefined {
    const match = /^(\S+)\s+(\S+)\s*$/.exec(String(request.headers.authorization ?? ''))
    if (!match || !this.authSchemes.some((scheme) => scheme.toLowerCase() === match[1].toLowerCase())) return undefined
    if (!this.isAlive(match[2])) return undefined
    const issued = this.issued.find((entry) => entry.token === match[2])!
    if (this.extendOnUse) issued.validity = Date.now() + this.tokenLifetimeMs
    return issued
  }
}

function tokenOf(request: RecordedRequest): string | undefined {
  return /^\S+\s+(\S+)/.exec(String(request.headers.authorization ?? ''))?.[1]
}

function unauthorized(): Reply {
  return { status: 401, body: { ...OPS_TOKEN_ERROR } }
}

/** The Suite API's JSON error, {message, httpStatusCode[, apiErrorCode]} (8.10 API reference). */
export function opsError(status: number, message: string, apiErrorCode?: number): Record<string, unknown> {
  return { message, httpStatusCode: status, ...(apiErrorCode === undefined ? {} : { apiErrorCode }) }
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']

/** `expiresAt` as the guides show it: 1470421325035 -> 'Friday, August 5, 2016 6:22:05 PM UTC'. */
export function opsExpiresAt(epochMs: number): string {
  const date = new Date(epochMs)
  const hours = date.getUTCHours()
  const two = (value: number) => String(value).padStart(2, '0')
  return (
    `${DAYS[date.getUTCDay()]}, ${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}, ${date.getUTCFullYear()} ` +
    `${hours % 12 || 12}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} ${hours < 12 ? 'AM' : 'PM'} UTC`
  )
}

function authTokenXml(answer: { token: string; validity: number; expiresAt: string; roles: string[] }): string {
  const roles = answer.roles.map((role) => `<ops:roles>${role}</ops:roles>`).join('')
  return (
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<ops:auth-token xmlns:ops="${OPS_NAMESPACE}">` +
    `<ops:token>${answer.token}</ops:token><ops:validity>${answer.validity}</ops:validity>` +
    `<ops:expiresAt>${answer.expiresAt}</ops:expiresAt>${roles}</ops:auth-token>\n`
  )
}
