/** Statistics and formatting for the benchmark, and the CPU accounting of /proc (Linux). */
import { readFileSync } from 'node:fs'

/** CPU time in clock ticks, system-wide (busy and total, all CPUs) and of this process with its waited-for children. Linux only. */
export function cpuTicks(): { busy: number; total: number; own: number } | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
    const idle = cpu[3] + (cpu[4] ?? 0)
    const total = cpu.slice(0, 8).reduce((sum, value) => sum + value, 0)
    // Fields after the command name (which may hold spaces): utime is the 14th field, then stime, cutime, cstime.
    const self = readFileSync('/proc/self/stat', 'utf8')
    const fields = self
      .slice(self.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number)
    const own = fields[11] + fields[12] + fields[13] + fields[14]
    return { busy: total - idle, total, own }
  } catch {
    return undefined
  }
}

export function quantile(values: number[], q: number): number {
  if (!values.length) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const at = (sorted.length - 1) * q
  const low = Math.floor(at)
  return sorted[low] + (sorted[Math.ceil(at)] - sorted[low]) * (at - low)
}
export const median = (values: number[]): number => quantile(values, 0.5)
export const p90 = (values: number[]): number => quantile(values, 0.9)
export const ms = (value: number, digits = 1): string => (Number.isFinite(value) ? `${value.toFixed(digits)} ms` : 'n/a')
export const signedMs = (value: number): string => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(1)} ms`
export const seconds = (value: number): string => `${(value / 1000).toFixed(2)} s`
export const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`
export const times = (value: number): string => `${value.toFixed(2)}x`
export const count = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`
export const table = (head: string[], rows: string[][]): string =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n')
export const passMiss = (pass: boolean, miss: string): string => (pass ? 'PASS' : `**MISS** ${miss}`)
