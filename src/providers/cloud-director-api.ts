/**
 * The Cloud Director API that Cloud Director and its successor VCF Automation share: the version
 * list, the current session, logout, rotating refresh tokens and the error bodies. Sources:
 * vmware/go-vcloud-director (govcd/api_token.go, api_vcd_versions.go) and PROVIDERS.md section 2.
 */
import { UntrustedStateError } from '../errors.js'
import type { HttpResponse } from '../http/response.js'
import { decodeXml, isSuccess, jsonObject, responseReason } from '../http/response.js'
import type { Send } from '../http/request.js'
import { busyAdvice, isProviderTrouble, rejection } from './failures.js'

export const VERSIONS_PATH = '/api/versions'
export const SESSION_PATH = '/cloudapi/1.0.0/sessions/current'
const LEGACY_SESSION_PATH = '/api/session'
/** sessions/current exists from API 34.0; DELETE on it from 36.0. */
export const SESSION_API = 34
const LOGOUT_API = 36
/** For a logout when the server's versions are unknown: CloudAPI wants some version in Accept. */
export const FALLBACK_LOGOUT_VERSION = '36.0'
const API_VERSION = /^\d{1,3}(\.\d{1,3}){1,3}$/

export type VersionsOutcome = { version: string } | { error: Error }

/** The refresh-token grant, form-encoded: the token never goes in the URL (servers log URLs). */
export function refreshTokenForm(refreshToken: string): string {
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
  const message = /<(?:\w+:)?Error\b[^>]*\bmessage="([^"]*)"/i.exec(body)?.[1]
  return message ? decodeXml(message) : undefined
}

/**
 * Asks for the supported versions beside the token exchange; settles, never rejects. `notThisProduct`
 * words the error for a host that answers, but not as the product does.
 */
export function lookUpVersions(
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
            ? rejection(`${who} version lookup`, response, busyAdvice(who, response), readCloudDirectorError)
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
  for (const match of xml.matchAll(/<(?:\w+:)?VersionInfo\b([^>]*)>([\s\S]*?)<\/(?:\w+:)?VersionInfo>/g)) {
    const version = /<(?:\w+:)?Version>\s*([^<\s]+)\s*</.exec(match[2])?.[1]
    if (version && API_VERSION.test(version)) {
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
export function logOut(
  send: Send,
  baseUrl: string,
  accessToken: string,
  version: string,
  who: string,
  attempts?: number,
): Promise<HttpResponse> {
  const modern = majorOf(version) >= LOGOUT_API
  return send({
    method: 'DELETE',
    url: baseUrl + (modern ? SESSION_PATH : LEGACY_SESSION_PATH),
    headers: {
      Accept: `${modern ? 'application/json' : 'application/*+xml'};version=${version}`,
      Authorization: `Bearer ${accessToken}`,
    },
    purpose: `${who} logout`,
    attempts,
  })
}

/** The post step's logout, with 401 and 404 taken as "nothing left to end". */
export async function revokeSession(
  send: Send,
  baseUrl: string,
  accessToken: string,
  data: Record<string, string>,
  who: string,
): Promise<string> {
  const version = data.apiVersion || FALLBACK_LOGOUT_VERSION
  if (!API_VERSION.test(version)) throw new UntrustedStateError('its API version is not a version number')
  const response = await logOut(send, baseUrl, accessToken, version, who)
  if (isSuccess(response)) return `Logged out of ${who}: the access token is revoked.`
  if (response.status === 401 || response.status === 404) {
    return `The ${who} session was already gone (HTTP ${response.status}): nothing left to revoke.`
  }
  throw rejection(`${who} logout`, response, '', readCloudDirectorError)
}

/**
 * Ends the session of a step that fails after the exchange: the post step will have no token to
 * revoke, and the session would otherwise live for its whole lifetime. One try, never throws.
 */
export async function endSessionOfFailedStep(
  send: Send,
  baseUrl: string,
  accessToken: string,
  version: string,
  who: string,
  debug: (line: string) => void,
): Promise<void> {
  try {
    const response = await logOut(send, baseUrl, accessToken, version || FALLBACK_LOGOUT_VERSION, who, 1)
    debug(
      isSuccess(response)
        ? `logged out the session of the failed step (HTTP ${response.status})`
        : `could not log out the session of the failed step: ${responseReason(response, readCloudDirectorError)}`,
    )
  } catch (error) {
    debug(`could not log out the session of the failed step: ${(error as Error).message}`)
  }
}

/** Hands a rotated refresh token on, unless the server merely echoed the one it was given. */
export function rotationHandler(given: string, publish: (token: string) => void): (token: string) => void {
  return (token) => {
    if (token !== given) publish(token)
  }
}
