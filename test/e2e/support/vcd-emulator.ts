/**
 * VMware Cloud Director emulator, per PROVIDERS.md §2, on an EmulatorServer (emulator.ts:
 * recording, faults, close). Only erasable TypeScript: scripts run it directly.
 *
 *   const vcd = await new VcdEmulator({ maxVersion: '38.1' }).start()
 *   vcd.url, vcd.ca                     // https://127.0.0.1:<port>, the private CA's PEM
 *   vcd.providerToken                   // API token of the System org (user 'administrator')
 *   vcd.tenantToken                     // API token of org vcd.tenantOrg ('acme', user 'acme-ops')
 *   vcd.serviceAccountToken             // service-account refresh token of 'acme' (rotates on every use)
 *   vcd.addToken({ org, user, kind: 'api-token' | 'service-account' })   -> new token
 *   vcd.latestRefreshToken(token)       // the live successor of a rotated service-account token
 *   vcd.revokeToken(token)              // as in the UI: the token and the sessions made from it die
 *   vcd.sessions                        // Map access token -> VcdSession { id, user, org, alive, refreshToken, ... }
 *   vcd.isAlive(accessToken)
 *   vcd.issued                          // every token response: { access_token, refresh_token, org, user, ... }
 *   vcd.versions                        // the versions it announces, in the (unsorted) order it sends them
 *   vcd.secrets()                       // every token known or issued, Bearer values seen (leak scans)
 *   vcd.requestsTo('token' | 'versions' | 'session' | 'logout' | 'legacy-logout')
 *   vcd.fault('logout', { times: Infinity, status: 500 })   // see emulator.ts
 *
 * Options: maxVersion (default '38.1'; e.g. '35.0' has no DELETE sessions/current, so the legacy
 * logout is used), tenantOrgs (default ['acme']), expiresIn (default 86400), invalidGrantStatus
 * (400 default, or 401), legacyLogout (DELETE /api/session exists; default: maxVersion < 37),
 * orgCaseSensitive (default false), plus EmulatorOptions (tls, names).
 *
 * Routes:
 *   token          POST /oauth/provider/token, POST /oauth/tenant/{org}/token   form grant_type=refresh_token&
 *                  refresh_token=. Unknown, spent or revoked token, or a token of another org: invalidGrantStatus
 *                  {minorErrorCode: 'invalid_grant', message: 'Invalid refresh token'}. Unknown org: 401.
 *                  A token in the URL is refused and flagged (credentialsInUrl).
 *   versions       GET /api/versions   XML, unsorted, a deprecated entry and pre-release entries.
 *   session        GET /cloudapi/1.0.0/sessions/current   Bearer; Accept application/json;version=X, X supported,
 *                  else 406. Dead token: 401.
 *   logout         DELETE /cloudapi/1.0.0/sessions/current   204, then the token is dead (API 36.0+, else 405).
 *   legacy-logout  DELETE /api/session   Accept application/*+xml;version=X; 204 (only when legacyLogout).
 */
import { randomUUID } from 'node:crypto'
import { EmulatorServer, parseBearer, type EmulatorOptions, type RecordedRequest, type Reply } from './emulator.ts'
import { makeJwt, nowSeconds, randomToken } from './jwt.ts'

export const VCD_PROVIDER_TOKEN_PATH = '/oauth/provider/token'
export const VCD_SESSION_PATH = '/cloudapi/1.0.0/sessions/current'
export const VCD_LEGACY_SESSION_PATH = '/api/session'
export const VCD_VERSIONS_PATH = '/api/versions'

export interface VcdTokenInfo {
  /** 'System' for the provider org. */
  org: string
  user: string
  kind: 'api-token' | 'service-account'
  revoked: boolean
  /** Service accounts: used once, replaced by `successor`. */
  spent: boolean
  successor?: string
}

export interface VcdSession {
  id: string
  accessToken: string
  refreshToken: string
  user: { name: string; id: string }
  org: { name: string; id: string }
  alive: boolean
  expiresAt: number
  endedBy?: 'logout' | 'legacy-logout' | 'revoke'
}

export interface VcdIssued {
  access_token: string
  refresh_token: string | null
  /** The token it was exchanged for. */
  credential: string
  org: string
  user: string
  time: number
}

export interface VcdOptions extends Omit<EmulatorOptions, 'routes' | 'errorBody'> {
  maxVersion?: string
  tenantOrgs?: string[]
  expiresIn?: number
  invalidGrantStatus?: number
  legacyLogout?: boolean
  orgCaseSensitive?: boolean
}

const CATALOGUE = [
  '33.0',
  '34.0',
  '35.0',
  '35.2',
  '36.0',
  '36.1',
  '36.2',
  '36.3',
  '37.0',
  '37.1',
  '37.2',
  '37.3',
  '38.0',
  '38.1',
  '39.0',
  '39.1',
  '40.0',
]

