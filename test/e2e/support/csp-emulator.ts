/**
 * VMware Cloud Services (CSP) identity emulator, per PROVIDERS.md §1, on an EmulatorServer
 * (emulator.ts: recording, faults, close). Only erasable TypeScript: scripts run it directly.
 *
 *   const csp = await new CspEmulator({ apiTokenExpiresInDays: 5 }).start()
 *   csp.url, csp.ca                      // https://127.0.0.1:<port>, the private CA's PEM
 *   csp.apiToken                         // a known 65-character API token of csp.org for csp.username
 *   csp.clientId, csp.clientSecret       // a known OAuth app, member of csp.org
 *   csp.org                              // default org UUID; csp.otherOrg: a second org the app is not in
 *   csp.addApiToken({ org, username, expiresAt })   -> new token (expiresAt: epoch ms, null = never)
 *   csp.addApp({ orgs, clientId, clientSecret })    -> { clientId, clientSecret }
 *   csp.revokeApiToken(token)
 *   csp.issued                           // every token response it sent: { kind, access_token, refresh_token,
 *                                        //   id_token, claims, credential }
 *   csp.secrets()                        // every credential known or issued, Basic values seen (leak scans)
 *   csp.requestsTo('api-token') / 'oauth-app' / 'details' / 'loggedin-user'
 *   csp.fault('api-token', { times: 2, status: 503 })   // see emulator.ts
 *   await csp.close()
 *
 * Routes (route names for faults and requestsTo):
 *   api-token      POST /csp/gateway/am/api/auth/api-tokens/authorize   form api_token= (or the deprecated
 *                  refresh_token=). A token in the query string is refused (400) and flagged. Unknown, revoked
 *                  or expired token: 400 {statusCode, moduleCode: 513, message: 'invalid_grant: Invalid refresh
 *                  token: xxxxx...<last 5>', requestId, cspErrorCode, errorCode}.
 *   oauth-app      POST /csp/gateway/am/api/auth/authorize and /auth/token: Basic client_id:secret,
 *                  grant_type=client_credentials, optional orgId. Wrong app/secret: 401 invalid_client; app not in
 *                  orgId: options.appNotInOrgStatus (400 default, or 403).
 *   details        POST /csp/gateway/am/api/auth/api-tokens/details   JSON {tokenValue} -> {expiresAt (epoch ms,
 *                  -1 for never), createdAt, tokenId, tokenName, userId, ...}
 *   loggedin-user  GET /csp/gateway/am/api/loggedin/user   Bearer -> user details
 */
import { randomUUID } from 'node:crypto'
import { EmulatorServer, parseBasic, parseBearer, type EmulatorOptions, type RecordedRequest, type Reply } from './emulator.ts'
import { makeJwt, nowSeconds, randomToken } from './jwt.ts'

export const CSP_API_TOKEN_PATH = '/csp/gateway/am/api/auth/api-tokens/authorize'
export const CSP_OAUTH_PATH = '/csp/gateway/am/api/auth/authorize'
export const CSP_OAUTH_TOKEN_PATH = '/csp/gateway/am/api/auth/token'
export const CSP_DETAILS_PATH = '/csp/gateway/am/api/auth/api-tokens/details'
export const CSP_LOGGEDIN_PATH = '/csp/gateway/am/api/loggedin/user'

const DAY_MS = 86_400_000

export interface CspApiTokenInfo {
  org: string
  username: string
  /** Epoch ms; null: never expires. */
  expiresAt: number | null
  revoked: boolean
  name: string
  userId: string
}

export interface CspAppInfo {
  secret: string
  orgs: string[]
}

export interface CspIssued {
  kind: 'api-token' | 'oauth-app'
  /** The API token or client ID it was issued for. */
  credential: string
  access_token: string
  refresh_token: string | null
  id_token: string | null
  claims: Record<string, unknown>
  time: number
}

export interface CspOptions extends Omit<EmulatorOptions, 'routes' | 'errorBody'> {
  /** expires_in of access tokens (default 1799). */
  expiresIn?: number
  /** Lifetime of the default API token in days (default 180); null: it never expires. */
  apiTokenExpiresInDays?: number | null
  /** What the API-token exchange returns as refresh_token: the API token itself (default), a new secret, or null. */
  refreshToken?: 'api-token' | 'new' | 'none'
  /** Whether the API-token exchange returns an id_token (default true). */
  idToken?: boolean
  /** Status for an OAuth app asking for an org it is not in (default 400). */
  appNotInOrgStatus?: number
}

