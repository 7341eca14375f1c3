/**
 * Aria Automation 8.x (formerly vRealize Automation 8) emulator, on an EmulatorServer (emulator.ts:
 * recording, faults, close). Facts and their sources: notes/aria-protocol.md (vmware/vra-sdk-go
 * `pkg/client/login/login_client.go` RetrieveAuthToken, `pkg/models/auth_response.go`,
 * `swagger/vra-iaas.json`; the vRA 8 API Programming Guide; real tokens quoted in
 * terraform-provider-vra issues 95 and 159). Only erasable TypeScript: scripts run it directly.
 *
 *   const aria = await new AriaEmulator().start()
 *   aria.url, aria.ca                     // https://127.0.0.1:<port>, the private CA's PEM
 *   aria.refreshToken                     // a known API token (90 days left) of aria.username in aria.org
 *   aria.username, aria.domain, aria.org  // 'ci-bot', 'example.local', the org UUID (JWT context_name)
 *   aria.password                         // password of aria.username for the csp-login route
 *   aria.addRefreshToken({ username, domain, org, expiresAt, forbidden })   -> new token
 *   aria.expireRefreshToken(token)        // as if its 90 days were over
 *   aria.issued                           // every access token issued: { token, claims, credential, expiresAt, time }
 *   aria.isAlive(accessToken)             // issued here and not past its lifetime (with or without exp)
 *   aria.credentialsInUrl                 // requests that carried a credential in the query string
 *   aria.deployments                      // catalog requests accepted: { deploymentId, deploymentName, ... }
 *   aria.secrets()                        // every token known or issued, Bearer values seen (leak scans)
 *   aria.requestsTo('login' | 'csp-login' | 'catalog-items' | 'catalog-request')
 *   aria.fault('login', { status: 503 })  // see emulator.ts
 *   aria.reset()                          // faults, recorded requests and the options below as constructed
 *
 * Options (all also plain fields, changeable between tests), plus EmulatorOptions (tls, names):
 *   accessTokenLifetime  seconds between iat and exp (default 28800: "valid for eight hours")
 *   tokenType            the answer's tokenType (default 'Bearer'; e.g. 'bearer', 'JWT')
 *   omitClaims           claims left out of new JWTs (e.g. ['exp'], ['username', 'context_name'])
 *   extraClaims          claims added to / replacing those of new JWTs (e.g. { preferred_username: 'x' })
 *   unknownStatus        status for an unknown refresh token (default 400, the documented error path)
 *   expiredStatus        status for an expired refresh token (default 401: issue 15's contract; the real
 *                        status is undocumented, see notes/aria-protocol.md §2)
 *   forbiddenStatus      status for a token added with forbidden: true (default 403)
 *
 * Routes (route names for faults and requestsTo):
 *   login            POST /iaas/api/login   JSON {refreshToken}; optional ?apiVersion=. 200 {tokenType, token}.
 *                    No JSON body or no refreshToken: 400 "'refreshToken' can not be null." (the real
 *                    message, PowervRA issue 268). A credential in the query string: 400, flagged in
 *                    credentialsInUrl. Errors are ServiceErrorResponse {message, statusCode, errorCode,
 *                    serverErrorId, documentKind}; the unknown/expired/forbidden messages are ours.
 *   csp-login        POST /csp/gateway/am/api/login?access_token   JSON {username, password, domain?}
 *                    -> {refresh_token}, a new 90-day API token that works at /iaas/api/login (vRA 8.x API
 *                    Programming Guide "Get Your Access Token"; terraform-provider-vra docs/get_token.sh, which
 *                    leaves domain out when none is given). aria.username with domain left out or
 *                    aria.domain, or as 'ci-bot@example.local' without domain (the retry PowervRA's
 *                    Connect-vRAServer makes). Wrong user, password or domain: 400 with the body users quote
 *                    (PowervRA issues 228, 251): {timestamp, type: 'CLIENT_ERROR', status: '400 BAD_REQUEST',
 *                    error: 'Bad Request', serverMessage: 'REST error received: {... "error": "invalid_grant",
 *                    "error_description": "Invalid username or password" ...}'}. A password in the query
 *                    string (or a value given to the access_token flag): 400, flagged. Without ?access_token
 *                    it answers {cspAuthToken} instead (ours, unverified: no source shows that variant).
 *   catalog-items    GET /catalog/api/items   Bearer -> PageOfCatalogItem; missing, unknown or expired: 401.
 *   catalog-request  POST /catalog/api/items/{id}/request   Bearer, JSON CatalogItemRequest
 *                    {deploymentName, projectId, version, inputs, ...} -> [{deploymentId, deploymentName}];
 *                    unknown item: 404; no projectId or deploymentName: 400.
 */
