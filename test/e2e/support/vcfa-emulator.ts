/**
 * VCF Automation 9 emulator: Cloud Director's protocol (vcd-emulator.ts) as VCF Automation serves
 * it, per PROVIDERS.md §3 as corrected by the research for issue 14; the routes below name their
 * sources. Only erasable TypeScript: scripts run it directly.
 *
 *   const vcfa = await new VcfaEmulator({ vmAppsSessionStatus: 403 }).start()
 *   vcfa.url, vcfa.ca                   // https://127.0.0.1:<port>, the private CA's PEM
 *   vcfa.providerToken                  // API token of the provider org 'System' (user 'serviceadministrator')
 *   vcfa.tenantToken                    // API token of All Apps org vcfa.tenantOrg ('acme', user 'acme-ops')
 *   vcfa.serviceAccountToken            // service-account refresh token of 'acme' (rotates on every use)
 *   vcfa.vmAppsToken                    // API token of VM Apps org vcfa.vmAppsOrg ('globex', user 'globex-ops')
 *   vcfa.orgKind('globex')              // 'provider' | 'all-apps' | 'vm-apps' | undefined
 *   vcfa.tokenForms                     // Set of the token path forms served ('tm', 'root'); delete one: it answers 404
 *   vcfa.tokenRequests('tm')            // the token requests one form received (both without an argument)
 *   vcfa.claimsOf(accessToken)          // the issued JWT's claims (preferred_username, sub, exp, ...)
 *   vcfa.cutTokenAnswers = 1            // the next N token answers are issued (and rotated) but their
 *                                       // JSON is cut short by its last character: it does not parse
 *   vcfa.project                        // 'default-project', a CCI project of org 'acme'
 *   vcfa.readyNamespace                 // 'ci-ns': Ready, with a namespaceEndpointURL (phase CREATED)
 *   vcfa.pendingNamespace               // 'pending-ns': Ready False, phase CREATING, no endpoint
 *   vcfa.endpointlessNamespace          // 'no-endpoint-ns': Ready True but no namespaceEndpointURL
 *   vcfa.addSupervisorNamespace({ project, name, ready, endpoint, phase })   // another (after start());
 *                                       // endpoint false: none; the endpoint accepts the same tokens
 *   vcfa.namespaceEndpointUrl(project, name)   // the URL a namespace's endpoint answers at
 *   vcfa.kube                           // the /cci/kubernetes KubernetesApi (get, put, objects)
 *   vcfa.namespaceApis                  // Map '<project>/<name>' -> the KubernetesApi of that namespace's endpoint
 *   vcfa.namespaceServer                // the second server of the endpoints ('server' modes), else undefined
 *   ...and everything of VcdEmulator: addToken, latestRefreshToken, revokeToken, sessions, isAlive,
 *   issued, versions, credentialsInUrl, secrets(), requestsTo(route), fault(route, ...).
 *
 * Options (VcdOptions but tenantOrgs and legacyLogout, plus):
 *   allAppsOrgs        tenant orgs of the All Apps kind (default ['acme'])
 *   vmAppsOrgs         tenant orgs of the VM Apps kind (default ['globex'])
 *   tokenForms         the token path forms served (default ['tm', 'root'])
 *   tokenRotation      'service-accounts' (default: only they rotate) or 'api-tokens' (plain API tokens
 *                      rotate too: a rotation policy, unverified in any source)
 *   refreshTokenNull   unrotated answers carry "refresh_token": null (default: the key is left out,
 *                      as Broadcom's documented answer does)
 *   vmAppsSessionStatus  what GET sessions/current answers for a live VM Apps org token: 404 (default),
 *                      403, or 200 (served like All Apps); undocumented, hence configurable
 *   vmAppsLogoutStatus   the same for DELETE sessions/current: 204 (the session ends), 401, 403 or 404
 *                      (default: 204 when vmAppsSessionStatus is 200, else vmAppsSessionStatus)
 *   supervisorNamespaceVersions  the infrastructure.cci.vmware.com versions served (default ['v1alpha3'], as
 *                      terraform-provider-vcfa 1.1+ for VCFA 9.1; ['v1alpha2'] as 1.0.x for VCFA 9.0)
 *   namespaceEndpoints where namespaceEndpointURL points: 'path' (default; this server,
 *                      https://<host>/endpoints/<project>/<name>), 'server' (a second server, same CA) or
 *                      'server-other-ca' (a second server whose certificate another CA signed: vcfa.namespaceServer.ca).
 *                      The URL's real shape is in no source; clients must take it verbatim.
 * Defaults that differ from VcdEmulator: maxVersion '40.0', expiresIn 3600, orgCaseSensitive true
 * (terraform-provider-vcfa docs/index.md: "`org` value is case sensitive"), no legacy logout.
 *
 * Routes (route names for requestsTo / fault):
 *   token          POST /tm/oauth/provider/token, /tm/oauth/tenant/{org}/token   (form 'tm': Broadcom's Org
 *                  Management docs, terraform-provider-vra vra/client.go getVCFAToken)
 *                  POST /oauth/provider/token, /oauth/tenant/{org}/token   (form 'root': go-vcloud-director
 *                  govcd/api_token.go getAccessToken, used by terraform-provider-vcfa; Broadcom KB 419781)
 *                  Form body grant_type=refresh_token&refresh_token=. A form not served: 404. Unknown, spent
 *                  or revoked token, or one of another org: invalidGrantStatus (400; 401 or 403 by option)
 *                  {minorErrorCode: 'invalid_grant', message: 'Invalid refresh token'}. Unknown org: 401.
 *                  A token in the URL is refused (400) and flagged (credentialsInUrl).
 *                  200: {access_token: <JWT>, token_type: 'Bearer', expires_in: 3600[, refresh_token]}.
 *   versions       GET /api/versions   XML: 33.0 ... maxVersion unsorted, two deprecated, pre-releases
 *                  (37.0.0-alpha, 41.0.0-alpha) in <VersionInfo>, and 41.0.0-alpha as <AlphaVersion>.
 *   session        GET /cloudapi/1.0.0/sessions/current   Accept application/json;version=X (X listed, else
 *                  406); dead token 401; live VM Apps token vmAppsSessionStatus; else the session JSON.
 *   logout         DELETE /cloudapi/1.0.0/sessions/current   the same checks; 204 and the token is dead.
 *   kubernetes-*   /cci/kubernetes/...   (the Kubernetes endpoint, govcd ccitypes.KubernetesSubpath): the
 *                  KubernetesApi of kubernetes-api.ts behind the Bearer access token (any case of `bearer`, as
 *                  go-vcloud-director sends it): live 200, dead or unknown 401 (a Kubernetes Status). Serves
 *                  /version, discovery, and the CCI objects (notes/vcfa-kubeconfig.md):
 *                  GET /apis/infrastructure.cci.vmware.com/<version>/namespaces/<project>/supervisornamespaces[/<name>]
 *                  (SupervisorNamespace: spec, status.conditions [{type: Ready, status}], status.phase,
 *                  status.namespaceEndpointURL; missing: 404 Status `supervisornamespaces.infrastructure.cci.vmware.com
 *                  "<name>" not found`; a project of another org: 403), GET /apis/project.cci.vmware.com/v1alpha2/projects[/<name>].
 *   endpoint-<project>-<name>-*   the namespace endpoint (/endpoints/<project>/<name>/... on this or the second
 *                  server): a KubernetesApi with ConfigMaps in that namespace only (others 403), same tokens.
 */