export class CspEmulator extends EmulatorServer {
  readonly org: string = randomUUID()
  readonly otherOrg: string = randomUUID()
  readonly username = 'ci-bot@example.com'
  readonly apiToken: string
  readonly clientId: string
  readonly clientSecret: string
  readonly apiTokens = new Map<string, CspApiTokenInfo>()
  readonly apps = new Map<string, CspAppInfo>()
  readonly issued: CspIssued[] = []
  expiresIn: number
  refreshTokenMode: 'api-token' | 'new' | 'none'
  idToken: boolean
  appNotInOrgStatus: number

  constructor(options: CspOptions = {}) {
    super({ ...options, errorBody: cspError })
    this.expiresIn = options.expiresIn ?? 1799
    this.refreshTokenMode = options.refreshToken ?? 'api-token'
    this.idToken = options.idToken ?? true
    this.appNotInOrgStatus = options.appNotInOrgStatus ?? 400
    const days = options.apiTokenExpiresInDays === undefined ? 180 : options.apiTokenExpiresInDays
    this.apiToken = this.addApiToken({ expiresAt: days === null ? null : Date.now() + days * DAY_MS })
    const app = this.addApp({})
    this.clientId = app.clientId
    this.clientSecret = app.clientSecret
    const tokenRoute = (name: string, path: string) => ({
      name,
      method: 'POST',
      path,
      credential: (request: RecordedRequest) => parseBasic(request.headers.authorization)?.[1],
      handle: (request: RecordedRequest) => this.oauthApp(request),
    })
    this.routes = [
      {
        name: 'api-token',
        method: 'POST',
        path: CSP_API_TOKEN_PATH,
        credential: (request) => request.form?.api_token ?? request.form?.refresh_token ?? request.query.api_token,
        handle: (request) => this.apiTokenGrant(request),
      },
      tokenRoute('oauth-app', CSP_OAUTH_PATH),
      tokenRoute('oauth-app', CSP_OAUTH_TOKEN_PATH),
      {
        name: 'details',
        method: 'POST',
        path: CSP_DETAILS_PATH,
        credential: (request) => tokenValueOf(request),
        handle: (request) => this.details(request),
      },
      { name: 'loggedin-user', method: 'GET', path: CSP_LOGGEDIN_PATH, handle: (request) => this.loggedInUser(request) },
    ]
  }

  addApiToken(info: Partial<CspApiTokenInfo> & { token?: string } = {}): string {
    const token = info.token ?? randomToken(65)
    this.apiTokens.set(token, {
      org: info.org ?? this.org,
      username: info.username ?? this.username,
      expiresAt: info.expiresAt === undefined ? Date.now() + 180 * DAY_MS : info.expiresAt,
      revoked: info.revoked ?? false,
      name: info.name ?? 'github-actions',
      userId: info.userId ?? randomUUID(),
    })
    this.remember(token)
    return token
  }

  addApp(info: { clientId?: string; clientSecret?: string; orgs?: string[] } = {}): { clientId: string; clientSecret: string } {
    const clientId = info.clientId ?? `ci-app-${randomToken(12, 'hex')}`
    const clientSecret = info.clientSecret ?? randomToken(48, 'urlsafe')
    this.apps.set(clientId, { secret: clientSecret, orgs: info.orgs ?? [this.org] })
    this.remember(clientSecret, Buffer.from(`${clientId}:${clientSecret}`).toString('base64'))
    return { clientId, clientSecret }
  }

  revokeApiToken(token: string): void {
    const info = this.apiTokens.get(token)
    if (info) info.revoked = true
  }

  private apiTokenGrant(request: RecordedRequest): Reply {
    const refused = this.refusedInQuery(
      request,
      ['api_token', 'refresh_token'],
      cspError(400, 'invalid_request: credentials must not be sent in the query string'),
    )
    if (refused) return refused
    const token = request.form?.api_token ?? request.form?.refresh_token
    if (!token) return { status: 400, body: cspError(400, 'invalid_request: api_token is required') }
    const info = this.apiTokens.get(token)
    if (!info || info.revoked || (info.expiresAt !== null && info.expiresAt <= Date.now())) {
      return { status: 400, body: cspError(400, `invalid_grant: Invalid refresh token: xxxxx...${token.slice(-5)}`) }
    }
    const iat = nowSeconds()
    const claims: Record<string, unknown> = {
      sub: `vmware.com:${info.userId}`,
      iss: 'https://gaz.csp-vidm-prod.com',
      context_name: info.org,
      context: randomUUID(),
      azp: 'csp_prd_gaz_internal_client_id',
      authorization_details: [],
      domain: 'vmware.com',
      perms: ['csp:org_member', 'external/tsm/admin'],
      exp: iat + this.expiresIn,
      iat,
      jti: randomUUID(),
      acct: info.username,
      username: info.username,
    }
    const accessToken = makeJwt(claims)
    const refreshToken = this.refreshTokenMode === 'api-token' ? token : this.refreshTokenMode === 'new' ? randomToken(65) : null
    const idToken = this.idToken
      ? makeJwt({ sub: claims.sub, iss: claims.iss, aud: claims.azp, acct: info.username, exp: claims.exp, iat })
      : null
    return this.issue('api-token', token, claims, accessToken, refreshToken, idToken)
  }

