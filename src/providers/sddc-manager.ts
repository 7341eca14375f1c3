/**
 * SDDC Manager (VMware Cloud Foundation 4.x and 5.x): a user's name and password, or an automation
 * account's API key, make a token pair at POST /v1/tokens. The access token is a JWT bearer token
 * that no API revokes; the post step revokes the refresh token, so that nothing can mint new access
 * tokens after the job. PROVIDERS.md section 8; sources and where they disagree: below.
 */
import type { Credential } from '../config.js'
import { ProviderError, UntrustedStateError } from '../errors.js'
import { JSON_HEADERS } from '../http/headers.js'
import { isSuccess, jsonObject, responseReason, type HttpResponse } from '../http/response.js'
import { stillValid } from '../revocation.js'
import type { Secrets } from '../secrets.js'
import { excerpt } from '../text.js'
import { applianceRoot, refuseOrg } from './appliance.js'
import { rejection } from './failures.js'
import { jwtLifetime, readJwtClaims, stringClaim } from './jwt-claims.js'
import { fieldNames } from './token-answer.js'
import type { Provider, RevokeContext } from './types.js'

const TITLE = 'SDDC Manager'

// vmware/vcf-sdk-go specs/swagger.json (5.1.1, 5.2.1 and 9.0.2) createToken: POST /v1/tokens with a
// TokenCreationSpec {username, password} or {apiKey}; the answer a TokenPair {accessToken, refreshToken:
// {id}}. Its success status disagrees (5.1.1: 200 and 201; 5.2.1 and 9.0.2: 201; every example of
// Broadcom's "Tokens APIs" guide: 200), so any 2xx with a token pair is taken.
const TOKENS_PATH = '/v1/tokens'
// The same specs' invalidateRefreshToken: DELETE with the refresh token's id as the JSON body, 204.
const REVOKE_PATH = '/v1/tokens/refresh-token'

/** exp - iat of the access token in the "Tokens APIs" guide's example (4.0 to latest): used when a token does not say. */
export const DOCUMENTED_LIFETIME_SECONDS = 3600

/** The guide's ids are UUIDs; the specs say only "string". Whatever it is goes in a JSON string and in state. */
const REFRESH_TOKEN_ID = /^[!#-[\]-~]{8,1024}$/
/** A refresh token id in a body that does not parse (cut short after it): masked all the same. */
const REFRESH_TOKEN_ID_IN_TEXT = /"refreshToken"\s*:\s*\{\s*"id"\s*:\s*"([^"\\]+)/

const CHECK_URL = 'Check url: it must be the address of an SDDC Manager appliance (VMware Cloud Foundation 4.x or 5.x).'

