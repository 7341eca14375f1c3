/** The benchmark's shared state, and spawning a step with the runner's environment but none of its bookkeeping in the timed part. */
import { spawn } from 'node:child_process'
import { dirname } from 'node:path'
import type { CspEmulator } from '../test/e2e/support/csp-emulator.ts'
import { inputEnvName, stepFiles, type ActionYml, type StepResult } from '../test/e2e/support/runner.ts'
import type { AriaEmulator } from '../test/e2e/support/aria-emulator.ts'
import type { VcdEmulator } from '../test/e2e/support/vcd-emulator.ts'
import type { VcfaEmulator } from '../test/e2e/support/vcfa-emulator.ts'
import type { RequestClock } from './clock.ts'

export interface Bench {
  /** --quick: fewer repetitions, nothing written. */
  quick: boolean
  /** A temporary directory, removed at exit. */
  work: string
  yml: ActionYml
  clock: RequestClock
  csp: CspEmulator
  vcd: VcdEmulator
  vcfa: VcfaEmulator
  aria: AriaEmulator
  /** The environment that makes a step trust the emulators' private CA (NODE_EXTRA_CA_CERTS). */
  trust: Record<string, string>
}

export function stepEnv(bench: Bench, dir: string, inputs: Record<string, string>, extra: Record<string, string>): Record<string, string> {
  const files = stepFiles(dir)
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...extra,
    ...files,
    RUNNER_TEMP: dir,
    GITHUB_WORKSPACE: dir,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
  }
  for (const [name, spec] of Object.entries(bench.yml.inputs)) env[inputEnvName(name)] = inputs[name] ?? spec.default ?? ''
  return env
}

export function resetFiles(env: Record<string, string>): void {
  stepFiles(dirname(env.GITHUB_OUTPUT))
}

export interface Spawned {
  /** performance.now() just before spawn(). */
  start: number
  /** performance.now() at the child's exit event. */
  exit: number
  code: number | null
  stderr: string
}

export function spawnNode(args: string[], env: Record<string, string>, cwd: string): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    let exit = 0
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('exit', () => (exit = performance.now()))
    // 'close' comes after both 'exit' and the end of stderr.
    child.on('close', (code) => resolve({ start, exit, code, stderr }))
  })
}

export function failed(what: string, step: StepResult): Error {
  return new Error(`bench: ${what} failed (exit ${step.exitCode}):\n${step.log.join('\n')}\n${step.stderr}`)
}
