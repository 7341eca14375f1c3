// Sets up the real peers of the end-to-end suite (npm test runs it before vitest; npm run peers alone):
//
//   - Debian's golang-go and golang-github-vmware-govmomi-dev, and kubernetes-client when no kubectl
//     is on PATH (nor named by VMW_E2E_KUBECTL), installed with apt-get when missing and apt-get is usable (root, or passwordless
//     sudo): quietly (its output goes to .tmp/peers/apt.log) and with bounded waits;
//   - vcsim, built from test/e2e/support/vcsim/main.go with GO111MODULE=off GOPATH=/usr/share/gocode
//     into .tmp/peers/ (git-ignored), again only when main.go changed.
//
// Where they cannot be installed (macOS, no apt-get, not root), it says so and exits 0: the vcsim
// and kubectl tests skip. With VMW_REQUIRE_PEERS=1, or CI set (VMW_REQUIRE_PEERS=0 overrides it),
// a missing peer fails here and in the tests. Nothing is downloaded but Debian's packages.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { findOnPath, kubectlPath, PEERS_DIR, peersRequired, ROOT } from '../test/e2e/support/peers.ts'
import { VCSIM_BINARY, VCSIM_SOURCE, VCSIM_STAMP, vcsimMissing, vcsimSourceHash } from '../test/e2e/support/vcsim.ts'

/** Debian's GOPATH of packaged Go sources. */
const GOPATH = '/usr/share/gocode'
/** What main.go imports from the govmomi package (the package brings the simulator too). */
const GOVMOMI_SIMULATOR = join(GOPATH, 'src', 'github.com', 'vmware', 'govmomi', 'vapi', 'simulator')
const APT_LOG = join(PEERS_DIR, 'apt.log')
const MINUTE = 60_000
/** Bounds, generous for a busy 2-core machine (measured: install ~30 s, build ~70 s from cold). */
const APT_UPDATE_TIMEOUT = 5 * MINUTE
const APT_INSTALL_TIMEOUT = 15 * MINUTE
const GO_BUILD_TIMEOUT = 15 * MINUTE

const say = (line: string): void => console.log(`test peers: ${line}`)
const seconds = (since: number): string => `${Math.round((Date.now() - since) / 1000)} s`
const shown = (path: string): string => (path.startsWith(ROOT) ? relative(ROOT, path) : path)

function run(
  command: string,
  args: string[],
  options: { timeout: number; env?: NodeJS.ProcessEnv; cwd?: string },
): SpawnSyncReturns<string> {
  return spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], killSignal: 'SIGKILL', ...options })
}

function ok(result: SpawnSyncReturns<string>): boolean {
  return !result.error && result.status === 0
}

/** The command prefix that runs apt-get as root, or why there is none. */
function aptGet(): string[] | string {
  if (process.platform !== 'linux') return `this is ${process.platform}, not Debian or Ubuntu`
  if (!findOnPath('apt-get')) return 'there is no apt-get'
  if (process.getuid?.() === 0) return ['apt-get']
  // sudo drops the environment: DEBIAN_FRONTEND goes through env.
  if (findOnPath('sudo') && ok(run('sudo', ['-n', 'true'], { timeout: MINUTE }))) {
    return ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get']
  }
  return 'apt-get needs root, and sudo asks for a password'
}

/** Installs Debian packages; on failure updates the package lists once and tries again. */
function install(packages: string[], prefix: string[]): boolean {
  mkdirSync(PEERS_DIR, { recursive: true })
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  // Waits for another apt-get (dpkg's lock) instead of failing at once.
  const options = ['-q', '-y', '-o', 'DPkg::Lock::Timeout=300']
  const log: string[] = []
  const apt = (args: string[], timeout: number): boolean => {
    const result = run(prefix[0], [...prefix.slice(1), ...args], { timeout, env })
    log.push(`$ apt-get ${args.join(' ')}\n${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? `${result.error.message}\n` : ''}`)
    return ok(result)
  }
  const started = Date.now()
  say(`installing ${packages.join(' ')} with apt-get (once: about a minute)`)
  const installArgs = [...options, 'install', '--no-install-recommends', ...packages]
  const done =
    apt(installArgs, APT_INSTALL_TIMEOUT) || (apt([...options, 'update'], APT_UPDATE_TIMEOUT) && apt(installArgs, APT_INSTALL_TIMEOUT))
  writeFileSync(APT_LOG, log.join('\n'))
  if (done) say(`installed in ${seconds(started)}`)
  else say(`apt-get failed after ${seconds(started)}; its output:\n${readFileSync(APT_LOG, 'utf8').split('\n').slice(-15).join('\n')}`)
  return done
}

