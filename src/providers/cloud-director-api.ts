/**
 * The Cloud Director API that Cloud Director and its successor VCF Automation share: org names,
 * the token exchange beside the version list, the current session, logout, rotating refresh
 * tokens and the error bodies. Sources: vmware/go-vcloud-director (govcd/api_token.go,
 * api_vcd_versions.go), PROVIDERS.md sections 2 and 3.
 */
import type { CredentialOf } from '../config.js'
import { InputError, ProviderError, UntrustedStateError } from '../errors.js'
import type { HttpResponse } from '../http/response.js'
import { decodeXml, isProviderTrouble, isSuccess, jsonObject, looksLikeHtml, responseReason } from '../http/response.js'
import type { Send } from '../http/request.js'
import { splitAtMarker } from '../url.js'
import { rejection } from './failures.js'
import { readTokenAnswer, type TokenAnswer } from './token-answer.js'
import type { ExchangeContext, ResolvedUrl, TokenResult } from './types.js'

/** The outputs both products set (exchangeBesideVersions): the highest API version. */
export const API_OUTPUTS = ['api-version'] as const

export const VERSIONS_PATH = '/api/versions'
export const SESSION_PATH = '/cloudapi/1.0.0/sessions/current'
const LEGACY_SESSION_PATH = '/api/session'
/** sessions/current exists from API 34.0; DELETE on it from 36.0. */
export const SESSION_API = 34
const LOGOUT_API = 36
/** For a logout when the server's versions are unknown: CloudAPI wants some version in Accept. */
const FALLBACK_LOGOUT_VERSION = '36.0'
const API_VERSION = /^\d{1,3}(\.\d{1,3}){1,3}$/

export type VersionsOutcome = { version: string } | { error: Error }

/**
 * An organization name as Cloud Director and VCF Automation know it; '' for the provider (System)
 * org, which both official clients recognise in any case (govcd api_token.go getAccessToken and
 * terraform-provider-vra vra/client.go getVCFAToken: strings.EqualFold(org, "system")).
 */
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

/**
 * The root of an address a user pasted, cut at the first segment among `markers` (where the
 * product's own paths start), and the org its /tenant/<org>/ path names.
 */
export function resolveAddress(url: URL, markers: ReadonlySet<string>): ResolvedUrl {
  const { root, rest } = splitAtMarker(url, (segment) => markers.has(segment))
  return { baseUrl: root, orgFromUrl: tenantIn(rest) }
}

/**
 * The org of a portal address /tenant/<org>/... or of a token endpoint /oauth/tenant/<org>/token
 * (VCF Automation's also under /tm: /tm/oauth/tenant/<org>/token).
 */
function tenantIn(rest: string[]): string {
  let at = rest[0]?.toLowerCase() === 'tm' ? 1 : 0
  if (rest[at]?.toLowerCase() === 'oauth') at++
  const tenant = rest[at]?.toLowerCase() === 'tenant' ? rest[at + 1] : undefined
  if (!tenant) return ''
  try {
    return parseOrgName(decodeURIComponent(tenant))
  } catch (error) {
    const detail = error instanceof InputError ? `: it ${error.detail}` : '.'
    throw new InputError('url', `has a malformed organization name after /tenant/${detail}`)
  }
}

/** The org for messages: 'org <name>' or the provider org. */
export function orgLabel(org: string): string {
  return org ? `org '${org}'` : 'the provider (System) org'
}

/** The refresh-token grant, form-encoded: the token never goes in the URL (servers log URLs). */
function refreshTokenForm(refreshToken: string): string {
  return new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString()
}

/**
 * Cloud Director's error bodies: JSON {"minorErrorCode", "message"} or XML <Error message="...">.
 */
export function readCloudDirectorError(body: string): string | undefined {
  const json = jsonObject(body)
  if (json) {
    const parts = [json.minorErrorCode, json.message].filter((part): part is string => typeof part === 'string' && part !== '')
    return parts.length ? [...new Set(parts)].join(': ') : undefined
  }
  const message = xmlErrorMessage(body)
  return message ? decodeXml(message) : undefined
}