import { randomInt, randomUUID } from 'node:crypto'
import { EmulatorServer, parseBearer, type EmulatorOptions, type RecordedRequest, type Reply } from './emulator.ts'
import { makeJwt, nowSeconds, randomToken } from './jwt.ts'

export const ARIA_LOGIN_PATH = '/iaas/api/login'
export const ARIA_CSP_LOGIN_PATH = '/csp/gateway/am/api/login'
export const ARIA_CATALOG_ITEMS_PATH = '/catalog/api/items'
/** Default access-token lifetime: "The access token is valid for eight hours" (vRA 8 API Programming Guide). */
export const ARIA_ACCESS_TOKEN_SECONDS = 8 * 3600
/** "It is valid for 90 days" (the refresh token; same guide). */
export const ARIA_REFRESH_TOKEN_DAYS = 90
/** The issuer of real on-prem vRA 8 access tokens (terraform-provider-vra issues 95, 159). */
export const ARIA_ISSUER = 'CN=Prelude Identity Service,OU=CMBU,O=VMware,L=Sofia,ST=Sofia,C=BG'

const DAY_MS = 86_400_000
/** Query parameters that would carry a credential. */
const CREDENTIAL_PARAMS = ['refreshToken', 'refresh_token', 'api_token', 'token']
/** Query parameters that would carry a credential of the CSP login (`access_token` itself is a bare flag). */
const LOGIN_CREDENTIAL_PARAMS = ['username', 'password', 'refresh_token']

export interface AriaRefreshTokenInfo {
  username: string
  domain: string
  /** Org UUID: the JWT's context_name. */
  org: string
  userId: string
  /** Epoch ms. */
  expiresAt: number
  /** Login answers forbiddenStatus for it. */
  forbidden: boolean
}

export interface AriaIssued {
  token: string
  claims: Record<string, unknown>
  /** The refresh token it was issued for. */
  credential: string
  /** Epoch ms when the server stops accepting it (exp, or the lifetime when the JWT has no exp). */
  expiresAt: number
  time: number
}

export interface AriaCatalogItem {
  id: string
  name: string
  description: string
  type: { id: string; link: string; name: string }
  projectIds: string[]
  sourceId: string
  sourceName: string
  bulkRequestLimit: number
}

export interface AriaDeployment {
  deploymentId: string
  deploymentName: string
  catalogItemId: string
  projectId: string
  version?: string
  inputs: Record<string, unknown>
  /** The access token that asked for it. */
  requestedWith: string
}

export interface AriaOptions extends Omit<EmulatorOptions, 'routes' | 'errorBody'> {
  accessTokenLifetime?: number
  tokenType?: string
  omitClaims?: string[]
  extraClaims?: Record<string, unknown>
  unknownStatus?: number
  expiredStatus?: number
  forbiddenStatus?: number
}

export class AriaEmulator extends EmulatorServer {
  readonly org: string = randomUUID()
  readonly username = 'ci-bot'
  readonly domain = 'example.local'
  readonly password = `pw-${randomToken(20)}`
  readonly projectId: string = randomUUID()
  readonly refreshToken: string
  readonly refreshTokens = new Map<string, AriaRefreshTokenInfo>()
  readonly issued: AriaIssued[] = []
  readonly catalogItems: AriaCatalogItem[]
  readonly deployments: AriaDeployment[] = []
  accessTokenLifetime = ARIA_ACCESS_TOKEN_SECONDS
  tokenType = 'Bearer'
  omitClaims: string[] = []
  extraClaims: Record<string, unknown> = {}
  unknownStatus = 400
  expiredStatus = 401
  forbiddenStatus = 403
  private readonly options: AriaOptions

  constructor(options: AriaOptions = {}) {
    super({ ...options, errorBody: ariaError })
    this.options = options
    this.applyOptions()
    this.remember(this.password)
    this.refreshToken = this.addRefreshToken({})
    const sourceId = randomUUID()
    this.catalogItems = ['Ubuntu VM', 'Photon OS VM'].map((name, index) => ({
      id: randomUUID(),
      name,
      description: `${name} from the emulator (${index + 1})`,
      type: { id: 'com.vmw.blueprint', link: '/catalog/api/types/com.vmw.blueprint', name: 'VMware Cloud Templates' },
      projectIds: [this.projectId],
      sourceId,
      sourceName: 'Cloud templates',
      bulkRequestLimit: 1,
    }))
    const bearer = (request: RecordedRequest) => parseBearer(request.headers.authorization)
    this.routes = [
      {
        name: 'login',
        method: 'POST',
        path: ARIA_LOGIN_PATH,
        credential: (request) => refreshTokenOf(request) ?? request.query.refreshToken,
        handle: (request) => this.login(request),
      },
      {
        name: 'csp-login',
        method: 'POST',
        path: ARIA_CSP_LOGIN_PATH,
        credential: (request) => (request.json as { password?: string } | undefined)?.password,
        handle: (request) => this.cspLogin(request),
      },
      { name: 'catalog-items', method: 'GET', path: ARIA_CATALOG_ITEMS_PATH, credential: bearer, handle: (r) => this.items(r) },
      {
        name: 'catalog-request',
        method: 'POST',
        path: /^\/catalog\/api\/items\/([^/]+)\/request$/,
        credential: bearer,
        handle: (request, [id]) => this.requestItem(request, id),
      },
    ]
  }

