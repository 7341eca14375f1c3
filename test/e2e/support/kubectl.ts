/**
 * kubectl as a test peer (see peers.ts): Debian's kubernetes-client, or a kubectl already on PATH
 * (VMW_KUBECTL names another). Tests run it with a kubeconfig against an emulator to prove that a
 * kubeconfig the action wrote works with the real client.
 *
 *   const skip = kubectlSkipReason()        // undefined when found; why its tests skip; throws when peers are required
 *   const result = await runKubectl(['get', '--raw', '/version'], { kubeconfig: file, env: { HTTPS_PROXY: proxy.url } })
 *   result.exitCode, result.stdout, result.stderr
 *
 * It runs with PATH, a HOME of its own (kubectl caches discovery and HTTP answers under ~/.kube)
 * and only the variables given: no KUBECONFIG, proxy or credential of the test process leaks in.
 * Go's proxy rules skip loopback hosts (127.0.0.1, localhost): a proxy test needs a made-up host
 * name that only the test proxy resolves. Notes: kubectl.md.
 *
 * Only erasable TypeScript here: scripts run this file directly with node's type stripping.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findOnPath, skipReason } from './peers.ts'

/** A kubectl call against a local server takes well under a second; this only says "hung". */
const TIMEOUT_MS = 60_000

export interface KubectlResult {
  /** The exit code; null when it was killed (timeout). */
  exitCode: number | null
  stdout: string
  stderr: string
}

export function findKubectl(): string | undefined {
  return process.env.VMW_KUBECTL || findOnPath('kubectl')
}

export function kubectlSkipReason(): string | undefined {
  return skipReason('kubectl', findKubectl() ? undefined : 'kubectl is not on PATH')
}

/** Runs kubectl with `--kubeconfig <file>` (when given) before `args`. */
export async function runKubectl(
  args: string[],
  options: { kubeconfig?: string; env?: Record<string, string> } = {},
): Promise<KubectlResult> {
  const kubectl = findKubectl()
  if (!kubectl) throw new Error('kubectl is not on PATH')
  const home = mkdtempSync(join(tmpdir(), 'vmw-kubectl-home-'))
  const fullArgs = options.kubeconfig ? ['--kubeconfig', options.kubeconfig, ...args] : args
  try {
    return await new Promise<KubectlResult>((resolve) => {
      execFile(
        kubectl,
        fullArgs,
        { env: { PATH: process.env.PATH ?? '', HOME: home, ...options.env }, timeout: TIMEOUT_MS, killSignal: 'SIGKILL', encoding: 'utf8' },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : null) : 0
          resolve({ exitCode: code, stdout, stderr })
        },
      )
    })
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
}
