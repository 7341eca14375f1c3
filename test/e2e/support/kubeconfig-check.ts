/**
 * A kubeconfig the action wrote, read back with a real YAML parser, and a request made the way
 * kubectl makes it from that file (the current context's server, its certificate-authority-data
 * and the user's bearer token): the check of a kubeconfig that needs no kubectl.
 *
 *   const config = readKubeconfig(path)                  // the parsed file
 *   const context = currentContext(config)               // { name, cluster, user, namespace?, server, ca?, token }
 *   const reply = await getWithKubeconfig(path, '/version')   // { status, body } from <server><path>
 *   const dirs = jobDirs()                               // in a test file: dirs.runnerTemp (the job's RUNNER_TEMP)
 *                                                        // and dirs.kubectlHome, fresh for each test
 *
 * Only erasable TypeScript here.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import https from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach } from 'vitest'
import { parse } from 'yaml'
import { kubectlDir, removeDir } from './kubectl.ts'

export interface Kubeconfig {
  apiVersion: string
  kind: string
  clusters: { name: string; cluster: { server: string; 'certificate-authority-data'?: string } }[]
  users: { name: string; user: { token: string } }[]
  contexts: { name: string; context: { cluster: string; user: string; namespace?: string } }[]
  'current-context': string
}

export interface ResolvedContext {
  name: string
  cluster: string
  user: string
  namespace?: string
  server: string
  /** The PEM text certificate-authority-data holds; undefined: system trust. */
  ca?: string
  token: string
}

export function readKubeconfig(path: string): Kubeconfig {
  return parse(readFileSync(path, 'utf8')) as Kubeconfig
}

/** A context with its cluster and user looked up, as kubectl resolves it (the current one by default). */
export function currentContext(config: Kubeconfig, name = config['current-context']): ResolvedContext {
  const context = config.contexts.find((entry) => entry.name === name)
  if (!context) throw new Error(`kubeconfig: no context ${name}`)
  const cluster = config.clusters.find((entry) => entry.name === context.context.cluster)?.cluster
  const user = config.users.find((entry) => entry.name === context.context.user)?.user
  if (!cluster || !user) throw new Error(`kubeconfig: context ${name} names a cluster or user it does not have`)
  const ca = cluster['certificate-authority-data']
  return {
    name,
    ...context.context,
    server: cluster.server,
    ca: ca ? Buffer.from(ca, 'base64').toString() : undefined,
    token: user.token,
  }
}

/** GET <server><path> (the server's own path kept, as kubectl keeps it) with the context's CA and token. */
export function getWithKubeconfig(file: string, path: string, name?: string): Promise<{ status: number; body: string }> {
  const context = currentContext(readKubeconfig(file), name)
  const url = new URL(context.server.replace(/\/$/, '') + path)
  return new Promise((resolve, reject) => {
    const request = https.get(
      url,
      { ca: context.ca, headers: { Authorization: `Bearer ${context.token}`, Accept: 'application/json' } },
      (response) => {
        let body = ''
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk))
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
      },
    )
    request.on('error', reject)
    request.setTimeout(30_000, () => request.destroy(new Error('no answer within 30 s')))
  })
}

/** A RUNNER_TEMP for the job (both steps share it, as on a runner) and a home for kubectl, fresh for each test of the file. */
export function jobDirs(): { runnerTemp: string; kubectlHome: string } {
  const dirs = { runnerTemp: '', kubectlHome: '' }
  beforeEach(() => {
    dirs.runnerTemp = mkdtempSync(join(tmpdir(), 'vmw-e2e-runner-temp-'))
    dirs.kubectlHome = kubectlDir()
  })
  afterEach(() => {
    rmSync(dirs.runnerTemp, { recursive: true, force: true })
    removeDir(dirs.kubectlHome)
  })
  return dirs
}
