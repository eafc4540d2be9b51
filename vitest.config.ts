import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Integration and e2e tests talk to a real PostgreSQL and spawn the server as a process;
    // on the 2-core CI machines a cold start of the server takes a few seconds.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: more workers than that only adds contention for the shared PostgreSQL.
    maxWorkers: 2,
  },
});
