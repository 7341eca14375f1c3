/**
 * VCF Automation 9: one appliance for the provider (System) org, All Apps orgs (Cloud Director's
 * successor) and VM Apps orgs (Aria Automation's successor), on Cloud Director's token protocol:
 * API tokens and service-account refresh tokens (which rotate). PROVIDERS.md section 3, with the
 * corrections of the issue 14 research; each fact below names its source.
 */
import type { Log } from '../core.js'
import { ProviderError, UntrustedStateError } from '../errors.js'
import { FORM_HEADERS } from '../http/headers.js'
import { isSuccess, jsonObject, responseReason, type HttpResponse } from '../http/response.js'
import type { Send } from '../http/request.js'
import { excerpt } from '../text.js'
import { unsafeUrlReason } from '../url.js'
import {
  API_OUTPUTS,
  exchangeBesideVersions,
  getSession,
  majorOf,
  orgLabel,
  parseOrgName,
  readCloudDirectorError,
  resolveAddress,
  revokeSession,
  SESSION_API,
  SESSION_PATH,
  sessionNames,
  type VersionsOutcome,
} from './cloud-director-api.js'
import { rejection } from './failures.js'
import { readJwtClaims, stringClaim } from './jwt-claims.js'
import { namespaceNames } from './kubernetes-names.js'
import type { KubeconfigSpec, Provider } from './types.js'

const TITLE = 'VCF Automation'
const EXAMPLE_URL = 'https://vcfa.example.com'

/**
 * Where VCF Automation's own paths start in the addresses users have at hand: the API roots
 * (/api, /cloudapi, /oauth, /tm), the UI (/automation/#/..., /provider/..., /tenant/<org>/...) and
 * the Kubernetes endpoint /cci/kubernetes (go-vcloud-director ccitypes/constants.go KubernetesSubpath).
 */
const ROOT_MARKERS = new Set(['api', 'cloudapi', 'oauth', 'tenant', 'provider', 'tm', 'automation', 'cci'])

/**
 * VCF Automation 9.0 speaks API 40.0: go-vcloud-director govcd/api_vcd.go minVcfaApiVersion = "40.0",
 * and IsTm() in govcd/api_vcd_versions.go is "the highest version is 40 or more". Below it the host
 * is a Cloud Director 10.x.
 */
const FIRST_VCFA_API = 40

/** The Kubernetes API of the orgs: go-vcloud-director ccitypes/constants.go KubernetesSubpath "%s://%s/cci/kubernetes". */
const KUBERNETES_PATH = '/cci/kubernetes'

/**
 * The SupervisorNamespace API versions, newest first (ccitypes SupervisorNamespacesURL):
 * go-vcloud-director 3.0 has v1alpha2 (VCF Automation 9.0, terraform-provider-vcfa 1.0), 3.1 has
 * v1alpha3 (9.1, provider 1.1 "requires VCFA 9.1+"). The fields read are the same in both.
 */
const SUPERVISOR_NAMESPACE_VERSIONS = ['v1alpha3', 'v1alpha2']

/** The state revoke() needs: whether sessions/current served this token in the main step. */
const SESSION_SERVED = 'served'
const SESSION_REFUSED = 'refused'