import { EmulatorServer, type RecordedRequest, type Reply } from './emulator.ts'
import { readJwt } from './jwt.ts'
import { KubernetesApi, type KubernetesObject, type KubernetesResourceType } from './kubernetes-api.ts'
import { vcdError, VcdEmulator, type VcdOptions, type VcdTokenInfo } from './vcd-emulator.ts'

export type VcfaTokenForm = 'tm' | 'root'
export type VcfaOrgKind = 'provider' | 'all-apps' | 'vm-apps'

export const VCFA_TOKEN_PATHS: Record<VcfaTokenForm, { provider: string; tenant: (org: string) => string }> = {
  tm: { provider: '/tm/oauth/provider/token', tenant: (org) => `/tm/oauth/tenant/${encodeURIComponent(org)}/token` },
  root: { provider: '/oauth/provider/token', tenant: (org) => `/oauth/tenant/${encodeURIComponent(org)}/token` },
}
export const VCFA_KUBERNETES_PATH = '/cci/kubernetes'
/** go-vcloud-director ccitypes/constants.go: SupervisorNamespaceAPI and ProjectAPI / ProjectVersion. */
export const CCI_SUPERVISOR_NAMESPACE_GROUP = 'infrastructure.cci.vmware.com'
export const CCI_PROJECT_GROUP_VERSION = 'project.cci.vmware.com/v1alpha2'

