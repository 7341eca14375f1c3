/** An input is wrong: the message names it and says what is allowed, never a secret's value. */
export class InputError extends Error {
  constructor(
    readonly input: string,
    /** What is wrong and what is allowed, without the input's name. */
    readonly detail: string,
  ) {
    super(`Input '${input}': ${detail}`)
    this.name = 'InputError'
  }
}

/** A provider said no, or answered nonsense: the message says what to fix. */
export class ProviderError extends Error {
  override name = 'ProviderError'
}