export class VcdEmulator extends EmulatorServer {
  readonly maxVersion: string
  readonly tenantOrgs: string[]
  readonly tenantOrg: string
  readonly providerToken: string
  readonly tenantToken: string
  readonly serviceAccountToken: string
  readonly tokens = new Map<string, VcdTokenInfo>()
  readonly sessions = new Map<string, VcdSession>()
  readonly issued: VcdIssued[] = []
  /** Announced versions, in the order sent; `deprecated` marks the old ones. */
  readonly versions: { version: string; deprecated: boolean }[]
  readonly orgIds = new Map<string, string>()
  expiresIn: number
  invalidGrantStatus: number
  legacyLogout: boolean
  orgCaseSensitive: boolean

  constructor(options: VcdOptions = {}) {
    super({ ...options, errorBody: vcdError })
    this.maxVersion = options.maxVersion ?? '38.1'
    this.tenantOrgs = options.tenantOrgs ?? ['acme']
    this.tenantOrg = this.tenantOrgs[0]
    this.expiresIn = options.expiresIn ?? 86400
    this.invalidGrantStatus = options.invalidGrantStatus ?? 400
    this.legacyLogout = options.legacyLogout ?? major(this.maxVersion) < 37
    this.orgCaseSensitive = options.orgCaseSensitive ?? false
    this.versions = announcedVersions(this.maxVersion)
    this.providerToken = this.addToken({ org: 'System', user: 'administrator' })
    this.tenantToken = this.addToken({ org: this.tenantOrg, user: `${this.tenantOrg}-ops` })
    this.serviceAccountToken = this.addToken({ org: this.tenantOrg, user: 'ci-robot', kind: 'service-account' })
    this.routes = [
      {
        name: 'token',
        method: 'POST',
        path: VCD_PROVIDER_TOKEN_PATH,
        credential: refreshTokenOf,
        handle: (request) => this.token(request, 'System'),
      },
      {
        name: 'token',
        method: 'POST',
        path: /^\/oauth\/tenant\/([^/]+)\/token$/,
        credential: refreshTokenOf,
        handle: (request, [org]) => this.token(request, org),
      },
      { name: 'versions', method: 'GET', path: VCD_VERSIONS_PATH, handle: () => this.versionsReply() },
      // credential: the Bearer access token, so that echo faults can echo it (e.g. a logout error quoting the token).
      { name: 'session', method: 'GET', path: VCD_SESSION_PATH, credential: bearerOf, handle: (request) => this.currentSession(request) },
      { name: 'logout', method: 'DELETE', path: VCD_SESSION_PATH, credential: bearerOf, handle: (request) => this.logout(request) },
      {
        name: 'legacy-logout',
        method: 'DELETE',
        path: VCD_LEGACY_SESSION_PATH,
        credential: bearerOf,
        handle: (request) => this.legacyLogoutReply(request),
      },
    ]
  }

  addToken(info: Partial<VcdTokenInfo> & { token?: string } = {}): string {
    const kind = info.kind ?? 'api-token'
    const token = info.token ?? randomToken(32, 'alnum')
    this.tokens.set(token, {
      org: info.org ?? this.tenantOrg,
      user: info.user ?? 'someone',
      kind,
      revoked: info.revoked ?? false,
      spent: info.spent ?? false,
    })
    this.remember(token)
    return token
  }

  /** Follows a rotated service-account token to its live successor (itself when not rotated). */
  latestRefreshToken(token: string): string {
    let current = token
    for (let info = this.tokens.get(current); info?.successor; info = this.tokens.get(current)) current = info.successor
    return current
  }

  revokeToken(token: string): void {
    const info = this.tokens.get(token)
    if (info) info.revoked = true
    for (const session of this.sessions.values()) {
      if (session.refreshToken === token && session.alive) {
        session.alive = false
        session.endedBy = 'revoke'
      }
    }
  }

  isAlive(accessToken: string): boolean {
    const session = this.sessions.get(accessToken)
    return !!session && session.alive && session.expiresAt > Date.now()
  }

  protected orgId(name: string): string {
    const key = name.toLowerCase()
    let id = this.orgIds.get(key)
    if (!id) {
      id = `urn:vcloud:org:${randomUUID()}`
      this.orgIds.set(key, id)
    }
    return id
  }

  private sameOrg(a: string, b: string): boolean {
    return this.orgCaseSensitive ? a === b : a.toLowerCase() === b.toLowerCase()
  }

  /** Whether exchanging this token spends it and hands out a successor (service accounts). */
  protected rotatesOnUse(info: VcdTokenInfo): boolean {
    return info.kind === 'service-account'
  }

