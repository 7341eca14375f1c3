/**
 * SDDC Manager (VMware Cloud Foundation 4.x / 5.x) emulator: token pairs from a password or an API key,
 * refresh-token revocation in either body encoding, and the calls a pipeline makes with the access token
 * (list workload domains, start a password rotation), on an EmulatorServer (emulator.ts: recording,
 * faults, close). Facts and their sources: notes/sddc-manager.md (vmware/vcf-sdk-go specs/swagger.json
 * createToken, invalidateRefreshToken, getDomains, updateOrRotatePasswords, Error, and vcf/vcf.gen.go
 * NewInvalidateRefreshTokenRequest; Broadcom "Tokens APIs" guide; PowerVCF Request-VCFToken and
 * checkVCFToken; terraform-provider-vcf sddc_manager_client.go). Only erasable TypeScript: scripts run it.
 *
 *   const sddc = await new SddcManagerEmulator().start()
 *   sddc.url, sddc.ca                     // https://127.0.0.1:<port>, the private CA's PEM
 *   sddc.username, sddc.password          // an SSO user ('svc-pipeline@vsphere.local')
 *   sddc.apiKey, sddc.serviceUser         // an automation account's API key and its name ('svc-automation')
 *   sddc.addUser(username, password), sddc.addApiKey(serviceUser) -> key
 *   sddc.users.get(name)                  // { password, failures, locked }; sddc.unlock(name)
 *   sddc.issued                           // every access token: { accessToken, claims, refreshTokenId, subject, credential, expiresAt, time }
 *   sddc.refreshTokens.get(id)            // { subject, revoked, revokedWith: 'json-string' | 'raw' }
 *   sddc.isAlive(accessToken)             // issued here and before its exp (revoking the refresh token does not end it)
 *   sddc.domains, sddc.tasks, sddc.rotations   // workload domains; tasks and the specs of accepted PATCH /v1/credentials
 *   sddc.credentialsInUrl, sddc.secrets(), sddc.requestsTo(route), sddc.fault(route, ...), sddc.reset()
 *
 * Options (also plain fields, changeable between tests), plus EmulatorOptions (tls, names):
 *   tokenStatus          POST /v1/tokens success status: 201 (default; specs 5.2.1, 9.0.2) or 200 (spec 5.1.1,
 *                        every Tokens guide example)
 *   accessTokenLifetime  seconds between the JWT's iat and exp (default 3600, the guide's example)
 *   omitClaims, extraClaims   claims left out of / added to new JWTs (e.g. ['exp'])
 *   revokeForms          body encodings DELETE /v1/tokens/refresh-token accepts (default both): 'json-string'
 *                        ("3c6b…" with quotes: the spec's string schema, vcf-sdk-go) and 'raw' (the bare id,
 *                        as PowerVCF sends it to the refresh call). A build that reads the body raw finds no id
 *                        "with quotes" (unknownRefreshStatus); one that parses JSON refuses a bare id (400).
 *   unknownRefreshStatus answer to an unknown or revoked refresh-token id (default 404: refreshAccessToken's
 *                        declared 404; revoke declares only 204, so this is unverified)
 *   revokeNeedsBearer    revoke also needs a live Bearer access token (default false: not stated anywhere)
 *   rejectStatus         wrong credentials (default 401: undocumented, reported by a third party; 400 declared)
 *   lockoutAfter         lock a user after this many wrong passwords in a row (default: never); a locked user
 *                        gets rejectStatus even with the right password (vCenter SSO locks after a few, KB 326186)
 *   rotateStatus         PATCH /v1/credentials success: 202 (default; 5.2+) or 200 (4.3.1, 5.1.1)
 *
 * Routes (route names for faults and requestsTo); errors are the spec's Error {errorCode, message,
 * remediationMessage, arguments, context, causes}, whose codes and texts here are ours:
 *   tokens       POST /v1/tokens   JSON {username, password} or {apiKey}: tokenStatus {accessToken: <JWT HS256:
 *                jti, iat, nbf, exp, sub, user, name, iss 'vcf-auth', aud 'sddc-services', scope>, refreshToken:
 *                {id: <uuid>}}. Neither or both kinds, or no JSON: 400. A credential in the query string: 400, flagged.
 *   revoke       DELETE /v1/tokens/refresh-token   body: the id, in a form of revokeForms: 204, empty; the refresh
 *                token is dead, the access tokens live on. Empty body 400; unknown or revoked id unknownRefreshStatus.
 *   refresh      PATCH /v1/tokens/access-token/refresh   the same body forms: 200 with a new access token as a
 *                JSON string; unknown or revoked id unknownRefreshStatus.
 *   domains      GET /v1/domains[?type=MANAGEMENT,VI]   Bearer: PageOfDomain {elements, pageMetadata}.
 *   credentials  PATCH /v1/credentials   Bearer, CredentialsUpdateSpec {operationType, elements: [{resourceName,
 *                resourceType, credentials: [{credentialType, username}]}]}: rotateStatus with a Task; a spec
 *                missing what the schema requires: 400.
 *   task         GET /v1/tasks/{id}   Bearer: the Task; unknown 404.
 *   Bearer routes answer 401 for a missing, unknown or expired access token.
 */
