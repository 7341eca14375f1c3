/**
 * VMware Cloud Services (CSP): API tokens and OAuth apps for TSM, Ops for Applications, VMC, TMC.
 * CSP cannot revoke an access token, and the post step says so instead of pretending.
 */
import type { Config, CredentialOf } from '../config.js'
import { InputError, ProviderError } from '../errors.js'
import { basicAuthorization, FORM_HEADERS, JSON_HEADERS } from '../http/headers.js'
import { isSuccess, jsonObject, type HttpResponse } from '../http/response.js'
import { hideEchoedTokenTails } from '../secrets.js'
import { quoteValue } from '../text.js'
import { splitAtMarker } from '../url.js'
import { rejection } from './failures.js'
import { readJwtClaims, stringClaim } from './jwt-claims.js'
import { readTokenAnswer } from './token-answer.js'
import type { ExchangeContext, Provider, TokenResult } from './types.js'

const API_TOKEN_PATH = '/csp/gateway/am/api/auth/api-tokens/authorize'
// The OAuth app grant goes to /auth/authorize, not the newer /auth/token: both take the same
// request, and /auth/authorize is what the Wavefront SDKs and proxy use, so it is the one proven
// on every CSP host (cloud.vmware.com and tanzu.broadcom.com, production and staging).
const OAUTH_APP_PATH = '/csp/gateway/am/api/auth/authorize'
const DETAILS_PATH = '/csp/gateway/am/api/auth/api-tokens/details'

/** How long the main step waits for the API-token expiry lookup once the exchange is done. */
export const EXPIRY_LOOKUP_GRACE_MS = 2000
const DAY_MS = 86_400_000

/** The two production issuers are separate; a token made on one is refused by the other. */
const SIBLING_HOSTS: Record<string, string> = {
  'console.cloud.vmware.com': 'console.tanzu.broadcom.com',
  'console.tanzu.broadcom.com': 'console.cloud.vmware.com',
  'console-stg.cloud.vmware.com': 'console-stg.tanzu.broadcom.com',
  'console-stg.tanzu.broadcom.com': 'console-stg.cloud.vmware.com',
}

const CSP_DEFAULT_URL = 'https://console.cloud.vmware.com'
const ORG_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

type CspCredential = CredentialOf<'api-token' | 'oauth-app'>

export const csp: Provider<'api-token' | 'oauth-app'> = {
  name: 'csp',
  title: 'VMware Cloud Services',
  credentials: ['api-token', 'oauth-app'],
  credentialHelp: 'a CSP API token, or the client ID and secret of a CSP OAuth app',
  outputs: ['api-token-expires-at'],
  defaultUrl: CSP_DEFAULT_URL,
  exampleUrl: CSP_DEFAULT_URL,
  // CSP's /auth/revoke takes only refresh tokens with client credentials (PROVIDERS.md 1a).
  cannotRevoke: 'CSP offers no way to revoke an access token',

  // Console pages and API paths users paste all hang off the part before /csp/.
  resolveUrl(url) {
    return { baseUrl: splitAtMarker(url, (segment) => segment === 'csp').root, orgFromUrl: '' }
  },

  parseOrg(raw) {
    if (!raw) return ''
    if (!ORG_ID.test(raw)) {
      throw new InputError(
        'org',
        `${quoteValue(raw)} is not a CSP org ID. For provider csp, org is the org's UUID (e.g. 0123abcd-...), ` +
          'shown under "Organization ID" in the Cloud Services console; leave it empty to accept the token\'s own org.',
      )
    }
    return raw.toLowerCase()
  },

  async exchange(context) {
    const { config, secrets } = context
    const credential = config.credential
    const lookup =
      credential.kind === 'api-token' && config.expiryWarningDays > 0 ? lookUpApiTokenExpiry(context, credential.token) : undefined
    try {
      const { response, purpose } = await requestToken(context)
      if (!isSuccess(response)) throw rejection('CSP', purpose, response, refusalAdvice(config), readCspError)

      const token = readTokenAnswer(response, secrets, `CSP (${new URL(config.baseUrl).host})`)
      const claims = readJwtClaims(token.accessToken)
      const tokenOrg = stringClaim(claims, 'context_name')
      if (config.org && tokenOrg?.toLowerCase() !== config.org) {
        throw new ProviderError(
          tokenOrg
            ? `The token is for CSP org ${tokenOrg}, but org is ${config.org}. Use a credential of org ${config.org}, or change org.`
            : `org is ${config.org}, but the access token does not say which org it is for (no context_name claim), so the org cannot be checked.`,
        )
      }

      const apiTokenExpiresAt = lookup ? await lookup.settle(EXPIRY_LOOKUP_GRACE_MS) : undefined
      const notice = apiTokenExpiresAt ? expiryNotice(apiTokenExpiresAt, config.expiryWarningDays) : undefined
      return {
        accessToken: token.accessToken,
        tokenType: token.tokenType,
        expiresIn: token.expiresIn,
        org: tokenOrg ?? config.org,
        subject: stringClaim(claims, 'username', 'sub', 'azp', 'cid') ?? '',
        // Set whenever the lookup ran: empty when the token never expires or it could not be learnt.
        outputs: lookup ? { 'api-token-expires-at': apiTokenExpiresAt?.toISOString() ?? '' } : undefined,
        summaryRows: apiTokenExpiresAt ? [['API token expires', apiTokenExpiresAt.toISOString()]] : [],
        notices: notice ? [notice] : [],
      } satisfies TokenResult
    } catch (error) {
      // Its request carries the API token: it must not run on after the step has failed.
      lookup?.cancel()
      throw error
    }
  },
}

