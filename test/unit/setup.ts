/**
 * Every unit test file's set-up (vitest.config.ts, project unit): no real network, and nothing one
 * test leaves behind reaches the next: nock's routes and the requests still waiting on them, fake
 * timers, spies.
 */
import nock from 'nock'
import { afterEach, beforeAll, vi } from 'vitest'

beforeAll(() => nock.disableNetConnect())
afterEach(() => {
  nock.abortPendingRequests()
  nock.cleanAll()
  vi.restoreAllMocks()
  vi.useRealTimers()
})
