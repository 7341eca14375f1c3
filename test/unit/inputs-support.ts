/** What the input tests share: reading inputs through a fake core, as the main step does. */
import type { Config } from '../../src/config.ts'
import { InputError } from '../../src/errors.ts'
import { readInputs } from '../../src/inputs.ts'
import { Secrets } from '../../src/secrets.ts'
import { fakeCore, type FakeCore } from './fake-core.ts'
import { secretToken } from './helpers.ts'

export interface Outcome {
  core: FakeCore
  masked: string[]
  config?: Config
  error?: InputError
}

export async function read(inputs: Record<string, string>): Promise<Outcome> {
  const core = fakeCore({ inputs })
  const masked: string[] = []
  const secrets = new Secrets((value) => {
    masked.push(value)
    core.setSecret(value)
  })
  try {
    return { core, masked, config: (await readInputs(core, secrets)).config }
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    return { core, masked, error }
  }
}

export async function ok(inputs: Record<string, string>): Promise<Config> {
  const { config, error } = await read(inputs)
  if (!config) throw new Error(`expected valid inputs, got: ${error?.message}`)
  return config
}

export async function failure(inputs: Record<string, string>): Promise<InputError> {
  const { error, config } = await read(inputs)
  if (!error) throw new Error(`expected an InputError, got config ${JSON.stringify(config)}`)
  return error
}

export const csp = (extra: Record<string, string> = {}) => ({ 'api-token': secretToken(65), ...extra })
export const vcd = (extra: Record<string, string> = {}) => ({
  provider: 'vcd',
  url: 'https://vcd.example.com',
  'api-token': secretToken(32),
  ...extra,
})
