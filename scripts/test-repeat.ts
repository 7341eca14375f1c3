// `npm run test:repeat -- [N] [--busy[=suite|cpu]] [-- vitest args]`: runs the whole vitest suite N
// times (default 5) one after another and reports every failed test with its run number, file and
// name; exits 1 when any run failed. It is the proof that the suite holds on a loaded machine:
//
//   --busy / --busy=suite   a second full suite runs beside it, over and over, for the whole time
//                           (its results are shown but do not count): CPU, ports and file handles compete
//   --busy=cpu              one busy-looping child process per core instead
//
// Arguments after `--` go to vitest (a file filter, say). Coverage is off: it would only slow the runs.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))
const VITEST = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs')

interface Options {
  runs: number
  busy: 'suite' | 'cpu' | undefined
  vitestArgs: string[]
}

function parseArgs(argv: string[]): Options {
  const options: Options = { runs: 5, busy: undefined, vitestArgs: [] }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--') {
      options.vitestArgs = argv.slice(i + 1)
      break
    }
    if (arg === '--busy' || arg === '--busy=suite') options.busy = 'suite'
    else if (arg === '--busy=cpu') options.busy = 'cpu'
    else if (/^\d+$/.test(arg) && Number(arg) > 0) options.runs = Number(arg)
    else throw new Error(`test:repeat: unknown argument ${arg}; usage: npm run test:repeat -- [N] [--busy[=suite|cpu]] [-- vitest args]`)
  }
  return options
}

/** The JSON reporter's shape, as far as this script reads it. */
interface JsonReport {
  numTotalTests: number
  numPassedTests: number
  numFailedTests: number
  testResults: {
    name: string
    status: string
    message?: string
    assertionResults: { fullName: string; status: string; failureMessages: string[] }[]
  }[]
}

interface Failure {
  run: number
  file: string
  test: string
  message: string
}

interface RunResult {
  run: number
  exitCode: number | null
  seconds: number
  passed: number
  total: number
  failures: Failure[]
}

function vitest(args: string[], output: 'pipe' | 'ignore', detached = false): ChildProcess {
  return spawn(process.execPath, [VITEST, 'run', '--coverage.enabled=false', ...args], {
    cwd: ROOT,
    detached,
    stdio: ['ignore', output, output],
    env: { ...process.env, FORCE_COLOR: '0' },
  })
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((done) => child.on('close', (code) => done(code)))
}

/** What one run's JSON report says failed; a run without a report is one failure with vitest's last output. */
function readReport(report: string, run: number, exitCode: number | null, log: string): Omit<RunResult, 'seconds'> {
  let parsed: JsonReport | undefined
  try {
    parsed = JSON.parse(readFileSync(report, 'utf8')) as JsonReport
  } catch {
    parsed = undefined
  }
  if (!parsed) {
    const message = `vitest exited ${exitCode} without a report:\n${log.slice(-4000)}`
    return { run, exitCode, passed: 0, total: 0, failures: [{ run, file: '(vitest)', test: '(no report)', message }] }
  }
  const failures: Failure[] = []
  for (const file of parsed.testResults) {
    const name = relative(ROOT, file.name)
    const failed = file.assertionResults.filter((test) => test.status === 'failed')
    for (const test of failed) failures.push({ run, file: name, test: test.fullName, message: test.failureMessages.join('\n') })
    // A file that failed outside any test (an import error, a failing hook).
    if (file.status === 'failed' && failed.length === 0) failures.push({ run, file: name, test: '(file)', message: file.message ?? '' })
  }
  if (exitCode !== 0 && failures.length === 0) {
    failures.push({ run, file: '(vitest)', test: '(exit code)', message: `vitest exited ${exitCode}:\n${log.slice(-4000)}` })
  }
  return { run, exitCode, passed: parsed.numPassedTests, total: parsed.numTotalTests, failures }
}

