/** Request headers several providers send the same way. */
import type { Secrets } from '../secrets.js'

/** For a credential sent as a form body (OAuth 2 token requests). */
export const FORM_HEADERS = {
  'Content-Type': 'application/x-www-form-urlencoded',
  Accept: 'application/json',
}

/** For a credential sent in a JSON body. */
export const JSON_HEADERS = {
  'Content-Type': 'application/json',
  Accept: 'application/json',
}

/**
 * An Authorization header for HTTP Basic (RFC 7617: base64 of "user:password", UTF-8). The encoded
 * value is as secret as the password, and the runner would not recognise it: it is masked here.
 */
export function basicAuthorization(user: string, password: string, secrets: Pick<Secrets, 'mask'>): string {
  const encoded = Buffer.from(`${user}:${password}`, 'utf8').toString('base64')
  secrets.mask(encoded)
  return `Basic ${encoded}`
}
