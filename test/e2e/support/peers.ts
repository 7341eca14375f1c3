/**
 * The real peers of the end-to-end suite, beside the emulators: VMware's vCenter simulator (vcsim,
 * support/vcsim.ts) and kubectl (support/kubectl.ts). `npm test` installs and builds them first
 * (scripts/test-peers.ts); where they cannot be installed (no apt-get, not root), their tests skip,
 * unless peers are required: then a missing peer fails the run.
 *
 *   PEERS_DIR                      // .tmp/peers: the built vcsim and its stamp (git-ignored)
 *   peersRequired()                // VMW_REQUIRE_PEERS=1, or CI set (VMW_REQUIRE_PEERS=0 overrides CI)
 *   findOnPath('go')               // the executable's path, or undefined
 *   kubectlPath()                  // $VMW_E2E_KUBECTL, else kubectl on PATH
 *   skipReason('vcsim', missing)   // undefined when available; the reason to skip; throws when required
 *
 * Only erasable TypeScript here: scripts run this file directly with node's type stripping.
 */
import { accessSync, constants } from 'node:fs'
import { delimiter, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)))
export const PEERS_DIR = join(ROOT, '.tmp', 'peers')
/** What sets the peers up, for messages. */
export const PEERS_COMMAND = 'npm run peers'

function isSet(value: string | undefined): boolean {
  return value !== undefined && !['', '0', 'false', 'no'].includes(value.trim().toLowerCase())
}

/** Whether a missing peer fails the run instead of skipping its tests. */
export function peersRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  const explicit = env.VMW_REQUIRE_PEERS
  return explicit !== undefined && explicit.trim() !== '' ? isSet(explicit) : isSet(env.CI)
}

/** The first executable called `name` on PATH. */
export function findOnPath(name: string, path: string = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue
    const candidate = join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

/** The kubectl the tests use: $VMW_E2E_KUBECTL, else the one on PATH. */
export function kubectlPath(): string | undefined {
  return process.env.VMW_E2E_KUBECTL || findOnPath('kubectl')
}

export class PeerMissingError extends Error {
  override name = 'PeerMissingError'
}

/**
 * For `describe.skipIf(...)`: undefined when the peer is there, else why its tests skip. When
 * peers are required, a missing one throws instead, so that the test file fails to load.
 */
export function skipReason(peer: string, missing: string | undefined): string | undefined {
  if (missing === undefined) return undefined
  if (peersRequired()) {
    throw new PeerMissingError(`${peer} is required here (CI or VMW_REQUIRE_PEERS is set), but ${missing}. Run ${PEERS_COMMAND}.`)
  }
  return `${missing} (${PEERS_COMMAND} installs it on Debian or Ubuntu as root or with passwordless sudo)`
}