export const vcfa: Provider<'api-token'> = {
  name: 'vcfa',
  title: TITLE,
  credentials: ['api-token'],
  credentialHelp: 'a VCF Automation API token or service-account refresh token',
  outputs: API_OUTPUTS,
  exampleUrl: EXAMPLE_URL,

  resolveUrl: (url) => resolveAddress(url, ROOT_MARKERS),

  // terraform-provider-vcfa docs/index.md: "`org` value is case sensitive": kept as spelled.
  parseOrg: parseOrgName,

  exchange(context) {
    const { config, send, log } = context
    const host = new URL(config.baseUrl).host
    return exchangeBesideVersions(context, {
      who: TITLE,
      lookAlike: 'VCF Automation',
      addressHelp: `give the VCF Automation address, e.g. ${EXAMPLE_URL}`,
      refusedToken: 'wrong, expired (API tokens made in the UI last about 90 days) or revoked',
      requestToken: (form, purpose) => requestToken(send, config.baseUrl, config.org, form, purpose),
      ownRefusal: async (response, versions) => (response.status === 404 ? neitherTokenPath(host, config.org, versions) : undefined),
      finish: async (token, apiVersion) => {
        const notices: string[] = []
        if (majorOf(apiVersion) < FIRST_VCFA_API) {
          const notice =
            `${host} lists API versions up to ${apiVersion}: that is a Cloud Director 10.x, not VCF Automation 9 (API ${FIRST_VCFA_API}.0 and later). ` +
            'The token works; set provider: vcd for a Cloud Director.'
          notices.push(notice)
        }
        const session =
          majorOf(apiVersion) >= SESSION_API
            ? await lookUpSession(send, config.baseUrl, apiVersion, token.accessToken, log)
            : { served: true }
        // terraform-provider-vcfa internal/provider/kubernetes/client.go reads preferred_username; no
        // source documents an org claim, so without a session the org is the org input.
        const subject = session.user ?? stringClaim(readJwtClaims(token.accessToken), 'preferred_username', 'username', 'sub') ?? ''
        return {
          org: session.org,
          subject,
          notices,
          revokeData: { session: session.served ? SESSION_SERVED : SESSION_REFUSED },
        }
      },
    })
  },

  kubernetes: {
    parseNamespace(raw) {
      namespaceNames(raw, 2, 'a supervisor namespace of a project as <project>/<namespace>')
      return raw
    },
    // As terraform-provider-vcfa vcfa/datasource_vcfa_kubeconfig.go writes it: cluster <org>:<host>,
    // user <org>:<preferred_username>@<host> (here the session's user, which is the JWT's
    // preferred_username where there is no session), context <org>; for a supervisor namespace a
    // cluster <org>:<namespace>@<host> at its namespaceEndpointURL and a context
    // <org>:<namespace>:<project> with that namespace, made current here beside the org's.
    async contexts({ config, send }, result) {
      const host = new URL(config.baseUrl).host
      const { org } = result
      const server = config.baseUrl + KUBERNETES_PATH
      const user = `${org}:${result.subject}@${host}`
      const clusters = [{ name: `${org}:${host}`, server }]
      const contexts: KubeconfigSpec['contexts'] = [{ name: org, cluster: clusters[0].name, user }]
      if (!config.kubeNamespace) return { clusters, user, contexts, currentContext: org }
      const [project, namespace] = config.kubeNamespace.split('/')
      const endpoint = await namespaceEndpoint(send, server, result.accessToken, project, namespace)
      const cluster = `${org}:${namespace}@${host}`
      const name = `${org}:${namespace}:${project}`
      clusters.push({ name: cluster, server: endpoint })
      contexts.push({ name, cluster, user, namespace })
      return { clusters, user, contexts, currentContext: name }
    },
  },

  async revoke({ send, baseUrl, accessToken, data }) {
    const session = data.session ?? SESSION_SERVED
    if (session !== SESSION_SERVED && session !== SESSION_REFUSED)
      throw new UntrustedStateError('its session flag is not served or refused')
    return revokeSession(send, baseUrl, accessToken, data, TITLE, (response) => logoutRefusal(response, session === SESSION_REFUSED))
  },
}

/**
 * The token paths, in the order tried. Both forms are official, and no source says which one
 * every build answers:
 * - /tm/oauth/...: Broadcom's API docs "Org Management - All Apps Org" and "- VM Apps Org" (tenant
 *   orgs: POST /tm/oauth/tenant/{org}/token), and terraform-provider-vra vra/client.go getVCFAToken
 *   (/tm/oauth/tenant/<org>/token, /tm/oauth/provider/token for "system" in any case);
 * - /oauth/...: go-vcloud-director govcd/api_token.go getAccessToken, which terraform-provider-vcfa
 *   uses against VCF Automation (vcfa/config.go ProviderAuthenticate), and Broadcom KB 419781 for
 *   the provider org (POST /oauth/provider/token).
 * So tenants try /tm first (documented for both org kinds), the provider org /oauth first (the
 * only form Broadcom documents for it). The org goes into the path as spelled, percent-encoded.
 */
export function tokenPaths(org: string): [string, string] {
  if (!org) return ['/oauth/provider/token', '/tm/oauth/provider/token']
  const tenant = `/oauth/tenant/${encodeURIComponent(org)}/token`
  return [`/tm${tenant}`, tenant]
}

/**
 * Posts the form to the first path; only a 404 (this build does not serve that form, and has not
 * read the token) moves on to the other, once. Any other answer is final: a refused token (400,
 * 401, 403) is never tried again, and 408/429/5xx were retried by send.
 */
async function requestToken(send: Send, baseUrl: string, org: string, form: string, purpose: string): Promise<HttpResponse> {
  const [first, other] = tokenPaths(org)
  const post = (path: string): Promise<HttpResponse> =>
    send({ method: 'POST', url: baseUrl + path, headers: FORM_HEADERS, body: form, purpose })
  const response = await post(first)
  return response.status === 404 ? post(other) : response
}

/** Both token paths answered 404: not VCF Automation, or (when its versions say it is) no such org. */
async function neitherTokenPath(host: string, org: string, versions: Promise<VersionsOutcome>): Promise<ProviderError> {
  const [first, other] = tokenPaths(org)
  const outcome = await versions
  const head = `${TITLE} token exchange for ${orgLabel(org)} failed: ${host} answered HTTP 404 at both ${first} and ${other}`
  if (org && 'version' in outcome && majorOf(outcome.version) >= FIRST_VCFA_API) {
    return new ProviderError(
      `${head}, though it is VCF Automation (API ${outcome.version}). Check org: '${org}' may not exist (org names are case-sensitive).`,
    )
  }
  return new ProviderError(
    `${head}: it does not look like VCF Automation. Check url: give the VCF Automation address, e.g. ${EXAMPLE_URL}.`,
  )
}