export interface SupervisorNamespaceSpec {
  project: string
  name: string
  /** The Ready condition's status (default true). */
  ready?: boolean
  /** Whether status.namespaceEndpointURL is set (default: as ready). */
  endpoint?: boolean
  /** status.phase (default CREATED when ready, else CREATING). */
  phase?: string
}

export interface VcfaOptions extends Omit<VcdOptions, 'tenantOrgs' | 'legacyLogout'> {
  allAppsOrgs?: string[]
  vmAppsOrgs?: string[]
  tokenForms?: VcfaTokenForm[]
  tokenRotation?: 'service-accounts' | 'api-tokens'
  refreshTokenNull?: boolean
  vmAppsSessionStatus?: 200 | 403 | 404
  vmAppsLogoutStatus?: 204 | 401 | 403 | 404
  supervisorNamespaceVersions?: string[]
  namespaceEndpoints?: 'path' | 'server' | 'server-other-ca'
}

const TOKEN_PATH = /^(\/tm)?\/oauth\/(?:provider|tenant\/([^/]+))\/token$/

export class VcfaEmulator extends VcdEmulator {
  readonly allAppsOrgs: string[]
  readonly vmAppsOrgs: string[]
  readonly vmAppsOrg: string
  readonly vmAppsToken: string
  readonly tokenForms: Set<VcfaTokenForm>
  /** The token path forms it was started with, which reset() serves again. */
  private readonly servedTokenForms: VcfaTokenForm[]
  tokenRotation: 'service-accounts' | 'api-tokens'
  refreshTokenNull: boolean
  vmAppsSessionStatus: 200 | 403 | 404
  vmAppsLogoutStatus: 204 | 401 | 403 | 404
  cutTokenAnswers = 0
  readonly project = 'default-project'
  readonly readyNamespace = 'ci-ns'
  readonly pendingNamespace = 'pending-ns'
  readonly endpointlessNamespace = 'no-endpoint-ns'
  readonly kube: KubernetesApi
  readonly namespaceApis = new Map<string, KubernetesApi>()
  readonly namespaceServer: EmulatorServer | undefined
  readonly supervisorNamespaceVersions: string[]
  /** Which org each CCI project belongs to. */
  readonly projectOrgs = new Map<string, string>()

  constructor(options: VcfaOptions = {}) {
    const allAppsOrgs = options.allAppsOrgs ?? ['acme']
    const vmAppsOrgs = options.vmAppsOrgs ?? ['globex']
    super({
      ...options,
      maxVersion: options.maxVersion ?? '40.0',
      expiresIn: options.expiresIn ?? 3600,
      orgCaseSensitive: options.orgCaseSensitive ?? true,
      tenantOrgs: [...allAppsOrgs, ...vmAppsOrgs],
      legacyLogout: false,
    })
    this.allAppsOrgs = allAppsOrgs
    this.vmAppsOrgs = vmAppsOrgs
    this.vmAppsOrg = vmAppsOrgs[0]
    this.tokenForms = new Set(options.tokenForms ?? ['tm', 'root'])
    this.servedTokenForms = [...this.tokenForms]
    this.tokenRotation = options.tokenRotation ?? 'service-accounts'
    this.refreshTokenNull = options.refreshTokenNull ?? false
    this.vmAppsSessionStatus = options.vmAppsSessionStatus ?? 404
    this.vmAppsLogoutStatus = options.vmAppsLogoutStatus ?? (this.vmAppsSessionStatus === 200 ? 204 : this.vmAppsSessionStatus)
    // terraform-provider-vcfa docs/index.md: the provider org's user is "serviceadministrator".
    this.tokens.get(this.providerToken)!.user = 'serviceadministrator'
    this.vmAppsToken = this.vmAppsOrg ? this.addToken({ org: this.vmAppsOrg, user: `${this.vmAppsOrg}-ops` }) : ''

    this.supervisorNamespaceVersions = options.supervisorNamespaceVersions ?? ['v1alpha3']
    this.kube = new KubernetesApi({
      name: 'kubernetes',
      prefix: VCFA_KUBERNETES_PATH,
      resourceTypes: [
        ...this.supervisorNamespaceVersions.map((version): KubernetesResourceType => ({
          group: CCI_SUPERVISOR_NAMESPACE_GROUP,
          version,
          resource: 'supervisornamespaces',
          kind: 'SupervisorNamespace',
          namespaced: true,
        })),
        { group: 'project.cci.vmware.com', version: 'v1alpha2', resource: 'projects', kind: 'Project', namespaced: false },
      ],
      authenticate: (token) => this.kubernetesUser(token),
      // A project (the namespace of its supervisor namespaces) is its org's; the user name is ours: '<org>:<user>'.
      authorize: (user, { namespace, resource, name }) => {
        const project = resource === 'projects' ? name : namespace
        return !project || this.projectOrgs.get(project) === user.split(':')[0]
      },
    })
    const refreshTokenOf = (request: RecordedRequest): string | undefined => request.form?.refresh_token
    this.routes = [
      // One route for both forms and both org kinds: faults on 'token' apply to every token request.
      { name: 'token', method: 'POST', path: TOKEN_PATH, credential: refreshTokenOf, handle: (request) => this.vcfaToken(request) },
      ...this.routes.filter((route) => route.name !== 'token' && route.name !== 'legacy-logout'),
      ...this.kube.routes(),
    ]
    const endpoints = options.namespaceEndpoints ?? 'path'
    this.namespaceServer =
      endpoints === 'path'
        ? undefined
        : new EmulatorServer({
            tls: options.tls,
            // Other names, another CA (makeCerts caches one PKI per set of names).
            names: endpoints === 'server-other-ca' ? [...(options.names ?? []), 'supervisor.vcfa.example.test'] : options.names,
          })
  }

