/** How a failed answer is told: the provider's reason, the tries it took, and what to do. */
import { ProviderError } from '../errors.js'
import { MAX_DELAY_MS, retryAfterMs } from '../http/request.js'
import { isProviderTrouble, isRedirect, responseReason, type ErrorReader, type HttpResponse } from '../http/response.js'
import { plural } from '../text.js'

/**
 * "<purpose> failed: HTTP 400: invalid_grant: ... (1 try). <advice>". `advice` is for a refusal:
 * when the provider was busy or down, or redirected, the advice says that instead, whoever it is.
 */
export function rejection(who: string, purpose: string, response: HttpResponse, advice: string, readError?: ErrorReader): ProviderError {
  const what = isProviderTrouble(response) ? busyAdvice(who, response) : isRedirect(response) ? redirectAdvice(who) : advice
  return new ProviderError(
    `${purpose} failed: ${responseReason(response, readError)} (${plural(response.attempts, 'try', 'tries')}). ${what}`.trim(),
  )
}

/** What to do when the provider is busy or down, honest about a Retry-After the action will not wait out. */
function busyAdvice(who: string, response: HttpResponse): string {
  const wait = retryAfterMs(response.headers['retry-after'])
  if (wait !== undefined && wait > MAX_DELAY_MS) {
    return (
      `${who} asked to wait ${Math.ceil(wait / 1000)} s before trying again, longer than the action waits ` +
      `between tries (${MAX_DELAY_MS / 1000} s); run the job again later.`
    )
  }
  return `${who} is busy or unavailable; try again later, or raise max-attempts / timeout-seconds.`
}

/** What to do after a redirect, which the action does not follow for a credential. */
function redirectAdvice(who: string): string {
  return `${who} answered with a redirect, which the action does not follow for a credential; check url.`
}