/**
 * The message attribute of an XML <Error>: what /<(?:\w+:)?Error\b[^>]*\bmessage="([^"]*)"/i finds,
 * in one pass. The regex itself runs to the body's end and back after each '<Error' that no '>'
 * follows: time quadratic in the body. Its greedy [^>]* takes the tag's last message=" that a quote
 * closes; a tag without one fails, and so does every tag that starts inside it.
 */
function xmlErrorMessage(body: string): string | undefined {
  const tag = /<(?:\w+:)?Error\b/gi
  const attribute = /\bmessage="/gi
  const valueAt = (at: number): string | undefined => {
    const end = body.indexOf('"', at)
    return end === -1 ? undefined : body.slice(at, end)
  }
  for (let from = 0; from < body.length;) {
    tag.lastIndex = from
    const found = tag.exec(body)
    if (!found) return undefined
    const start = found.index + found[0].length
    const close = body.indexOf('>', start)
    const end = close === -1 ? body.length : close
    // Tag boundaries: `Error\b` keeps a word character from starting the slice, so \b reads the same in it.
    const values = [...body.slice(start, end).matchAll(attribute)].map((match) => start + match.index + match[0].length)
    if (values.length) return valueAt(values.at(-1)!) ?? (values.length > 1 ? valueAt(values.at(-2)!) : undefined)
    from = end
  }
  return undefined
}

/**
 * Asks for the supported versions beside the token exchange; settles, never rejects. `notThisProduct`
 * words the error for a host that answers, but not as the product does.
 */
function lookUpVersions(
  send: Send,
  baseUrl: string,
  signal: AbortSignal,
  who: string,
  notThisProduct: (what: string) => Error,
): Promise<VersionsOutcome> {
  return send({
    method: 'GET',
    url: baseUrl + VERSIONS_PATH,
    headers: { Accept: 'application/*+xml' },
    purpose: `${who} version lookup`,
    signal,
  }).then(
    (response) => {
      if (!isSuccess(response)) {
        return {
          error: isProviderTrouble(response)
            ? rejection(who, `${who} version lookup`, response, '', readCloudDirectorError)
            : notThisProduct(responseReason(response, readCloudDirectorError)),
        }
      }
      const version = highestVersion(response.body)
      return version ? { version } : { error: notThisProduct(`HTTP ${response.status} without any API version`) }
    },
    (error: Error) => ({ error }),
  )
}

/** The highest API version the server supports: numeric order, no pre-releases, deprecated last. */
export function highestVersion(xml: string): string | undefined {
  const found: { version: string; deprecated: boolean }[] = []
  for (const entry of versionInfos(xml)) {
    const version = /<(?:\w+:)?Version>\s*([^<\s]+)\s*</.exec(entry.content)?.[1]
    if (version && API_VERSION.test(version)) {
      found.push({ version, deprecated: /\bdeprecated\s*=\s*"true"/i.test(entry.attributes) })
    }
  }
  const current = found.filter((entry) => !entry.deprecated)
  return (current.length ? current : found)
    .map((entry) => entry.version)
    .sort(compareVersions)
    .at(-1)
}

/**
 * The <VersionInfo> elements of a version list: what
 * /<(?:\w+:)?VersionInfo\b([^>]*)>([\s\S]*?)<\/(?:\w+:)?VersionInfo>/g finds, in one pass. The regex
 * itself runs to the body's end after each opening tag that no '>' or no closing tag follows: time
 * quadratic in the body. When one opening tag lacks either, every later one does too.
 */