import { randomUUID } from 'node:crypto'
import { EmulatorServer, parseBearer, type EmulatorOptions, type RecordedRequest, type Reply } from './emulator.ts'
import { makeJwt, nowSeconds, randomToken, randomUuid } from './jwt.ts'

export const SDDC_TOKENS_PATH = '/v1/tokens'
export const SDDC_REVOKE_PATH = '/v1/tokens/refresh-token'
export const SDDC_REFRESH_PATH = '/v1/tokens/access-token/refresh'
export const SDDC_DOMAINS_PATH = '/v1/domains'
export const SDDC_CREDENTIALS_PATH = '/v1/credentials'
export const SDDC_TASKS_PATH = '/v1/tasks'
/** exp - iat of the Tokens guide's example access token. */
export const SDDC_ACCESS_TOKEN_SECONDS = 3600
export const SDDC_ISSUER = 'vcf-auth'
export const SDDC_AUDIENCE = 'sddc-services'
/** The scope of the Tokens guide's example token (an ADMIN user). */
export const SDDC_ADMIN_SCOPE = [
  'BACKUP_CONFIG_READ',
  'CREDENTIAL_READ',
  'USER_WRITE',
  'OTHER_WRITE',
  'BACKUP_CONFIG_WRITE',
  'OTHER_READ',
  'USER_READ',
  'CREDENTIAL_WRITE',
]
export const SDDC_OPERATION_TYPES = ['UPDATE', 'ROTATE', 'REMEDIATE', 'UPDATE_AUTO_ROTATE_POLICY']
export type SddcRevokeForm = 'json-string' | 'raw'

const CREDENTIAL_PARAMS = ['username', 'password', 'apiKey', 'refreshToken', 'token', 'id']

export interface SddcUser {
  password: string
  /** Wrong passwords in a row. */
  failures: number
  locked: boolean
}

export interface SddcIssued {
  accessToken: string
  claims: Record<string, unknown>
  refreshTokenId: string
  subject: string
  credential: 'password' | 'apiKey' | 'refresh'
  /** Epoch ms the server stops accepting it (exp, or the lifetime when the JWT has no exp). */
  expiresAt: number
  time: number
}

export interface SddcRefreshToken {
  subject: string
  credential: 'password' | 'apiKey'
  revoked: boolean
  revokedWith?: SddcRevokeForm
}

export interface SddcTask {
  id: string
  name: string
  type: string
  status: string
  creationTimestamp: string
  requestedBy: string
}

export interface SddcManagerOptions extends Omit<EmulatorOptions, 'routes' | 'errorBody'> {
  tokenStatus?: 200 | 201
  accessTokenLifetime?: number
  omitClaims?: string[]
  extraClaims?: Record<string, unknown>
  revokeForms?: SddcRevokeForm[]
  unknownRefreshStatus?: number
  revokeNeedsBearer?: boolean
  rejectStatus?: number
  lockoutAfter?: number
  rotateStatus?: 200 | 202
}

