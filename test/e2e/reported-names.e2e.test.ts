/**
 * Names a provider reports about the token (a CSP username claim, a Cloud Director session's user
 * name), end to end: whatever they hold, they cannot start a workflow command, break an output
 * onto a second line, or put markup in the job summary. Every run is leak-scanned.
 */
import { describe, expect, it } from 'vitest'
import { CspEmulator } from './support/csp-emulator.ts'
import { cspInputs, vcdInputs } from './support/inputs.ts'
import { assertNoLeaks, runJob } from './support/runner.ts'
import { VcdEmulator } from './support/vcd-emulator.ts'
import { shareEmulators } from './support/shared-emulators.ts'

let csp: CspEmulator
let vcd: VcdEmulator

shareEmulators(async () => ([csp, vcd] = await Promise.all([new CspEmulator().start(), new VcdEmulator().start()])))

describe('names a provider controls', () => {
  const HOSTILE = '<img src=x onerror=alert(1)> [site](https://evil.example)\n::warning::injected\r::error::injected too'

  it('CSP: a username claim cannot start a workflow command, nor put markup in the summary', async () => {
    const token = csp.addApiToken({ username: HOSTILE })
    const job = await runJob({ inputs: cspInputs(csp, { 'api-token': token }) })
    assertNoLeaks(job, csp.secrets())
    expect(job.main.exitCode, job.log.join('\n')).toBe(0)
    expect([...job.main.warnings, ...job.main.errors].join('\n')).not.toMatch(/injected/)
    expect(job.main.commands.filter((command) => /injected/.test(command.message) && command.command !== 'add-mask')).toEqual([])
    expect(job.main.outputs.subject).not.toMatch(/[\r\n]/)
    expect(job.summary).not.toMatch(/<img|[^\\]\]\(https/)
    expect(job.summary).toContain('&lt;img src=x onerror=alert(1)&gt;')
  })

  it('Cloud Director: a user name from the session cannot start a workflow command, nor put markup in the summary', async () => {
    const token = vcd.addToken({ org: 'System', user: HOSTILE })
    const job = await runJob({ inputs: vcdInputs(vcd, token) })
    assertNoLeaks(job, vcd.secrets())
    expect(job.main.exitCode, job.log.join('\n')).toBe(0)
    expect([...job.main.warnings, ...job.main.errors].join('\n')).not.toMatch(/injected/)
    expect(job.main.outputs.subject).toContain('::warning::injected')
    expect(job.main.outputs.subject).not.toMatch(/[\r\n]/)
    expect(job.summary).not.toMatch(/<img|[^\\]\]\(https/)
  })
})
