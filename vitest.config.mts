import { defineConfig } from "vitest/config";

// Plain evaluations of a stack, stored once per content of the tree and read by the unit
// tests that only read them (tools/evaluate/shared.ts; relative to the project root):
// beside the packages, so gitignored with them.
const sharedRuns = "node_modules/.cache/data-tier/runs";
const exclude = ["node_modules/**", "dist/**", ".sandbox/**"];
/** Integration files that assert no timing (no window, lag or deadline measured): safe to run side by side. */
const INTEGRATION_STATIC = [
  "components/redis/acl.int.test.ts",
  "components/redis/catalogue/catalogue.int.test.ts",
  "components/postgres/render.int.test.ts",
  "components/postgres/catalogue/catalogue.int.test.ts",
  "components/pgbouncer/render.int.test.ts",
  "components/pgbouncer/entrypoint.int.test.ts",
  "components/pgbouncer/conformance/drivers.int.test.ts",
  "components/postgres/appPrivileges.int.test.ts",
  "components/consumer.int.test.ts",
  "tools/validators/engines.int.test.ts",
  "tools/demo.int.test.ts",
  "policies/pack.int.test.ts",
  "checks/invpc/entry.int.test.ts",
  "bench/pgbouncer/backends.int.test.ts",
  "sandbox/rolePasswords.int.test.ts",
  "sandbox/sandbox.int.test.ts",
  "checks/appOwnedCode.int.test.ts",
];
/** Drills whose time bounds leave several times what they measure (an application's failover window < 15 s, measured 3-4 s; a rollback < 1 s): side by side with the untimed files. */
const INTEGRATION_LOOSE_DRILLS = ["examples/app-client/drill.int.test.ts", "tools/rollout/drill.int.test.ts"];

export default defineConfig({
  test: {
    // Pulumi's runtime is process-global state (mocks, config, stack name): processes,
    // not threads. The integration project gives each file its own process; the unit
    // project reuses its two workers across files (below).
    pool: "forks",
    testTimeout: 60_000,
    // Per-project files, tests and wall time first, then vitest's own summary as the last lines.
    reporters: ["./testing/reporters/projectDurations.ts", "default"],
    hookTimeout: 120_000,
    // Unit tests first; then the tests against real servers (*.int.test.ts): the untimed
    // ones four at a time, then the timed ones two at a time, so failover timings are not
    // skewed by a busy 2-core machine.
    sequence: { groupOrder: 0 },
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["**/*.test.ts"],
          exclude: [...exclude, "**/*.int.test.ts"],
          sequence: { groupOrder: 0 },
          env: { DATA_TIER_SHARED_RUNS: sharedRuns },
          // Files share a worker (the SDK and vitest load once per worker, not per file);
          // the setup file puts back what a file changed in the process. Two workers: one
          // per core (vitest's default on 2 cores is one).
          isolate: false,
          maxWorkers: 2,
          setupFiles: ["./testing/setup/sharedWorker.ts"],
        },
      },
      // Real servers, but nothing timed (loading configs, command tables, drivers, builds), and
      // the two loose drills, each on servers of its own. Mostly waiting on their processes:
      // four files at a time (measured: 47-53 s wall, against 37 + 28 s as two projects of
      // three and two), before the timed ones.
      { extends: true, test: { name: "integration-parallel", include: [...INTEGRATION_LOOSE_DRILLS, ...INTEGRATION_STATIC], exclude, maxWorkers: 4, sequence: { groupOrder: 1 } } },
      // Failovers, freezes, drills, read routing: windows measured in seconds, two files at a
      // time. Each file has its own servers on ports of its own, and these files mostly wait
      // (Sentinel's down-after, router intervals, heals): measured 33% CPU on average with two
      // side by side (71% at most), 232 s wall against 470 s one at a time, every window
      // within its bound. Not four: the bounds were measured with at most one neighbour.
      { extends: true, test: { name: "integration", include: ["**/*.int.test.ts"], exclude: [...exclude, ...INTEGRATION_STATIC, ...INTEGRATION_LOOSE_DRILLS], maxWorkers: 2, sequence: { groupOrder: 2 } } },
    ],
  },
});