  /** Back to the options it was made with, without faults or recorded requests (for afterEach). */
  override reset(): void {
    super.reset()
    this.applyOptions()
  }

  private applyOptions(): void {
    const options = this.options
    this.accessTokenLifetime = options.accessTokenLifetime ?? ARIA_ACCESS_TOKEN_SECONDS
    this.tokenType = options.tokenType ?? 'Bearer'
    this.omitClaims = options.omitClaims ?? []
    this.extraClaims = options.extraClaims ?? {}
    this.unknownStatus = options.unknownStatus ?? 400
    this.expiredStatus = options.expiredStatus ?? 401
    this.forbiddenStatus = options.forbiddenStatus ?? 403
  }

  addRefreshToken(info: Partial<AriaRefreshTokenInfo> & { token?: string } = {}): string {
    const token = info.token ?? randomToken(32)
    this.refreshTokens.set(token, {
      username: info.username ?? this.username,
      domain: info.domain ?? this.domain,
      org: info.org ?? this.org,
      userId: info.userId ?? randomUUID(),
      expiresAt: info.expiresAt ?? Date.now() + ARIA_REFRESH_TOKEN_DAYS * DAY_MS,
      forbidden: info.forbidden ?? false,
    })
    this.remember(token)
    return token
  }

  expireRefreshToken(token: string): void {
    const info = this.refreshTokens.get(token)
    if (info) info.expiresAt = Date.now() - 1000
  }

  isAlive(accessToken: string): boolean {
    const issued = this.issued.find((entry) => entry.token === accessToken)
    return !!issued && issued.expiresAt > Date.now()
  }