export class SddcManagerEmulator extends EmulatorServer {
  readonly username = 'svc-pipeline@vsphere.local'
  readonly password = `pw-${randomToken(20)}`
  readonly serviceUser = 'svc-automation'
  readonly apiKey: string
  readonly users = new Map<string, SddcUser>()
  readonly apiKeys = new Map<string, string>()
  readonly issued: SddcIssued[] = []
  readonly refreshTokens = new Map<string, SddcRefreshToken>()
  readonly domains: Record<string, unknown>[]
  readonly tasks: SddcTask[] = []
  readonly rotations: { spec: Record<string, unknown>; taskId: string }[] = []
  tokenStatus: 200 | 201 = 201
  accessTokenLifetime = SDDC_ACCESS_TOKEN_SECONDS
  omitClaims: string[] = []
  extraClaims: Record<string, unknown> = {}
  revokeForms: SddcRevokeForm[] = ['json-string', 'raw']
  unknownRefreshStatus = 404
  revokeNeedsBearer = false
  rejectStatus = 401
  lockoutAfter: number | undefined
  rotateStatus: 200 | 202 = 202
  private readonly options: SddcManagerOptions

  constructor(options: SddcManagerOptions = {}) {
    super({ ...options, errorBody: (status, message) => sddcError(status, message) })
    this.options = options
    this.applyOptions()
    this.addUser(this.username, this.password)
    this.apiKey = this.addApiKey(this.serviceUser)
    this.domains = [
      ['sfo-m01', 'MANAGEMENT'],
      ['sfo-w01', 'VI'],
    ].map(([name, type]) => ({
      id: randomUUID(),
      name,
      status: 'ACTIVE',
      type,
      vcenters: [{ id: randomUUID(), fqdn: `${name}-vc01.sfo.example.test` }],
      clusters: [{ id: randomUUID(), name: `${name}-cl01` }],
      isManagementSsoDomain: type === 'MANAGEMENT',
    }))
    const bearer = (request: RecordedRequest) => parseBearer(request.headers.authorization)
    const body = (request: RecordedRequest) => request.body
    this.routes = [
      {
        name: 'tokens',
        method: 'POST',
        path: SDDC_TOKENS_PATH,
        credential: (request) => {
          const spec = (request.json ?? {}) as { password?: string; apiKey?: string }
          return spec.apiKey ?? spec.password
        },
        handle: (request) => this.createTokens(request),
      },
      { name: 'revoke', method: 'DELETE', path: SDDC_REVOKE_PATH, credential: body, handle: (r) => this.revoke(r) },
      { name: 'refresh', method: 'PATCH', path: SDDC_REFRESH_PATH, credential: body, handle: (r) => this.refresh(r) },
      { name: 'domains', method: 'GET', path: SDDC_DOMAINS_PATH, credential: bearer, handle: (r) => this.listDomains(r) },
      { name: 'credentials', method: 'PATCH', path: SDDC_CREDENTIALS_PATH, credential: bearer, handle: (r) => this.rotate(r) },
      { name: 'task', method: 'GET', path: /^\/v1\/tasks\/([^/]+)$/, credential: bearer, handle: (r, [id]) => this.task(r, id) },
    ]
  }

  /** Back to the options it was made with, without faults, recorded requests or lockouts (for afterEach). */
  override reset(): void {
    super.reset()
    for (const name of this.users.keys()) this.unlock(name)
    this.applyOptions()
  }

  private applyOptions(): void {
    const options = this.options
    this.tokenStatus = options.tokenStatus ?? 201
    this.accessTokenLifetime = options.accessTokenLifetime ?? SDDC_ACCESS_TOKEN_SECONDS
    this.omitClaims = options.omitClaims ?? []
    this.extraClaims = options.extraClaims ?? {}
    this.revokeForms = options.revokeForms ?? ['json-string', 'raw']
    this.unknownRefreshStatus = options.unknownRefreshStatus ?? 404
    this.revokeNeedsBearer = options.revokeNeedsBearer ?? false
    this.rejectStatus = options.rejectStatus ?? 401
    this.lockoutAfter = options.lockoutAfter
    this.rotateStatus = options.rotateStatus ?? 202
  }

  addUser(username: string, password: string): void {
    this.users.set(username, { password, failures: 0, locked: false })
    this.remember(password)
  }

  addApiKey(serviceUser: string): string {
    const key = randomToken(32)
    this.apiKeys.set(key, serviceUser)
    this.remember(key)
    return key
  }

  unlock(username: string): void {
    const user = this.users.get(username)
    if (user) Object.assign(user, { failures: 0, locked: false })
  }

  isAlive(accessToken: string): boolean {
    const issued = this.issued.find((entry) => entry.accessToken === accessToken)
    return !!issued && issued.expiresAt > Date.now()
  }

