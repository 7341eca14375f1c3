/**
 * VMware Cloud Director 10.x: API tokens and service-account refresh tokens (which rotate). The
 * version lookup runs beside the exchange; logout revokes the access token. PROVIDERS.md section 2.
 */
import { FORM_HEADERS } from '../http/headers.js'
import { isSuccess } from '../http/response.js'
import type { Send } from '../http/request.js'
import {
  API_OUTPUTS,
  exchangeBesideVersions,
  getSession,
  majorOf,
  parseOrgName,
  readCloudDirectorError,
  resolveAddress,
  revokeSession,
  SESSION_API,
  sessionNames,
} from './cloud-director-api.js'
import { rejection } from './failures.js'
import type { Provider } from './types.js'

const TITLE = 'Cloud Director'

/** Where Cloud Director's own paths start in the addresses users have at hand (API root, portal pages). */
const ROOT_MARKERS = new Set(['api', 'cloudapi', 'oauth', 'tenant', 'provider'])

export const vcd: Provider<'api-token'> = {
  name: 'vcd',
  title: 'VMware Cloud Director',
  credentials: ['api-token'],
  credentialHelp: 'a Cloud Director API token or service-account refresh token',
  outputs: API_OUTPUTS,
  exampleUrl: 'https://vcd.example.com',

  resolveUrl: (url) => resolveAddress(url, ROOT_MARKERS),

  parseOrg: parseOrgName,

  exchange(context) {
    const { config, send } = context
    return exchangeBesideVersions(context, {
      who: TITLE,
      lookAlike: 'a Cloud Director',
      addressHelp: 'give the Cloud Director address, e.g. https://vcd.example.com (its /api or portal address works too)',
      refusedToken: 'wrong or revoked',
      requestToken: (form, purpose) =>
        send({ method: 'POST', url: config.baseUrl + tokenPath(config.org), headers: FORM_HEADERS, body: form, purpose }),
      finish: async (token, apiVersion) => {
        const session = majorOf(apiVersion) >= SESSION_API ? await checkSession(send, config.baseUrl, apiVersion, token.accessToken) : {}
        return { org: session.org, subject: session.user ?? '' }
      },
    })
  },

  revoke: ({ send, baseUrl, accessToken, data }) => revokeSession(send, baseUrl, accessToken, data, TITLE),
}

/** Proves the new token works, and learns who it acts for. */
async function checkSession(send: Send, baseUrl: string, apiVersion: string, accessToken: string) {
  const session = await getSession(send, baseUrl, apiVersion, accessToken, TITLE)
  if (!isSuccess(session)) {
    throw rejection(
      TITLE,
      `${TITLE} session check with the new access token`,
      session,
      'The token exchange worked but the session was refused; the token may lack rights, or the org may be disabled.',
      readCloudDirectorError,
    )
  }
  return sessionNames(session)
}

/** The org name goes into the path as the user spelled it, percent-encoded. */
export function tokenPath(org: string): string {
  return org ? `/oauth/tenant/${encodeURIComponent(org)}/token` : '/oauth/provider/token'
}
