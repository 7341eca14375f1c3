/** An input is wrong: the message names it and says what is allowed, never a secret's value. */
export class InputError extends Error {
  override name = 'InputError'
  constructor(
    readonly input: string,
    /** What is wrong and what is allowed, without the input's name. */
    readonly detail: string,
  ) {
    super(`Input '${input}': ${detail}`)
  }
}

/** A provider said no, or answered nonsense: the message says what to fix. */
export class ProviderError extends Error {
  override name = 'ProviderError'
}

/** The post step's saved state is not what the main step writes: nothing is sent on its say-so. */
export class UntrustedStateError extends Error {
  override name = 'UntrustedStateError'
}
