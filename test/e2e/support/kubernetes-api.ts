/**
 * A small Kubernetes API server, as routes for an EmulatorServer (emulator.ts): what the
 * Supervisor emulator and the VCF Automation emulator's /cci/kubernetes serve, enough for
 * `kubectl --kubeconfig F get --raw /version`, `kubectl get` and `kubectl apply` (client-side and
 * --server-side) of namespaced objects. The requests kubectl 1.20 (Debian) and 1.32 send are in
 * notes/kubectl-requests.md. Only erasable TypeScript: scripts run it directly.
 *
 *   const api = new KubernetesApi({ name: 'kube', prefix: '/cci/kubernetes', authenticate, authorize })
 *   server.routes.push(...api.routes())       // mount it (several APIs may share one server)
 *   api.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data })   // seed an object
 *   api.get('configmaps', 'ns', 'name')       // an object as stored (core group; or 'supervisornamespaces.infrastructure.cci.vmware.com')
 *   api.objects('configmaps')                 // all of one resource
 *
 * Options:
 *   name           route-name prefix: routes `<name>-version`, `<name>-discovery`, `<name>-openapi`,
 *                  `<name>-objects` (for requestsTo and fault)
 *   prefix         path the API is served under ('' for a whole server)
 *   authenticate   bearer token -> user name, or undefined (answered 401, a Kubernetes Status)
 *   authorize      (user, { verb, namespace, group, resource, name }) -> boolean (false: 403 with the API
 *                  server's message); default: everything allowed
 *   resourceTypes  the types served (default: ConfigMap); discovery (/api, /api/v1, /apis, /apis/<g>[/<v>])
 *                  is built from them
 *   gitVersion     what GET /version reports (default 'v1.30.1')
 *
 * Routes, all behind a bearer token (this server has no anonymous access):
 *   <name>-version    GET /version
 *   <name>-discovery  GET /api, /api/v1, /apis, /apis/<group>, /apis/<group>/<version>: the legacy
 *                     discovery documents as application/json (clients that ask for aggregated
 *                     discovery fall back to them: client-go checks the answer's Content-Type)
 *   <name>-openapi    GET /openapi/v2: an empty OpenAPI v2 document (protobuf when asked, else JSON):
 *                     kubectl's client-side validation skips kinds it has no schema for. /openapi/v3: 404.
 *   <name>-objects    GET (get, list), POST (create; ?dryRun), PUT (update), PATCH (merge-patch and
 *                     strategic-merge-patch as a JSON merge patch, apply-patch = server-side apply), DELETE
 *                     on /api/v1/namespaces/<ns>/<resource>[/<name>] and /apis/<g>/<v>/namespaces/<ns>/<resource>[/<name>]
 *                     (cluster-scoped: /apis/<g>/<v>/<resource>[/<name>]). Errors are Kubernetes Status objects
 *                     shaped as k8s.io/apimachinery pkg/api/errors builds them (NotFound, AlreadyExists, Forbidden,
 *                     Conflict, BadRequest, UnsupportedMediaType); the 403 message is k8s.io/apiserver
 *                     pkg/endpoints/handlers/responsewriters/errors.go forbiddenMessage.
 */
import { randomInt, randomUUID } from 'node:crypto'
import { parseBearer, type RecordedRequest, type Reply, type Route } from './emulator.ts'

export interface KubernetesResourceType {
  /** '' for the core group. */
  group: string
  version: string
  /** Plural, as in URLs: 'configmaps'. */
  resource: string
  kind: string
  namespaced: boolean
  shortNames?: string[]
}

export interface KubernetesRequestAttributes {
  verb: 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete'
  namespace: string
  group: string
  resource: string
  name: string
}

export interface KubernetesApiOptions {
  name: string
  prefix?: string
  authenticate: (token: string) => string | undefined
  authorize?: (user: string, attributes: KubernetesRequestAttributes) => boolean
  resourceTypes?: KubernetesResourceType[]
  gitVersion?: string
}

export type KubernetesObject = Record<string, unknown> & {
  apiVersion?: string
  kind?: string
  metadata?: Record<string, unknown> & { name?: string; namespace?: string }
}

