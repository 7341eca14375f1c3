/**
 * Aria Operations 8.x (formerly vRealize Operations): a user's name and password are exchanged for
 * a Suite API token at POST /suite-api/api/auth/token/acquire, which the post step releases.
 * PROVIDERS.md section 6; the facts and their sources: notes/aria-operations.md.
 */
import { ProviderError, UntrustedStateError } from '../errors.js'
import { JSON_HEADERS } from '../http/headers.js'
import type { Send } from '../http/request.js'
import { isSuccess, jsonObject, responseReason, type HttpResponse } from '../http/response.js'
import type { Secrets } from '../secrets.js'
import { applianceRoot, NOT_RETRIED, refuseOrg, sendPasswordLogin } from './appliance.js'
import { rejection } from './failures.js'
import { fieldNames, secondsUntil } from './token-answer.js'
import type { Provider } from './types.js'

const TITLE = 'Aria Operations'

// vmware/vcf-api-specs vcf-operations-openapi.json, acquireToken and releaseToken (servers:
// /suite-api); the same paths in the vRealize Operations 8.10 API reference ("Acquire Token").
const ACQUIRE_PATH = '/suite-api/api/auth/token/acquire'
const RELEASE_PATH = '/suite-api/api/auth/token/release'

/**
 * "The validity of the acquired token is extended after each call and is set to 6 hours from the
 * last call" (acquireToken, spec above). Used only when the answer has no usable validity.
 */
export const DOCUMENTED_LIFETIME_SECONDS = 6 * 3600

/**
 * The header scheme later steps send: "Authorization: OpsToken <token>" (Aria Operations 8.17.1
 * API Programming Guide, "REST Requests"; listed first by the VCF Operations API docs). The same
 * guide: "The old format, Authorization: vRealizeOpsToken <token> continues to be supported",
 * and the 8.10 API reference and every official client (vmware-aria-operations-integration-sdk
 * SuiteApiClient.kt, vrops-export, PowerValidatedSolutions Request-vROPSToken) send only that one.
 */
const TOKEN_SCHEME = 'OpsToken'
const LEGACY_TOKEN_SCHEME = 'vRealizeOpsToken'

/** The token of an XML auth-token (<ops:token>), which comes back when a proxy drops the Accept header. */
const XML_TOKEN = /<(?:\w+:)?token>([^<]+)<\//

const CHECK_URL = 'Check url: it must be the address of an Aria Operations (vRealize Operations) 8.x appliance.'

export const ariaOperations: Provider<'password'> = {
  name: 'aria-operations',
  title: 'VMware Aria Operations',
  credentials: ['password'],
  credentialHelp: "an Aria Operations user's name and password",
  // The request body's authSource: "After creating an auth source you can use it for acquiring a
  // token by specifying the name. The default auth source type is LOCAL." (8.18 API Programming
  // Guide, "Acquire an authentication token").
  authSource: "the name of the user's auth source (LDAP, Active Directory); empty for local users",
  exampleUrl: 'https://ops.example.com',

  // The UI (/ui/...), the Suite API (/suite-api/...) and its docs share one host.
  resolveUrl: applianceRoot,

  parseOrg: refuseOrg('aria-operations', 'Aria Operations has no organizations.'),

  async exchange(context) {
    const { config, secrets, issued } = context
    const { username } = config.credential
    const purpose = `${TITLE} token request for ${username}`
    // Schema username-password {username, password, authSource?}: authSource left out for local
    // users, as the 8.18 guide's example does (vmware-aria-operations-integration-sdk
    // SuiteApiClient.kt sends "LOCAL", vrops-export Client.login null: all three mean local users).
    // Without Accept: application/json the Suite API answers XML, its default.
    const response = await sendPasswordLogin(context, config.credential, ACQUIRE_PATH, 'authSource', purpose)
    if (!isSuccess(response)) throw rejection(TITLE, purpose, response, acquireAdvice(response.status))

    const token = maskIssuedToken(response, secrets)
    // From here on, a failed step releases the token.
    if (token) issued({ accessToken: token })
    const lifetime = readAnswer(response, token, `${TITLE} (${new URL(config.baseUrl).host})`)
    return {
      accessToken: lifetime.token,
      tokenType: TOKEN_SCHEME,
      expiresIn: lifetime.seconds,
      org: '',
      subject: username,
      summaryRows: [['Lifetime', 'extended by use: to 6 hours after the last API call']],
      notices: lifetime.notice ? [lifetime.notice] : [],
    }
  },

  // Each use extends the token to 6 hours after that use: a later step may have kept it alive past
  // the expires-at the main step reported (the "validity" of the acquire answer).
  revokeAfterExpiry: true,

  async revoke({ send, baseUrl, accessToken, data }) {
    if (Object.keys(data).length) throw new UntrustedStateError('it carries data this provider never saves')
    return releasedLine(await release(send, baseUrl, accessToken))
  },
}

