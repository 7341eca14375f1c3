/**
 * The vSphere Supervisor (vSphere 8 with Tanzu / VKS) without the kubectl-vsphere plugin: a vCenter
 * Single Sign-On user's name and password go to POST /wcp/login for a token that the Supervisor's
 * Kubernetes API on the same host takes as a bearer token. PROVIDERS.md section 7; the sources
 * are named beside each fact (notes/supervisor.md has them all).
 */
import { ProviderError } from '../errors.js'
import { basicAuthorization, JSON_HEADERS } from '../http/headers.js'
import { isProviderTrouble, isRedirect, isSuccess, jsonObject, looksLikeHtml, responseReason, type HttpResponse } from '../http/response.js'
import type { Send } from '../http/request.js'
import type { Secrets } from '../secrets.js'
import { applianceRoot, refuseOrg } from './appliance.js'
import { rejection } from './failures.js'
import { jwtLifetime, readJwtClaims } from './jwt-claims.js'
import { namespaceNames } from './kubernetes-names.js'
import { fieldNames } from './token-answer.js'
import type { Provider } from './types.js'

const TITLE = 'vSphere Supervisor'
const EXAMPLE_URL = 'https://supervisor.example.com'

// kubernetes-sigs/vsphere-csi-driver tests/e2e/util.go getWCPSessionId: POST https://<host>/wcp/login
// with Basic auth, Accept and Content-Type application/json and no body; 200 {"session_id": ...}.
const LOGIN_PATH = '/wcp/login'
// vmware-tanzu/tanzu-cli pkg/auth/wcp/discovery.go IsVSphereSupervisor: a Supervisor answers 200 here.
const BANNER_PATH = '/wcp/loginbanner'

const CHECK_URL = `Check url: the Supervisor's address, e.g. ${EXAMPLE_URL}.`

export const supervisor: Provider<'password'> = {
  name: 'supervisor',
  title: TITLE,
  credentials: ['password'],
  credentialHelp: "a vCenter Single Sign-On user's name (e.g. devops@vsphere.local) and password, with permissions on vSphere namespaces",
  exampleUrl: EXAMPLE_URL,
  // No official source documents a logout: the plugin's `kubectl vsphere logout` only edits its kubeconfig.
  cannotRevoke: 'the Supervisor has no documented API that ends a /wcp/login session',

  // Every /wcp/ path and the Kubernetes API hang off the host itself: any address on it names it.
  resolveUrl: applianceRoot,

  parseOrg: refuseOrg('supervisor', 'a Supervisor has no organizations.'),

  async exchange({ config, send, secrets }) {
    const { username, password } = config.credential
    const purpose = `${TITLE} login`
    const response = await send({
      method: 'POST',
      url: config.baseUrl + LOGIN_PATH,
      headers: { ...JSON_HEADERS, Authorization: basicAuthorization(username, password, secrets) },
      purpose,
    })
    if (!isSuccess(response)) throw rejection(TITLE, purpose, response, await refusalAdvice(send, config.baseUrl, response))
    const token = readSession(response, secrets, `${TITLE} (${new URL(config.baseUrl).host})`)
    // A JWT (Broadcom KB 419236: "the Supervisor API server rejects the JWT issued by the identity
    // provider"); the answer has no lifetime. "an authentication token is created that expires every
    // 10 hours" ("vSphere with Tanzu Concepts and Planning" 8.0, Authentication for TKG).
    const lifetime = jwtLifetime(readJwtClaims(token), { who: TITLE, hours: 10, clock: 'the clocks of vCenter and the Supervisor' })
    return {
      accessToken: token,
      tokenType: 'Bearer',
      expiresIn: lifetime.seconds,
      org: '',
      subject: username,
      ...(lifetime.notice ? { notices: [lifetime.notice] } : {}),
    }
  },

  kubernetes: {
    parseNamespace: (raw) => namespaceNames(raw, 1, 'a vSphere namespace name')[0],
    // The API is on the login's host and port (443 unless url names another): vsphere-csi-driver's
    // tests call it there with the token. Names as the plugin writes them (a convention, seen in users'
    // `kubectl config get-contexts`, no official source): cluster <host>, user wcp:<host>:<user>, and a
    // context named after the vSphere namespace (Broadcom KB 424897: `kubectl config use-context <namespace>`).
    async contexts({ config }, result) {
      const host = new URL(config.baseUrl).host
      const user = `wcp:${host}:${result.subject}`
      const name = config.kubeNamespace || host
      return {
        clusters: [{ name: host, server: config.baseUrl }],
        user,
        contexts: [{ name, cluster: host, user, namespace: config.kubeNamespace }],
        currentContext: name,
      }
    },
  },
}

/** The session_id of a 2xx answer, masked before anything is checked; the body is never quoted. */
function readSession(response: HttpResponse, secrets: Secrets, who: string): string {
  secrets.maskTokensIn(response.body)
  const json = jsonObject(response.body)
  const token = json?.session_id
  if (typeof token === 'string') secrets.mask(token)
  if (!json) throw new ProviderError(`${who} answered ${responseReason(response)}; expected JSON with a session_id. ${CHECK_URL}`)
  if (typeof token !== 'string' || !/^[\x21-\x7e]+$/.test(token.trim())) {
    throw new ProviderError(
      `${who} answered HTTP ${response.status} without a session_id; fields present: ${fieldNames(json)}. ${CHECK_URL}`,
    )
  }
  return token.trim()
}

/** What to do about a refused login; a 404 or a web page asks /wcp/loginbanner whether this is a Supervisor at all. */
async function refusalAdvice(send: Send, baseUrl: string, response: HttpResponse): Promise<string> {
  if (response.status === 401 || response.status === 403) return 'Check username and password (a vCenter Single Sign-On user).'
  // rejection() gives its own advice for these: no check is needed.
  if (isProviderTrouble(response) || isRedirect(response)) return ''
  if (response.status !== 404 && !looksLikeHtml(response.body)) return 'Check url, username and password.'
  const banner = await send({ method: 'GET', url: baseUrl + BANNER_PATH, purpose: `${TITLE} check`, attempts: 1 }).then(
    (answer) => answer.status,
    (error: Error) => error.message,
  )
  if (banner === 200) return CHECK_URL
  const why =
    typeof banner === 'number'
      ? `This is not a Supervisor: ${BANNER_PATH} answered HTTP ${banner}, not 200.`
      : `${BANNER_PATH} could not be read either (${banner}).`
  return `${why} ${CHECK_URL}`
}
