/** Phase 1: the size of dist/, of the entries action.yml runs, and of what each step loads per provider. */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { providersOf, stepLoads, type StepLoad } from '../scripts/step-loads.ts'
import { ROOT, type ActionYml } from '../test/e2e/support/runner.ts'

/** Per step and provider (its entry and the chunks of the provider it runs), as scripts/check-size.js guards it. */
export const SIZE_LIMIT_BYTES = 100 * 1024

export interface Entry {
  path: string
  bytes: number
  gzip: number
}

export interface Size {
  files: string[]
  total: number
  main: Entry
  post: Entry
  /** Main and post run the same file. */
  sameEntry: boolean
  /** For each step and provider, what a run loads. */
  loads: StepLoad[]
}

export function measureSize(yml: ActionYml): Size {
  const files = (function list(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? list(join(dir, entry.name)) : /\.(c|m)?js$/.test(entry.name) ? [join(dir, entry.name)] : [],
    )
  })(join(ROOT, 'dist'))
  const entryOf = (step: 'main' | 'post'): Entry => {
    const path = yml.runs[step]
    const bytes = readFileSync(join(ROOT, path))
    return { path, bytes: bytes.length, gzip: gzipSync(bytes).length }
  }
  const main = entryOf('main')
  const post = entryOf('post')
  const loads = stepLoads(join(ROOT, 'dist'), providersOf(join(ROOT, 'action.yml')))
  return { files, total: files.reduce((sum, file) => sum + statSync(file).size, 0), main, post, sameEntry: main.path === post.path, loads }
}
