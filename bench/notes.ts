/** The notes of the report: what the numbers mean, and why a target was missed, each from this run's own evidence. */
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { ROOT } from '../test/e2e/support/runner.ts'
import { COLD_START_LIMIT } from './cold-start.ts'
import { gapAfterFirstAnswer, isParallel, PROBE_DELAY_MS } from './flows.ts'
import { attemptsText, phase, type Results } from './report.ts'
import { count, kb, median, ms, seconds, times } from './stats.ts'
import { STORM_SIZE } from './storm.ts'

const listModules = (names: string[]): string => (names.length ? names.map((name) => `\`${name}\``).join(', ') : '(none)')

/**
 * Which dependency brings in an extra built-in, checked in node_modules (the bundle keeps no
 * package names): only claims that the installed sources still bear out are printed.
 */
function attributions(extra: string[]): string[] {
  const has = (file: string, pattern: RegExp): boolean => {
    try {
      return pattern.test(readFileSync(join(ROOT, 'node_modules', file), 'utf8'))
    } catch {
      return false
    }
  }
  const found: string[] = []
  if (
    extra.includes('child_process') &&
    has('@actions/core/lib/platform.js', /from '@actions\/exec'/) &&
    has('@actions/exec/lib/toolrunner.js', /from 'child_process'/)
  ) {
    found.push(
      '`child_process` (and with it `dgram`, `spawn_sync`, `process_wrap`, `tty_wrap`): `@actions/exec`, which `@actions/core` imports in lib/platform.js ' +
        'for `platform.getDetails()`, which this action never calls',
    )
  }
  if (extra.includes('internal/fs/promises')) {
    const readers = [
      has('@actions/core/lib/summary.js', /=\s*promises;/) ? '`@actions/core` lib/summary.js' : '',
      has('@actions/io/lib/io-util.js', /=\s*fs\.promises;/) ? '`@actions/io` lib/io-util.js (via `@actions/exec`)' : '',
    ].filter(Boolean)
    if (readers.length) {
      found.push(
        '`internal/fs/promises` (and with it readline, `internal/repl/history`, the fs watchers and `fs_dir`): `fs.promises`, read when the module loads by ' +
          readers.join(' and '),
      )
    }
  }
  if (extra.includes('assert') && has('tunnel/lib/tunnel.js', /require\('assert'\)/)) {
    found.push("`assert` (and `internal/assert/*`): the `tunnel` package, @actions/http-client's proxy tunnel, requires it when it loads")
  }
  return found
}