export const sddcManager: Provider<'password' | 'api-token'> = {
  name: 'sddc-manager',
  title: 'VMware SDDC Manager',
  // A user's name and password first: the Tokens guide, PowerVCF (Request-VCFToken -username -password)
  // and terraform-provider-vcf (SddcManagerClient.Connect) all log in that way. An automation account's
  // API key is the other way ("Create an Automation Account", VCF 4.3 to 5.2: a SERVICE user's apiKey).
  credentials: ['password', 'api-token'],
  credentialHelp:
    'the name and password of a vCenter Single Sign-On or Active Directory user with a role in SDDC Manager, ' +
    "or an automation account's API key as api-token",
  exampleUrl: 'https://sddc-manager.example.com',
  // The Tokens guide: the refresh token can be used "until it has not expired or been revoked";
  // nothing revokes the access token, which lives to its exp.
  revoke: revokeRefreshToken,
  // The refresh token lives on after the access token it came with has expired.
  revokeAfterExpiry: true,

  // The UI (/ui/...) and the API (/v1/...) share the appliance's root, where every path starts.
  resolveUrl: applianceRoot,

  parseOrg: refuseOrg('sddc-manager', 'SDDC Manager has no organizations.'),

  async exchange({ config, send, secrets, issued }) {
    const { credential } = config
    const purpose = `${TITLE} token request`
    // Credentials in the JSON body only. A refusal (4xx) is never retried: SDDC Manager users are
    // vCenter Single Sign-On users, locked after a few wrong passwords (Broadcom KB 326186).
    const response = await send({
      method: 'POST',
      url: config.baseUrl + TOKENS_PATH,
      headers: JSON_HEADERS,
      body: JSON.stringify(
        credential.kind === 'password' ? { username: credential.username, password: credential.password } : { apiKey: credential.token },
      ),
      purpose,
    })
    if (!isSuccess(response)) throw rejection(TITLE, purpose, response, refusalAdvice(response.status, credential), readSddcError)

    const pair = readTokenPair(response, secrets, `${TITLE} (${new URL(config.baseUrl).host})`)
    const revokeData = { refreshTokenId: pair.refreshTokenId }
    // From here on, a failed step revokes the pair's refresh token.
    issued({ accessToken: pair.accessToken, revokeData })
    const claims = readJwtClaims(pair.accessToken)
    const lifetime = jwtLifetime(claims, { who: TITLE, hours: DOCUMENTED_LIFETIME_SECONDS / 3600, clock: "the appliance's clock" })
    return {
      accessToken: pair.accessToken,
      tokenType: 'Bearer',
      expiresIn: lifetime.seconds,
      org: '',
      // The guide's token has sub = the user name; what an API key's token holds is not documented.
      subject: credential.kind === 'password' ? credential.username : (stringClaim(claims, 'sub') ?? ''),
      summaryRows: [['Revoke covers', 'the refresh token only: the access token cannot be revoked and lives until it expires']],
      notices: lifetime.notice ? [lifetime.notice] : [],
      revokeData,
    }
  },
}

/**
 * The access token and refresh token id of a 2xx TokenPair, both masked before anything is checked
 * (and the id even in a body cut short). The body is never quoted.
 */
function readTokenPair(response: HttpResponse, secrets: Secrets, who: string): { accessToken: string; refreshTokenId: string } {
  secrets.maskTokensIn(response.body)
  secrets.mask(REFRESH_TOKEN_ID_IN_TEXT.exec(response.body)?.[1])
  const json = jsonObject(response.body)
  const accessToken = json?.accessToken
  const refreshToken = json?.refreshToken
  const id = refreshToken && typeof refreshToken === 'object' ? (refreshToken as { id?: unknown }).id : undefined
  if (typeof accessToken === 'string') secrets.mask(accessToken)
  if (typeof id === 'string') secrets.mask(id)
  if (!json) throw new ProviderError(`${who} answered ${responseReason(response)}; expected a token pair. ${CHECK_URL}`)
  if (typeof accessToken !== 'string' || accessToken.trim() === '') {
    throw new ProviderError(`${who} answered HTTP ${response.status} without an accessToken; fields present: ${fieldNames(json)}.`)
  }
  if (typeof id !== 'string' || !REFRESH_TOKEN_ID.test(id)) {
    throw new ProviderError(
      `${who} answered HTTP ${response.status} without a usable refresh token id (refreshToken.id), which the post step ` +
        `needs to revoke it; fields present: ${fieldNames(json)}. ${CHECK_URL}`,
    )
  }
  return { accessToken: accessToken.trim(), refreshTokenId: id }
}

/**
 * DELETE /v1/tokens/refresh-token. The body's encoding is the spec's: the id as a JSON string, as
 * the one official caller sends it (vmware/vcf-sdk-go vcf/vcf.gen.go NewInvalidateRefreshTokenRequest
 * json.Marshal of a string; before it, the go-swagger client/tokens InvalidateRefreshToken the same).
 * No official client is known to send the bare id here; PowerVCF (checkVCFToken) sends it bare to
 * the sibling refresh call, and a build that read this body raw would find no id "with quotes": so a
 * JSON string refused with 400 or 404 is sent again bare. Whether revoking needs the access token is
 * not stated: the Tokens guide has every API called with it, and terraform-provider-vcf's client
 * (authEditor) sends it on every request, so it is sent.
 */