/** Masks the token of a 2xx answer (JSON, or XML despite the Accept header) before anything reads it. */
function maskIssuedToken(response: HttpResponse, secrets: Secrets): string | undefined {
  secrets.maskTokensIn(response.body)
  const json = jsonObject(response.body)
  const raw = json ? json.token : XML_TOKEN.exec(response.body)?.[1]
  const token = typeof raw === 'string' ? raw.trim() : ''
  secrets.mask(token)
  return token || undefined
}

/**
 * Checks the answer {token, validity, expiresAt, roles} (schema auth-token: validity is the expiry
 * in epoch milliseconds) and returns the lifetime; never quotes the body.
 */
function readAnswer(response: HttpResponse, token: string | undefined, who: string): { token: string; seconds: number; notice?: string } {
  const json = jsonObject(response.body)
  if (!json) throw new ProviderError(`${who} answered ${responseReason(response)}; expected a JSON answer with a token. ${CHECK_URL}`)
  if (!token) throw new ProviderError(`${who} answered HTTP ${response.status} without a token; fields present: ${fieldNames(json)}.`)
  const validity = typeof json.validity === 'string' && /^\d{1,16}$/.test(json.validity) ? Number(json.validity) : json.validity
  if (typeof validity !== 'number' || !Number.isFinite(validity) || validity <= 0) {
    return {
      token,
      seconds: DOCUMENTED_LIFETIME_SECONDS,
      notice: `${TITLE} did not say when the token expires (no usable validity); assuming the documented 6 hours.`,
    }
  }
  return { token, seconds: secondsUntil(validity, `The token ${TITLE} issued`, 'validity') }
}

/**
 * POST release with the token (spec releaseToken: 200, no body; vmware-aria-operations-integration-sdk
 * SuiteApiClient.kt releaseToken sends no body either). A 401 is what any call with a dead token
 * gets (8.10 API reference, "Handling Token Expiration"), but also what a build that predates the
 * OpsToken scheme would answer: the legacy scheme is tried once, so that such a build releases the
 * token too, and a second 401 means it really is gone.
 */
async function release(send: Send, baseUrl: string, token: string): Promise<{ response: HttpResponse; legacy: boolean }> {
  const post = (scheme: string) =>
    send({
      method: 'POST',
      url: baseUrl + RELEASE_PATH,
      headers: { ...JSON_HEADERS, Authorization: `${scheme} ${token}` },
      purpose: `${TITLE} token release`,
    })
  const response = await post(TOKEN_SCHEME)
  if (response.status !== 401) return { response, legacy: false }
  return { response: await post(LEGACY_TOKEN_SCHEME), legacy: true }
}

function releasedLine({ response, legacy }: { response: HttpResponse; legacy: boolean }): string {
  if (isSuccess(response)) {
    return `Released the ${TITLE} token${legacy ? ` (in the older ${LEGACY_TOKEN_SCHEME} form)` : ''}: it no longer works.`
  }
  if (response.status === 401) return `The ${TITLE} token was already released or expired (HTTP 401): nothing left to revoke.`
  throw rejection(TITLE, `${TITLE} token release`, response, '')
}

function acquireAdvice(status: number): string {
  switch (status) {
    case 400:
    case 401:
      // Wrong user, password or auth source: all three get 401 (acquireToken: "HTTP Status 401 will
      // be sent back if the authentication operation has failed"), with no word of which.
      return `${TITLE} refused the login: check username, password and auth-source (the auth source's name; empty for local users). ${NOT_RETRIED}`
    case 403:
      return `${TITLE} refused the user (its message says why): the account may be disabled or locked.`
    case 404:
      return `There is no ${ACQUIRE_PATH} at this address (no /suite-api). ${CHECK_URL}`
    default:
      return `Check url, username, password and auth-source.`
  }
}