/**
 * Who the token acts for, from sessions/current (govcd session_info.go GetSessionInfo). Whether VM
 * Apps org tokens are served there is documented nowhere: 404 and 403 mean "not served", and the
 * names come from the org input and the token. 401 means the new token does not work.
 */
async function lookUpSession(
  send: Send,
  baseUrl: string,
  apiVersion: string,
  accessToken: string,
  log: Log,
): Promise<{ user?: string; org?: string; served: boolean }> {
  const response = await getSession(send, baseUrl, apiVersion, accessToken, TITLE)
  if (isSuccess(response)) return { ...sessionNames(response), served: true }
  if (response.status === 404 || response.status === 403) {
    log.info(
      `${TITLE} does not serve this token's session at ${SESSION_PATH} (HTTP ${response.status}), as it may not for VM Apps orgs: ` +
        'org comes from the org input, subject from the access token.',
    )
    return { served: false }
  }
  throw rejection(
    TITLE,
    `${TITLE} session check with the new access token`,
    response,
    response.status === 401
      ? 'The token exchange worked but VCF Automation does not accept the new access token: the org or user may be disabled, or the appliance clock may be wrong.'
      : 'The token exchange worked but the session lookup failed.',
    readCloudDirectorError,
  )
}

/**
 * A logout answer that is no "nothing left to end": 403 (the session lives on; VCF Automation may
 * not let VM Apps org tokens use /cloudapi), and 404 for a token whose session lookup was refused
 * in the main step (the endpoint does not serve it: the session was not ended).
 */
function logoutRefusal(response: HttpResponse, sessionRefused: boolean): Error | undefined {
  if (response.status !== 403 && !(response.status === 404 && sessionRefused)) return undefined
  const why = sessionRefused
    ? `${TITLE} does not serve this token's session at ${SESSION_PATH} (its lookup in the main step was refused too), as it may not for VM Apps orgs`
    : `${TITLE} did not let this token end its session (VM Apps orgs may not be served by ${SESSION_PATH})`
  return rejection(
    TITLE,
    `${TITLE} logout`,
    response,
    `${why}. For an org whose sessions cannot be logged out, revoke: false skips the logout.`,
    readCloudDirectorError,
  )
}

/**
 * The server of a supervisor namespace: its namespaceEndpointURL, taken verbatim once its Ready
 * condition is true, as datasource_vcfa_kubeconfig.go requires (the first Ready condition counts).
 * A 404 whose Status names no object (k8s.io/apimachinery NewNotFound sets details.name) is a
 * version this build does not serve: the next one is tried.
 */
async function namespaceEndpoint(send: Send, server: string, token: string, project: string, namespace: string): Promise<string> {
  const which = `supervisor namespace '${namespace}' of project '${project}'`
  const purpose = `${TITLE} lookup of the ${which}`
  let response!: HttpResponse
  let named = false
  for (const version of SUPERVISOR_NAMESPACE_VERSIONS) {
    response = await send({
      method: 'GET',
      url: `${server}/apis/infrastructure.cci.vmware.com/${version}/namespaces/${project}/supervisornamespaces/${namespace}`,
      headers: { Accept: 'application/json', Authorization: `Bearer ${token}` },
      purpose,
    })
    named = typeof (jsonObject(response.body)?.details as { name?: unknown } | undefined)?.name === 'string'
    if (response.status !== 404 || named) break
  }
  const check = "Check kube-namespace (<project>/<namespace>) and the user's role in the project."
  if (!isSuccess(response)) {
    throw rejection(
      TITLE,
      purpose,
      response,
      response.status !== 404 || named ? check : `${KUBERNETES_PATH} serves no supervisor namespaces.`,
    )
  }
  const object = jsonObject(response.body)
  if (!object) throw new ProviderError(`${purpose} failed: ${responseReason(response)}.`)
  const status = (object.status ?? {}) as Record<string, unknown>
  const conditions = Array.isArray(status.conditions) ? (status.conditions as Record<string, unknown>[]) : []
  const ready = conditions.find((condition) => String(condition?.type).toLowerCase() === 'ready')
  if (String(ready?.status).toLowerCase() !== 'true') {
    const phase = excerpt(String(status.phase ?? ready?.reason ?? 'unknown'), 40)
    throw new ProviderError(`The ${which} is not ready (${phase}): wait until it is, or check kube-namespace.`)
  }
  const endpoint = status.namespaceEndpointURL
  const unsafe = typeof endpoint === 'string' && URL.canParse(endpoint) ? unsafeUrlReason(new URL(endpoint)) : 'it is missing'
  if (unsafe) throw new ProviderError(`The ${which} has no namespaceEndpointURL the action writes a token for: ${unsafe}.`)
  return endpoint as string
}
