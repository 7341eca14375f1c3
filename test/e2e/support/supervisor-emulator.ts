/**
 * vSphere Supervisor emulator (vSphere 8 with Tanzu / VKS), on an EmulatorServer (emulator.ts:
 * recording, faults, close): the `/wcp/` login the kubectl-vsphere plugin uses, and a Kubernetes
 * API (kubernetes-api.ts) that takes the session tokens it issues. Facts and their sources:
 * notes/supervisor.md (kubernetes-sigs/vsphere-csi-driver tests/e2e/util.go getWCPSessionId and the
 * calls after it; vmware-tanzu/tanzu-cli pkg/auth/wcp/discovery.go; "vSphere with Tanzu Concepts and
 * Planning" 8.0 for the 10-hour token; Broadcom KBs 419236 and 424897). Only erasable TypeScript:
 * scripts run it directly.
 *
 *   const supervisor = await new SupervisorEmulator({ extraApiPort: 0 }).start()
 *   supervisor.url, supervisor.ca       // https://127.0.0.1:<port> (the login and, by default, the API), the private CA
 *   supervisor.apiUrl                   // where the Kubernetes API answers: url, or the extra port's URL
 *   supervisor.username, .password      // a vCenter SSO user ('devops@vsphere.local') and its random password
 *   supervisor.namespace                // the vSphere namespace the user may use ('ci-apps')
 *   supervisor.otherNamespace           // one it may not use ('team-b': 403)
 *   supervisor.addUser(name, password, namespaces)   // another user
 *   supervisor.sessions                 // Map token -> { user, issuedAt, expiresAt } of the tokens issued
 *   supervisor.issued                   // the tokens, in order
 *   supervisor.isAlive(token)           // issued here and not past its 10 h (or expired by expire())
 *   supervisor.expire(token)            // as if its 10 hours were over
 *   supervisor.kube                     // the KubernetesApi (put, get, objects: the ConfigMaps stored)
 *   supervisor.credentialsInUrl         // requests that carried a credential in the query string
 *   supervisor.secrets()                // the password, every token issued, Basic/Bearer values seen (leak scans)
 *   supervisor.requestsTo('login' | 'loginbanner' | 'kube-version' | 'kube-discovery' | 'kube-objects' | ...)
 *   supervisor.fault('login', { status: 503 })     // see emulator.ts
 *
 * Options (plus EmulatorOptions: tls, names, port):
 *   tokenLifetime      seconds (default 36000: "an authentication token is created that expires every
 *                      10 hours", vSphere 8.0 Concepts and Planning)
 *   wrongCredentialsStatus   401 (default) or 403: the real status is not documented
 *   loginBanner        the text GET /wcp/loginbanner answers (default a one-line banner)
 *   extraApiPort       also serve the Kubernetes API on a second listener: 0 (any free port) or a port
 *                      number (6443 as some tools write it; what the plugin writes is not documented)
 *   apiOnLoginPort     false: the login port serves /wcp/ only (default true: the API on 443 too, as
 *                      vsphere-csi-driver's tests call it)
 *   gitVersion         the Kubernetes version /version reports (default 'v1.30.1+vmware.1')
 *
 * Routes (route names for requestsTo / fault):
 *   login        POST /wcp/login   Basic user:password (no body needed; Accept/Content-Type JSON as the csi
 *                tests send). 200 {"session_id": <JWT: sub, iat, exp = iat + tokenLifetime>}. Missing,
 *                unknown or wrong: wrongCredentialsStatus with {"message": ...} (our wording). A credential
 *                in the query string: 400, flagged in credentialsInUrl.
 *   loginbanner  GET /wcp/loginbanner   200 text/plain banner, no auth (tanzu-cli IsVSphereSupervisor: 200 =
 *                a Supervisor). A host that is no Supervisor: a bare EmulatorServer (404 everywhere).
 *   kube-*       the Kubernetes API of kubernetes-api.ts with Bearer tokens issued here (unknown, expired:
 *                401 Status); ConfigMaps in the namespaces of the token's user (others: 403 Status).
 */
import { EmulatorServer, parseBasic, type EmulatorOptions, type RecordedRequest, type Reply } from './emulator.ts'
import { makeJwt, nowSeconds, randomToken } from './jwt.ts'
import { KubernetesApi } from './kubernetes-api.ts'

export const SUPERVISOR_LOGIN_PATH = '/wcp/login'
export const SUPERVISOR_LOGIN_BANNER_PATH = '/wcp/loginbanner'
/** "an authentication token is created that expires every 10 hours" (vSphere 8.0 Concepts and Planning). */
export const SUPERVISOR_TOKEN_SECONDS = 10 * 3600