function* versionInfos(xml: string): Generator<{ attributes: string; content: string }> {
  const open = /<(?:\w+:)?VersionInfo\b/g
  const close = /<\/(?:\w+:)?VersionInfo>/g
  for (let from = 0; ;) {
    open.lastIndex = from
    const tag = open.exec(xml)
    if (!tag) return
    const attributesStart = tag.index + tag[0].length
    const attributesEnd = xml.indexOf('>', attributesStart)
    if (attributesEnd === -1) return
    close.lastIndex = attributesEnd + 1
    const end = close.exec(xml)
    if (!end) return
    yield { attributes: xml.slice(attributesStart, attributesEnd), content: xml.slice(attributesEnd + 1, end.index) }
    from = end.index + end[0].length
  }
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

export function majorOf(version: string): number {
  return Number.parseInt(version, 10) || 0
}

/** The current session of an access token: its answer, for the caller to judge. */
export function getSession(send: Send, baseUrl: string, apiVersion: string, accessToken: string, who: string): Promise<HttpResponse> {
  return send({
    method: 'GET',
    url: baseUrl + SESSION_PATH,
    headers: { Accept: `application/json;version=${apiVersion}`, Authorization: `Bearer ${accessToken}` },
    purpose: `${who} session lookup`,
  })
}

/** The user and org names a session answer holds. */
export function sessionNames(response: HttpResponse): { user?: string; org?: string } {
  const json = jsonObject(response.body)
  return { user: nameOf(json?.user), org: nameOf(json?.org) }
}

function nameOf(value: unknown): string | undefined {
  const name = (value as { name?: unknown } | undefined)?.name
  return typeof name === 'string' && name ? name : undefined
}

/** Logout revokes the access token; servers before API 36.0 only know the legacy /api/session. */
function logOut(send: Send, baseUrl: string, accessToken: string, version: string, who: string): Promise<HttpResponse> {
  const modern = majorOf(version) >= LOGOUT_API
  return send({
    method: 'DELETE',
    url: baseUrl + (modern ? SESSION_PATH : LEGACY_SESSION_PATH),
    headers: {
      Accept: `${modern ? 'application/json' : 'application/*+xml'};version=${version}`,
      Authorization: `Bearer ${accessToken}`,
    },
    purpose: `${who} logout`,
  })
}

/**
 * The post step's logout, with 401 and 404 taken as "nothing left to end" unless `refusal` turns
 * the failed answer into an error of its own first.
 */
export async function revokeSession(
  send: Send,
  baseUrl: string,
  accessToken: string,
  data: Record<string, string>,
  who: string,
  refusal?: (response: HttpResponse) => Error | undefined,
): Promise<string> {
  const version = data.apiVersion || FALLBACK_LOGOUT_VERSION
  if (!API_VERSION.test(version)) throw new UntrustedStateError('its API version is not a version number')
  const response = await logOut(send, baseUrl, accessToken, version, who)
  if (isSuccess(response)) return `Logged out of ${who}: the access token is revoked.`
  const own = refusal?.(response)
  if (own) throw own
  if (response.status === 401 || response.status === 404) {
    return `The ${who} session was already gone (HTTP ${response.status}): nothing left to revoke.`
  }
  throw rejection(who, `${who} logout`, response, '', readCloudDirectorError)
}

/** Hands a rotated refresh token on, unless the server merely echoed the one it was given. */
function rotationHandler(given: string, publish: (token: string) => void): (token: string) => void {
  return (token) => {
    if (token !== given) publish(token)
  }
}

/** What a Cloud Director-style exchange does its own way; exchangeBesideVersions does the rest. */
export interface ExchangeSteps {
  /** The product as messages name it: "Cloud Director". */
  who: string
  /** For a host that answers, but not as the product does: "<host> does not look like <lookAlike>". */
  lookAlike: string
  /** Which address to give instead: "give the Cloud Director address, e.g. https://vcd.example.com". */
  addressHelp: string
  /** What a refused token may be: "wrong or revoked". */
  refusedToken: string
  /** Sends the token request (or requests) with the refresh-token form; returns the last answer. */
  requestToken(form: string, purpose: string): Promise<HttpResponse>
  /** An error of its own for a refused exchange, before the shared ones; `versions` settles with the version lookup. */
  ownRefusal?(response: HttpResponse, versions: Promise<VersionsOutcome>): Promise<Error | undefined>
  /** What follows a good token answer and version. A throw ends the new session (the core's issued rule). */
  finish(token: TokenAnswer, apiVersion: string): Promise<Findings>
}

/** What a provider learnt after the exchange; the api-version output and its summary row are common. */
export interface Findings {
  /** The org the session names; without it, the org input (System for none). */
  org?: string
  subject: string
  notices?: string[]
  /** Saved for revoke() besides the API version. */
  revokeData?: Record<string, string>
}

/**
 * The exchange both products share: the version lookup starts first and costs no time beside the
 * token request; a rotated refresh token is published (readTokenAnswer) before the version or
 * anything in `finish` can fail the step; and the new session is reported (issued) before any check
 * that can, so that a step failing after the exchange logs it out.
 */
export async function exchangeBesideVersions(
  { config, send, secrets, publishRefreshToken, issued }: ExchangeContext<CredentialOf<'api-token'>>,
  steps: ExchangeSteps,
): Promise<TokenResult> {
  const given = config.credential.token
  const { who } = steps
  const host = new URL(config.baseUrl).host
  const purpose = `${who} token exchange for ${orgLabel(config.org)}`
  const notThisProduct = (what: string): Error =>
    new ProviderError(
      `${host} does not look like ${steps.lookAlike}: GET ${VERSIONS_PATH} answered ${what}. Check url: ${steps.addressHelp}.`,
    )
  const versionsRequest = new AbortController()
  const versions = lookUpVersions(send, config.baseUrl, versionsRequest.signal, who, notThisProduct)
  let response: HttpResponse
  try {
    response = await steps.requestToken(refreshTokenForm(given), purpose)
  } catch (error) {
    versionsRequest.abort()
    throw error
  }
  if (!isSuccess(response)) {
    const error =
      (await steps.ownRefusal?.(response, versions)) ??
      (await hostMismatch(response, versions)) ??
      rejection(who, purpose, response, tokenAdvice(who, response, config.org, steps.refusedToken), readCloudDirectorError)
    versionsRequest.abort()
    throw error
  }

  // From here on, a failed step logs the new session out: with the fallback logout version until
  // the lookup gives the server's, even when a check of the answer below is what fails.
  const raw = jsonObject(response.body)?.access_token
  if (typeof raw === 'string' && raw) issued({ accessToken: raw })
  const token = readTokenAnswer(response, secrets, `${who} (${host})`, rotationHandler(given, publishRefreshToken))
  const outcome = await versions
  if ('error' in outcome) throw outcome.error
  const apiVersion = outcome.version
  issued({ accessToken: token.accessToken, revokeData: { apiVersion } })
  const found = await steps.finish(token, apiVersion)
  return {
    accessToken: token.accessToken,
    tokenType: token.tokenType,
    expiresIn: token.expiresIn,
    org: found.org ?? (config.org || 'System'),
    subject: found.subject,
    outputs: { 'api-version': apiVersion },
    summaryRows: [['API version', apiVersion]],
    ...(found.notices ? { notices: found.notices } : {}),
    revokeData: { apiVersion, ...found.revokeData },
  }
}

/**
 * A token endpoint that 404s or answers HTML on a host whose version lookup also failed is not
 * the product: the version lookup's error says so, rather than blaming the token.
 */
async function hostMismatch(response: HttpResponse, versions: Promise<VersionsOutcome>): Promise<Error | undefined> {
  if (response.status !== 404 && !looksLikeHtml(response.body)) return undefined
  const outcome = await versions
  return 'error' in outcome && outcome.error instanceof ProviderError ? outcome.error : undefined
}

/** What to do about a refused token exchange; `refused` says what such a token may be ("wrong or revoked"). */
function tokenAdvice(who: string, response: HttpResponse, org: string, refused: string): string {
  const rejected = /invalid_grant/i.test(response.body)
  const spent =
    ' A service-account token is spent by each use: store the refresh-token output of the last run (see the README).' +
    (response.attempts > 1 ? ' An earlier try of this run may have reached the server and spent it before its answer was lost.' : '')
  if (org) {
    return rejected
      ? `${who} refused the token: it is ${refused}, or it belongs to another org than '${org}' (org input).${spent}`
      : `Check org: '${org}' may not exist, or the token is not of that org (org names are as ${who} shows them). Also check api-token.`
  }
  return rejected
    ? `${who} refused the token for the provider (System) org: it is ${refused}, or it is a tenant's token (set org to that organization).${spent}`
    : "Check api-token; if it belongs to a tenant organization, set org to that organization's name."
}