  /** The claims of an issued access token (a JWT; nobody checks its signature). */
  protected accessTokenClaims(info: VcdTokenInfo, iat: number): Record<string, unknown> {
    return {
      iss: `${randomUUID()}@${this.orgId(info.org).slice('urn:vcloud:org:'.length)}`,
      sub: info.user,
      exp: iat + this.expiresIn,
      version: this.maxVersion,
      jti: randomUUID(),
    }
  }

  protected token(request: RecordedRequest, org: string): Reply {
    const refused = this.refusedInQuery(
      request,
      ['refresh_token', 'api_token'],
      vcdError(400, 'Credentials must not be sent in the URL', 'BAD_REQUEST'),
    )
    if (refused) return refused
    const tenant = org !== 'System'
    if (tenant && !this.tenantOrgs.some((name) => this.sameOrg(name, org))) {
      return { status: 401, body: vcdError(401, 'Unauthorized', 'UNAUTHORIZED') }
    }
    if (request.form?.grant_type !== 'refresh_token') {
      return {
        status: 400,
        body: { error: 'unsupported_grant_type', minorErrorCode: 'unsupported_grant_type', message: 'Unsupported grant type' },
      }
    }
    const presented = request.form.refresh_token ?? ''
    const info = this.tokens.get(presented)
    const orgMatches = info && (tenant ? info.org !== 'System' && this.sameOrg(info.org, org) : info.org === 'System')
    if (!info || info.revoked || info.spent || !orgMatches) {
      return { status: this.invalidGrantStatus, body: { minorErrorCode: 'invalid_grant', message: 'Invalid refresh token' } }
    }

    let refreshToken: string | null = null
    if (this.rotatesOnUse(info)) {
      refreshToken = randomToken(32, 'alnum')
      info.spent = true
      info.successor = refreshToken
      this.tokens.set(refreshToken, { ...info, spent: false, successor: undefined })
    }
    const iat = nowSeconds()
    const orgName = info.org
    const accessToken = makeJwt(this.accessTokenClaims(info, iat))
    this.sessions.set(accessToken, {
      id: `urn:vcloud:session:${randomUUID()}`,
      accessToken,
      refreshToken: refreshToken ?? presented,
      user: { name: info.user, id: `urn:vcloud:user:${randomUUID()}` },
      org: { name: orgName, id: this.orgId(orgName) },
      alive: true,
      expiresAt: Date.now() + this.expiresIn * 1000,
    })
    this.issued.push({
      access_token: accessToken,
      refresh_token: refreshToken,
      credential: presented,
      org: orgName,
      user: info.user,
      time: Date.now(),
    })
    this.remember(accessToken, refreshToken)
    return {
      status: 200,
      headers: { 'cache-control': 'no-store' },
      body: this.tokenAnswer(accessToken, refreshToken),
    }
  }

  /** The 200 body of the token endpoint. */
  protected tokenAnswer(accessToken: string, refreshToken: string | null): Record<string, unknown> {
    return { access_token: accessToken, token_type: 'Bearer', expires_in: this.expiresIn, refresh_token: refreshToken }
  }