  private login(request: RecordedRequest): Reply {
    const refused = this.refusedInQuery(request, CREDENTIAL_PARAMS, ariaError(400, 'Credentials must not be sent in the query string.'))
    if (refused) return refused
    const presented = refreshTokenOf(request)
    if (!presented) return { status: 400, body: ariaError(400, "'refreshToken' can not be null.") }
    const info = this.refreshTokens.get(presented)
    if (!info) return { status: this.unknownStatus, body: ariaError(this.unknownStatus, 'Invalid refresh token.') }
    if (info.expiresAt <= Date.now()) {
      return { status: this.expiredStatus, body: ariaError(this.expiredStatus, 'The refresh token has expired.') }
    }
    if (info.forbidden) {
      return { status: this.forbiddenStatus, body: ariaError(this.forbiddenStatus, 'User is not authorized to access this organization.') }
    }
    const iat = nowSeconds()
    // Claim names and shapes as in real on-prem tokens (notes/aria-protocol.md §3).
    const claims: Record<string, unknown> = {
      iss: ARIA_ISSUER,
      iat,
      exp: iat + this.accessTokenLifetime,
      jti: randomUUID(),
      context: JSON.stringify([{ mtd: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport', iat, id: 15 }]),
      azp: `prelude-user-${randomToken(10)}`,
      sub: `${info.domain}:${info.userId}`,
      domain: info.domain,
      username: info.username,
      perms: ['csp:org_member', `external/${randomUUID()}/catalog:user`, `external/${randomUUID()}/automationservice:user`],
      context_name: info.org,
      acct: `${info.username}@${info.domain}`,
      ...this.extraClaims,
    }
    for (const name of this.omitClaims) delete claims[name]
    const token = makeJwt(claims, { typ: 'JWT', alg: 'RS256', kid: `${randomInt(1e9, 9e9)}${randomInt(1e9, 9e9)}` })
    this.issued.push({
      token,
      claims,
      credential: presented,
      expiresAt: (iat + this.accessTokenLifetime) * 1000,
      time: Date.now(),
    })
    this.remember(token)
    return { status: 200, body: { tokenType: this.tokenType, token } }
  }

  private cspLogin(request: RecordedRequest): Reply {
    // access_token is the documented query of this request: a value in it would be a credential.
    const names = request.query.access_token ? [...LOGIN_CREDENTIAL_PARAMS, 'access_token'] : LOGIN_CREDENTIAL_PARAMS
    const refused = this.refusedInQuery(request, names, ariaError(400, 'Credentials must not be sent in the query string.'))
    if (refused) return refused
    const body = (request.json ?? {}) as { username?: string; password?: string; domain?: string }
    const sameUser =
      (body.username === this.username && (body.domain === undefined || body.domain === this.domain)) ||
      (body.username === `${this.username}@${this.domain}` && body.domain === undefined)
    if (!sameUser || body.password !== this.password) return { status: 400, body: cspLoginError() }
    if (request.query.access_token === undefined) {
      return { status: 200, body: { cspAuthToken: this.loginAccessToken() } }
    }
    return { status: 200, body: { refresh_token: this.addRefreshToken({}) } }
  }

  /** A bare identity-service token (not usable on the APIs: "missing internal state"). */
  private loginAccessToken(): string {
    const token = makeJwt({ iss: ARIA_ISSUER, sub: `${this.domain}:${randomUUID()}`, exp: nowSeconds() + 1800 })
    this.remember(token)
    return token
  }

  private authorized(request: RecordedRequest): AriaIssued | undefined {
    const token = parseBearer(request.headers.authorization)
    return token && this.isAlive(token) ? this.issued.find((entry) => entry.token === token) : undefined
  }

  private unauthorized(): Reply {
    return { status: 401, headers: { 'www-authenticate': 'Bearer' }, body: ariaError(401, 'Unauthorized') }
  }

  private items(request: RecordedRequest): Reply {
    if (!this.authorized(request)) return this.unauthorized()
    const search = (request.query.search ?? '').toLowerCase()
    const content = this.catalogItems.filter((item) => item.name.toLowerCase().includes(search))
    return {
      status: 200,
      body: {
        content,
        pageable: { offset: 0, pageNumber: 0, pageSize: 20, paged: true, unpaged: false },
        totalElements: content.length,
        totalPages: 1,
        last: true,
        first: true,
        number: 0,
        size: 20,
        numberOfElements: content.length,
        sort: { sorted: false, unsorted: true, empty: true },
        empty: content.length === 0,
      },
    }
  }

  private requestItem(request: RecordedRequest, id: string): Reply {
    const caller = this.authorized(request)
    if (!caller) return this.unauthorized()
    const item = this.catalogItems.find((candidate) => candidate.id === id)
    if (!item) return { status: 404, body: ariaError(404, `Catalog item with id '${id}' not found`) }
    const body = (request.json ?? {}) as { deploymentName?: unknown; projectId?: unknown; version?: unknown; inputs?: unknown }
    if (typeof body.projectId !== 'string' || typeof body.deploymentName !== 'string' || !body.deploymentName) {
      return { status: 400, body: ariaError(400, 'projectId and deploymentName are required') }
    }
    if (!item.projectIds.includes(body.projectId)) {
      return { status: 403, body: ariaError(403, `Catalog item is not shared with project '${body.projectId}'`) }
    }
    const deployment: AriaDeployment = {
      deploymentId: randomUUID(),
      deploymentName: body.deploymentName,
      catalogItemId: item.id,
      projectId: body.projectId,
      version: typeof body.version === 'string' ? body.version : undefined,
      inputs: body.inputs && typeof body.inputs === 'object' ? (body.inputs as Record<string, unknown>) : {},
      requestedWith: caller.token,
    }
    this.deployments.push(deployment)
    return { status: 200, body: [{ deploymentId: deployment.deploymentId, deploymentName: deployment.deploymentName }] }
  }
}

function refreshTokenOf(request: RecordedRequest): string | undefined {
  const value = (request.json as { refreshToken?: unknown } | undefined)?.refreshToken
  return typeof value === 'string' && value ? value : undefined
}

/** The identity service's 400 for a wrong user or password, as vRA 8.1 and 8.3 sent it (PowervRA issues 228, 251). */
export function cspLoginError(): Record<string, unknown> {
  return {
    timestamp: Date.now(),
    type: 'CLIENT_ERROR',
    status: '400 BAD_REQUEST',
    error: 'Bad Request',
    serverMessage:
      'REST error received: {\n  "error": "invalid_grant",\n  "error_description": "Invalid username or password"\n}, status code: 400 BAD_REQUEST',
  }
}

/**
 * Aria Automation's ServiceErrorResponse, as a real 400 from /iaas/api/login looked (PowervRA issue
 * 268): {message, statusCode, errorCode: 0, serverErrorId, documentKind}.
 */
export function ariaError(status: number, message: string): Record<string, unknown> {
  return {
    message,
    statusCode: status,
    errorCode: 0,
    serverErrorId: randomUUID(),
    documentKind: 'com:vmware:xenon:common:ServiceErrorResponse',
  }
}
