/**
 * The main step's exchange, and the one rule for a token it issued but could not hand on: the post
 * step will not know of it, so it is ended at once, with one try (a session left open counts
 * against the user's session cap; a refresh token left alive could mint access tokens).
 */
import type { ExchangeContext, IssuedToken, Provider, TokenResult } from './providers/types.js'
import { expiresAtOf } from './publish.js'

/**
 * The provider's exchange, then `handOn` with its result. A token the exchange reported (issued)
 * or returned is ended when either fails, whatever the failure.
 */
export async function exchangeAndHandOn(
  provider: Provider,
  context: Omit<ExchangeContext, 'issued'>,
  handOn: (result: TokenResult, context: ExchangeContext) => Promise<void> = async () => {},
): Promise<TokenResult> {
  let issued: (IssuedToken & { expiresAt?: string }) | undefined
  const full: ExchangeContext = {
    ...context,
    issued: (token) => {
      context.secrets.mask(token.accessToken)
      issued = token
    },
  }
  try {
    const result = await provider.exchange(full)
    context.secrets.mask(result.accessToken)
    issued = { accessToken: result.accessToken, revokeData: result.revokeData, expiresAt: expiresAtOf(result) }
    await handOn(result, full)
    return result
  } catch (error) {
    if (issued) await endUnpublishedToken(provider, context, issued)
    throw error
  }
}

async function endUnpublishedToken(
  provider: Provider,
  { config, send, secrets, log }: Omit<ExchangeContext, 'issued'>,
  token: IssuedToken & { expiresAt?: string },
): Promise<void> {
  if (!provider.revoke) return
  try {
    const line = await provider.revoke({
      baseUrl: config.baseUrl,
      accessToken: token.accessToken,
      data: token.revokeData ?? {},
      expiresAt: token.expiresAt,
      send: (request) => send({ ...request, attempts: 1 }),
      secrets,
      log,
    })
    log.debug(`the step failed after the token was issued: ${line}`)
  } catch (error) {
    log.debug(`the step failed after the token was issued, and ending it failed too: ${(error as Error).message}`)
  }
}
