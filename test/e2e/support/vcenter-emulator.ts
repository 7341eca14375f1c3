/**
 * vCenter emulator: the vSphere Automation API's session service in both its forms, and a few calls
 * a later step makes with the session, on an EmulatorServer (emulator.ts: recording, faults, close).
 * Only erasable TypeScript: scripts run it directly. Facts and their sources (notes: vcsim.md):
 *
 * - /api (vCenter 7.0 U2 and later), Broadcom's vSphere Automation API reference: "Create Session"
 *   (POST /api/session, 201, the body a JSON string), "Get Session" (GET: {user, created_time,
 *   last_accessed_time}), "Delete Session" (DELETE: 204; 401 when the id is missing or unknown);
 *   kubernetes-sigs/vsphere-csi-driver tests/e2e/util.go getVCentreSessionId (Basic auth, 201, a
 *   JSON string); the id goes in the header vmware-api-session-id (vmware/govmomi
 *   vapi/internal/internal.go SessionCookieName, UseHeaderAuthn).
 * - /rest (6.5 to 7.0 U1; later ones still serve it): vmware/govmomi vapi/rest/client.go Login (POST
 *   /rest/com/vmware/cis/session, Basic auth, vmware-use-header-authn: true), Session (POST
 *   ?~action=get), Logout (DELETE); answers wrapped in {"value": ...} (client.go Do). GET for the
 *   user too (VMware's vsphere-automation-sdk-ruby CIS SessionApi). The cookie on a login without
 *   vmware-use-header-authn is govmomi's vcsim's (vapi/simulator handler.session).
 * - Errors: /api {error_type, messages: [{id, default_message, args}]} (govmomi vapi/rest/errors.go;
 *   the reference's "Vapi Std Errors Unauthenticated" adds challenge); /rest {type:
 *   "com.vmware.vapi.std.errors.<kind>", value: {messages}}, as a real wrong-password answer quoted
 *   in vranystepan/nagios-go-vcsa-health's README ("Authentication required.", id
 *   com.vmware.vapi.endpoint.method.authentication.required). The old API's status for bad
 *   credentials is not documented (PROVIDERS.md 5): 401 here, restRejectStatus for another.
 * - Session cap: 503, id com.vmware.vapi.endpoint.failedToLoginMaxUserSessionCountReached, "User
 *   session count is limited to 550. Existing session count is 550 for user ..." (tanzu-cli issue
 *   749, on /rest); 500 in openshift/release pull 22354.
 * - Later calls: "Vcenter VM list" GET /api/vcenter/vm ([{vm, name, power_state, cpu_count,
 *   memory_size_MiB}]); "Attach Tag Id Tag Association" POST
 *   /api/cis/tagging/tag-association/{tag_id}?action=attach ({object_id: {type, id}}; 204);
 *   content library list GET /api/content/library (ids); their /rest twins wrap in {"value"}.
 *
 *   const vc = await new VcenterEmulator().start()     // { apiForm: false }: a 6.x, where /api/* is a 404
 *   vc.url, vc.ca                        // https://127.0.0.1:<port>, the private CA's PEM
 *   vc.username, vc.password             // 'ci-bot@vsphere.local' (a user name needs its domain) and a random password
 *   vc.addUser(name, password)
 *   vc.sessions                          // id -> { id, user, form: 'api' | 'rest', createdAt, lastAccessedAt, endedAt, endedBy }
 *   vc.isAlive(id), vc.liveSessions(user?)
 *   vc.leakSessions(n, user?)            // n live sessions at once, as pipelines that never logged out leave them
 *   vc.expireSession(id)                 // ended by the server (idle timeout): later use is a 401
 *   vc.vms, vc.tags, vc.libraries        // what the later calls list; vc.tagAttachments: what they attached
 *   vc.credentialsInUrl                  // requests with a credential in the query string (refused, 400)
 *   vc.secrets()                         // the password, every session id issued, Basic values seen (leak scans)
 *   vc.requestsTo(route), vc.fault(route, { status: 503 }), vc.reset()
 *
 * Options (also plain fields), plus EmulatorOptions (tls, names):
 *   apiForm             true: both forms; false: a vCenter 6.x, /api answers 404 with no body (the emulator's choice)
 *   maxSessionsPerUser  live sessions a user may hold (default 550); one more login is the 503 above
 *   restRejectStatus    status of a refused /rest login (default 401; e.g. 403)
 *
 * Routes (for faults and requestsTo): api-session-create, api-session-get, api-session-delete (POST, GET,
 * DELETE /api/session); rest-session (POST /rest/com/vmware/cis/session: login, or with ?~action=get the
 * user: tell them apart in a fault with `when: (r) => !r.query['~action']`), rest-session-get,
 * rest-session-delete; vm-list, tag-attach, library-list (/api) and rest-vm-list, rest-tag-attach
 * (POST .../tag-association/id:{tag}?~action=attach, 200), rest-library-list (/rest). Every later call
 * needs a live session (header, or the cookie) and answers 401 without one.
 */
