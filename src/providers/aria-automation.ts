/**
 * Aria Automation 8.x on-prem (formerly vRealize Automation 8): the API token (a refresh token,
 * valid 90 days) is exchanged for a bearer token at POST /iaas/api/login. The answer carries no
 * lifetime, so it is read from the JWT. Neither token can be revoked. A user without an API token
 * logs in with a name and password first, which makes one. PROVIDERS.md section 4.
 */
import type { CredentialOf } from '../config.js'
import { ProviderError } from '../errors.js'
import { JSON_HEADERS } from '../http/headers.js'
import { isSuccess, jsonObject, responseReason, type HttpResponse } from '../http/response.js'
import { hideEchoedTokenTails, type Secrets } from '../secrets.js'
import { excerpt } from '../text.js'
import { applianceRoot, NOT_RETRIED, refuseOrg, sendPasswordLogin } from './appliance.js'
import { rejection } from './failures.js'
import { jwtLifetime, readJwtClaims, stringClaim } from './jwt-claims.js'
import { fieldNames, normaliseTokenType } from './token-answer.js'
import type { ExchangeContext, Provider } from './types.js'

const TITLE = 'Aria Automation'

// vmware/vra-sdk-go pkg/client/login/login_client.go (*Client).RetrieveAuthToken: POST
// /iaas/api/login, consumes and produces application/json. Its body is CspLoginSpecification
// {refreshToken} (pkg/models/csp_login_specification.go), the answer AuthResponse {token,
// tokenType} (pkg/models/auth_response.go), with no expiry field.
const LOGIN_PATH = '/iaas/api/login'

/**
 * "The access token is valid for eight hours" (vRA 8.x API Programming Guide, "Get Your Access
 * Token for the vRealize Automation API", GUID-AC1E4407-6139-412A-B4AA-1F102942EA94). Used only
 * when the token does not say (no exp claim, or no JWT at all).
 */
export const DOCUMENTED_LIFETIME_SECONDS = 8 * 3600

const CHECK_URL = 'Check url: it must be the address of an Aria Automation 8.x appliance.'

/**
 * The Identity Service login that makes an API token from a user's name and password: JSON
 * {username, password, domain?} -> {refresh_token} (vRA 8.x API Programming Guide, "Get Your Access
 * Token for the vRealize Automation API"; terraform-provider-vra docs/get_token.sh). access_token
 * is a bare flag every official example sends as is: the credentials travel in the body only.
 */
const PASSWORD_LOGIN = '/csp/gateway/am/api/login?access_token'

/** How users get a new API token: the same guide, step 2 (the Identity Service API). */
const NEW_API_TOKEN =
  'Make a new one (in the Aria Automation UI, or with POST /csp/gateway/am/api/login?access_token and the ' +
  "user's name and password, as the README shows) and update the secret."

