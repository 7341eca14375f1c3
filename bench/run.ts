/**
 * `npm run bench`: measures the BUILT action (dist/main and dist/post) on this machine against the local
 * emulators (127.0.0.1 only) and writes bench/RESULTS.md. A benchmark, not a test: it fails only
 * when the action itself fails; targets it misses are reported as MISS with the evidence.
 *
 *   node bench/run.ts            full run (about half a minute on 2 cores)
 *   node bench/run.ts --quick    fewer repetitions, for working on these files; writes nothing
 *
 * Phases, one module each: size.ts (dist/ and its entries), cold-start.ts (spawn to first request,
 * against bare node and a minimal HTTPS client), flows.ts (whole runs, main + post, per flow, with
 * their connections, and a latency probe of the parallel requests), proxy.ts (main steps through a
 * proxy 100 ms of round trip away), storm.ts (50 runs at once against 429s); report.ts and notes.ts
 * write the result. clock.ts puts request times on this process's clock.
 *
 * Clocks: every time is this process's performance.now(). Request arrival and answer times come
 * from the emulators' onArrival and onReply hooks, taken at the same moments the emulator records
 * its Date.now() `time` and `durationMs`; sub-millisecond, and on the same clock as the one read
 * just before spawn().
 *
 * Only erasable TypeScript: node 24 runs these files directly.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join, relative } from 'node:path'
import { AriaEmulator } from '../test/e2e/support/aria-emulator.ts'
import { CspEmulator } from '../test/e2e/support/csp-emulator.ts'
import { readActionYml, ROOT } from '../test/e2e/support/runner.ts'
import { VcdEmulator } from '../test/e2e/support/vcd-emulator.ts'
import { VcfaEmulator } from '../test/e2e/support/vcfa-emulator.ts'
import { RequestClock } from './clock.ts'
import { measureColdStart } from './cold-start.ts'
import { measureFlows } from './flows.ts'
import { measureThroughProxy } from './proxy.ts'
import type { Bench } from './process.ts'
import { renderReport } from './report.ts'
import { measureSize } from './size.ts'
import { cpuTicks } from './stats.ts'
import { runStorm } from './storm.ts'

const RESULTS_FILE = join(ROOT, 'bench', 'RESULTS.md')

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick')
  const started = performance.now()
  const cpuBefore = cpuTicks()
  const work = mkdtempSync(join(os.tmpdir(), 'vmw-bench-'))
  process.once('exit', () => rmSync(work, { recursive: true, force: true }))

  const clock = new RequestClock()
  const csp = await new CspEmulator(clock.hooks).start()
  const vcd = await new VcdEmulator(clock.hooks).start()
  const vcfa = await new VcfaEmulator(clock.hooks).start()
  const aria = await new AriaEmulator(clock.hooks).start()
  // The runner never inherits the emulators' private CA: a step trusts it through
  // NODE_EXTRA_CA_CERTS, as on a self-hosted runner with a private CA.
  const caFile = join(work, 'ca.pem')
  writeFileSync(caFile, [...new Set([csp.ca, vcd.ca, vcfa.ca, aria.ca])].join('\n'))
  const bench: Bench = { quick, work, yml: readActionYml(), clock, csp, vcd, vcfa, aria, trust: { NODE_EXTRA_CA_CERTS: caFile } }

  const size = measureSize(bench.yml)
  const cold = await measureColdStart(bench, size)
  const flows = await measureFlows(bench)
  const proxy = await measureThroughProxy(bench)
  const storm = await runStorm(bench)
  await Promise.all([csp.close(), vcd.close(), vcfa.close(), aria.close()])

  const benchSeconds = (performance.now() - started) / 1000
  const cpuAfter = cpuTicks()
  const othersShare =
    cpuBefore && cpuAfter
      ? Math.max(0, cpuAfter.busy - cpuBefore.busy - (cpuAfter.own - cpuBefore.own)) / (cpuAfter.total - cpuBefore.total)
      : undefined

  const markdown = renderReport({ bench, size, cold, flows, proxy, storm, benchSeconds, othersShare })
  console.log(markdown)
  if (quick) console.log(`(--quick: ${relative(ROOT, RESULTS_FILE)} not written)`)
  else writeFileSync(RESULTS_FILE, markdown)
  console.error(`bench: ${benchSeconds.toFixed(1)} s`)
}

await main()
