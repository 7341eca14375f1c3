/** What both steps set up the same way: the secrets, the one redacting log, and HTTP with the step's limits. */
import type { ActionCore, Log } from './core.js'
import { createHttp, type Http } from './http/request.js'
import { redactingLog, Secrets } from './secrets.js'
import { USER_AGENT } from './version.js'

export interface Step {
  secrets: Secrets
  log: Log
}

export function startStep(core: Pick<ActionCore, 'setSecret' | 'info' | 'warning' | 'debug'>): Step {
  const secrets = new Secrets((value) => core.setSecret(value))
  return { secrets, log: redactingLog(core, secrets) }
}

export interface HttpLimits {
  timeoutMs: number
  maxAttempts: number
  /** PEM blocks to trust besides the default CAs. */
  caCertificates: readonly string[]
}

/** The step's HTTP: every answer's token-looking values are masked before a line about it is written. */
export function stepHttp({ secrets, log }: Step, limits: HttpLimits): Http {
  return createHttp({
    userAgent: USER_AGENT,
    timeoutMs: limits.timeoutMs,
    maxAttempts: limits.maxAttempts,
    caCertificates: limits.caCertificates,
    log,
    inspectBody: (body) => secrets.maskTokensIn(body),
  })
}