export const ariaAutomation: Provider<'api-token' | 'password'> = {
  name: 'aria-automation',
  title: 'VMware Aria Automation',
  credentials: ['api-token', 'password'],
  credentialHelp: "an Aria Automation API token (the refresh token, valid 90 days), or a user's name and password",
  // The login body's domain (terraform-provider-vra docs/get_token.sh sends it only when one is
  // given; PowervRA Connect-vRAServer splits it off user@domain).
  authSource: "the domain of the user's identity source (e.g. example.local); empty for local users",
  exampleUrl: 'https://aria.example.com',
  // The guide above: "Note: You cannot revoke the refresh token." No API revokes what
  // /iaas/api/login issues: the Identity API's logout takes an ID token, which it does not return.
  cannotRevoke: 'Aria Automation 8.x has no API that revokes an access token or the API token it came from',

  // The UI (/automation-ui/#/...), the APIs (/iaas/api, /catalog/api, ...) and the identity service
  // (/csp/gateway/...) share one host; terraform-provider-vra vra/client.go getVRAToken posts to
  // the path of the url it is given, so it needs the bare root: any address works here.
  resolveUrl: applianceRoot,

  parseOrg: refuseOrg(
    'aria-automation',
    'an Aria Automation 8.x user and API token belong to one organization, which the org output reports.',
  ),

  async exchange(context) {
    const { config, send, secrets } = context
    const { credential } = config
    const refreshToken = credential.kind === 'password' ? await logIn(context, credential) : credential.token
    const purpose = `${TITLE} token request`
    const response = await send({
      method: 'POST',
      url: config.baseUrl + LOGIN_PATH,
      headers: JSON_HEADERS,
      // In the body only, never in the URL (CspLoginSpecification, above).
      body: JSON.stringify({ refreshToken }),
      purpose,
    })
    if (!isSuccess(response)) {
      const advice = credential.kind === 'password' ? issuedTokenAdvice(response, credential.username) : refusalAdvice(response)
      throw rejection(TITLE, purpose, response, advice, readAriaError)
    }

    const token = readLoginAnswer(response, secrets, `${TITLE} (${new URL(config.baseUrl).host})`)
    const claims = readJwtClaims(token)
    const lifetime = jwtLifetime(claims, { who: TITLE, hours: DOCUMENTED_LIFETIME_SECONDS / 3600, clock: "the appliance's clock" })
    return {
      accessToken: token,
      tokenType: 'Bearer',
      expiresIn: lifetime.seconds,
      // context_name holds the org's ID in real on-prem tokens (terraform-provider-vra issues 95
      // and 159 quote two); `context` there is an authentication context, not the org.
      org: stringClaim(claims, 'context_name') ?? '',
      subject: stringClaim(claims, 'preferred_username', 'username', 'sub') ?? (credential.kind === 'password' ? credential.username : ''),
      notices: lifetime.notice ? [lifetime.notice] : [],
    }
  },
}

/**
 * Logs the user in and returns the API token the login makes (valid 90 days, and it cannot be
 * revoked): masked at once, used for the exchange and nothing else, never an output nor saved.
 */
async function logIn(context: ExchangeContext, credential: CredentialOf<'password'>): Promise<string> {
  const { config, secrets } = context
  const purpose = `${TITLE} login of ${credential.username}`
  // domain left out for local users, as get_token.sh does when none is entered.
  const response = await sendPasswordLogin(context, credential, PASSWORD_LOGIN, 'domain', purpose)
  // terraform-provider-vra docs/get_token.ps1 reads an access token from this header: never printed, masked all the same.
  for (const value of [response.headers['csp-auth-token']].flat()) secrets.mask(value)
  if (!isSuccess(response)) throw rejection(TITLE, purpose, response, loginAdvice(response.status), readLoginError)
  secrets.maskTokensIn(response.body)
  const json = jsonObject(response.body)
  for (const key of ['refresh_token', 'access_token', 'id_token', 'token']) if (typeof json?.[key] === 'string') secrets.mask(json[key])
  const who = `${TITLE} (${new URL(config.baseUrl).host})`
  if (!json)
    throw new ProviderError(`${who} answered the login ${responseReason(response)}; expected JSON with a refresh_token. ${CHECK_URL}`)
  const token = json.refresh_token
  if (typeof token !== 'string' || !token.trim()) {
    throw new ProviderError(
      `${who} answered the login with HTTP ${response.status} but no refresh_token; fields present: ${fieldNames(json)}.`,
    )
  }
  return token.trim()
}

/**
 * The token of a 2xx answer {"tokenType": "Bearer", "token": "<JWT>"}. Every token-looking value
 * is masked before anything is checked, and the body is never quoted.
 */