async function requestToken({
  config,
  send,
  secrets,
}: ExchangeContext<CspCredential>): Promise<{ response: HttpResponse; purpose: string }> {
  const credential = config.credential
  if (credential.kind === 'api-token') {
    const purpose = 'CSP API token exchange'
    const response = await send({
      method: 'POST',
      url: config.baseUrl + API_TOKEN_PATH,
      headers: FORM_HEADERS,
      body: new URLSearchParams({ api_token: credential.token }).toString(),
      purpose,
    })
    return { response, purpose }
  }
  const purpose = 'CSP OAuth app token request'
  const form = new URLSearchParams({ grant_type: 'client_credentials' })
  if (config.org) form.set('orgId', config.org)
  const response = await send({
    method: 'POST',
    url: config.baseUrl + OAUTH_APP_PATH,
    headers: { ...FORM_HEADERS, Authorization: basicAuthorization(credential.clientId, credential.clientSecret, secrets) },
    body: form.toString(),
    purpose,
  })
  return { response, purpose }
}

/** The warning for an API token that expires within expiry-warning-days, if it does. */
function expiryNotice(expiresAt: Date, warningDays: number): string | undefined {
  const msLeft = expiresAt.getTime() - Date.now()
  if (msLeft > warningDays * DAY_MS) return undefined
  const days = Math.round(msLeft / DAY_MS)
  const when = msLeft < DAY_MS ? 'in less than a day' : `in ${days} day${days === 1 ? '' : 's'}`
  return (
    `The CSP API token expires on ${expiresAt.toISOString()} (${when}). ` +
    'Make a new API token in the Cloud Services console and update the secret that holds it, or this workflow will fail from then on.'
  )
}

/**
 * CSP's error body: {"statusCode", "moduleCode", "message", "requestId", "cspErrorCode", ...}. Its
 * message echoes the token's last characters ("Invalid refresh token: xxxxx...tN3NK"): hidden here.
 */
function readCspError(body: string): string | undefined {
  const message = jsonObject(body)?.message
  return typeof message === 'string' && message ? hideEchoedTokenTails(message) : undefined
}

function refusalAdvice(config: Config<CspCredential>): string {
  const host = new URL(config.baseUrl).host
  const sibling = SIBLING_HOSTS[host]
  const otherHost = sibling
    ? ` If it was made on https://${sibling}, set url: https://${sibling} (the two hosts are separate issuers).`
    : ''
  if (config.credential.kind === 'oauth-app') {
    const org = config.org
      ? ` If they are right, check that the app has been added to org ${config.org} (the org input), with the roles it needs.`
      : ' If the app belongs to several orgs, set org to the org ID to use.'
    return `Check client-id and client-secret: the OAuth app may be wrong, deleted, or its secret regenerated.${org}${otherHost}`
  }
  return (
    `CSP refused the API token: it is wrong, expired or revoked. Make a new one in the Cloud Services console ` +
    `(My Account > API Tokens) and update the secret.${otherHost}`
  )
}

interface ExpiryLookup {
  /** Waits for the lookup at most graceMs more; then gives up on it. */
  settle(graceMs: number): Promise<Date | null | undefined>
  cancel(): void
}

/**
 * Asks CSP when the API token expires, in parallel with the exchange and with a single try. It
 * is advice only: any failure is a debug line, and its request and answer (which hold the token)
 * are never logged.
 */
function lookUpApiTokenExpiry({ config, send, log }: ExchangeContext<CspCredential>, apiToken: string): ExpiryLookup {
  const controller = new AbortController()
  const result = send({
    method: 'POST',
    url: config.baseUrl + DETAILS_PATH,
    headers: JSON_HEADERS,
    body: JSON.stringify({ tokenValue: apiToken }),
    purpose: 'CSP API token details lookup',
    attempts: 1,
    signal: controller.signal,
  }).then(
    (response) => {
      const json = isSuccess(response) ? jsonObject(response.body) : undefined
      const expiresAt = json?.expiresAt
      if (expiresAt === undefined) {
        log.debug(`API token expiry unknown: the details lookup answered HTTP ${response.status}${json ? ' without expiresAt' : ''}`)
        return undefined
      }
      // No expiry, or a sentinel for "never".
      if (expiresAt === null || typeof expiresAt !== 'number' || expiresAt <= 0 || expiresAt >= 8.64e15) return null
      return new Date(expiresAt)
    },
    (error: unknown) => {
      if (!controller.signal.aborted) log.debug(`API token expiry unknown: the details lookup failed (${(error as Error).name})`)
      return undefined
    },
  )
  return {
    async settle(graceMs) {
      let timer: NodeJS.Timeout | undefined
      const gaveUp = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => {
          log.debug(`API token expiry unknown: no answer from the details lookup within ${graceMs} ms of the exchange`)
          resolve(undefined)
        }, graceMs)
      })
      try {
        return await Promise.race([result, gaveUp])
      } finally {
        clearTimeout(timer)
        controller.abort()
      }
    },
    cancel: () => controller.abort(),
  }
}
