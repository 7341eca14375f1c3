/**
 * A real kubectl against the emulators (a test peer, see peers.ts): Debian's kubernetes-client, or
 * a kubectl already on PATH ($VMW_E2E_KUBECTL names another). The proof that a kubeconfig works with
 * the real client. Checked with Debian's 1.20.2 and with Google Cloud's kubectl dispatcher (1.32,
 * which asks GET /version?timeout=5s first to pick a version: do not count on the number of
 * /version requests). Notes: kubectl.md, kubectl-requests.md.
 *
 *   KUBECTL                                   // its path, or undefined
 *   KUBECTL_SKIP                              // '' or ' (skipped: why)' for test names; throws on import when peers are required
 *   describe.skipIf(!KUBECTL)(`kubectl${KUBECTL_SKIP}`, () => { ... })
 *   const dir = kubectlDir()                  // a fresh temp dir (kubeconfigs, kubectl's home and cache); removeDir(dir)
 *   const file = writeKubeconfig(dir, { server, ca, token, namespace })   // mode 0600; without ca no certificate-authority-data
 *   const result = await kubectl(dir, file, ['get', '--raw', '/version'], { HTTPS_PROXY: proxy.url })
 *   result.code, result.stdout, result.stderr // code -1: killed or not started
 *
 * kubectl runs with PATH, HOME=dir and only the variables given: no KUBECONFIG, proxy or credential
 * of the test process leaks in. Go's proxy rules skip loopback hosts (127.0.0.1, localhost): a proxy
 * test needs a made-up host name that only the test proxy resolves.
 *
 * Only erasable TypeScript here.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { kubectlPath, skipReason } from './peers.ts'

export const KUBECTL = kubectlPath()
const skip = skipReason('kubectl', KUBECTL ? undefined : 'kubectl is not on PATH')
export const KUBECTL_SKIP = skip ? ` (skipped: ${skip})` : ''

export interface KubeconfigSpec {
  server: string
  /** PEM of the CA to trust, embedded as certificate-authority-data; none: system trust. */
  ca?: string
  token: string
  namespace?: string
  /** Names of the cluster, user and context (default 'emulator'). */
  name?: string
}

export interface KubectlResult {
  code: number
  stdout: string
  stderr: string
}

export function kubectlDir(): string {
  return mkdtempSync(join(tmpdir(), 'vmw-e2e-kubectl-'))
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

/** A kubeconfig written by hand: every value a JSON string, which YAML reads as a double-quoted scalar. */
export function writeKubeconfig(dir: string, spec: KubeconfigSpec, file = 'kubeconfig'): string {
  const q = (value: string): string => JSON.stringify(value)
  const name = q(spec.name ?? 'emulator')
  const lines = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${name}`,
    '  cluster:',
    `    server: ${q(spec.server)}`,
    ...(spec.ca ? [`    certificate-authority-data: ${q(Buffer.from(spec.ca).toString('base64'))}`] : []),
    'users:',
    `- name: ${name}`,
    '  user:',
    `    token: ${q(spec.token)}`,
    'contexts:',
    `- name: ${name}`,
    '  context:',
    `    cluster: ${name}`,
    `    user: ${name}`,
    ...(spec.namespace ? [`    namespace: ${q(spec.namespace)}`] : []),
    `current-context: ${name}`,
    '',
  ]
  const path = join(dir, file)
  writeFileSync(path, lines.join('\n'), { mode: 0o600 })
  return path
}

/**
 * Runs kubectl with this kubeconfig (none: it looks at KUBECONFIG in `env`, then HOME=dir), a
 * discovery cache in `dir` and the variables of `env`; a 60 s bound says only "not hung".
 */
export function kubectl(
  dir: string,
  kubeconfig: string | undefined,
  args: string[],
  env: Record<string, string> = {},
): Promise<KubectlResult> {
  if (!KUBECTL) throw new Error('kubectl is not installed')
  const options = [...(kubeconfig ? ['--kubeconfig', kubeconfig] : []), '--cache-dir', join(dir, 'cache'), '--request-timeout', '30s']
  return new Promise((resolve) => {
    execFile(
      KUBECTL!,
      [...options, ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: dir, ...env }, timeout: 60_000, killSignal: 'SIGKILL', encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
        resolve({ code, stdout, stderr })
      },
    )
  })
}