  private createTokens(request: RecordedRequest): Reply {
    const refused = this.refusedInQuery(request, CREDENTIAL_PARAMS, sddcError(400, 'Credentials must not be sent in the query string.'))
    if (refused) return refused
    const spec = request.json as { username?: unknown; password?: unknown; apiKey?: unknown } | undefined
    const byKey = typeof spec?.apiKey === 'string' && spec.apiKey !== ''
    const byPassword = typeof spec?.username === 'string' && typeof spec.password === 'string'
    if (!spec || byKey === byPassword) {
      return { status: 400, body: sddcError(400, 'Provide either username and password, or apiKey.', 'TOKEN_SPEC_INVALID') }
    }
    if (byKey) {
      const subject = this.apiKeys.get(spec.apiKey as string)
      if (!subject) return this.rejected('The API key is not valid.')
      return { status: this.tokenStatus, body: this.issuePair(subject, 'apiKey') }
    }
    const username = spec.username as string
    const user = this.users.get(username)
    if (user?.locked) return this.rejected(`The account ${username} is locked.`, 'ACCOUNT_LOCKED')
    if (!user || user.password !== spec.password) {
      if (user) {
        user.failures++
        if (this.lockoutAfter !== undefined && user.failures >= this.lockoutAfter) user.locked = true
      }
      return this.rejected('Invalid username or password.')
    }
    user.failures = 0
    return { status: this.tokenStatus, body: this.issuePair(username, 'password') }
  }

  private rejected(message: string, errorCode = 'AUTHENTICATION_FAILED'): Reply {
    return {
      status: this.rejectStatus,
      body: sddcError(this.rejectStatus, message, errorCode, 'Check the user name and password, or the API key, and try again.'),
    }
  }

  private issuePair(subject: string, credential: 'password' | 'apiKey'): Record<string, unknown> {
    const id = randomUuid()
    this.refreshTokens.set(id, { subject, credential, revoked: false })
    this.remember(id)
    return { accessToken: this.issueAccessToken(subject, id, credential), refreshToken: { id } }
  }

  private issueAccessToken(subject: string, refreshTokenId: string, credential: SddcIssued['credential']): string {
    const iat = nowSeconds()
    // Claims as in the Tokens guide's example access token.
    const claims: Record<string, unknown> = {
      jti: randomUUID(),
      iat,
      sub: subject,
      iss: SDDC_ISSUER,
      aud: SDDC_AUDIENCE,
      nbf: iat,
      exp: iat + this.accessTokenLifetime,
      user: subject,
      name: subject,
      scope: SDDC_ADMIN_SCOPE,
      ...this.extraClaims,
    }
    for (const name of this.omitClaims) delete claims[name]
    const accessToken = makeJwt(claims, { alg: 'HS256' }, 32)
    const expiresAt = (iat + this.accessTokenLifetime) * 1000
    this.issued.push({ accessToken, claims, refreshTokenId, subject, credential, expiresAt, time: Date.now() })
    this.remember(accessToken)
    return accessToken
  }

  /** The refresh token a body names, in a form this build accepts; or the error reply. */
  private refreshTokenOf(request: RecordedRequest): { id: string; form: SddcRevokeForm; token: SddcRefreshToken } | Reply {
    const text = request.body.trim()
    if (!text) return { status: 400, body: sddcError(400, 'The refresh token id is required.', 'REFRESH_TOKEN_REQUIRED') }
    const quoted = text.startsWith('"')
    const form: SddcRevokeForm = quoted ? 'json-string' : 'raw'
    let id = text
    if (!this.revokeForms.includes(form)) {
      // A build that parses JSON cannot read a bare id; one that reads the body raw keeps the quotes.
      if (!quoted) return { status: 400, body: sddcError(400, 'Malformed JSON request body.', 'MALFORMED_REQUEST') }
    } else if (quoted) {
      try {
        id = String(JSON.parse(text))
      } catch {
        return { status: 400, body: sddcError(400, 'Malformed JSON request body.', 'MALFORMED_REQUEST') }
      }
    }
    const token = this.refreshTokens.get(id)
    if (!token || token.revoked) {
      const status = this.unknownRefreshStatus
      return { status, body: sddcError(status, 'Refresh token not found.', 'REFRESH_TOKEN_NOT_FOUND') }
    }
    return { id, form, token }
  }