async function runOnce(run: number, dir: string, vitestArgs: string[]): Promise<RunResult> {
  const report = join(dir, `run-${run}.json`)
  const started = performance.now()
  const child = vitest(['--reporter=dot', '--reporter=json', `--outputFile.json=${report}`, ...vitestArgs], 'pipe')
  let log = ''
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()))
  const exitCode = await exited(child)
  return { ...readReport(report, run, exitCode, log), seconds: (performance.now() - started) / 1000 }
}

/** What competes for the machine while the measured runs go on; stop() ends it and says what it did. */
function startLoad(kind: 'suite' | 'cpu', dir: string): { stop(): Promise<string> } {
  let stopping = false
  if (kind === 'cpu') {
    const spin = 'for (;;) {}'
    const children = Array.from({ length: availableParallelism() }, () => spawn(process.execPath, ['-e', spin], { stdio: 'ignore' }))
    return {
      async stop() {
        for (const child of children) child.kill('SIGKILL')
        await Promise.all(children.map(exited))
        return `${children.length} busy-looping processes (one per core)`
      },
    }
  }
  const results: Omit<RunResult, 'seconds'>[] = []
  let current: ChildProcess | undefined
  const loop = (async () => {
    for (let n = 1; !stopping; n++) {
      const report = join(dir, `load-${n}.json`)
      current = vitest(['--reporter=dot', '--reporter=json', `--outputFile.json=${report}`], 'ignore', true)
      const code = await exited(current)
      if (!stopping) results.push(readReport(report, n, code, ''))
    }
  })()
  return {
    async stop() {
      stopping = true
      // Its own process group: the suite's workers and the action processes they started end with it.
      if (current?.pid && current.exitCode === null) process.kill(-current.pid, 'SIGTERM')
      await loop
      const failed = results.filter((result) => result.failures.length)
      const lines = [
        `a competing full suite ran ${results.length} complete time(s) beside (${failed.length} of them failed; they do not count)`,
      ]
      for (const failure of failed.flatMap((result) => result.failures)) {
        lines.push(`    competing run ${failure.run}: ${failure.file} > ${failure.test}`, firstLines(failure.message, 4))
      }
      return lines.join('\n')
    },
  }
}

function firstLines(text: string, count: number): string {
  return text
    .split('\n')
    .filter((line) => line.trim() && !/^\s*at /.test(line))
    .slice(0, count)
    .map((line) => `      ${line.trim()}`)
    .join('\n')
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2))
  const dir = mkdtempSync(join(tmpdir(), 'vmw-test-repeat-'))
  const load = options.busy ? startLoad(options.busy, dir) : undefined
  console.log(
    `test:repeat: ${options.runs} full vitest run(s) on ${availableParallelism()} core(s)` +
      (options.busy ? `, with ${options.busy === 'suite' ? 'a second suite' : 'a busy loop per core'} beside` : ''),
  )
  const results: RunResult[] = []
  try {
    for (let run = 1; run <= options.runs; run++) {
      const result = await runOnce(run, dir, options.vitestArgs)
      results.push(result)
      const verdict = result.failures.length ? `FAILED (${result.failures.length})` : 'green'
      console.log(`run ${run}/${options.runs}: ${verdict}, ${result.passed}/${result.total} tests passed, ${result.seconds.toFixed(1)} s`)
      for (const failure of result.failures) {
        console.log(`    run ${run}: ${failure.file} > ${failure.test}`)
        console.log(firstLines(failure.message, 4))
      }
    }
  } finally {
    if (load) console.log(`load: ${await load.stop()}`)
    rmSync(dir, { recursive: true, force: true })
  }
  const failures = results.flatMap((result) => result.failures)
  const green = results.filter((result) => result.failures.length === 0).length
  console.log(`\n${green} of ${results.length} run(s) green.`)
  if (failures.length) {
    console.log('Failures:')
    for (const failure of failures) console.log(`  run ${failure.run}: ${failure.file} > ${failure.test}`)
  }
  return failures.length ? 1 : 0
}

process.exitCode = await main()
