/**
 * Emulators shared by the tests of one file (or one describe): started before the first test, reset
 * after each (no faults, no recorded requests), closed after the last. `start` starts them, sets
 * the file's own variables, and returns them:
 *
 *   let csp: CspEmulator
 *   shareEmulators(async () => [(csp = await new CspEmulator().start())])
 *
 * Emulators that tests start with options of their own are closed after the last test too:
 *
 *   const kept = closedAfterAll()
 *   const strict = await kept(new VcfaEmulator({ vmAppsSessionStatus: 403 }).start())
 */
import { afterAll, afterEach, beforeAll } from 'vitest'
import type { EmulatorServer } from './emulator.ts'

export function shareEmulators(start: () => Promise<EmulatorServer[]>): void {
  let servers: EmulatorServer[] = []
  beforeAll(async () => {
    servers = await start()
  })
  afterEach(() => {
    for (const server of servers) server.reset()
  })
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()))
  })
}

/** Keeps the servers it is given (started by a test for itself) and closes them after the last test. */
export function closedAfterAll(): <S extends EmulatorServer>(starting: Promise<S>) => Promise<S> {
  const servers: EmulatorServer[] = []
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()))
  })
  return async (starting) => {
    const server = await starting
    servers.push(server)
    return server
  }
}