  /** Clean for the next test: no faults, no recorded requests, the token path forms it started with, whole token answers. */
  override reset(): void {
    super.reset()
    this.tokenForms.clear()
    for (const form of this.servedTokenForms) this.tokenForms.add(form)
    this.cutTokenAnswers = 0
  }

  override async start(): Promise<this> {
    await super.start()
    await this.namespaceServer?.start()
    this.projectOrgs.set(this.project, this.tenantOrg)
    this.kube.put({
      apiVersion: CCI_PROJECT_GROUP_VERSION,
      kind: 'Project',
      metadata: { name: this.project },
      spec: { description: 'Emulated' },
    })
    this.addSupervisorNamespace({ project: this.project, name: this.readyNamespace })
    this.addSupervisorNamespace({ project: this.project, name: this.pendingNamespace, ready: false })
    this.addSupervisorNamespace({ project: this.project, name: this.endpointlessNamespace, endpoint: false })
    return this
  }

  override async close(): Promise<void> {
    await Promise.all([super.close(), this.namespaceServer?.close()])
  }

  override secrets(): string[] {
    return [...new Set([...super.secrets(), ...(this.namespaceServer?.secrets() ?? [])])]
  }

  /** Where a namespace's endpoint answers (this server, or the second one). */
  namespaceEndpointUrl(project: string, name: string): string {
    return `${(this.namespaceServer ?? this).url}/endpoints/${encodeURIComponent(project)}/${encodeURIComponent(name)}`
  }

  /**
   * A SupervisorNamespace as ccitypes.SupervisorNamespace (go-vcloud-director) reads it, and, when it has an
   * endpoint, that endpoint's Kubernetes API. Call after start(): the URL holds the port.
   */
  addSupervisorNamespace(spec: SupervisorNamespaceSpec): KubernetesObject {
    const ready = spec.ready ?? true
    const endpoint = spec.endpoint ?? ready
    const url = this.namespaceEndpointUrl(spec.project, spec.name)
    const time = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
    const object = this.kube.put({
      apiVersion: `${CCI_SUPERVISOR_NAMESPACE_GROUP}/${this.supervisorNamespaceVersions[0]}`,
      kind: 'SupervisorNamespace',
      metadata: { name: spec.name, namespace: spec.project },
      spec: { className: 'small', description: 'Emulated', regionName: 'region-1', vpcName: 'region-1-default-vpc' },
      status: {
        conditions: [
          { type: 'Realized', status: 'True', lastTransitionTime: time },
          ready
            ? { type: 'Ready', status: 'True', lastTransitionTime: time }
            : {
                type: 'Ready',
                status: 'False',
                reason: 'Provisioning',
                message: 'The namespace is being created',
                severity: 'Info',
                lastTransitionTime: time,
              },
        ],
        phase: spec.phase ?? (ready ? 'CREATED' : 'CREATING'),
        ...(endpoint ? { namespaceEndpointURL: url } : {}),
        vpcName: 'region-1-default-vpc',
      },
    })
    const key = `${spec.project}/${spec.name}`
    if (endpoint && !this.namespaceApis.has(key)) {
      const api = new KubernetesApi({
        name: `endpoint-${spec.project}-${spec.name}`,
        prefix: new URL(url).pathname,
        authenticate: (token) => this.kubernetesUser(token),
        authorize: (_user, { namespace }) => namespace === spec.name,
      })
      this.namespaceApis.set(key, api)
      ;(this.namespaceServer ?? this).routes.push(...api.routes())
    }
    return object
  }

