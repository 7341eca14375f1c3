/**
 * The runner emulation's reading of workflow commands, checked on its own: both forms the runner acts
 * on (actions/runner src/Runner.Common/ActionCommand.cs TryParseV2 and TryParse), and what the runner
 * does with set-output, save-state, stop-commands and add-mask in the legacy `##[name]` form, which it
 * finds anywhere in a line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { interpretStep, parseCommandLine, runStep } from './support/runner.ts'

describe('the legacy form ##[name k=v;k=v]data', () => {
  it('is read anywhere in a line, its properties split at ; and unescaped as the runner does', () => {
    expect(parseCommandLine('Issued a token for deployer ##[set-output name=refresh-token;]junk in org x', 4)).toEqual({
      command: 'set-output',
      properties: { name: 'refresh-token' },
      message: 'junk in org x',
      line: 4,
      form: 'legacy',
    })
    expect(parseCommandLine('x ##[WARNING File=a%3Bb.ts;title=T%5D;=;empty=]50%25%0Adone', 0)).toEqual({
      command: 'warning',
      properties: { file: 'a;b.ts', title: 'T]' },
      message: '50%\ndone',
      line: 0,
      form: 'legacy',
    })
  })

  it('is only the fallback: a registered ::name:: at the line start wins, an unregistered one does not', () => {
    expect(parseCommandLine('::warning::a ##[set-output name=x;]y', 0)).toMatchObject({ command: 'warning', form: 'v2' })
    expect(parseCommandLine('::nonsense::a ##[set-output name=x;]y', 0)).toMatchObject({ command: 'set-output', form: 'legacy' })
  })

  it('names no command with an unknown name, a space before the name, or no closing bracket', () => {
    for (const line of [
      'a ##[nonsense]b',
      'a ##[ set-output name=x;]b',
      'a ##[set-output name=x;',
      'a # #[set-output name=x;]b',
      'a #\u2060#[set-output name=x;]b',
    ]) {
      expect(parseCommandLine(line, 0), line).toBeUndefined()
    }
  })

  it('set-output and save-state still act, with the deprecation warning the runner prints', () => {
    const step = interpretStep({ stdout: 'user deployer ##[set-output name=refresh-token;]junk\nz ##[save-state name=token;]{}\n' })
    expect(step.commandOutputs).toEqual({ 'refresh-token': 'junk' })
    expect(step.commandState).toEqual({ token: '{}' })
    expect(step.log).toEqual([
      expect.stringMatching(/^##\[warning\]The `set-output` command is deprecated/),
      expect.stringMatching(/`save-state`/),
    ])
    expect(step.failedCommands).toEqual([])
  })

  it('set-env, add-path and a set-output without a name fail the step', () => {
    const step = interpretStep({ stdout: 'a ##[set-env name=NODE_OPTIONS;]--require x\nb ##[add-path]/tmp\nc ##[set-output]x\n' })
    expect(step.failedCommands).toEqual([
      expect.stringContaining('`set-env` command is disabled'),
      expect.stringContaining('`add-path` command is disabled'),
      expect.stringContaining("Required field 'name' is missing"),
    ])
    expect(step.errors).toEqual(step.failedCommands)
  })

  it('stop-commands stops both forms until its token comes back, in either form', () => {
    const stdout = [
      'hi ##[stop-commands]Halt',
      '::add-mask::abcdefgh',
      'x ##[set-output name=a;]b',
      'abcdefgh',
      '##[halt]',
      'y ##[add-mask]abcdefgh',
      'abcdefgh',
    ].join('\n')
    const step = interpretStep({ stdout })
    expect(step.log).toEqual([
      'hi ##[stop-commands]Halt',
      '::add-mask::abcdefgh',
      'x ##[set-output name=a;]b',
      'abcdefgh',
      '##[halt]',
      '***',
    ])
    expect(step.commandOutputs).toEqual({})
    expect(step.masks).toEqual(['abcdefgh'])
  })
})

describe('runStep', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'vmw-e2e-commands-'))
  afterAll(() => rmSync(scratch, { recursive: true, force: true }))

  it('gives the outputs that commands set, with GITHUB_OUTPUT winning as the runner processes it last', async () => {
    const action = join(scratch, 'outputs.mjs')
    writeFileSync(
      action,
      `import { appendFileSync } from 'node:fs'
       console.log('name ##[set-output name=a;]from-command')
       console.log('::set-output name=b::from-command')
       appendFileSync(process.env.GITHUB_OUTPUT, 'b=from-file\\n')`,
    )
    const step = await runStep({ action })
    expect(step.outputs).toEqual({ a: 'from-command', b: 'from-file' })
    expect(step.succeeded).toBe(true)
  })
})