import { randomUUID } from 'node:crypto'
import { EmulatorServer, parseBasic, type EmulatorOptions, type RecordedRequest, type Reply, type Route } from './emulator.ts'
import { randomToken } from './jwt.ts'

export const VCENTER_API_SESSION_PATH = '/api/session'
export const VCENTER_REST_SESSION_PATH = '/rest/com/vmware/cis/session'
export const VCENTER_SESSION_HEADER = 'vmware-api-session-id'
/** tanzu-cli issue 749. */
export const VCENTER_DEFAULT_MAX_SESSIONS = 550
export const VCENTER_MAX_SESSIONS_ID = 'com.vmware.vapi.endpoint.failedToLoginMaxUserSessionCountReached'
export const VCENTER_AUTHENTICATION_REQUIRED_ID = 'com.vmware.vapi.endpoint.method.authentication.required'

/** Query parameters that would carry a credential. */
const CREDENTIAL_PARAMS = ['username', 'user', 'password', 'pass', 'pwd', 'session_id', VCENTER_SESSION_HEADER, 'token', 'api_token']
/** /api error_type per status (govmomi vapi/rest/errors.go names); /rest uses the lower-case kind. */
const ERROR_TYPES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'UNAUTHORIZED',
  404: 'NOT_FOUND',
  413: 'INVALID_REQUEST',
  429: 'RESOURCE_BUSY',
  500: 'INTERNAL_SERVER_ERROR',
  503: 'SERVICE_UNAVAILABLE',
}

export type VcenterForm = 'api' | 'rest'

export interface VcenterSession {
  id: string
  user: string
  form: VcenterForm
  /** Epoch ms. */
  createdAt: number
  lastAccessedAt: number
  /** Epoch ms when it ended; undefined while alive. */
  endedAt?: number
  endedBy?: 'logout' | 'expired'
}

export interface VcenterVm {
  vm: string
  name: string
  power_state: 'POWERED_ON' | 'POWERED_OFF' | 'SUSPENDED'
  cpu_count: number
  memory_size_MiB: number
}

export interface VcenterTagAttachment {
  tagId: string
  objectId: { type: string; id: string }
  /** The session that attached it. */
  session: string
  form: VcenterForm
}

export interface VcenterOptions extends Omit<EmulatorOptions, 'routes' | 'errorBody'> {
  apiForm?: boolean
  maxSessionsPerUser?: number
  restRejectStatus?: number
}

interface ErrorMessage {
  id: string
  default_message: string
  args: string[]
}

/** An /api error body: {error_type, messages}; UNAUTHENTICATED ones carry a challenge. */
export function vapiError(status: number, message: string, id = `vmw.emulator.${status}`): Record<string, unknown> {
  const errorType = ERROR_TYPES[status] ?? 'ERROR'
  const messages: ErrorMessage[] = [{ id, default_message: message, args: [] }]
  return errorType === 'UNAUTHENTICATED'
    ? { error_type: errorType, messages, challenge: 'Basic realm="VAPI endpoint"' }
    : { error_type: errorType, messages }
}

