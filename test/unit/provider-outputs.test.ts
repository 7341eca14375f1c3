/** Every output the core or a provider sets is declared in action.yml, so workflows can read it. */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { PROVIDER_NAMES } from '../../src/providers/index.ts'
import { publishToken } from '../../src/publish.ts'
import { fakeCore } from './fake-core.ts'
import { config, secretToken } from './helpers.ts'
import { providerNamed } from './provider-kit.ts'

/** The output names of action.yml: the keys two spaces in under `outputs:`. */
function declaredOutputs(): string[] {
  const yml = readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')
  const section = /^outputs:\n((?: {2}.*\n|\n)*)/m.exec(yml)?.[1] ?? ''
  return [...section.matchAll(/^ {2}([\w-]+):/gm)].map((match) => match[1])
}

describe('outputs', () => {
  it('action.yml declares the standard outputs and each provider’s own', () => {
    const declared = declaredOutputs()
    expect(declared).toEqual(expect.arrayContaining(['access-token', 'token-type', 'expires-in', 'expires-at', 'org', 'subject']))
    for (const name of PROVIDER_NAMES) {
      for (const output of providerNamed(name).outputs ?? []) expect(declared, `${name}: ${output}`).toContain(output)
    }
  })

  it('publishToken sets only outputs that are declared: an undeclared one from a provider is refused', () => {
    const declared = declaredOutputs()
    const core = fakeCore()
    const provider = providerNamed('vcd')
    publishToken(core, config({ provider: 'vcd' }), provider, {
      accessToken: secretToken(64),
      tokenType: 'Bearer',
      expiresIn: 60,
      org: 'System',
      subject: 'admin',
      outputs: { 'api-version': '38.1' },
    })
    for (const name of Object.keys(core.outputs())) expect(declared).toContain(name)
    expect(() =>
      publishToken(fakeCore(), config({ provider: 'vcd' }), provider, {
        accessToken: secretToken(64),
        tokenType: 'Bearer',
        expiresIn: 60,
        org: '',
        subject: '',
        outputs: { 'made-up': 'x' },
      }),
    ).toThrow("provider vcd returned output 'made-up', which it does not declare")
  })
})