  private oauthApp(request: RecordedRequest): Reply {
    const basic = parseBasic(request.headers.authorization)
    if (!basic) {
      return {
        status: 401,
        headers: { 'www-authenticate': 'Basic realm="csp"' },
        body: cspError(401, 'invalid_client: Client authentication failed'),
      }
    }
    const [clientId, secret] = basic
    const app = this.apps.get(clientId)
    if (!app || app.secret !== secret) return { status: 401, body: cspError(401, 'invalid_client: Bad client credentials') }
    if (request.form?.grant_type !== 'client_credentials') {
      return { status: 400, body: cspError(400, `unsupported_grant_type: Unsupported grant type: ${request.form?.grant_type ?? 'none'}`) }
    }
    const orgId = request.form?.orgId
    if (orgId && !app.orgs.includes(orgId.toLowerCase())) {
      return {
        status: this.appNotInOrgStatus,
        body: cspError(this.appNotInOrgStatus, `invalid_request: Client ${clientId} is not a member of the organization ${orgId}`),
      }
    }
    const org = orgId?.toLowerCase() ?? app.orgs[0]
    const iat = nowSeconds()
    const claims: Record<string, unknown> = {
      sub: clientId,
      iss: 'https://gaz.csp-vidm-prod.com',
      context_name: org,
      context: randomUUID(),
      azp: clientId,
      cid: clientId,
      authorization_details: [],
      domain: 'vmware.com',
      perms: ['csp:org_member'],
      exp: iat + this.expiresIn,
      iat,
      jti: randomUUID(),
    }
    return this.issue('oauth-app', clientId, claims, makeJwt(claims), null, null)
  }

  private issue(
    kind: CspIssued['kind'],
    credential: string,
    claims: Record<string, unknown>,
    accessToken: string,
    refreshToken: string | null,
    idToken: string | null,
  ): Reply {
    this.issued.push({
      kind,
      credential,
      access_token: accessToken,
      refresh_token: refreshToken,
      id_token: idToken,
      claims,
      time: Date.now(),
    })
    this.remember(accessToken, refreshToken, idToken)
    return {
      status: 200,
      body: {
        id_token: idToken,
        token_type: 'bearer',
        expires_in: this.expiresIn,
        scope: 'ALL_PERMISSIONS customer_number openid group_names',
        access_token: accessToken,
        refresh_token: refreshToken,
      },
    }
  }

  private details(request: RecordedRequest): Reply {
    const token = tokenValueOf(request)
    const info = token ? this.apiTokens.get(token) : undefined
    if (!token || !info || info.revoked) {
      return { status: 400, body: cspError(400, `invalid_grant: Invalid refresh token: xxxxx...${(token ?? '').slice(-5)}`) }
    }
    return {
      status: 200,
      body: {
        tokenId: randomUUID(),
        tokenName: info.name,
        userId: info.userId,
        username: info.username,
        orgId: info.org,
        createdAt: Date.now() - 10 * DAY_MS,
        expiresAt: info.expiresAt ?? -1,
        scope: { allRoles: false },
      },
    }
  }

  private loggedInUser(request: RecordedRequest): Reply {
    const token = parseBearer(request.headers.authorization)
    const issued = token ? this.issued.find((entry) => entry.access_token === token) : undefined
    if (!issued || Number(issued.claims.exp) * 1000 <= Date.now())
      return { status: 401, body: cspError(401, 'invalid_token: The token is not valid') }
    const username = typeof issued.claims.username === 'string' ? issued.claims.username : String(issued.claims.sub)
    return {
      status: 200,
      body: { username, email: username, firstName: 'CI', lastName: 'Bot', userId: issued.claims.sub, idpId: 'vmware.com' },
    }
  }
}

function tokenValueOf(request: RecordedRequest): string | undefined {
  const value = (request.json as { tokenValue?: unknown } | undefined)?.tokenValue
  return typeof value === 'string' ? value : undefined
}

/** CSP's error shape. */
export function cspError(status: number, message: string): Record<string, unknown> {
  return {
    statusCode: status,
    moduleCode: 513,
    message,
    requestId: randomToken(16, 'hex'),
    cspErrorCode: status === 401 ? '401.4' : `${status}.513`,
    errorCode: status === 401 ? 'invalid_client' : 'invalid_grant',
  }
}
