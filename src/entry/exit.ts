/**
 * The step is done. A socket a hung server or proxy left half-open must not hold the job, so the
 * process ends once everything written so far has been flushed.
 */
export function exitWhenFlushed(): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit()))
}
