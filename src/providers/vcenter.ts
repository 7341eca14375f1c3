/**
 * vCenter: a user's name and password for a vSphere Automation API session, which the post step
 * always ends, since a user's sessions count against a cap until they time out. PROVIDERS.md 5.
 *
 * - /api/session (vCenter 7.0 U2 and later): POST with Basic auth, 201 with the session ID as a
 *   JSON string; GET gives {user, created_time, last_accessed_time}; DELETE, 204 (401 when the
 *   session is unknown). Broadcom's vSphere Automation API reference: "Create Session", "Get
 *   Session", "Delete Session"; kubernetes-sigs/vsphere-csi-driver tests/e2e/util.go
 *   getVCentreSessionId.
 * - /rest/com/vmware/cis/session (6.5 to 7.0 U1; later ones still serve it), tried on a 404 for the
 *   first: the same login answered {"value": id}, the user from POST ?~action=get, DELETE to log
 *   out. vmware/govmomi vapi/rest/client.go Login (with vmware-use-header-authn: true, so no cookie
 *   is set), Session, Logout; the header names in vapi/internal/internal.go.
 */
import { ProviderError, UntrustedStateError } from '../errors.js'
import { basicAuthorization } from '../http/headers.js'
import { RequestError, type Send } from '../http/request.js'
import { isSuccess, jsonObject, responseReason, type HttpResponse } from '../http/response.js'
import { plural } from '../text.js'
import { applianceRoot, refuseOrg } from './appliance.js'
import { rejection } from './failures.js'
import type { Provider } from './types.js'

const TITLE = 'vCenter'
type Form = 'api' | 'rest'
const SESSION_PATHS: Record<Form, string> = { api: '/api/session', rest: '/rest/com/vmware/cis/session' }
const ACCEPT = { Accept: 'application/json' }
/** Real IDs are 32 hex digits (the reference's examples), vcsim's UUIDs: anything a header carries. */
const SESSION_ID = /^[\x21-\x7e]{8,4096}$/
/**
 * The refusal of a login past the per-user cap: 550 sessions before vCenter 8.0 U3 (tanzu-cli issue
 * 749; VMware's performance blog "Endpoint Limits for Concurrent REST Requests from vCenter APIs").
 */
const MAX_SESSIONS_ID = 'com.vmware.vapi.endpoint.failedToLoginMaxUserSessionCountReached'

const CHECK_URL = "Check url: it must be the vCenter's address, e.g. https://vcenter.example.com."
const CAP_ADVICE =
  `${MAX_SESSIONS_ID}: the user has as many API sessions as vCenter allows. Sessions never logged out count until ` +
  'they time out when idle; this action always logs its own out. Find the client that leaks them, or give this ' +
  'workflow a user of its own, and retry once they have timed out.'
/** Added to the core's advice about an untrusted certificate. */
const VMCA_HINT =
  "A vCenter's is usually from its own CA, the VMCA (vSphere Client: Administration > Certificates > Certificate Management)."

export const vcenter: Provider<'password'> = {
  name: 'vcenter',
  title: 'VMware vCenter',
  credentials: ['password'],
  credentialHelp: "a vCenter user's name with its domain (user@vsphere.local) and password",
  exampleUrl: 'https://vcenter.example.com',

  // govmomi's vapi/rest Resource sets a request's whole path on the client's URL: the APIs start at
  // the host's root, beside the UI (/ui) and the SOAP SDK (/sdk). So any address of it works.
  resolveUrl: applianceRoot,

  parseOrg: refuseOrg('vcenter', "a vCenter session is the user's own."),

  async exchange({ config, send, secrets, issued }) {
    const { baseUrl, credential } = config
    const headers = {
      ...ACCEPT,
      Authorization: basicAuthorization(credential.username, credential.password, secrets),
      'vmware-use-header-authn': 'true',
    }
    // Never retried after a refusal (send retries no 4xx) and never sent to /rest after one:
    // each refused login counts towards the account's lockout.
    let form: Form = 'api'
    let response = await logIn(send, baseUrl, form, headers)
    if (response.status === 404) response = await logIn(send, baseUrl, (form = 'rest'), headers)
    if (!isSuccess(response)) throw loginRefusal(response, credential.username)

    const id = sessionIdIn(response.body)
    secrets.mask(id)
    const who = `${TITLE} (${new URL(baseUrl).host})`
    if (id === undefined) throw new ProviderError(`${who} answered the login ${responseReason(response)}, not a session ID. ${CHECK_URL}`)
    if (!SESSION_ID.test(id)) {
      throw new ProviderError(
        `${who} answered the login with a session ID of ${id.length} characters that no header can carry. ${CHECK_URL}`,
      )
    }
    // From here on, a failed step logs this session out.
    issued({ accessToken: id, revokeData: { form } })
    return {
      accessToken: id,
      tokenType: 'Session',
      org: '',
      subject: await sessionUser(send, baseUrl, form, id, who),
      summaryRows: [['Session API', SESSION_PATHS[form]]],
      revokeData: { form },
    }
  },

  async revoke({ send, baseUrl, accessToken, data }) {
    const { form } = data
    if (form !== 'api' && form !== 'rest') throw new UntrustedStateError('its vCenter session API is neither api nor rest')
    const response = await logOut(send, baseUrl, form, accessToken)
    if (isSuccess(response)) return 'Logged out of vCenter: the session is ended.'
    // "Delete Session": 401 when the session cannot be found (logged out, or timed out).
    if (response.status === 401) return 'The vCenter session was already gone (HTTP 401): nothing left to end.'
    throw rejection(TITLE, `${TITLE} logout`, response, '', readVapiError)
  },
}