/** A /rest error body: {type: com.vmware.vapi.std.errors.<kind>, value: {messages}}. */
export function vapiRestError(status: number, message: string, id = `vmw.emulator.${status}`): Record<string, unknown> {
  const kind = (ERROR_TYPES[status] ?? 'ERROR').toLowerCase()
  return { type: `com.vmware.vapi.std.errors.${kind}`, value: { messages: [{ args: [], default_message: message, id }] } }
}

export class VcenterEmulator extends EmulatorServer {
  readonly username = 'ci-bot@vsphere.local'
  readonly password = `pw-${randomToken(24)}`
  readonly users = new Map<string, string>()
  readonly sessions = new Map<string, VcenterSession>()
  readonly tagAttachments: VcenterTagAttachment[] = []
  readonly vms: VcenterVm[] = [
    { vm: 'vm-42', name: 'ci-runner-01', power_state: 'POWERED_ON', cpu_count: 2, memory_size_MiB: 4096 },
    { vm: 'vm-43', name: 'build-template', power_state: 'POWERED_OFF', cpu_count: 4, memory_size_MiB: 8192 },
  ]
  /** Tag ids in govmomi's vcsim shape (vapi/simulator newID). */
  readonly tags = [{ id: `urn:vmomi:InventoryServiceTag:${randomUUID()}:GLOBAL`, name: 'ci' }]
  readonly libraries = [randomUUID(), randomUUID()]
  apiForm = true
  maxSessionsPerUser = VCENTER_DEFAULT_MAX_SESSIONS
  restRejectStatus = 401
  private readonly options: VcenterOptions

  constructor(options: VcenterOptions = {}) {
    super({ ...options, errorBody: (status, message) => vapiError(status, message) })
    this.options = options
    this.applyOptions()
    this.addUser(this.username, this.password)
    const basicPassword = (request: RecordedRequest) => parseBasic(request.headers.authorization)?.[1]
    const sessionId = (request: RecordedRequest) => this.presentedSession(request)
    const route = (name: string, method: string, path: string | RegExp, handle: Route['handle'], credential = sessionId): Route => ({
      name,
      method,
      path,
      credential,
      handle: (request, params) => this.refuseCredentialsInUrl(request) ?? handle(request, params),
    })
    const session = VCENTER_API_SESSION_PATH
    const rest = VCENTER_REST_SESSION_PATH
    this.routes = [
      route('api-session-create', 'POST', session, (r) => this.onlyApi() ?? this.login(r, 'api'), basicPassword),
      route('api-session-get', 'GET', session, (r) => this.onlyApi() ?? this.sessionInfo(r, 'api')),
      route('api-session-delete', 'DELETE', session, (r) => this.onlyApi() ?? this.logout(r, 'api')),
      route(
        'rest-session',
        'POST',
        rest,
        (r) => (r.query['~action'] === 'get' ? this.sessionInfo(r, 'rest') : this.login(r, 'rest')),
        basicPassword,
      ),
      route('rest-session-get', 'GET', rest, (r) => this.sessionInfo(r, 'rest')),
      route('rest-session-delete', 'DELETE', rest, (r) => this.logout(r, 'rest')),
      route('vm-list', 'GET', '/api/vcenter/vm', (r) => this.onlyApi() ?? this.withSession(r, 'api', () => ok('api', this.listVms(r)))),
      route('rest-vm-list', 'GET', '/rest/vcenter/vm', (r) => this.withSession(r, 'rest', () => ok('rest', this.listVms(r)))),
      route(
        'tag-attach',
        'POST',
        /^\/api\/cis\/tagging\/tag-association\/([^/]+)$/,
        (r, [tag]) => this.onlyApi() ?? this.withSession(r, 'api', (s) => this.attachTag(r, tag, r.query.action, s, 'api')),
      ),
      route('rest-tag-attach', 'POST', /^\/rest\/com\/vmware\/cis\/tagging\/tag-association\/id:([^/]+)$/, (r, [tag]) =>
        this.withSession(r, 'rest', (s) => this.attachTag(r, tag, r.query['~action'], s, 'rest')),
      ),
      route(
        'library-list',
        'GET',
        '/api/content/library',
        (r) => this.onlyApi() ?? this.withSession(r, 'api', () => ok('api', this.libraries)),
      ),
      route('rest-library-list', 'GET', '/rest/com/vmware/content/library', (r) =>
        this.withSession(r, 'rest', () => ok('rest', this.libraries)),
      ),
    ]
  }