/** Query parameters that would carry a credential. */
const CREDENTIAL_PARAMS = ['password', 'username', 'session_id', 'token']

export interface SupervisorSession {
  user: string
  /** Epoch ms. */
  issuedAt: number
  /** Epoch ms. */
  expiresAt: number
}

export interface SupervisorOptions extends Omit<EmulatorOptions, 'routes' | 'errorBody'> {
  tokenLifetime?: number
  wrongCredentialsStatus?: 401 | 403
  loginBanner?: string
  extraApiPort?: number
  apiOnLoginPort?: boolean
  gitVersion?: string
}

export class SupervisorEmulator extends EmulatorServer {
  readonly username = 'devops@vsphere.local'
  readonly password = `pw-${randomToken(20)}`
  readonly namespace = 'ci-apps'
  readonly otherNamespace = 'team-b'
  readonly users = new Map<string, { password: string; namespaces: string[] }>()
  readonly sessions = new Map<string, SupervisorSession>()
  readonly issued: string[] = []
  readonly kube: KubernetesApi
  tokenLifetime: number
  wrongCredentialsStatus: 401 | 403
  loginBanner: string
  /** The second listener of the Kubernetes API, when extraApiPort is given. */
  readonly apiServer: EmulatorServer | undefined

  constructor(options: SupervisorOptions = {}) {
    super(options)
    this.tokenLifetime = options.tokenLifetime ?? SUPERVISOR_TOKEN_SECONDS
    this.wrongCredentialsStatus = options.wrongCredentialsStatus ?? 401
    this.loginBanner = options.loginBanner ?? 'Authorized use only. Activity on this Supervisor is logged.\n'
    this.addUser(this.username, this.password, [this.namespace])
    this.kube = new KubernetesApi({
      name: 'kube',
      gitVersion: options.gitVersion ?? 'v1.30.1+vmware.1',
      authenticate: (token) => (this.isAlive(token) ? this.sessions.get(token)!.user : undefined),
      // vSphere namespace permissions: a user reaches the namespaces it was given (Broadcom KB 424897).
      authorize: (user, { namespace }) => this.users.get(user)?.namespaces.includes(namespace) ?? false,
    })
    this.routes = [
      {
        name: 'login',
        method: 'POST',
        path: SUPERVISOR_LOGIN_PATH,
        credential: (request) => parseBasic(request.headers.authorization)?.[1],
        handle: (request) => this.login(request),
      },
      {
        name: 'loginbanner',
        method: 'GET',
        path: SUPERVISOR_LOGIN_BANNER_PATH,
        handle: () => ({ status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: this.loginBanner }),
      },
      ...(options.apiOnLoginPort === false ? [] : this.kube.routes()),
    ]
    this.apiServer =
      options.extraApiPort === undefined
        ? undefined
        : new EmulatorServer({ tls: options.tls, names: options.names, port: options.extraApiPort, routes: this.kube.routes() })
  }

  get apiUrl(): string {
    return this.apiServer ? this.apiServer.url : this.url
  }

  override async start(): Promise<this> {
    await super.start()
    await this.apiServer?.start()
    return this
  }

  override async close(): Promise<void> {
    await Promise.all([super.close(), this.apiServer?.close()])
  }

  override secrets(): string[] {
    return [...new Set([...super.secrets(), ...(this.apiServer?.secrets() ?? [])])]
  }

  addUser(name: string, password: string, namespaces: string[]): void {
    this.users.set(name, { password, namespaces })
    this.remember(password)
  }

  isAlive(token: string): boolean {
    const session = this.sessions.get(token)
    return session !== undefined && Date.now() < session.expiresAt
  }

  expire(token: string): void {
    const session = this.sessions.get(token)
    if (session) session.expiresAt = Date.now() - 1
  }

  private login(request: RecordedRequest): Reply {
    const refused = this.refusedInQuery(request, CREDENTIAL_PARAMS, { message: 'Credentials are not accepted in the query string' })
    if (refused) return refused
    const [user, password] = parseBasic(request.headers.authorization) ?? []
    const account = user === undefined ? undefined : this.users.get(user)
    if (!account || account.password !== password) {
      return { status: this.wrongCredentialsStatus, body: { message: 'Invalid username or password' } }
    }
    const iat = nowSeconds()
    const token = makeJwt({
      sub: user,
      iss: 'https://vcenter.example.test/openidconnect/vsphere.local',
      iat,
      exp: iat + this.tokenLifetime,
    })
    this.sessions.set(token, { user: user!, issuedAt: iat * 1000, expiresAt: (iat + this.tokenLifetime) * 1000 })
    this.issued.push(token)
    this.remember(token)
    return { status: 200, body: { session_id: token } }
  }
}
