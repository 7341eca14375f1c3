/**
 * Aria Automation 8.x on-prem (formerly vRealize Automation 8): the API token (a refresh token,
 * valid 90 days) is exchanged for a bearer token at POST /iaas/api/login. The answer carries no
 * lifetime, so it is read from the JWT. Neither token can be revoked. PROVIDERS.md section 4.
 */
import { InputError, ProviderError } from '../errors.js'
import { JSON_HEADERS } from '../http/headers.js'
import { isSuccess, jsonObject, responseReason, type HttpResponse } from '../http/response.js'
import { hideEchoedTokenTails, type Secrets } from '../secrets.js'
import { excerpt } from '../text.js'
import { rejection } from './failures.js'
import { jwtLifetime, readJwtClaims, stringClaim } from './jwt-claims.js'
import { fieldNames, normaliseTokenType } from './token-answer.js'
import type { Provider } from './types.js'

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

/** How users get a new API token: the same guide, step 2 (the Identity Service API). */
const NEW_API_TOKEN =
  'Make a new one (in the Aria Automation UI, or with POST /csp/gateway/am/api/login?access_token and the ' +
  "user's name and password, as the README shows) and update the secret."

export const ariaAutomation: Provider<'api-token'> = {
  name: 'aria-automation',
  title: 'VMware Aria Automation',
  credentials: ['api-token'],
  credentialHelp: 'an Aria Automation API token (the refresh token, valid 90 days)',
  exampleUrl: 'https://aria.example.com',
  // The guide above: "Note: You cannot revoke the refresh token." No API revokes what
  // /iaas/api/login issues: the Identity API's logout takes an ID token, which it does not return.
  cannotRevoke: 'Aria Automation 8.x has no API that revokes an access token or the API token it came from',

  // The UI (/automation-ui/#/...), the APIs (/iaas/api, /catalog/api, ...) and the identity service
  // (/csp/gateway/...) share one host; terraform-provider-vra vra/client.go getVRAToken posts to
  // the path of the url it is given, so it needs the bare root: any address works here.
  resolveUrl(url) {
    return { baseUrl: url.origin, orgFromUrl: '' }
  },

  parseOrg(raw) {
    if (!raw) return ''
    throw new InputError(
      'org',
      'is not used by provider aria-automation: an Aria Automation 8.x API token belongs to one organization, ' +
        'which the org output reports. Remove org.',
    )
  },

  async exchange({ config, send, secrets }) {
    const purpose = `${TITLE} token request`
    const response = await send({
      method: 'POST',
      url: config.baseUrl + LOGIN_PATH,
      headers: JSON_HEADERS,
      // In the body only, never in the URL (CspLoginSpecification, above).
      body: JSON.stringify({ refreshToken: config.credential.token }),
      purpose,
    })
    if (!isSuccess(response)) throw rejection(TITLE, purpose, response, refusalAdvice(response), readAriaError)

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
      subject: stringClaim(claims, 'preferred_username', 'username', 'sub') ?? '',
      notices: lifetime.notice ? [lifetime.notice] : [],
    }
  },
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
