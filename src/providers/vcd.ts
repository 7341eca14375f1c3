/**
 * VMware Cloud Director (and VCF Automation's tenant manager): API tokens and service-account
 * refresh tokens; the version lookup runs beside the exchange; logout revokes the access token.
 */
import { InputError } from '../errors.js'
import { jsonObject, responseReason, type HttpResponse, type Send } from '../http.js'
import { busyAdvice, FORM_HEADERS, isProviderTrouble, isSuccess, readTokenResponse, rejection } from './oauth.js'
import { ProviderError, type Provider } from './types.js'
import { splitAtMarker } from '../url.js'

const VERSIONS_PATH = '/api/versions'
const SESSION_PATH = '/cloudapi/1.0.0/sessions/current'
const LEGACY_SESSION_PATH = '/api/session'
/** sessions/current exists from API 34.0; DELETE on it from 36.0. */
const SESSION_API = 34
const LOGOUT_API = 36
/** For a logout when the server's versions are unknown: CloudAPI wants some version in Accept. */
const FALLBACK_LOGOUT_VERSION = '36.0'

type VersionsOutcome = { version: string } | { error: Error }

/** Where Cloud Director's own paths start in the addresses users have at hand (API root, portal pages). */
const ROOT_MARKERS = new Set(['api', 'cloudapi', 'oauth', 'tenant', 'provider'])

export const vcd: Provider = {
  name: 'vcd',
  title: 'VMware Cloud Director',
  credentialHelp: 'a Cloud Director API token or service-account refresh token',
  acceptsOAuthApp: false,
  exampleUrl: 'https://vcd.example.com',
  revocable: true,

  resolveUrl(url) {
    const { root, rest } = splitAtMarker(url, (segment) => ROOT_MARKERS.has(segment))
    // /tenant/<org>/... (portal) or /oauth/tenant/<org>/token (the token endpoint itself)
    const at = rest[0]?.toLowerCase() === 'oauth' ? 1 : 0
    const tenant = rest[at]?.toLowerCase() === 'tenant' ? rest[at + 1] : undefined
    try {
      return { baseUrl: root, orgFromUrl: tenant ? decodeURIComponent(tenant) : '' }
    } catch {
      throw new InputError('url', 'has a malformed organization name after /tenant/.')
    }
  },

  parseOrg(raw) {
    if (!raw || raw.toLowerCase() === 'system') return ''
    if (raw === '.' || raw === '..' || /[\s/\\?#\p{Cc}]/u.test(raw) || raw.length > 256) {
      throw new InputError(
        'org',
        'must be a Cloud Director organization name (no spaces, slashes, ? or #), or empty / System for the provider org.',
      )
    }
    return raw
  },

  async exchange({ config, send, secrets, log, publishRefreshToken }) {
    const host = new URL(config.baseUrl).host
    const orgLabel = config.org ? `org '${config.org}'` : 'the provider (System) org'
    // Started first and awaited last: it must cost no time beside the exchange.
    const versionsRequest = new AbortController()
    const versions = lookUpVersions(send, config.baseUrl, versionsRequest.signal)

    let response: HttpResponse
    try {
      response = await send({
        method: 'POST',
        url: config.baseUrl + tokenPath(config.org),
        headers: FORM_HEADERS,
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokenOf(config.credential) }).toString(),
        purpose: `Cloud Director token exchange for ${orgLabel}`,
      })
    } catch (error) {
      versionsRequest.abort()
      throw error
    }
    if (!isSuccess(response)) {
      const notVcd = await notCloudDirector(response, versions)
      versionsRequest.abort()
      throw notVcd ?? rejection(`Cloud Director token exchange for ${orgLabel}`, response, adviceFor(response, config.org))
    }

    const issuedToken = jsonObject(response.body)?.access_token
    let apiVersion = ''
    try {
      const token = readTokenResponse(response, secrets, `Cloud Director (${host})`, (refreshToken) => {
        if (refreshToken !== tokenOf(config.credential)) publishRefreshToken(refreshToken)
      })
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
        apiVersion,
      }
    } catch (error) {
      // The step fails and the post step will have no token: end the session now, not in 24 h.
      if (typeof issuedToken === 'string' && issuedToken) {
        await logOut(send, config.baseUrl, issuedToken, apiVersion || FALLBACK_LOGOUT_VERSION, 1).then(
          (logout) => log.debug(`logged out the session of the failed step: HTTP ${logout.status}`),
          (logoutError: Error) => log.debug(`could not log out the session of the failed step: ${logoutError.message}`),
        )
      }
      throw error
    }
  },

  async revoke({ state, send }) {
    if (!state.accessToken) return 'No Cloud Director access token was kept: nothing to revoke.'
    const response = await logOut(send, state.baseUrl, state.accessToken, state.apiVersion || FALLBACK_LOGOUT_VERSION)
    if (isSuccess(response)) return 'Logged out of Cloud Director: the access token is revoked.'
    if (response.status === 401 || response.status === 404) {
      return `The Cloud Director session was already gone (HTTP ${response.status}): nothing left to revoke.`
    }
    throw rejection('Cloud Director logout', response, '')
  },
}

