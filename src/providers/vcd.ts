/**
 * VMware Cloud Director 10.x: API tokens and service-account refresh tokens (which rotate). The
 * version lookup runs beside the exchange; logout revokes the access token. PROVIDERS.md section 2.
 */
import type { Credential } from '../config.js'
import { InputError, ProviderError } from '../errors.js'
import { isSuccess, jsonObject, looksLikeHtml, type HttpResponse } from '../http/response.js'
import { splitAtMarker } from '../url.js'
import {
  endSessionOfFailedStep,
  getSession,
  lookUpVersions,
  majorOf,
  readCloudDirectorError,
  refreshTokenForm,
  revokeSession,
  rotationHandler,
  SESSION_API,
  sessionNames,
  VERSIONS_PATH,
  type VersionsOutcome,
} from './cloud-director-api.js'
import { busyAdvice, isProviderTrouble, isRedirect, redirectAdvice, rejection } from './failures.js'
import { FORM_HEADERS, readTokenAnswer } from './token-answer.js'
import type { Provider } from './types.js'

const TITLE = 'Cloud Director'

/** Where Cloud Director's own paths start in the addresses users have at hand (API root, portal pages). */
const ROOT_MARKERS = new Set(['api', 'cloudapi', 'oauth', 'tenant', 'provider'])

export const vcd: Provider = {
  name: 'vcd',
  title: 'VMware Cloud Director',
  credentials: ['api-token'],
  credentialHelp: 'a Cloud Director API token or service-account refresh token',
  exampleUrl: 'https://vcd.example.com',

  resolveUrl(url) {
    const { root, rest } = splitAtMarker(url, (segment) => ROOT_MARKERS.has(segment))
    return { baseUrl: root, orgFromUrl: tenantIn(rest) }
  },

  parseOrg: parseOrgName,

  async exchange({ config, send, secrets, log, publishRefreshToken }) {
    const host = new URL(config.baseUrl).host
    const given = tokenOf(config.credential)
    const orgLabel = config.org ? `org '${config.org}'` : 'the provider (System) org'
    const purpose = `${TITLE} token exchange for ${orgLabel}`
    // Started first and awaited last: it must cost no time beside the exchange.
    const versionsRequest = new AbortController()
    const versions = lookUpVersions(
      send,
      config.baseUrl,
      versionsRequest.signal,
      TITLE,
      (what) =>
        new ProviderError(
          `${host} does not look like a Cloud Director: GET ${VERSIONS_PATH} answered ${what}. ` +
            'Check url: give the Cloud Director address, e.g. https://vcd.example.com (its /api or portal address works too).',
        ),
    )

    let response: HttpResponse
    try {
      response = await send({
        method: 'POST',
        url: config.baseUrl + tokenPath(config.org),
        headers: FORM_HEADERS,
        body: refreshTokenForm(given),
        purpose,
      })
    } catch (error) {
      versionsRequest.abort()
      throw error
    }
    if (!isSuccess(response)) {
      const notVcd = await notCloudDirector(response, versions)
      versionsRequest.abort()
      throw notVcd ?? rejection(purpose, response, adviceFor(response, config.org), readCloudDirectorError)
    }

    // Only for ending the session should a check below fail; readTokenAnswer masks it first.
    const issued = jsonObject(response.body)?.access_token
    let apiVersion = ''
    try {
      const token = readTokenAnswer(response, secrets, `${TITLE} (${host})`, rotationHandler(given, publishRefreshToken))
      const outcome = await versions
      if ('error' in outcome) throw outcome.error
      apiVersion = outcome.version
      const session = majorOf(apiVersion) >= SESSION_API ? await checkSession(send, config.baseUrl, apiVersion, token.accessToken) : {}
      return {
        accessToken: token.accessToken,
        tokenType: token.tokenType,
        expiresIn: token.expiresIn,
        org: session.org ?? (config.org || 'System'),
        subject: session.user ?? '',
        outputs: { 'api-version': apiVersion },
        summaryRows: [['API version', apiVersion]],
        revokeData: { apiVersion },
      }
    } catch (error) {
      // The step fails and the post step will have no token: end the session now, not in 24 h.
      if (typeof issued === 'string' && issued) {
        await endSessionOfFailedStep(send, config.baseUrl, issued, apiVersion, TITLE, log.debug)
      }
      throw error
    }
  },

  revoke: ({ send, baseUrl, accessToken, data }) => revokeSession(send, baseUrl, accessToken, data, TITLE),
}

