/**
 * A real kubectl against the emulators, when one is installed: the proof that what they serve is
 * what kubectl needs (the requests it sends are in notes/kubectl-requests.md). Debian's
 * `kubernetes-client` (1.20) and current kubectl (1.32) both pass the self-tests.
 *
 *   KUBECTL                                   // its path: $VMW_E2E_KUBECTL, else `kubectl` on PATH; undefined if none
 *   KUBECTL_SKIP                              // '' or a note for test names: why kubectl tests are skipped
 *   const dir = kubectlDir()                  // a fresh temp dir (kubeconfig, manifests, discovery cache); removeDir(dir)
 *   const file = writeKubeconfig(dir, { server, ca, token, namespace })   // a hand-written kubeconfig, mode 0600
 *   const result = await kubectl(dir, file, ['get', '--raw', '/version'], { HTTPS_PROXY: proxy.url })  // { code, stdout, stderr }
 *
 * kubectl runs with PATH, HOME=dir and only the variables given: no KUBECONFIG, proxy or credential
 * of the test process leaks in. Go's proxy rules skip loopback hosts: a proxy test needs a made-up
 * host name that only the test proxy resolves.
 *
 * Only erasable TypeScript here.
 */
import { execFile } from 'node:child_process'
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'

function findKubectl(): string | undefined {
  if (process.env.VMW_E2E_KUBECTL) return process.env.VMW_E2E_KUBECTL
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'kubectl')
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

export const KUBECTL = findKubectl()
export const KUBECTL_SKIP = KUBECTL ? '' : ' (skipped: no kubectl on PATH; `apt-get install kubernetes-client` or set VMW_E2E_KUBECTL)'

export interface KubeconfigSpec {
  server: string
  /** PEM of the CA to trust, embedded as certificate-authority-data. */
  ca: string
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
    `    certificate-authority-data: ${q(Buffer.from(spec.ca).toString('base64'))}`,
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
