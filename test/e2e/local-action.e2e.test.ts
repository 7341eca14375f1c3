/**
 * GitHub's own debugging tool, @github/local-action, runs the action's source (src/main.ts and
 * src/post.ts, each exporting run()) the way users of the typescript-action template debug actions.
 * It is a client nobody here wrote: this runs it against the Cloud Director emulator, main and post.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findLeaks, ROOT } from './support/runner.ts'
import { VcdEmulator } from './support/vcd-emulator.ts'

let vcd: VcdEmulator
let dir: string

beforeAll(async () => {
  vcd = await new VcdEmulator().start()
  dir = mkdtempSync(join(tmpdir(), 'vmw-local-action-'))
})
afterAll(async () => {
  await vcd?.close()
  rmSync(dir, { recursive: true, force: true })
})

/** Runs `local-action run <root> src/main.ts <env> --post src/post.ts`; resolves with its output. */
function localAction(envFile: string): Promise<{ code: number | null; output: string }> {
  const bin = join(ROOT, 'node_modules', '.bin', 'local-action')
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['run', ROOT, 'src/main.ts', envFile, '--post', 'src/post.ts'], {
      cwd: ROOT,
      // Its bin runs `npm exec tsx`: node_modules/.bin first, so that tsx and node 24 come from the project.
      env: { PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH}`, HOME: dir, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

describe('@github/local-action', () => {
  it('runs src/main.ts and src/post.ts: the token is issued, then the post step logs the session out', async () => {
    const envFile = join(dir, '.env')
    const pem = vcd.ca.trim().replace(/\n/g, '\\n')
    writeFileSync(
      envFile,
      [
        'INPUT_PROVIDER=vcd',
        `INPUT_URL=${vcd.url}`,
        `INPUT_API-TOKEN=${vcd.providerToken}`,
        `INPUT_CA-CERTIFICATE="${pem}"`,
        'INPUT_TIMEOUT-SECONDS=10',
        'INPUT_MAX-ATTEMPTS=2',
        '',
      ].join('\n'),
    )
    const { code, output } = await localAction(envFile)
    expect(code, output).toBe(0)
    expect(output).toMatch(/Issued a VMware Cloud Director access token for administrator in org System/)
    expect(output).toMatch(/::set-output name=api-version::38\.1/)
    expect(output).toContain('Logged out of Cloud Director: the access token is revoked.')

    expect(vcd.requestsTo('token')).toHaveLength(1)
    const [logout] = vcd.requestsTo('logout')
    expect(logout?.status).toBe(204)
    const issued = vcd.issued.at(-1)!
    expect(vcd.isAlive(issued.access_token)).toBe(false)
    expect(findLeaks({ step: 'main', log: output.split('\n'), stderr: '', summary: '', earlyLeaks: [] }, vcd.secrets())).toEqual([])
  })
})