/** An organization name as Cloud Director knows it; '' for the provider (System) org. */
export function parseOrgName(raw: string): string {
  if (!raw || raw.toLowerCase() === 'system') return ''
  if (raw === '.' || raw === '..' || /[\s/\\?#\p{Cc}]/u.test(raw) || raw.length > 256) {
    throw new InputError(
      'org',
      'must be an organization name (no spaces, slashes, ? or #, at most 256 characters), or empty / System for the provider org.',
    )
  }
  return raw
}

/** The org of a portal address /tenant/<org>/... or of the token endpoint /oauth/tenant/<org>/token. */
export function tenantIn(rest: string[]): string {
  const at = rest[0]?.toLowerCase() === 'oauth' ? 1 : 0
  const tenant = rest[at]?.toLowerCase() === 'tenant' ? rest[at + 1] : undefined
  if (!tenant) return ''
  try {
    return parseOrgName(decodeURIComponent(tenant))
  } catch (error) {
    const detail = error instanceof InputError ? `: it ${error.detail}` : '.'
    throw new InputError('url', `has a malformed organization name after /tenant/${detail}`)
  }
}

/** Proves the new token works, and learns who it acts for. */
async function checkSession(send: Parameters<typeof getSession>[0], baseUrl: string, apiVersion: string, accessToken: string) {
  const session = await getSession(send, baseUrl, apiVersion, accessToken, TITLE)
  if (!isSuccess(session)) {
    throw rejection(
      `${TITLE} session check with the new access token`,
      session,
      'The token exchange worked but the session was refused; the token may lack rights, or the org may be disabled.',
      readCloudDirectorError,
    )
  }
  return sessionNames(session)
}

function tokenOf(credential: Credential): string {
  return credential.kind === 'api-token' ? credential.token : ''
}

/** The org name goes into the path as the user spelled it, percent-encoded. */
export function tokenPath(org: string): string {
  return org ? `/oauth/tenant/${encodeURIComponent(org)}/token` : '/oauth/provider/token'
}

/**
 * A token endpoint that 404s or answers HTML on a host whose version lookup also failed is no
 * Cloud Director: say that rather than blame the token.
 */
async function notCloudDirector(response: HttpResponse, versions: Promise<VersionsOutcome>): Promise<Error | undefined> {
  if (response.status !== 404 && !looksLikeHtml(response.body)) return undefined
  const outcome = await versions
  return 'error' in outcome && outcome.error instanceof ProviderError ? outcome.error : undefined
}

function adviceFor(response: HttpResponse, org: string): string {
  if (isProviderTrouble(response)) return busyAdvice(TITLE, response)
  if (isRedirect(response)) return redirectAdvice(TITLE)
  const rejected = /invalid_grant/i.test(response.body)
  const spent =
    ' A service-account token is spent by each use: store the refresh-token output of the last run (see the README).' +
    (response.attempts > 1 ? ' An earlier try of this run may have reached the server and spent it before its answer was lost.' : '')
  if (org) {
    return rejected
      ? `${TITLE} refused the token: it is wrong or revoked, or it belongs to another org than '${org}' (org input).${spent}`
      : `Check org: '${org}' may not exist, or the token is not of that org (org names are as ${TITLE} shows them). Also check api-token.`
  }
  return rejected
    ? `${TITLE} refused the token for the provider (System) org: it is wrong or revoked, or it is a tenant's token (set org to that organization).${spent}`
    : "Check api-token; if it belongs to a tenant organization, set org to that organization's name."
}
