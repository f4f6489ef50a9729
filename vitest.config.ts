import { defineConfig } from 'vitest/config'

// Tests that start processes share two cores with everything else: run files one at a time
// in forks so a slow machine gives slow tests, not flaky ones. The timeouts are only a backstop
// for a hung test: generous, because a loaded machine makes process-heavy tests several times
// slower (tests assert behaviour, never speed).
export default defineConfig({
  // `#crm-contract` resolves to the contract's TypeScript source in tests (package.json "imports"),
  // so a test never runs a stale build of it.
  ssr: { resolve: { conditions: ['loadlab-source'] } },
  test: {
    include: ['system-under-test/**/*.test.ts', 'harness/**/*.test.ts', 'scenarios/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
})
