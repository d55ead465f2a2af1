import { defineConfig } from 'vitest/config';

// Unit tests run in parallel; e2e tests (sandbox hosts, real daemons) run one file at a time
// because they share the machine's network namespaces and docker daemons.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 20_000 } },
      { test: { name: 'security', include: ['test/security/**/*.test.ts'], testTimeout: 60_000 } },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