  /** Back to the options it was made with: no faults, requests, sessions or attachments (for afterEach). */
  override reset(): void {
    super.reset()
    this.sessions.clear()
    this.tagAttachments.length = 0
    this.applyOptions()
  }

  private applyOptions(): void {
    this.apiForm = this.options.apiForm ?? true
    this.maxSessionsPerUser = this.options.maxSessionsPerUser ?? VCENTER_DEFAULT_MAX_SESSIONS
    this.restRejectStatus = this.options.restRejectStatus ?? 401
  }

  addUser(name: string, password: string): void {
    this.users.set(name, password)
    this.remember(password)
  }

  isAlive(id: string): boolean {
    const session = this.sessions.get(id)
    return !!session && session.endedAt === undefined
  }

  liveSessions(user?: string): VcenterSession[] {
    return [...this.sessions.values()].filter((s) => s.endedAt === undefined && (user === undefined || s.user === user))
  }

  /** Live sessions made without requests: what pipelines that never log out leave behind. */
  leakSessions(count: number, user = this.username): void {
    for (let i = 0; i < count; i++) this.newSession(user, 'rest')
  }

  expireSession(id: string): void {
    const session = this.sessions.get(id)
    if (session && session.endedAt === undefined) Object.assign(session, { endedAt: Date.now(), endedBy: 'expired' })
  }

  private newSession(user: string, form: VcenterForm): VcenterSession {
    const now = Date.now()
    // Real ids are 32 hex digits (the Broadcom reference's and vsphere-csi-driver's examples).
    const session: VcenterSession = { id: randomToken(32, 'hex'), user, form, createdAt: now, lastAccessedAt: now }
    this.sessions.set(session.id, session)
    this.remember(session.id)
    return session
  }

  /** A 6.x has no /api: its paths are a 404 with no body. */
  private onlyApi(): Reply | undefined {
    return this.apiForm ? undefined : { status: 404, body: '' }
  }

  private error(form: VcenterForm, status: number, message: string, id?: string): Reply {
    return { status, body: form === 'api' ? vapiError(status, message, id) : vapiRestError(status, message, id) }
  }

  private unauthenticated(form: VcenterForm): Reply {
    return this.error(form, 401, 'Authentication required.', VCENTER_AUTHENTICATION_REQUIRED_ID)
  }

  private refuseCredentialsInUrl(request: RecordedRequest): Reply | undefined {
    const secrets = new Set(this.secrets())
    const names = Object.keys(request.query).map((name) => name.toLowerCase())
    if (!names.some((name) => CREDENTIAL_PARAMS.includes(name)) && !Object.values(request.query).some((value) => secrets.has(value))) return
    this.credentialsInUrl.push(request)
    const form: VcenterForm = request.path.startsWith('/rest/') ? 'rest' : 'api'
    return this.error(form, 400, 'Credentials must not be sent in the query string.')
  }

  /** The session id a request carries: the header, else the cookie (both forms accept either, as vcsim does). */
  private presentedSession(request: RecordedRequest): string | undefined {
    const header = request.headers[VCENTER_SESSION_HEADER]
    if (typeof header === 'string' && header) return header
    const cookies = String(request.headers.cookie ?? '').split(/;\s*/)
    return cookies.find((cookie) => cookie.startsWith(`${VCENTER_SESSION_HEADER}=`))?.slice(VCENTER_SESSION_HEADER.length + 1) || undefined
  }

