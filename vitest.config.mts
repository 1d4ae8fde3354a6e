import { defineConfig } from "vitest/config";

const exclude = ["node_modules/**", "dist/**", ".sandbox/**"];

export default defineConfig({
  test: {
    // Pulumi's runtime is process-global state (mocks, config, stack name): one
    // process per test file keeps stacks from leaking into each other.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Unit tests first; then the tests against real servers (*.int.test.ts), one
    // file at a time so failover timings are not skewed by a busy 2-core machine.
    sequence: { groupOrder: 0 },
    projects: [
      { extends: true, test: { name: "unit", include: ["**/*.test.ts"], exclude: [...exclude, "**/*.int.test.ts"], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: "integration", include: ["**/*.int.test.ts"], exclude, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
