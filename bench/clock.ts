/**
 * Request times on the benchmark's clock: the emulators' onArrival and onReply hooks stamp each
 * request with performance.now(), at the moments the emulator records its Date.now() `time` and
 * `durationMs`; sub-millisecond, and on the same clock as the one read just before spawn().
 */
import type { RecordedRequest } from '../test/e2e/support/emulator.ts'

export class RequestClock {
  private readonly arrivedAt = new WeakMap<RecordedRequest, number>()
  private readonly answeredAt = new WeakMap<RecordedRequest, number>()
  /** Date.now() minus performance.now(): only for requests the hooks missed. */
  private readonly dateOffset = Date.now() - performance.now()
  /** Requests the hooks missed (their times then come from the emulator's Date.now() record). */
  readonly missed = new Set<RecordedRequest>()

  /** The emulator options that feed this clock. */
  readonly hooks = {
    onArrival: (request: RecordedRequest): void => void this.arrivedAt.set(request, performance.now()),
    onReply: (request: RecordedRequest): void => void this.answeredAt.set(request, performance.now()),
  }

  arrival(request: RecordedRequest): number {
    const hooked = this.arrivedAt.get(request)
    if (hooked !== undefined) return hooked
    this.missed.add(request)
    return request.time - this.dateOffset
  }

  answered(request: RecordedRequest): number {
    const hooked = this.answeredAt.get(request)
    if (hooked !== undefined) return hooked
    this.missed.add(request)
    return request.time + (request.durationMs ?? 0) - this.dateOffset
  }

  /** Time the emulator spent on these requests, overlapping intervals counted once. */
  busyTime(requests: RecordedRequest[]): number {
    const spans = requests.map((request) => [this.arrival(request), this.answered(request)]).sort((a, b) => a[0] - b[0])
    let total = 0
    let end = -Infinity
    for (const [start, stop] of spans) {
      if (stop <= end) continue
      total += stop - Math.max(start, end)
      end = stop
    }
    return total
  }
}
