// Fails when the committed dist/ is not what a fresh build of src/ makes.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(fileURLToPath(import.meta.url), '../..')
const fresh = mkdtempSync(join(tmpdir(), 'vmw-token-dist-'))

/** Every file under dir, as paths relative to it. */
function filesIn(dir) {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
  } catch {
    return []
  }
}

try {
  execFileSync(process.execPath, [join(root, 'scripts/build.js'), fresh], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] })
  const committed = join(root, 'dist')
  const names = new Set([...filesIn(committed), ...filesIn(fresh)])
  const differing = [...names].filter((name) => {
    try {
      return !readFileSync(join(committed, name)).equals(readFileSync(join(fresh, name)))
    } catch {
      return true
    }
  })
  if (differing.length) {
    console.error(`dist/ is not a fresh build of src/: ${differing.join(', ')} differ. Run 'npm run build' and commit dist/.`)
    process.exit(1)
  }
  console.log('dist/ matches a fresh build of src/.')
} finally {
  rmSync(fresh, { recursive: true, force: true })
}
