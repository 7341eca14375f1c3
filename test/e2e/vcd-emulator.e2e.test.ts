/**
 * The Cloud Director emulator (support/vcd-emulator.ts) checked on its own: it must behave as its
 * header comment says, or the e2e tests of `provider: vcd` would prove nothing.
 */
import { describe, expect, it } from 'vitest'
import { announcedVersions } from './support/vcd-emulator.ts'

describe('Cloud Director emulator', () => {
  it('VCD announces an unsorted list with deprecated and pre-release entries', () => {
    const versions = announcedVersions('38.1')
    const released = versions.filter((entry) => /^\d+\.\d+$/.test(entry.version)).map((entry) => entry.version)
    expect(released).not.toEqual([...released].sort((a, b) => Number(a) - Number(b)))
    expect(versions.some((entry) => entry.deprecated)).toBe(true)
    expect(versions.map((entry) => entry.version)).toEqual(expect.arrayContaining(['37.0.0-alpha', '39.0.0-alpha', '38.1']))
    expect(versions.at(-1)?.version).not.toBe('38.1')
    expect(announcedVersions('35.0').some((entry) => Number.parseFloat(entry.version) > 36)).toBe(false)
  })
})
