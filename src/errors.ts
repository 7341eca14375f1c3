/** An input is wrong: the message names it and says what is allowed, never a secret's value. */
export class InputError extends Error {
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(`Input '${input}': ${message}`)
    this.name = 'InputError'
  }
}

/** A provider said no, or answered nonsense: the message says what to fix. */
export class ProviderError extends Error {
  override name = 'ProviderError'
}