export const CONFIGMAP_TYPE: KubernetesResourceType = {
  group: '',
  version: 'v1',
  resource: 'configmaps',
  kind: 'ConfigMap',
  namespaced: true,
  shortNames: ['cm'],
}

const JSON_TYPE = { 'content-type': 'application/json' }
const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']
/** An OpenAPI v2 Document in protobuf (gnostic openapi_v2.Document): field 1 (swagger), length 3, "2.0". */
const EMPTY_OPENAPI_V2_PROTOBUF = '\n\u00032.0'

/** A Kubernetes Status object (k8s.io/apimachinery metav1.Status) as the API server answers errors. */
export function kubernetesStatus(code: number, reason: string, message: string, details?: Record<string, unknown>): Reply {
  return {
    status: code,
    headers: JSON_TYPE,
    body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code },
  }
}

/** The API server's answer to a missing, unknown or expired bearer token. */
export function kubernetesUnauthorized(): Reply {
  return kubernetesStatus(401, 'Unauthorized', 'Unauthorized')
}

function groupVersion(type: KubernetesResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version
}

function qualified(type: KubernetesResourceType): string {
  return type.group ? `${type.resource}.${type.group}` : type.resource
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** RFC 7386 JSON merge patch; keys starting with '$' (strategic-merge directives) are dropped. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch
  const result: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {}
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (key.startsWith('$')) continue
    if (value === null) delete result[key]
    else result[key] = mergePatch(result[key], value)
  }
  return result
}

interface Target {
  type: KubernetesResourceType
  namespace: string
  name: string
}

export class KubernetesApi {
  readonly name: string
  readonly prefix: string
  readonly resourceTypes: KubernetesResourceType[]
  gitVersion: string
  private readonly authenticate: (token: string) => string | undefined
  private readonly authorize: (user: string, attributes: KubernetesRequestAttributes) => boolean
  private readonly store = new Map<string, KubernetesObject>()
  private resourceVersion = 1000

  constructor(options: KubernetesApiOptions) {
    this.name = options.name
    this.prefix = options.prefix ?? ''
    this.resourceTypes = options.resourceTypes ?? [CONFIGMAP_TYPE]
    this.gitVersion = options.gitVersion ?? 'v1.30.1'
    this.authenticate = options.authenticate
    this.authorize = options.authorize ?? (() => true)
  }

  routes(): Route[] {
    const prefix = escapeRegExp(this.prefix)
    const bearer = (request: RecordedRequest): string | undefined => parseBearer(request.headers.authorization)
    const objects = new RegExp(`^${prefix}/(?:api/(v1)|apis/([^/]+)/([^/]+))(?:/namespaces/([^/]+))?/([^/]+)(?:/([^/]+))?$`)
    const route = (
      method: string,
      name: string,
      path: string | RegExp,
      handle: (request: RecordedRequest, user: string) => Reply,
    ): Route => ({
      name: `${this.name}-${name}`,
      method,
      path,
      credential: bearer,
      handle: (request) => {
        const token = bearer(request)
        const user = token === undefined ? undefined : this.authenticate(token)
        return user === undefined ? kubernetesUnauthorized() : handle(request, user)
      },
    })
    return [
      route('GET', 'version', `${this.prefix}/version`, () => this.version()),
      route('GET', 'discovery', new RegExp(`^${prefix}/(?:api|api/v1|apis|apis/[^/]+|apis/[^/]+/[^/]+)$`), (request) =>
        this.discovery(request),
      ),
      route('GET', 'openapi', `${this.prefix}/openapi/v2`, (request) => this.openApi(request)),
      ...['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((method) =>
        route(method, 'objects', objects, (request, user) => this.objectRequest(request, user, objects.exec(request.path)!)),
      ),
    ]
  }

  /** Stores an object as is (no checks, no authorization), filling in metadata the server sets. */
  put(object: KubernetesObject): KubernetesObject {
    const type = this.resourceTypes.find((candidate) => candidate.kind === object.kind && groupVersion(candidate) === object.apiVersion)
    if (!type) throw new Error(`kubernetes-api: no type ${object.apiVersion} ${object.kind}`)
    const metadata = object.metadata ?? {}
    const stored = this.stamp({ ...object, metadata: { ...metadata } }, undefined)
    this.store.set(this.key(type, String(metadata.namespace ?? ''), String(metadata.name)), stored)
    return stored
  }