export function notesOf(r: Results): string[] {
  const { size, cold: c, flows: f, storm } = r
  const a = c.cold('action')
  const budget = COLD_START_LIMIT * c.bareMedian
  const floorRatio = c.cold('client').median / c.bareMedian
  const notes: string[] = []
  if (!c.pass) {
    const actionMarks = c.hooked.action.marks
    const clientMarks = c.hooked.client.marks
    const extras = c.stats.has('extras') ? c.pairedDiff('extras', 'https') : Number.NaN
    const overFloor = c.pairedDiff('action', 'client')
    notes.push(
      `**Cold start misses ${COLD_START_LIMIT}x bare node** (${times(c.ratio)}: ${ms(a.median)} against a budget of ${ms(budget)}). ` +
        `Bare \`node -e 0\` only boots node and exits. A step that makes an HTTPS request must also load node's HTTP, TLS and crypto ` +
        `built-ins and do a TLS handshake: the minimal HTTPS client above (one \`https.get\`, nothing else) takes ${ms(c.cold('client').median)} ` +
        `to its first request, ${times(floorRatio)} bare node${floorRatio > COLD_START_LIMIT ? ', so no node action that talks HTTPS can meet the target on this machine' : ''}. ` +
        `That is the floor; the action is ${ms(c.pairedDiff('action', 'client'))} above it (median of the per-round differences).`,
    )
    notes.push(
      `Where the time goes (median of ${c.hookRounds} hooked runs, times from the child's own process start, see the phase table): node has booted at ` +
        `${ms(clientMarks.bootstrap)} (client) / ${ms(actionMarks.bootstrap)} (action); from there to the first client socket the client needs ` +
        `${ms(phase(clientMarks, 'bootstrap', 'request'))} (\`require('https')\` and one request), the action ${ms(phase(actionMarks, 'bootstrap', 'request'))} ` +
        `(the ${kb(size.main.bytes)} ESM bundle with its built-ins, then reading and checking the inputs); the TLS handshake then takes ` +
        `${ms(phase(clientMarks, 'request', 'secure'))} (client) / ${ms(phase(actionMarks, 'request', 'secure'))} (action).`,
    )
    notes.push(
      `Built-ins loaded by the first client socket (process.moduleLoadList, the same hook in each process): action ${c.modules.action.length}, ` +
        `minimal HTTPS client ${c.modules.client.length}, \`require('https')\` (at exit) ${c.modules.https.length}; the client needs ` +
        `${c.modules.clientExtraVsHttps.length ? listModules(c.modules.clientExtraVsHttps) : 'none'} beyond \`require('https')\`. ` +
        `The action loads ${c.modules.actionExtraVsClient.length} the client does not: ${listModules(c.modules.actionExtraVsClient)}.` +
        (attributions(c.modules.actionExtraVsClient).length
          ? ` Where they come from: ${attributions(c.modules.actionExtraVsClient).join('; ')}.`
          : '') +
        (Number.isFinite(extras)
          ? ` Requiring their public modules on top of \`require('https')\` costs ${ms(extras)} (cold-start table, median of per-round differences)` +
            (extras > 0 && overFloor > 0
              ? `, about ${Math.round((100 * extras) / overFloor)}% of the action's ${ms(overFloor)} over the floor; the rest is compiling and running the bundle itself (ESM) and its work before the first request.`
              : ': no cost measurable in this run.')
          : ''),
    )
    notes.push(
      `With the \`ca-certificate\` input instead of NODE_EXTRA_CA_CERTS the action takes ${ms(c.cold('action-ca').median)} to its first request, ` +
        `${ms(c.pairedDiff('action-ca', 'action'))} more (median of per-round differences): it parses the given CA and gives node's whole default CA list ` +
        "together with it to the step's connections (tls.getCACertificates('default') plus the extra ones, on its https.Agent). Only steps given a ca-certificate pay this.",
    )
  }
  if (!f.cspOnePass)
    notes.push(`A CSP main step sent ${[...new Set(f.exchangeCounts)].join(' or ')} exchange requests instead of exactly one.`)
  if (!f.vcdParallelProbe) {
    notes.push(
      `With ${PROBE_DELAY_MS} ms server latency on both, the VCD main step got ${ms(f.vcdProbe.added)} slower (in parallel: about ${PROBE_DELAY_MS} ms; after each other: ${2 * PROBE_DELAY_MS} ms).`,
    )
  }
  const unprobedPairs = [...f.cspPairs, ...f.vcdPairs]
  const handshake = phase(c.hooked.action.marks, 'request', 'secure')
  notes.push(
    `Without injected latency the emulator answers in well under a millisecond, so the exchange and its lookup rarely overlap at the server ` +
      `(VCD ${f.vcdPairs.filter(isParallel).length}/${f.vcdPairs.length} runs, CSP ${f.cspPairs.filter(isParallel).length}/${f.cspPairs.length}): ` +
      `the second of the two arrives a median ${ms(median(unprobedPairs.map(gapAfterFirstAnswer)))} after the first was answered ` +
      `(max ${ms(Math.max(...unprobedPairs.map(gapAfterFirstAnswer)))}). ` +
      (c.hooked.action.marks.sockets >= 2
        ? `In ${unprobedPairs.filter((pair) => gapAfterFirstAnswer(pair) < handshake).length}/${unprobedPairs.length} runs that gap is shorter than ` +
          `the ${ms(handshake)} a TLS handshake takes in the action (phase table); as the two go out side by side on two connections ` +
          `(${c.hooked.action.marks.sockets} client sockets in a CSP main step), in those runs the second request cannot have waited for the first answer. `
        : '') +
      `The latency probe (${PROBE_DELAY_MS} ms on the exchange and on the lookup) shows it directly: the two arrive a median ` +
      `${ms(median([...f.vcdProbe.pairs, ...f.cspProbe.pairs].map((pair) => Math.abs(pair.otherArrived - pair.exchangeArrived))))} apart, ` +
      `and the main step gets one delay slower, not two (VCD ${ms(f.vcdProbe.added)}, CSP ${ms(f.cspProbe.added)}).`,
  )
  const retriesAmongFirst = storm.retryTimes.filter((time) => time < Math.max(...storm.firstWave)).length
  notes.push(
    `The 429 storm runs ${STORM_SIZE} node processes (and the emulator) on ${count(os.cpus().length, 'core')}, so the first wave itself is spread over ` +
      `${seconds(Math.max(...storm.firstWave))} by start-up alone. ` +
      (retriesAmongFirst
        ? `${count(retriesAmongFirst, 'retry', 'retries')} of early runs arrived before the last first tries and, being among the first ${STORM_SIZE} token requests, got 429 again while late first tries went through: ${attemptsText(storm)}. `
        : `Every first try arrived before any retry, so exactly the first tries got the ${storm.throttled} 429s: ${attemptsText(storm)}. `) +
      `Each retry arrived ${seconds(Math.min(...storm.retryWaits))} to ${seconds(Math.max(...storm.retryWaits))} (median ${seconds(median(storm.retryWaits))}) after its 429 was sent: ` +
      `Retry-After's 1 s plus up to 1 s of random jitter (plus a new TLS connection), so the ${STORM_SIZE} runs do not come back as one wave.` +
      (Math.min(...storm.retryWaits) < 1000
        ? ` ${count(storm.retryWaits.filter((wait) => wait < 1000).length, 'retry', 'retries')} came a little under 1 s after the 429 left the emulator ` +
          `(${seconds(Math.min(...storm.retryWaits))} at least): node times a setTimeout from its event loop's cached clock, which lags by tens of ` +
          `milliseconds when ${STORM_SIZE} processes share ${count(os.cpus().length, 'core')}.`
        : ''),
  )

  return notes
}