/** Proves the new token works, and learns who it acts for. */
async function checkSession(
  send: Send,
  baseUrl: string,
  apiVersion: string,
  accessToken: string,
): Promise<{ user?: string; org?: string }> {
  const session = await send({
    method: 'GET',
    url: baseUrl + SESSION_PATH,
    headers: { Accept: `application/json;version=${apiVersion}`, Authorization: `Bearer ${accessToken}` },
    purpose: 'Cloud Director session check',
  })
  if (!isSuccess(session)) {
    throw rejection(
      'Cloud Director session check with the new access token',
      session,
      'The token exchange worked but the session was refused; the token may lack rights, or the org may be disabled.',
    )
  }
  const json = jsonObject(session.body)
  return { user: nameOf(json?.user), org: nameOf(json?.org) }
}

/** Logout revokes the access token; servers before API 36.0 only know the legacy /api/session. */
function logOut(send: Send, baseUrl: string, accessToken: string, version: string, attempts?: number): Promise<HttpResponse> {
  const modern = majorOf(version) >= LOGOUT_API
  return send({
    method: 'DELETE',
    url: baseUrl + (modern ? SESSION_PATH : LEGACY_SESSION_PATH),
    headers: {
      Accept: `${modern ? 'application/json' : 'application/*+xml'};version=${version}`,
      Authorization: `Bearer ${accessToken}`,
    },
    purpose: 'Cloud Director logout',
    attempts,
  })
}

function tokenOf(credential: { kind: string; token?: string }): string {
  return credential.token ?? ''
}

/** The org name goes into the path as the user spelled it, percent-encoded. */
export function tokenPath(org: string): string {
  return org ? `/oauth/tenant/${encodeURIComponent(org)}/token` : '/oauth/provider/token'
}

function lookUpVersions(send: Send, baseUrl: string, signal: AbortSignal): Promise<VersionsOutcome> {
  const host = new URL(baseUrl).host
  const notVcd = (what: string): Error =>
    new ProviderError(
      `${host} does not look like a Cloud Director: GET ${VERSIONS_PATH} answered ${what}. ` +
        'Check url: give the Cloud Director address, e.g. https://vcd.example.com (its /api or portal address works too).',
    )
  return send({
    method: 'GET',
    url: baseUrl + VERSIONS_PATH,
    headers: { Accept: 'application/*+xml' },
    purpose: 'Cloud Director version lookup',
    signal,
  }).then(
    (response) => {
      if (!isSuccess(response)) {
        return {
          error: isProviderTrouble(response)
            ? rejection('Cloud Director version lookup', response, busyAdvice('Cloud Director', response))
            : notVcd(responseReason(response)),
        }
      }
      const version = highestVersion(response.body)
      return version ? { version } : { error: notVcd(`HTTP ${response.status} without any API version`) }
    },
    (error: Error) => ({ error }),
  )
}

/**
 * A token endpoint that 404s or answers HTML on a host whose version lookup also failed is no
 * Cloud Director: say that rather than blame the token.
 */
async function notCloudDirector(response: HttpResponse, versions: Promise<VersionsOutcome>): Promise<Error | undefined> {
  if (response.status !== 404 && jsonObject(response.body)) return undefined
  if (response.status !== 404 && !/<html|<!doctype/i.test(response.body)) return undefined
  const outcome = await versions
  return 'error' in outcome && outcome.error instanceof ProviderError ? outcome.error : undefined
}

function adviceFor(response: HttpResponse, org: string): string {
  if (isProviderTrouble(response)) return busyAdvice('Cloud Director', response)
  if (response.status >= 300 && response.status < 400) {
    return 'Cloud Director answered with a redirect, which the action does not follow for a credential; check url.'
  }
  const rejected = /invalid_grant/i.test(response.body)
  const spent =
    ' A service-account token is spent by each use: store the refresh-token output of the last run (see the README).' +
    (response.attempts > 1 ? ' An earlier try of this run may have reached the server and spent it before its answer was lost.' : '')
  if (org) {
    return rejected
      ? `Cloud Director refused the token: it is wrong or revoked, or it belongs to another org than '${org}' (org input).${spent}`
      : `Check org: '${org}' may not exist, or the token is not of that org (org names are as Cloud Director shows them). Also check api-token.`
  }
  return rejected
    ? `Cloud Director refused the token for the provider (System) org: it is wrong or revoked, or it is a tenant's token (set org to that organization).${spent}`
    : "Check api-token; if it belongs to a tenant organization, set org to that organization's name."
}

/** The highest API version the server supports: numeric order, no pre-releases, deprecated last. */
export function highestVersion(xml: string): string | undefined {
  const found: { version: string; deprecated: boolean }[] = []
  for (const match of xml.matchAll(/<(?:\w+:)?VersionInfo\b([^>]*)>([\s\S]*?)<\/(?:\w+:)?VersionInfo>/g)) {
    const version = /<(?:\w+:)?Version>\s*([^<\s]+)\s*</.exec(match[2])?.[1]
    if (version && /^\d+(\.\d+)*$/.test(version)) {
      found.push({ version, deprecated: /\bdeprecated\s*=\s*"true"/i.test(match[1]) })
    }
  }
  const current = found.filter((entry) => !entry.deprecated)
  return (current.length ? current : found)
    .map((entry) => entry.version)
    .sort(compareVersions)
    .at(-1)
}

export function compareVersions(a: string, b: string): number {
  const left = a.split('.').map(Number)
  const right = b.split('.').map(Number)
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0)
    if (difference) return difference
  }
  return 0
}

function majorOf(version: string): number {
  return Number.parseInt(version, 10) || 0
}

function nameOf(value: unknown): string | undefined {
  const name = (value as { name?: unknown } | undefined)?.name
  return typeof name === 'string' && name ? name : undefined
}
