/**
 * The kubeconfig of a token: written by the main step for the clusters and contexts the provider
 * names, read by later steps' kubectl, deleted by the post step. It holds the token, so it is
 * created for this step alone (a random name, exclusively, mode 0600) and never printed.
 */
import { randomBytes } from 'node:crypto'
import { closeSync, lstatSync, openSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import type { ActionCore, Log } from './core.js'
import type { KubeconfigSpec } from './providers/types.js'

/** The state key the main step keeps the file's path under, apart from the token's state. */
export const KUBECONFIG_STATE = 'kubeconfig'
const FILE_NAME = /^vmw-kubeconfig-[0-9a-f]{32}\.yaml$/

/** Where the file goes: the job's temporary directory, which the runner empties after the job. */
export function kubeconfigDir(): string {
  return resolve(process.env.RUNNER_TEMP || tmpdir())
}

/**
 * A YAML double-quoted scalar that is also a JSON string: quotes, backslashes and control
 * characters escaped, and the characters YAML reads as line breaks, byte-order marks or
 * non-printable too, so a hostile name can neither end the scalar nor make the file unreadable.
 */
function quote(value: string): string {
  // Through UTF-8 and back: a lone surrogate, which no YAML escape can carry, becomes U+FFFD.
  return JSON.stringify(Buffer.from(value).toString()).replace(
    /[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

/**
 * The kubeconfig as block YAML with every value quoted. The CA certificates, when given, are the
 * only ones the clusters trust (certificate-authority-data); without them, the system's. TLS
 * verification is never turned off.
 */
export function renderKubeconfig(spec: KubeconfigSpec, token: string, caCertificates: readonly string[]): string {
  const ca = caCertificates.length ? Buffer.from(caCertificates.join('')).toString('base64') : ''
  const lines = ['apiVersion: v1', 'kind: Config', 'clusters:']
  for (const cluster of spec.clusters) {
    lines.push(`- name: ${quote(cluster.name)}`, '  cluster:', `    server: ${quote(cluster.server)}`)
    if (ca) lines.push(`    certificate-authority-data: ${quote(ca)}`)
  }
  lines.push('users:', `- name: ${quote(spec.user)}`, '  user:', `    token: ${quote(token)}`, 'contexts:')
  for (const context of spec.contexts) {
    lines.push(`- name: ${quote(context.name)}`, '  context:', `    cluster: ${quote(context.cluster)}`, `    user: ${quote(context.user)}`)
    if (context.namespace) lines.push(`    namespace: ${quote(context.namespace)}`)
  }
  lines.push(`current-context: ${quote(spec.currentContext)}`, '')
  return lines.join('\n')
}

/**
 * Writes the kubeconfig under a random name no other step or job uses, created here or not at all
 * ('wx': an existing file or link is never written through); mode 0600 (Windows ignores it: there
 * the runner's temporary directory is the user's own). Its path is saved for the post step.
 */
export function writeKubeconfig(core: Pick<ActionCore, 'saveState'>, text: string, dir = kubeconfigDir()): string {
  const path = join(dir, `vmw-kubeconfig-${randomBytes(16).toString('hex')}.yaml`)
  let created = false
  try {
    const fd = openSync(path, 'wx', 0o600)
    created = true
    try {
      writeFileSync(fd, text)
    } finally {
      closeSync(fd)
    }
  } catch (error) {
    // Only a file this step created is removed, never one that was there before.
    if (created) removeQuietly(path)
    throw new Error(`Could not write the kubeconfig: ${(error as Error).message}`, { cause: error })
  }
  core.saveState(KUBECONFIG_STATE, path)
  return path
}

/** The kubeconfig output, and KUBECONFIG for later steps (with export-env). */
export function publishKubeconfig(core: Pick<ActionCore, 'setOutput' | 'exportVariable'>, exportEnv: boolean, path: string): void {
  core.setOutput('kubeconfig', path)
  if (exportEnv) core.exportVariable('KUBECONFIG', path)
}

/** Removes a file this step wrote, when the step fails after writing it. */
export function removeQuietly(path: string): void {
  try {
    unlinkSync(path)
  } catch {
    // Not there, or already gone: nothing to remove.
  }
}

/**
 * The post step's deletion of the kubeconfig the main step saved. The saved path is untrusted: only
 * a file of the name this action gives, directly in the job's temporary directory, and no link,
 * is removed (unlink never follows a link). Never throws: a problem is a warning.
 */
export function deleteKubeconfig(saved: string, log: Log, dir = kubeconfigDir()): void {
  if (!saved) return
  const name = basename(saved)
  const refused = 'Not deleting the kubeconfig the main step saved: it is not'
  if (!FILE_NAME.test(name) || join(dir, name) !== saved) return log.warning(`${refused} a file this action writes in RUNNER_TEMP.`)
  try {
    if (!lstatSync(saved).isFile()) return log.warning(`${refused} a file (${saved}).`)
    unlinkSync(saved)
    log.info(`Deleted the kubeconfig ${saved}.`)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') log.info(`The kubeconfig ${saved} was already gone.`)
    else log.warning(`Could not delete the kubeconfig ${saved}: ${(error as Error).message}`)
  }
}