  /** An object as stored, by resource ('configmaps', or '<resource>.<group>'), namespace and name. */
  get(resource: string, namespace: string, name: string): KubernetesObject | undefined {
    const type = this.typeOf(resource)
    return type && this.store.get(this.key(type, namespace, name))
  }

  objects(resource: string): KubernetesObject[] {
    const type = this.typeOf(resource)
    if (!type) return []
    const start = `${qualified(type)}\u0000`
    return [...this.store.entries()].filter(([key]) => key.startsWith(start)).map(([, object]) => object)
  }

  private typeOf(resource: string): KubernetesResourceType | undefined {
    return this.resourceTypes.find((type) => qualified(type) === resource)
  }

  private key(type: KubernetesResourceType, namespace: string, name: string): string {
    return [qualified(type), namespace, name].join('\u0000')
  }

  private version(): Reply {
    const [, major = '1', minor = '30'] = /^v(\d+)\.(\d+)/.exec(this.gitVersion) ?? []
    return {
      status: 200,
      headers: JSON_TYPE,
      body: {
        major,
        minor,
        gitVersion: this.gitVersion,
        gitCommit: '0000000000000000000000000000000000000000',
        gitTreeState: 'clean',
        buildDate: '2026-01-01T00:00:00Z',
        goVersion: 'go1.24.0',
        compiler: 'gc',
        platform: 'linux/amd64',
      },
    }
  }

