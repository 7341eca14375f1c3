/**
 * Phase 4: main steps through a forward proxy 100 ms of round trip away, as from a runner behind a
 * distant company proxy, where every new connection costs a CONNECT and a TLS handshake (two round
 * trips): the step's time, its tunnels (one TLS handshake each), and how soon a request that waited
 * for others goes out: on a tunnel already open, one round trip after the answer it waited for.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AriaEmulator } from '../test/e2e/support/aria-emulator.ts'
import { CspEmulator } from '../test/e2e/support/csp-emulator.ts'
import type { EmulatorServer, RecordedRequest } from '../test/e2e/support/emulator.ts'
import { runStep } from '../test/e2e/support/runner.ts'
import { ConnectProxy } from '../test/e2e/support/tcp.ts'
import { VcdEmulator } from '../test/e2e/support/vcd-emulator.ts'
import { VcfaEmulator } from '../test/e2e/support/vcfa-emulator.ts'
import { failed, type Bench } from './process.ts'

export const PROXY_RTT_MS = 100
/** A name only the proxy resolves: the step cannot reach the emulators but through it. */
const HOST = 'bench-upstream.example.test'

export interface ProxyFlow {
  label: string
  /** Per measured run. */
  mainMs: number[]
  requests: number[]
  tunnels: number[]
  /** The request that waits for the others (a session lookup), if the flow has one. */
  follow?: string
  /** From the last answer it waited for to its arrival, per run. */
  followGaps: number[]
  /** Runs in which it went out on a connection an earlier request of the step had opened. */
  followReused: number
}

export interface ThroughProxy {
  rttMs: number
  runs: number
  flows: ProxyFlow[]
}

interface Definition {
  flow: ProxyFlow
  server: EmulatorServer
  inputs: Record<string, string>
}

export async function measureThroughProxy(bench: Bench): Promise<ThroughProxy> {
  const runs = bench.quick ? 2 : 6
  const options = { names: [HOST], ...bench.clock.hooks }
  const csp = await new CspEmulator(options).start()
  const vcd = await new VcdEmulator(options).start()
  const vcfa = await new VcfaEmulator(options).start()
  const aria = await new AriaEmulator(options).start()
  const proxy = await new ConnectProxy({ hosts: { [HOST]: '127.0.0.1' }, latencyMs: PROXY_RTT_MS }).start()
  const caFile = join(bench.work, 'proxy-phase-ca.pem')
  writeFileSync(caFile, [csp.ca, vcd.ca, vcfa.ca, aria.ca].join('\n'))

  const flow = (label: string, follow?: string): ProxyFlow => ({
    label,
    mainMs: [],
    requests: [],
    tunnels: [],
    follow,
    followGaps: [],
    followReused: 0,
  })
  const definitions: Definition[] = [
    { flow: flow('CSP API token'), server: csp, inputs: { 'api-token': csp.apiToken } },
    { flow: flow('VCD API token (provider org)', 'session'), server: vcd, inputs: { provider: 'vcd', 'api-token': vcd.providerToken } },
    {
      flow: flow(`VCF Automation API token (All Apps org ${vcfa.tenantOrg})`, 'session'),
      server: vcfa,
      inputs: { provider: 'vcfa', 'api-token': vcfa.tenantToken, org: vcfa.tenantOrg },
    },
    { flow: flow('Aria Automation API token'), server: aria, inputs: { provider: 'aria-automation', 'api-token': aria.refreshToken } },
  ]
  try {
    for (let round = 0; round <= runs; round++) {
      for (const { flow, server, inputs } of definitions) {
        const before = server.requests.length
        const tunnelsBefore = proxy.tunnels.length
        const step = await runStep({
          step: 'main',
          inputs: { ...inputs, url: server.urlFor(HOST) },
          env: { https_proxy: proxy.url, NODE_EXTRA_CA_CERTS: caFile },
        })
        if (!step.succeeded) throw failed(`${flow.label} main step through the proxy`, step)
        if (round === 0) continue // warm-up
        const requests = server.requests.slice(before)
        flow.mainMs.push(step.durationMs)
        flow.requests.push(requests.length)
        flow.tunnels.push(proxy.tunnels.length - tunnelsBefore)
        if (flow.follow) recordFollow(bench, flow, requests)
      }
    }
  } finally {
    await proxy.close()
    await Promise.all([csp.close(), vcd.close(), vcfa.close(), aria.close()])
  }
  return { rttMs: PROXY_RTT_MS, runs, flows: definitions.map((definition) => definition.flow) }
}

function recordFollow(bench: Bench, flow: ProxyFlow, requests: RecordedRequest[]): void {
  const follow = requests.find((request) => request.route === flow.follow)
  if (!follow) throw new Error(`bench: no ${flow.follow} request through the proxy for ${flow.label}`)
  const earlier = requests.filter((request) => request !== follow && bench.clock.answered(request) <= bench.clock.arrival(follow))
  flow.followGaps.push(bench.clock.arrival(follow) - Math.max(...earlier.map((request) => bench.clock.answered(request))))
  if (earlier.some((request) => request.connection === follow.connection)) flow.followReused++
}