  /** The user a live access token acts for, as the Kubernetes endpoints name it ('<org>:<user>', ours). */
  private kubernetesUser(token: string): string | undefined {
    const session = this.sessions.get(token)
    return session && this.isAlive(token) ? `${session.org.name}:${session.user.name}` : undefined
  }

  /** Which kind of org a name is ('System', any case, is the provider org). */
  orgKind(name: string): VcfaOrgKind | undefined {
    if (name.toLowerCase() === 'system') return 'provider'
    const same = (other: string): boolean => (this.orgCaseSensitive ? other === name : other.toLowerCase() === name.toLowerCase())
    if (this.allAppsOrgs.some(same)) return 'all-apps'
    if (this.vmAppsOrgs.some(same)) return 'vm-apps'
    return undefined
  }

  /** The token requests received, of one path form or of both. */
  tokenRequests(form?: VcfaTokenForm): RecordedRequest[] {
    return this.requestsTo('token').filter((request) => !form || formOf(request.path) === form)
  }

  claimsOf(accessToken: string): Record<string, unknown> | undefined {
    return readJwt(accessToken)
  }

  protected override rotatesOnUse(info: VcdTokenInfo): boolean {
    return info.kind === 'service-account' || this.tokenRotation === 'api-tokens'
  }

  /** terraform-provider-vcfa reads preferred_username (internal/provider/kubernetes/client.go). */
  protected override accessTokenClaims(info: VcdTokenInfo, iat: number): Record<string, unknown> {
    const claims = super.accessTokenClaims(info, iat)
    return { ...claims, preferred_username: info.user, iat }
  }

  /** Broadcom's documented answer has no refresh_token key unless one is handed out. */
  protected override tokenAnswer(accessToken: string, refreshToken: string | null): Record<string, unknown> {
    const answer = super.tokenAnswer(accessToken, refreshToken)
    if (refreshToken === null && !this.refreshTokenNull) delete answer.refresh_token
    return answer
  }

  protected override versionsReply(): Reply {
    const reply = super.versionsReply()
    const alpha =
      `    <AlphaVersion deprecated="false">\n        <Version>${Number.parseInt(this.maxVersion, 10) + 1}.0.0-alpha</Version>\n` +
      `        <LoginUrl>${this.url}/api/sessions</LoginUrl>\n    </AlphaVersion>\n`
    return { ...reply, body: String(reply.body).replace('</SupportedVersions>', `${alpha}</SupportedVersions>`) }
  }

  protected override currentSession(request: RecordedRequest): Reply {
    const session = this.liveSession(request)
    if (session && this.orgKind(session.org.name) === 'vm-apps' && this.vmAppsSessionStatus !== 200) {
      return this.vmAppsRefusal(this.vmAppsSessionStatus)
    }
    return super.currentSession(request)
  }

  protected override logout(request: RecordedRequest): Reply {
    const session = this.liveSession(request)
    if (session && this.orgKind(session.org.name) === 'vm-apps' && this.vmAppsLogoutStatus !== 204) {
      return this.vmAppsRefusal(this.vmAppsLogoutStatus)
    }
    return super.logout(request)
  }

  private vmAppsRefusal(status: number): Reply {
    const message =
      status === 404
        ? 'Not Found: the requested resource does not exist'
        : status === 403
          ? 'Access to this resource is forbidden'
          : 'Either no authentication token was supplied or the token has expired'
    return { status, body: vcdError(status, message) }
  }

  private vcfaToken(request: RecordedRequest): Reply {
    const form = formOf(request.path)
    if (!form || !this.tokenForms.has(form)) return { status: 404, body: vcdError(404, `No resource for path ${request.path}`) }
    const org = TOKEN_PATH.exec(request.path)?.[2]
    let name = 'System'
    try {
      if (org !== undefined) name = decodeURIComponent(org)
    } catch {
      return { status: 400, body: vcdError(400, 'Malformed organization name') }
    }
    const reply = this.token(request, name)
    if (reply.status !== 200 || this.cutTokenAnswers <= 0) return reply
    // Cut after the route ran: the token is issued and rotated, but the answer is lost to the client.
    this.cutTokenAnswers--
    return { ...reply, body: JSON.stringify(reply.body).slice(0, -1) }
  }
}

function formOf(path: string): VcfaTokenForm | undefined {
  const match = TOKEN_PATH.exec(path)
  if (!match) return undefined
  return match[1] ? 'tm' : 'root'
}