  private revoke(request: RecordedRequest): Reply {
    if (this.revokeNeedsBearer && !this.caller(request)) return unauthorized()
    const found = this.refreshTokenOf(request)
    if ('status' in found) return found
    found.token.revoked = true
    found.token.revokedWith = found.form
    return { status: 204, body: '' }
  }

  private refresh(request: RecordedRequest): Reply {
    const found = this.refreshTokenOf(request)
    if ('status' in found) return found
    const accessToken = this.issueAccessToken(found.token.subject, found.id, 'refresh')
    return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(accessToken) }
  }

  private caller(request: RecordedRequest): SddcIssued | undefined {
    const token = parseBearer(request.headers.authorization)
    return token && this.isAlive(token) ? this.issued.find((entry) => entry.accessToken === token) : undefined
  }

  private listDomains(request: RecordedRequest): Reply {
    if (!this.caller(request)) return unauthorized()
    const types = request.query.type?.split(',').map((type) => type.trim().toUpperCase())
    const elements = this.domains.filter((domain) => !types || types.includes(String(domain.type)))
    return {
      status: 200,
      body: { elements, pageMetadata: { pageNumber: 0, pageSize: elements.length, totalElements: elements.length, totalPages: 1 } },
    }
  }

  private rotate(request: RecordedRequest): Reply {
    const caller = this.caller(request)
    if (!caller) return unauthorized()
    const spec = request.json as { operationType?: unknown; elements?: unknown } | undefined
    const problem = credentialsSpecProblem(spec)
    if (problem) return { status: 400, body: sddcError(400, problem, 'CREDENTIALS_SPEC_INVALID') }
    const task: SddcTask = {
      id: randomUUID(),
      name: `Credentials ${String(spec!.operationType).toLowerCase()} operation`,
      type: `PASSWORD_${String(spec!.operationType)}`,
      status: 'IN_PROGRESS',
      creationTimestamp: new Date().toISOString(),
      requestedBy: caller.subject,
    }
    this.tasks.push(task)
    this.rotations.push({ spec: spec as Record<string, unknown>, taskId: task.id })
    return { status: this.rotateStatus, body: taskBody(task) }
  }

  private task(request: RecordedRequest, id: string): Reply {
    if (!this.caller(request)) return unauthorized()
    const task = this.tasks.find((candidate) => candidate.id === id)
    if (!task) return { status: 404, body: sddcError(404, `Task ${id} not found.`, 'TASK_NOT_FOUND') }
    return { status: 200, body: taskBody(task) }
  }
}

/** What CredentialsUpdateSpec requires (spec 9.0.2: operationType, elements; resourceType, credentials; username). */
function credentialsSpecProblem(spec: { operationType?: unknown; elements?: unknown } | undefined): string | undefined {
  if (!spec || !SDDC_OPERATION_TYPES.includes(String(spec.operationType))) {
    return `operationType must be one of ${SDDC_OPERATION_TYPES.join(', ')}.`
  }
  if (!Array.isArray(spec.elements) || spec.elements.length === 0) return 'elements must list the resources.'
  for (const element of spec.elements as { resourceType?: unknown; credentials?: unknown }[]) {
    if (typeof element?.resourceType !== 'string') return 'Each element needs a resourceType.'
    if (!Array.isArray(element.credentials) || element.credentials.length === 0) return 'Each element needs credentials.'
    for (const credential of element.credentials as { username?: unknown }[]) {
      if (typeof credential?.username !== 'string' || !credential.username) return 'Each credential needs a username.'
    }
  }
  return undefined
}

function taskBody(task: SddcTask): Record<string, unknown> {
  return { id: task.id, name: task.name, type: task.type, status: task.status, creationTimestamp: task.creationTimestamp }
}

function unauthorized(): Reply {
  return { status: 401, body: sddcError(401, 'Access token is missing, invalid or expired.', 'UNAUTHORIZED') }
}

/** The spec's Error: {errorCode, message, remediationMessage, arguments, context, causes}. */
export function sddcError(
  status: number,
  message: string,
  errorCode = `HTTP_${status}`,
  remediationMessage?: string,
): Record<string, unknown> {
  return {
    errorCode,
    arguments: [],
    context: {},
    message,
    ...(remediationMessage === undefined ? {} : { remediationMessage }),
    causes: [],
  }
}
