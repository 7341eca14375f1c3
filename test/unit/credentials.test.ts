/**
 * The credential inputs, for every provider in the registry and every mix of the five inputs: the
 * messages come from the provider's list of credential kinds, name an input that is really at fault,
 * say what the provider takes, and never echo a secret. Also the password kind's own checks.
 */
import { describe, expect, it } from 'vitest'
import { CREDENTIAL_INPUTS, type CredentialKind } from '../../src/config.ts'
import { InputError } from '../../src/errors.ts'
import { parseCredential } from '../../src/inputs.ts'
import { PROVIDER_NAMES } from '../../src/providers/index.ts'
import type { Provider } from '../../src/providers/types.ts'
import { leakedPieces } from './fake-core.ts'
import { failure, ok, read } from './inputs-support.ts'
import { secretToken } from './helpers.ts'
import { providerNamed } from './provider-kit.ts'

const KINDS = Object.keys(CREDENTIAL_INPUTS) as CredentialKind[]
const INPUTS = KINDS.flatMap((kind) => CREDENTIAL_INPUTS[kind])
const SECRET_INPUTS = new Set(['api-token', 'client-secret', 'password'])

/** A valid value for each credential input; the secret ones unusual enough to find a leak of. */
function values(): Record<string, string> {
  return {
    'api-token': secretToken(40),
    'client-id': 'app-7f3e',
    'client-secret': secretToken(40),
    username: 'ci@vsphere.local',
    password: secretToken(24),
  }
}

/** Every non-empty subset of the credential inputs. */
const MIXES: string[][] = []
for (let bits = 1; bits < 1 << INPUTS.length; bits++) MIXES.push(INPUTS.filter((_input, index) => bits & (1 << index)))

const kindOf = (input: string): CredentialKind => KINDS.find((kind) => CREDENTIAL_INPUTS[kind].includes(input))!
const takes = (provider: Provider, kind: CredentialKind): boolean => (provider.credentials as readonly string[]).includes(kind)

describe.each(PROVIDER_NAMES)('credential inputs of provider %s', (name) => {
  const provider = providerNamed(name)
  const described = provider.credentials.map((kind) => CREDENTIAL_INPUTS[kind].join(' and ')).join(', or ')

  it.each(MIXES.map((mix) => [mix.join(' + '), mix] as const))('%s', (_label, mix) => {
    const all = values()
    const given = Object.fromEntries(INPUTS.map((input) => [input, mix.includes(input) ? all[input] : '']))
    const kinds = [...new Set(mix.map(kindOf))]
    const foreign = mix.filter((input) => !takes(provider, kindOf(input)))
    const complete = kinds.length === 1 && CREDENTIAL_INPUTS[kinds[0]].every((input) => mix.includes(input))

    let error: InputError | undefined
    try {
      const credential = parseCredential(provider, given)
      expect(foreign).toEqual([])
      expect(complete).toBe(true)
      expect(credential.kind).toBe(kinds[0])
      return
    } catch (thrown) {
      if (!(thrown instanceof InputError)) throw thrown
      error = thrown
    }
    for (const input of SECRET_INPUTS) if (mix.includes(input)) expect(leakedPieces(error.message, all[input])).toEqual([])
    if (foreign.length) {
      // The input that does not belong here, and what the provider takes instead.
      expect(foreign).toContain(error.input)
      expect(error.message).toContain(`not used by provider ${name} (${provider.title}), which takes ${described}: `)
    } else if (kinds.length > 1) {
      expect(mix).toContain(error.input)
      expect(error.message).toContain(`give either ${described}, not both`)
    } else {
      // One kind, part of it given: the part that is missing.
      expect(mix).not.toContain(error.input)
      expect(CREDENTIAL_INPUTS[kinds[0]]).toContain(error.input)
      expect(error.message).toMatch(/is required when .+ is given/)
    }
  })

  it('none at all: its usual credential is required, with what it takes and how to pass it', () => {
    const error = (() => {
      try {
        parseCredential(provider, Object.fromEntries(INPUTS.map((input) => [input, ''])))
      } catch (thrown) {
        return thrown as InputError
      }
      throw new Error('expected an InputError')
    })()
    expect(error.input).toBe(CREDENTIAL_INPUTS[provider.credentials[0]][0])
    expect(error.message).toContain('is required')
    expect(error.message).toContain(provider.credentialHelp)
    expect(error.message).toMatch(/secrets\.[A-Z_]+/)
    for (const kind of provider.credentials.slice(1)) expect(error.message).toContain(CREDENTIAL_INPUTS[kind].join(' and '))
  })
})

/** A provider that takes a user's name and password, as vCenter will: the password kind's own checks. */
const passwordProvider = { ...providerNamed('vcd'), name: 'pw', title: 'Password Thing', credentials: ['password'] } as Provider

describe('the password credential', () => {
  const given = (username: string, password: string) => ({ 'api-token': '', 'client-id': '', 'client-secret': '', username, password })

  it('takes a user name with a domain, and any password on one line', () => {
    for (const username of ['administrator@vsphere.local', 'CORP\\svc-ci', 'ci bot']) {
      const password = `${secretToken(20)} é ü ${secretToken(4)}`
      expect(parseCredential(passwordProvider, given(username, password))).toEqual({ kind: 'password', username, password })
    }
  })

  it.each([
    ['a colon (Basic auth cannot carry it)', 'svc:ci'],
    ['a line break', 'svc\nci'],
    ['over 256 characters', 'a'.repeat(257)],
  ])('refuses a user name with %s', (_label, username) => {
    expect(() => parseCredential(passwordProvider, given(username, secretToken()))).toThrow(/Input 'username': .*is not a user name/)
  })

  it('refuses a password with a line break or over 1024 characters, never showing it', () => {
    for (const password of [`${secretToken(20)}\n${secretToken(20)}`, secretToken(1025)]) {
      let message = ''
      try {
        parseCredential(passwordProvider, given('svc', password))
      } catch (error) {
        message = (error as InputError).message
        expect((error as InputError).input).toBe('password')
      }
      expect(message).not.toBe('')
      for (const line of password.split('\n')) expect(leakedPieces(message, line)).toEqual([])
    }
  })
})

describe('readInputs: password and auth-source', () => {
  it('masks the password before any other input is read, and never echoes it', async () => {
    const password = secretToken(24)
    const { core, error } = await read({ provider: 'nonsense', password })
    expect(error?.input).toBe('provider')
    expect(core.commands[0]).toEqual({ kind: 'setSecret', name: '', value: password })
    expect(core.inputsRead.indexOf('password')).toBeLessThan(core.inputsRead.indexOf('provider'))
  })

  it('refuses auth-source for a provider that takes none', async () => {
    const error = await failure({ 'api-token': secretToken(65), 'auth-source': 'corp.example' })
    expect(error.input).toBe('auth-source')
    expect(error.message).toContain('is not used by provider csp (VMware Cloud Services)')
  })

  it('is empty when not given', async () => {
    expect((await ok({ 'api-token': secretToken(65) })).authSource).toBe('')
  })
})