async function revokeRefreshToken({ baseUrl, accessToken, data, expiresAt, send, secrets }: RevokeContext): Promise<string> {
  const id = data.refreshTokenId
  if (typeof id !== 'string' || !REFRESH_TOKEN_ID.test(id))
    throw new UntrustedStateError('its refresh token id is not one SDDC Manager issues')
  secrets.mask(id)
  const purpose = `${TITLE} refresh token revocation`
  const lives = `the access token cannot be revoked and stays valid ${stillValid(expiresAt)}`
  const revokeWith = (body: string): Promise<HttpResponse> =>
    send({
      method: 'DELETE',
      url: baseUrl + REVOKE_PATH,
      headers: { ...JSON_HEADERS, Authorization: `Bearer ${accessToken}` },
      body,
      purpose,
    })

  const asJson = await revokeWith(JSON.stringify(id))
  const bare = asJson.status === 400 || asJson.status === 404 ? await revokeWith(id) : undefined
  const last = bare ?? asJson
  if (isSuccess(last)) return `Revoked the ${TITLE} refresh token; ${lives}.`
  // Gone: one form was read and the id not found (404), the other refused as malformed (400) or not
  // found either; or the server no longer takes the token at all (401). A build that parses JSON
  // answers a bare id 400, one that reads the body raw answers the quoted id 404 (undocumented:
  // 404 is what the sibling refresh call declares for an unknown refresh token).
  const bothMalformed = asJson.status === 400 && bare?.status === 400
  const gone = last.status === 401 || (bare !== undefined && [400, 404].includes(bare.status) && !bothMalformed)
  if (gone) {
    const answers = bare ? `HTTP ${asJson.status} to the id as a JSON string, ${bare.status} to the bare id` : `HTTP ${last.status}`
    return `The ${TITLE} refresh token was already gone (${answers}): nothing left to revoke; ${lives}.`
  }
  const advice = bare ? `${TITLE} refused the refresh token id both as a JSON string and bare.` : ''
  throw rejection(TITLE, purpose, last, advice, readSddcError)
}

/**
 * SDDC Manager's Error {errorCode, message, remediationMessage, referenceToken, ...} (vcf-sdk-go
 * specs/swagger.json Error). terraform-provider-vcf (internal/validation/validation_utils.go
 * convertVcfErrorsToDiagErrors) shows message, then remediationMessage, or where to look for the
 * reference token in the service logs.
 */
function readSddcError(body: string): string | undefined {
  const json = jsonObject(body)
  const [message, remedy, reference] = ['message', 'remediationMessage', 'referenceToken'].map((key) => {
    const value = json?.[key]
    return typeof value === 'string' ? value.trim() : ''
  })
  if (!message && !remedy) return undefined
  const where = reference ? ` (reference token ${excerpt(reference, 60)} in the SDDC Manager logs)` : ''
  return [message, remedy].filter(Boolean).join(' ') + where
}

/** What to fix after a refused login; wrong credentials are undocumented: 400 (declared) or 401 (seen). */
function refusalAdvice(status: number, credential: Credential): string {
  const password = credential.kind === 'password'
  switch (status) {
    case 400:
    case 401:
      return password
        ? `${TITLE} refused the user name or password: check username (with its domain, e.g. svc-ci@vsphere.local) and password. ` +
            'Do not run the job again until they are fixed: each wrong password counts toward locking the account ' +
            '(vCenter Single Sign-On locks it after a few, Broadcom KB 326186).'
        : `${TITLE} refused the API key: check api-token (the API key of an SDDC Manager automation account).`
    case 403:
      return (
        `${TITLE} refused the ${password ? 'user' : 'automation account'} (its message says why): check that it has a role in ` +
        'SDDC Manager (ADMIN, OPERATOR or VIEWER) and is not locked.'
      )
    case 404:
      return `There is no ${TOKENS_PATH} at this address. ${CHECK_URL}`
    default:
      return `Check url and ${password ? 'username and password' : 'api-token'}.`
  }
}