async function logIn(send: Send, baseUrl: string, form: Form, headers: Record<string, string>): Promise<HttpResponse> {
  try {
    return await send({ method: 'POST', url: baseUrl + SESSION_PATHS[form], headers, purpose: `${TITLE} login` })
  } catch (error) {
    if (error instanceof RequestError && error.message.includes('ca-certificate')) throw new RequestError(`${error.message} ${VMCA_HINT}`)
    throw error
  }
}

function logOut(send: Send, baseUrl: string, form: Form, id: string): Promise<HttpResponse> {
  const headers = { ...ACCEPT, 'vmware-api-session-id': id }
  return send({ method: 'DELETE', url: baseUrl + SESSION_PATHS[form], headers, purpose: `${TITLE} logout` })
}

/** The session ID of a login's answer: a JSON string (/api) or {"value": string} (/rest; vcsim says text/plain). */
function sessionIdIn(body: string): string | undefined {
  let value: unknown
  try {
    value = JSON.parse(body)
  } catch {
    return undefined
  }
  if (value && typeof value === 'object') value = (value as { value?: unknown }).value
  return typeof value === 'string' ? value : undefined
}

/** Proves the session works, and learns its user: GET /api/session, or POST /rest/...?~action=get. */
async function sessionUser(send: Send, baseUrl: string, form: Form, id: string, who: string): Promise<string> {
  const response = await send({
    method: form === 'api' ? 'GET' : 'POST',
    url: baseUrl + SESSION_PATHS[form] + (form === 'rest' ? '?~action=get' : ''),
    headers: { ...ACCEPT, 'vmware-api-session-id': id },
    purpose: `${TITLE} session lookup`,
  })
  if (!isSuccess(response)) {
    const advice = 'vCenter made the session but would not say whose it is, so it was ended. Run the job again.'
    throw rejection(TITLE, `${TITLE} session lookup`, response, advice, readVapiError)
  }
  const json = jsonObject(response.body)
  const info = json?.value && typeof json.value === 'object' ? (json.value as Record<string, unknown>) : json
  if (typeof info?.user !== 'string' || !info.user) {
    throw new ProviderError(`${who} answered the session lookup ${responseReason(response)}, without the session's user. ${CHECK_URL}`)
  }
  return info.user
}

function loginRefusal(response: HttpResponse, username: string): Error {
  const purpose = `${TITLE} login`
  if (response.body.includes(MAX_SESSIONS_ID)) {
    const reason = responseReason(response, readVapiError)
    return new ProviderError(`${purpose} failed: ${reason} (${plural(response.attempts, 'try', 'tries')}). ${CAP_ADVICE}`)
  }
  if (response.status === 404) {
    return new ProviderError(
      `There is no vSphere Automation API at this address: ${SESSION_PATHS.api} and ${SESSION_PATHS.rest} both answered ` +
        `404 (${responseReason(response, readVapiError)}). ${CHECK_URL}`,
    )
  }
  // The old API's status for bad credentials is not documented (PROVIDERS.md 5): 403 read as 401.
  const advice =
    response.status === 401 || response.status === 403
      ? 'vCenter refused the user name or password. Check username and password: the user name needs its domain, e.g. ' +
        `user@vsphere.local${/[@\\]/.test(username) ? '' : ' (the one given has none)'}. The action sends a login once: ` +
        'repeated failures can lock the account.'
      : 'Check url, username and password.'
  return rejection(TITLE, purpose, response, advice, readVapiError)
}

/**
 * A vAPI error's kind and messages: /api {error_type, messages: [{id, default_message, args}]}
 * (govmomi vapi/rest/errors.go), /rest {type: "com.vmware.vapi.std.errors.<kind>", value:
 * {messages}} (a real one quoted in vranystepan/nagios-go-vcsa-health's README). Echoed
 * credentials are redacted when printed: the password and its Basic form are masked.
 */
export function readVapiError(body: string): string | undefined {
  const json = jsonObject(body)
  const rest = typeof json?.type === 'string' && json.value && typeof json.value === 'object'
  const error = (rest ? json!.value : json) as Record<string, unknown> | undefined
  const kind = typeof json?.error_type === 'string' ? json.error_type : rest ? String(json!.type).split('.').pop() : undefined
  const messages = Array.isArray(error?.messages) ? (error.messages as { default_message?: unknown }[]) : []
  const texts = messages.map((message) => message?.default_message).filter((text) => typeof text === 'string' && text)
  const text = texts.join(' ')
  return kind && text ? `${kind}: ${text}` : kind || text || undefined
}
