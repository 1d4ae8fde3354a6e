import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "dist/**", ".sandbox/**"],
    // Pulumi's runtime is process-global state (mocks, config, stack name): one
    // process per test file keeps stacks from leaking into each other.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