  private discovery(request: RecordedRequest): Reply {
    const path = request.path.slice(this.prefix.length)
    const ok = (body: unknown): Reply => ({ status: 200, headers: JSON_TYPE, body })
    const resourceList = (version: string, types: KubernetesResourceType[]): unknown => ({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: version,
      resources: types.map((type) => ({
        name: type.resource,
        singularName: type.kind.toLowerCase(),
        namespaced: type.namespaced,
        kind: type.kind,
        verbs: VERBS,
        ...(type.shortNames ? { shortNames: type.shortNames } : {}),
      })),
    })
    const groups = new Map<string, string[]>()
    for (const type of this.resourceTypes.filter((candidate) => candidate.group)) {
      const versions = groups.get(type.group) ?? []
      if (!versions.includes(type.version)) versions.push(type.version)
      groups.set(type.group, versions)
    }
    const apiGroup = (name: string, versions: string[]): unknown => ({
      name,
      versions: versions.map((version) => ({ groupVersion: `${name}/${version}`, version })),
      preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
    })
    if (path === '/api') {
      return ok({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '' }] })
    }
    if (path === '/api/v1')
      return ok(
        resourceList(
          'v1',
          this.resourceTypes.filter((type) => !type.group),
        ),
      )
    if (path === '/apis') {
      return ok({ kind: 'APIGroupList', apiVersion: 'v1', groups: [...groups].map(([name, versions]) => apiGroup(name, versions)) })
    }
    const [, group, version] = path.split('/').slice(1)
    const versions = groups.get(group)
    if (!versions || (version !== undefined && !versions.includes(version))) return this.noResource()
    if (version === undefined) return ok({ kind: 'APIGroup', apiVersion: 'v1', ...(apiGroup(group, versions) as object) })
    return ok(
      resourceList(
        `${group}/${version}`,
        this.resourceTypes.filter((type) => type.group === group && type.version === version),
      ),
    )
  }

  private openApi(request: RecordedRequest): Reply {
    if (String(request.headers.accept ?? '').includes('protobuf')) {
      return {
        status: 200,
        headers: { 'content-type': 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf' },
        body: EMPTY_OPENAPI_V2_PROTOBUF,
      }
    }
    return { status: 200, headers: JSON_TYPE, body: { swagger: '2.0', info: { title: 'Kubernetes', version: this.gitVersion }, paths: {} } }
  }

  /** What the API server says for a path it serves nothing at. */
  private noResource(): Reply {
    return kubernetesStatus(404, 'NotFound', 'the server could not find the requested resource', {})
  }

  private objectRequest(request: RecordedRequest, user: string, match: RegExpExecArray): Reply {
    const [, coreVersion, group = '', groupVersionPart, namespace = '', resource, name = ''] = match
    const version = coreVersion ?? groupVersionPart
    const type = this.resourceTypes.find(
      (candidate) => candidate.group === group && candidate.version === version && candidate.resource === resource,
    )
    if (!type || type.namespaced !== (namespace !== '')) return this.noResource()
    const verb = this.verbOf(request.method, name)
    if (!verb) return kubernetesStatus(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`, {})
    const decoded = (text: string): string => {
      try {
        return decodeURIComponent(text)
      } catch {
        return text
      }
    }
    const target: Target = { type, namespace: decoded(namespace), name: decoded(name) }
    if (!this.authorize(user, { verb, namespace: target.namespace, group, resource, name: target.name })) {
      return this.forbidden(user, verb, target)
    }
    switch (verb) {
      case 'list':
        return this.list(target)
      case 'get':
        return this.read(target)
      case 'create':
        return this.create(request, target)
      case 'update':
        return this.update(request, target)
      case 'patch':
        return this.patch(request, target)
      case 'delete':
        return this.remove(target)
    }
  }

  private verbOf(method: string, name: string): KubernetesRequestAttributes['verb'] | undefined {
    if (method === 'GET') return name ? 'get' : 'list'
    if (method === 'POST') return name ? undefined : 'create'
    if (!name) return undefined
    return ({ PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as const)[method as 'PUT' | 'PATCH' | 'DELETE']
  }

  private forbidden(user: string, verb: string, target: Target): Reply {
    const { type, namespace, name } = target
    const scope = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope'
    const reason = `User "${user}" cannot ${verb} resource "${type.resource}" in API group "${type.group}" ${scope}`
    const message = name ? `${qualified(type)} "${name}" is forbidden: ${reason}` : `${qualified(type)} is forbidden: ${reason}`
    return kubernetesStatus(403, 'Forbidden', message, {
      ...(name ? { name } : {}),
      ...(type.group ? { group: type.group } : {}),
      kind: type.resource,
    })
  }

  private notFound(target: Target): Reply {
    const { type, name } = target
    return kubernetesStatus(404, 'NotFound', `${qualified(type)} "${name}" not found`, {
      name,
      ...(type.group ? { group: type.group } : {}),
      kind: type.resource,
    })
  }

  private ok(status: number, object: KubernetesObject): Reply {
    return { status, headers: JSON_TYPE, body: object }
  }

  private list(target: Target): Reply {
    const { type, namespace } = target
    const items = this.objects(qualified(type))
      .filter((object) => !type.namespaced || object.metadata?.namespace === namespace)
      .map((object) => ({ ...object, apiVersion: groupVersion(type) }))
    return {
      status: 200,
      headers: JSON_TYPE,
      body: {
        kind: `${type.kind}List`,
        apiVersion: groupVersion(type),
        metadata: { resourceVersion: String(this.resourceVersion) },
        items,
      },
    }
  }

  private read(target: Target): Reply {
    const object = this.store.get(this.key(target.type, target.namespace, target.name))
    // One object for every version of its type, labelled with the version asked for (the fields read are the same).
    return object ? this.ok(200, { ...object, apiVersion: groupVersion(target.type) }) : this.notFound(target)
  }

  /** The body as an object for this target, or the error answer. */
  private bodyObject(body: unknown, target: Target): { object: KubernetesObject } | { error: Reply } {
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      return {
        error: kubernetesStatus(
          400,
          'BadRequest',
          'the body of the request was in an unknown format - accepted media types include: application/json',
        ),
      }
    }
    const object = body as KubernetesObject
    const namespace = object.metadata?.namespace
    if (target.type.namespaced && namespace !== undefined && namespace !== target.namespace) {
      return {
        error: kubernetesStatus(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request'),
      }
    }
    return { object }
  }

  private stamp(object: KubernetesObject, previous: KubernetesObject | undefined): KubernetesObject {
    const metadata = { ...(object.metadata ?? {}) }
    metadata.uid = previous?.metadata?.uid ?? metadata.uid ?? randomUUID()
    metadata.creationTimestamp = previous?.metadata?.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z')
    metadata.resourceVersion = String(++this.resourceVersion)
    return { ...object, metadata }
  }

  private create(request: RecordedRequest, target: Target, body: unknown = tryParse(request.body)): Reply {
    const parsed = this.bodyObject(body, target)
    if ('error' in parsed) return parsed.error
    const candidate = parsed.object
    const metadata = { ...(candidate.metadata ?? {}) }
    if (!metadata.name && typeof metadata.generateName === 'string') {
      const letters = 'bcdfghjklmnpqrstvwxz2456789'
      metadata.name = metadata.generateName + Array.from({ length: 5 }, () => letters[randomInt(letters.length)]).join('')
    }
    if (!metadata.name) return kubernetesStatus(400, 'BadRequest', 'name or generateName is required')
    const named: Target = { ...target, name: String(metadata.name) }
    if (this.store.has(this.key(named.type, named.namespace, named.name))) {
      return kubernetesStatus(409, 'AlreadyExists', `${qualified(named.type)} "${named.name}" already exists`, {
        name: named.name,
        ...(named.type.group ? { group: named.type.group } : {}),
        kind: named.type.resource,
      })
    }
    if (named.type.namespaced) metadata.namespace = named.namespace
    const stored = this.stamp({ ...candidate, apiVersion: groupVersion(named.type), kind: named.type.kind, metadata }, undefined)
    if (request.query.dryRun === undefined) this.store.set(this.key(named.type, named.namespace, named.name), stored)
    return this.ok(201, stored)
  }

  private update(request: RecordedRequest, target: Target): Reply {
    const previous = this.store.get(this.key(target.type, target.namespace, target.name))
    if (!previous) return this.notFound(target)
    const parsed = this.bodyObject(tryParse(request.body), target)
    if ('error' in parsed) return parsed.error
    const candidate = parsed.object
    const version = candidate.metadata?.resourceVersion
    if (version !== undefined && version !== previous.metadata?.resourceVersion) {
      return kubernetesStatus(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${qualified(target.type)} "${target.name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name: target.name, kind: target.type.resource },
      )
    }
    return this.save(request, target, { ...candidate, metadata: { ...candidate.metadata, name: target.name } }, previous)
  }

  private patch(request: RecordedRequest, target: Target): Reply {
    const type = String(request.headers['content-type'] ?? '')
      .split(';')[0]
      .trim()
    const previous = this.store.get(this.key(target.type, target.namespace, target.name))
    const patch = tryParse(request.body)
    if (!patch || typeof patch !== 'object') return kubernetesStatus(400, 'BadRequest', 'the body of the request could not be read as JSON')
    if (type === 'application/apply-patch+yaml') {
      // Server-side apply, simplified: create, or merge the applied fields into the object (no managedFields).
      if (!previous) return this.create(request, target, patch)
      return this.save(request, target, mergePatch(previous, patch) as KubernetesObject, previous)
    }
    if (type !== 'application/merge-patch+json' && type !== 'application/strategic-merge-patch+json') {
      return kubernetesStatus(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml`,
      )
    }
    if (!previous) return this.notFound(target)
    return this.save(request, target, mergePatch(previous, patch) as KubernetesObject, previous)
  }

  private save(request: RecordedRequest, target: Target, object: KubernetesObject, previous: KubernetesObject): Reply {
    const metadata = { ...(object.metadata ?? {}), name: target.name, ...(target.type.namespaced ? { namespace: target.namespace } : {}) }
    const stored = this.stamp({ ...object, apiVersion: groupVersion(target.type), kind: target.type.kind, metadata }, previous)
    if (request.query.dryRun === undefined) this.store.set(this.key(target.type, target.namespace, target.name), stored)
    return this.ok(200, stored)
  }

  private remove(target: Target): Reply {
    const key = this.key(target.type, target.namespace, target.name)
    const object = this.store.get(key)
    if (!object) return this.notFound(target)
    this.store.delete(key)
    return {
      status: 200,
      headers: JSON_TYPE,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: {
          name: target.name,
          ...(target.type.group ? { group: target.type.group } : {}),
          kind: target.type.resource,
          uid: object.metadata?.uid,
        },
      },
    }
  }
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