  /** The live session of a request, marked as used now. */
  private use(request: RecordedRequest): VcenterSession | undefined {
    const id = this.presentedSession(request)
    const session = id === undefined ? undefined : this.sessions.get(id)
    if (!session || session.endedAt !== undefined) return undefined
    session.lastAccessedAt = Date.now()
    return session
  }

  private withSession(request: RecordedRequest, form: VcenterForm, answer: (session: VcenterSession) => Reply): Reply {
    const session = this.use(request)
    return session ? answer(session) : this.unauthenticated(form)
  }

  private login(request: RecordedRequest, form: VcenterForm): Reply {
    const credentials = parseBasic(request.headers.authorization)
    const rejected = form === 'rest' ? this.restRejectStatus : 401
    if (!credentials || this.users.get(credentials[0]) !== credentials[1]) {
      return this.error(form, rejected, 'Authentication required.', VCENTER_AUTHENTICATION_REQUIRED_ID)
    }
    const [user] = credentials
    const live = this.liveSessions(user).length
    if (live >= this.maxSessionsPerUser) {
      const message = `User session count is limited to ${this.maxSessionsPerUser}. Existing session count is ${live} for user ${user}`
      return this.error(form, 503, message, VCENTER_MAX_SESSIONS_ID)
    }
    const session = this.newSession(user, form)
    // /api: the body is the id as a JSON string.
    if (form === 'api') return { status: 201, headers: { 'content-type': 'application/json' }, body: JSON.stringify(session.id) }
    const headerAuthn = String(request.headers['vmware-use-header-authn'] ?? '').toLowerCase() === 'true'
    const cookie: Record<string, string> = headerAuthn ? {} : { 'set-cookie': `${VCENTER_SESSION_HEADER}=${session.id}; Path=/rest` }
    return { status: 200, headers: cookie, body: { value: session.id } }
  }

  private sessionInfo(request: RecordedRequest, form: VcenterForm): Reply {
    return this.withSession(request, form, (session) =>
      ok(form, {
        user: session.user,
        created_time: new Date(session.createdAt).toISOString(),
        last_accessed_time: new Date(session.lastAccessedAt).toISOString(),
      }),
    )
  }

  private logout(request: RecordedRequest, form: VcenterForm): Reply {
    const session = this.use(request)
    if (!session) return this.unauthenticated(form)
    Object.assign(session, { endedAt: Date.now(), endedBy: 'logout' })
    return form === 'api' ? { status: 204, body: '' } : { status: 200, body: '' }
  }

  private listVms(request: RecordedRequest): VcenterVm[] {
    const names = request.query.names?.split(',')
    return this.vms.filter((vm) => !names || names.includes(vm.name))
  }

  private attachTag(
    request: RecordedRequest,
    tagId: string,
    action: string | undefined,
    session: VcenterSession,
    form: VcenterForm,
  ): Reply {
    if (action !== 'attach') return this.error(form, 404, `No operation '${action ?? ''}' on tag associations`)
    if (!this.tags.some((tag) => tag.id === tagId)) return this.error(form, 404, `Tag ${tagId} not found`)
    const objectId = (request.json as { object_id?: { type?: unknown; id?: unknown } } | undefined)?.object_id
    if (typeof objectId?.type !== 'string' || typeof objectId.id !== 'string')
      return this.error(form, 400, 'object_id {type, id} is required')
    if (objectId.type !== 'VirtualMachine' || !this.vms.some((vm) => vm.vm === objectId.id)) {
      return this.error(form, 404, `Object ${objectId.type}:${objectId.id} not found`)
    }
    this.tagAttachments.push({ tagId, objectId: { type: objectId.type, id: objectId.id }, session: session.id, form })
    return form === 'api' ? { status: 204, body: '' } : { status: 200, body: '' }
  }
}

/** 200 with the body as is (/api) or wrapped in {"value"} (/rest). */
function ok(form: VcenterForm, body: unknown): Reply {
  return { status: 200, body: form === 'api' ? body : { value: body } }
}
