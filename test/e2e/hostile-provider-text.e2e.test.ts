/**
 * Text a hostile provider controls (a session's user name, a JWT claim, an error message) never forms
 * a workflow command in what the action prints, end to end: the built action run as the runner runs
 * it, the runner emulation reading both command forms (support/workflow-commands.ts), the legacy
 * `##[name]` one anywhere in a line as actions/runner does. Issue 19, item 1: a user name of
 * `deployer ##[set-output name=refresh-token;]junk` set the refresh-token output that the README's
 * "store the rotated token" step writes back as the stored credential.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AriaEmulator } from './support/aria-emulator.ts'
import { assertNoLeaks, runJob, type JobResult } from './support/runner.ts'
import { VcdEmulator } from './support/vcd-emulator.ts'
import { VcfaEmulator } from './support/vcfa-emulator.ts'

const SET_OUTPUT = '##[set-output name=refresh-token;]junk'
const HOSTILE_NAME = `deployer ${SET_OUTPUT}`

let vcd: VcdEmulator
let vcfa: VcfaEmulator
let aria: AriaEmulator

beforeAll(async () => {
  ;[vcd, vcfa, aria] = await Promise.all([
    new VcdEmulator().start(),
    new VcfaEmulator().start(),
    new AriaEmulator({ extraClaims: { preferred_username: HOSTILE_NAME } }).start(),
  ])
})
afterAll(async () => {
  await Promise.all([vcd?.close(), vcfa?.close(), aria?.close()])
})

const LIMITS = { 'timeout-seconds': '5', 'max-attempts': '2' }

/** Nothing the runner would act on beyond the action's own ::commands::, and no output set by one. */
function expectNoSmuggledCommand(job: JobResult): void {
  for (const step of [job.main, ...(job.post ? [job.post] : [])]) {
    expect(
      step.commands.filter((command) => command.form === 'legacy'),
      step.log.join('\n'),
    ).toEqual([])
    expect(step.warnings.filter((warning) => warning.includes('is deprecated'))).toEqual([])
    expect(step.failedCommands).toEqual([])
  }
  expect(job.main.outputs['refresh-token']).toBeUndefined()
}

describe('a name the provider reports, in the line that says who the token is for', () => {
  const cases: { name: string; run: () => Promise<JobResult>; secrets: () => string[] }[] = [
    {
      name: "Cloud Director: the session's user name",
      run: () => {
        const token = vcd.addToken({ org: vcd.tenantOrg, user: HOSTILE_NAME })
        return runJob({
          inputs: { provider: 'vcd', url: vcd.url, 'ca-certificate': vcd.ca, 'api-token': token, org: vcd.tenantOrg, ...LIMITS },
        })
      },
      secrets: () => vcd.secrets(),
    },
    {
      name: "VCF Automation, a VM Apps org: the JWT's preferred_username",
      run: () => {
        const token = vcfa.addToken({ org: 'globex', user: HOSTILE_NAME })
        return runJob({
          inputs: { provider: 'vcfa', url: vcfa.url, 'ca-certificate': vcfa.ca, 'api-token': token, org: 'globex', ...LIMITS },
        })
      },
      secrets: () => vcfa.secrets(),
    },
    {
      name: "Aria Automation: the JWT's preferred_username",
      run: () =>
        runJob({
          inputs: { provider: 'aria-automation', url: aria.url, 'ca-certificate': aria.ca, 'api-token': aria.refreshToken, ...LIMITS },
        }),
      secrets: () => aria.secrets(),
    },
  ]

  for (const { name, run, secrets } of cases) {
    it(`${name}: shown, broken with a space, and no refresh-token output`, async () => {
      const job = await run()
      assertNoLeaks(job, secrets())
      expect(job.main.succeeded, job.log.join('\n')).toBe(true)
      expectNoSmuggledCommand(job)
      expect(job.main.log.find((line) => line.startsWith('Issued a '))).toContain('deployer # #[set-output name=refresh-token;]junk')
      // An output is data, not a command: the name is reported as the provider gave it.
      expect(job.main.outputs.subject).toBe(HOSTILE_NAME)
    })
  }
})

describe("a provider's error message", () => {
  it('in the failed step: the ::error:: the action prints cannot hold the legacy form either', async () => {
    vcd.fault('token', { status: 400, body: { minorErrorCode: 'invalid_grant', message: `denied ${SET_OUTPUT}` } })
    try {
      const job = await runJob({
        inputs: { provider: 'vcd', url: vcd.url, 'ca-certificate': vcd.ca, 'api-token': vcd.providerToken, ...LIMITS },
      })
      assertNoLeaks(job, vcd.secrets())
      expect(job.main.exitCode).toBe(1)
      expectNoSmuggledCommand(job)
      expect(job.main.errors).toEqual([expect.stringContaining('denied # #[set-output name=refresh-token;]junk')])
    } finally {
      vcd.clearFaults()
    }
  })

  it("in the post step's warning about a failed logout", async () => {
    vcd.fault('logout', { status: 400, body: { minorErrorCode: 'BAD_REQUEST', message: `no ${SET_OUTPUT}` }, times: Infinity })
    try {
      const job = await runJob({
        inputs: { provider: 'vcd', url: vcd.url, 'ca-certificate': vcd.ca, 'api-token': vcd.providerToken, ...LIMITS },
      })
      assertNoLeaks(job, vcd.secrets())
      expect(job.post?.succeeded).toBe(true)
      expectNoSmuggledCommand(job)
      expect(job.post?.warnings).toEqual([expect.stringContaining('no # #[set-output name=refresh-token;]junk')])
    } finally {
      vcd.clearFaults()
    }
  })
})
