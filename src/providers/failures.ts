/** How a failed answer is told: the provider's reason, the tries it took, and what to do. */
import { ProviderError } from '../errors.js'
import { plural, MAX_DELAY_MS, retryAfterMs } from '../http/request.js'
import { responseReason, type ErrorReader, type HttpResponse } from '../http/response.js'

/** "<purpose> failed: HTTP 400: invalid_grant: ... (1 try). <advice>" */
export function rejection(purpose: string, response: HttpResponse, advice: string, readError?: ErrorReader): ProviderError {
  return new ProviderError(
    `${purpose} failed: ${responseReason(response, readError)} (${plural(response.attempts, 'try', 'tries')}). ${advice}`.trim(),
  )
}

/** 408, 429 and 5xx survived every try: the provider is busy or down, not the credential wrong. */
export function isProviderTrouble(response: Pick<HttpResponse, 'status'>): boolean {
  return response.status === 408 || response.status === 429 || response.status >= 500
}

/** A redirect is never followed with a credential: say so, whoever the provider is. */
export function isRedirect(response: Pick<HttpResponse, 'status'>): boolean {
  return response.status >= 300 && response.status < 400
}

/** What to do when the provider is busy or down, honest about a Retry-After the action will not wait out. */
export function busyAdvice(who: string, response: HttpResponse): string {
  const wait = retryAfterMs(response.headers['retry-after'])
  if (wait !== undefined && wait > MAX_DELAY_MS) {
    return (
      `${who} asked to wait ${Math.ceil(wait / 1000)} s before trying again, longer than the action waits ` +
      `between tries (${MAX_DELAY_MS / 1000} s); run the job again later.`
    )
  }
  return `${who} is busy or unavailable; try again later, or raise max-attempts / timeout-seconds.`
}

/** What to do after a redirect, which the action does not follow with a credential. */
export function redirectAdvice(who: string): string {
  return `${who} answered with a redirect, which the action does not follow for a credential; check url.`
}

/**
 * Hides the tail of a token that an error message quotes after a run of x's ("Invalid refresh
 * token: xxxxx...tN3NK", as the VMware identity service writes it): a tail of a few characters is
 * too short for the log's redaction of secret pieces to catch. A match starts only where a run of x's
 * starts (the lookbehind): otherwise a long run of x's would be tried from each of its x's, to its
 * end and back, in time quadratic in the message. The matches are the same: one that starts inside
 * a run would have started at the run's first x.
 */
export function hideEchoedTokenTails(message: string): string {
  return message.replace(/(?<!x)(x{3,}\.{2,})[A-Za-z0-9_~-]+/g, '$1***')
}