  protected versionsReply(): Reply {
    const base = this.url
    const entries = this.versions
      .map(
        ({ version, deprecated }) =>
          `    <VersionInfo deprecated="${deprecated}">\n        <Version>${version}</Version>\n        <LoginUrl>${base}/api/sessions</LoginUrl>\n` +
          `        <MediaTypeMapping>\n            <MediaType>application/vnd.vmware.vcloud.instantiateVAppTemplateParams+xml</MediaType>\n` +
          `            <ComplexTypeName>InstantiateVAppTemplateParamsType</ComplexTypeName>\n` +
          `            <SchemaLocation>${base}/api/v1.5/schema/master.xsd</SchemaLocation>\n        </MediaTypeMapping>\n    </VersionInfo>\n`,
      )
      .join('')
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<SupportedVersions xmlns="http://www.vmware.com/vcloud/versions" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ` +
      `xsi:schemaLocation="http://www.vmware.com/vcloud/versions ${base}/api/versions/schema/versions.xsd">\n${entries}</SupportedVersions>\n`
    return { status: 200, headers: { 'content-type': `application/*+xml;version=${this.maxVersion}` }, body: xml }
  }

  /** The version an Accept header asks for, when the server supports it. */
  protected acceptedVersion(request: RecordedRequest, type: RegExp): string | undefined {
    const accept = String(request.headers.accept ?? '')
    if (!type.test(accept)) return undefined
    const asked = /version\s*=\s*([0-9][0-9.]*)/i.exec(accept)?.[1]
    if (!asked) return undefined
    return this.versions.some((entry) => /^\d+(\.\d+)*$/.test(entry.version) && compare(entry.version, asked) === 0) ? asked : undefined
  }

  protected notAcceptable(request: RecordedRequest): Reply {
    return {
      status: 406,
      body: vcdError(
        406,
        `The request has invalid accept header: Invalid API version requested (${String(request.headers.accept ?? 'none')})`,
        'NOT_ACCEPTABLE',
      ),
    }
  }

  protected liveSession(request: RecordedRequest): VcdSession | undefined {
    const token = parseBearer(request.headers.authorization) ?? String(request.headers['x-vcloud-authorization'] ?? '')
    return token && this.isAlive(token) ? this.sessions.get(token) : undefined
  }

  protected currentSession(request: RecordedRequest): Reply {
    if (!this.acceptedVersion(request, /application\/json/i)) return this.notAcceptable(request)
    const session = this.liveSession(request)
    if (!session)
      return { status: 401, body: vcdError(401, 'Either no authentication token was supplied or the token has expired', 'UNAUTHORIZED') }
    return {
      status: 200,
      body: {
        id: session.id,
        site: { name: 'vcd-emulator', id: 'urn:vcloud:site:00000000-0000-0000-0000-000000000001' },
        user: session.user,
        org: session.org,
        operatingOrg: session.org,
        location: `urn:vcloud:site:00000000-0000-0000-0000-000000000001`,
        roles: [session.org.name === 'System' ? 'System Administrator' : 'Organization Administrator'],
        roleRefs: [],
        sessionIdleTimeoutMinutes: 30,
      },
    }
  }

  protected logout(request: RecordedRequest): Reply {
    if (major(this.maxVersion) < 36) return { status: 405, body: vcdError(405, 'Method Not Allowed', 'METHOD_NOT_ALLOWED') }
    if (!this.acceptedVersion(request, /application\/json/i)) return this.notAcceptable(request)
    const session = this.liveSession(request)
    if (!session)
      return { status: 401, body: vcdError(401, 'Either no authentication token was supplied or the token has expired', 'UNAUTHORIZED') }
    session.alive = false
    session.endedBy = 'logout'
    return { status: 204 }
  }

  private legacyLogoutReply(request: RecordedRequest): Reply {
    if (!this.legacyLogout) return { status: 404, body: vcdError(404, 'Not Found', 'NOT_FOUND') }
    if (!this.acceptedVersion(request, /application\/(\*|vnd\.vmware\.vcloud\.session)\+xml/i)) return this.notAcceptable(request)
    const session = this.liveSession(request)
    if (!session) return { status: 401, body: vcdError(401, 'Unauthorized', 'UNAUTHORIZED') }
    session.alive = false
    session.endedBy = 'legacy-logout'
    return { status: 204 }
  }
}

function refreshTokenOf(request: RecordedRequest): string | undefined {
  return request.form?.refresh_token
}

function bearerOf(request: RecordedRequest): string | undefined {
  return parseBearer(request.headers.authorization)
}

function major(version: string): number {
  return Number.parseInt(version, 10) || 0
}

function compare(a: string, b: string): number {
  const left = a.split('.').map(Number)
  const right = b.split('.').map(Number)
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0)
    if (difference) return difference
  }
  return 0
}

/**
 * What a server of `maxVersion` announces: the catalogue up to it (it included), the two oldest
 * deprecated, a 37.0.0-alpha entry and a pre-release of the next major, in a scrambled order
 * with the highest entry neither first nor last.
 */
export function announcedVersions(maxVersion: string): { version: string; deprecated: boolean }[] {
  const released = CATALOGUE.filter((version) => compare(version, maxVersion) <= 0)
  if (!released.includes(maxVersion)) released.push(maxVersion)
  const all = released.map((version, index) => ({ version, deprecated: index < 2 && released.length > 2 }))
  for (const version of new Set([...(major(maxVersion) >= 37 ? ['37.0.0-alpha'] : []), `${major(maxVersion) + 1}.0.0-alpha`])) {
    all.push({ version, deprecated: false })
  }
  const odd = all.filter((_, index) => index % 2 === 1)
  const even = all.filter((_, index) => index % 2 === 0).reverse()
  const scrambled = [...odd.slice(0, 2), ...even, ...odd.slice(2)]
  return scrambled
}

const MINOR_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'ACCESS_TO_RESOURCE_IS_FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
}

/** Cloud Director's error shape. */
export function vcdError(
  status: number,
  message: string,
  minorErrorCode = MINOR_CODES[status] ?? (status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST'),
): Record<string, unknown> {
  return {
    minorErrorCode,
    message,
    majorErrorCode: status,
    stackTrace: null,
  }
}