function readLoginAnswer(response: HttpResponse, secrets: Secrets, who: string): string {
  secrets.maskTokensIn(response.body)
  const json = jsonObject(response.body)
  if (typeof json?.token === 'string') secrets.mask(json.token)
  if (!json) {
    throw new ProviderError(`${who} answered ${responseReason(response)}; expected a JSON answer with a token. ${CHECK_URL}`)
  }
  const token = json.token
  if (typeof token !== 'string' || token.trim() === '') {
    throw new ProviderError(`${who} answered HTTP ${response.status} without a token; fields present: ${fieldNames(json)}.`)
  }
  // terraform-provider-vra vra/client.go getVRAToken compares tokenType with "bearer" in any case
  // (and then returns an empty token without an error when it differs: here that fails the step).
  const tokenType = normaliseTokenType(json.tokenType)
  if (tokenType !== 'Bearer') {
    throw new ProviderError(`${who} answered tokenType '${tokenType}', not Bearer: the action hands on bearer tokens only. ${CHECK_URL}`)
  }
  return token.trim()
}

/**
 * Aria Automation's ServiceErrorResponse {message, statusCode, errorCode, serverErrorId, ...}
 * (vra-sdk-go swagger/vra-iaas.json, /iaas/api/login 400 and 403; a real 400 quoted in
 * jakkulabs/PowervRA issue 268). `message` is the reason; serverErrorId finds the request in the
 * appliance's logs. Its identity service is VMware's (/csp/gateway/am): token tails it may echo
 * are hidden as for CSP.
 */
function readAriaError(body: string): string | undefined {
  const json = jsonObject(body)
  const message = json?.message
  if (typeof message !== 'string' || !message) return undefined
  const id = typeof json?.serverErrorId === 'string' && json.serverErrorId ? ` (serverErrorId ${excerpt(json.serverErrorId, 60)})` : ''
  return hideEchoedTokenTails(message) + id
}

/**
 * A refused login: 400, with {serverMessage: 'REST error received: {"error": "invalid_grant",
 * "error_description": "Invalid username or password"}, ...'} as users of vRA 8.1 and 8.3 quote it
 * (jakkulabs/PowervRA issues 228, 251). Decided on the status, never on that text.
 */
function loginAdvice(status: number): string {
  switch (status) {
    case 400:
    case 401:
      return `${TITLE} refused the login: check username, password and auth-source (the user's domain, or user@domain as username; empty for local users). ${NOT_RETRIED}`
    case 403:
      return `${TITLE} refused the user (its message says why): the account may be disabled or locked.`
    case 404:
      return `There is no /csp/gateway/am/api/login at this address. ${CHECK_URL}`
    default:
      return 'Check url, username, password and auth-source.'
  }
}

/** The identity service's reason: error_description inside serverMessage, or a ServiceErrorResponse. */
function readLoginError(body: string): string | undefined {
  const serverMessage = jsonObject(body)?.serverMessage
  const described = typeof serverMessage === 'string' ? /"error_description"\s*:\s*"([^"\\]*)"/.exec(serverMessage)?.[1] : undefined
  return described || readAriaError(body)
}

/** /iaas/api/login refused the API token the login had just made: the user, not the token, is at fault. */
function issuedTokenAdvice(response: HttpResponse, username: string): string {
  if (response.status === 403 || response.status === 404) return refusalAdvice(response)
  return `${TITLE} refused the API token it had just made for ${username}: check that the user has a role in Cloud Assembly or Service Broker.`
}

function refusalAdvice(response: HttpResponse): string {
  // The login declares 400 and 403 only (swagger above); what an expired API token gets is not
  // documented, so 401 is read as that, and 400 as wrong or expired.
  switch (response.status) {
    case 400:
      return `${TITLE} refused the API token: it is wrong, or has expired (API tokens last 90 days). ${NEW_API_TOKEN}`
    case 401:
      return `The API token has expired or is not valid: Aria Automation API tokens last 90 days and cannot be renewed. ${NEW_API_TOKEN}`
    case 403:
      return `${TITLE} refused the user the API token belongs to (its message says why): check that the user is active and has a role in Cloud Assembly or Service Broker.`
    case 404:
      return `There is no ${LOGIN_PATH} at this address. ${CHECK_URL} (vRealize Automation 7 has no such API.)`
    default:
      return `Check url and api-token.`
  }
}
