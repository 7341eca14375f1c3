import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two projects, so that only the unit tests get nock (test/unit/setup.ts): loaded in an end-to-end
    // test file, it would refuse that file's own connections to the emulators.
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/*.test.ts'], setupFiles: ['test/unit/setup.ts'] } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'] } },
    ],
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      exclude: ['src/entry/**', 'src/stubs/**'],
      reporter: ['text-summary', 'text'],
      thresholds: { lines: 90 },
    },
  },
})