function goVersion(): string {
  const result = run('go', ['version'], { timeout: MINUTE })
  return /go\d+(\.\d+)+/.exec(result.stdout ?? '')?.[0] ?? 'go'
}

/** Builds vcsim from main.go; true when it is built. */
function buildVcsim(): boolean {
  const started = Date.now()
  mkdirSync(PEERS_DIR, { recursive: true })
  const partial = `${VCSIM_BINARY}.partial`
  const env: NodeJS.ProcessEnv = { ...process.env, GO111MODULE: 'off', GOPATH, GOFLAGS: '', CGO_ENABLED: '0', GOTOOLCHAIN: 'local' }
  // Go's build cache lives in the home directory; without one, beside the binary.
  if (!env.GOCACHE && !env.XDG_CACHE_HOME && !env.HOME) env.GOCACHE = join(PEERS_DIR, 'go-build')
  const result = run('go', ['build', '-o', partial, `./${relative(ROOT, join(VCSIM_SOURCE, '..'))}`], {
    timeout: GO_BUILD_TIMEOUT,
    env,
    cwd: ROOT,
  })
  if (!ok(result)) {
    rmSync(partial, { force: true })
    say(`building vcsim failed after ${seconds(started)}:\n${(result.stderr || result.error?.message || '').trim()}`)
    return false
  }
  renameSync(partial, VCSIM_BINARY)
  writeFileSync(VCSIM_STAMP, `${vcsimSourceHash()}\n`)
  say(`built vcsim (${goVersion()}, govmomi from ${GOPATH}) in ${seconds(started)}: ${shown(VCSIM_BINARY)}`)
  return true
}

function kubectlVersion(path: string): string {
  const result = run(path, ['version', '--client'], { timeout: MINUTE })
  return /v\d+\.\d+\.\d+[^\s",]*/.exec(`${result.stdout}${result.stderr}`)?.[0] ?? 'version unknown'
}

function main(): number {
  const required = peersRequired()
  const needsBuild = vcsimMissing() !== undefined
  const wanted: string[] = []
  if (needsBuild && !findOnPath('go')) wanted.push('golang-go')
  if (needsBuild && !existsSync(GOVMOMI_SIMULATOR)) wanted.push('golang-github-vmware-govmomi-dev')
  // Debian's kubectl would clash with one already there (e.g. Google Cloud's kubectl package).
  if (!kubectlPath()) wanted.push('kubernetes-client')

  let why = ''
  if (wanted.length) {
    const prefix = aptGet()
    if (typeof prefix === 'string') why = `${wanted.join(', ')} cannot be installed: ${prefix}`
    else if (!install(wanted, prefix)) why = `apt-get could not install ${wanted.join(', ')} (${shown(APT_LOG)})`
  }

  const problems: string[] = []
  if (!needsBuild) say(`vcsim ${shown(VCSIM_BINARY)} is up to date`)
  else if (!findOnPath('go') || !existsSync(GOVMOMI_SIMULATOR)) problems.push(`vcsim: ${why || 'Go or the govmomi sources are missing'}`)
  else if (!buildVcsim()) problems.push('vcsim: the build failed')
  const kubectl = kubectlPath()
  if (kubectl) say(`kubectl ${kubectl} (${kubectlVersion(kubectl)})`)
  else problems.push(`kubectl: ${why || 'not on PATH'}`)

  if (!problems.length) return 0
  for (const problem of problems) say(`missing ${problem}`)
  if (required) {
    say('peers are required here (CI or VMW_REQUIRE_PEERS is set): failing')
    return 1
  }
  say('their tests skip. On Debian or Ubuntu, run npm test as root or with passwordless sudo to install them (see CONTRIBUTING.md).')
  return 0
}

process.exitCode = main()
