import { describe, expect, it } from "vitest";
import { freeHugePages, loadThenKill } from "./engines";

// A stand-in "server" in sh: what it prints, and when, is the point (no engine needed).
const sh = (script: string) => ["/bin/sh", ["-c", script]] as const;

describe("loadThenKill: an engine's refusal is judged on all it wrote", () => {
  it("keeps the line written after the process exited (a descendant still writing)", async () => {
    // The parent exits at once; its child writes the line naming the directive 300 ms later.
    const [cmd, args] = sh(`echo '*** FATAL CONFIG FILE ERROR ***' >&2; (sleep 0.3; echo ">>> 'maxmemory-policy bogus'" >&2) & exit 1`);
    const lines = await loadThenKill(cmd, [...args], /Ready to accept/);
    expect(lines).toEqual(["*** FATAL CONFIG FILE ERROR ***", ">>> 'maxmemory-policy bogus'"]);
  });

  it("does not wait for a descendant holding the pipes beyond the drain time", async () => {
    const [cmd, args] = sh(`echo 'FATAL early' >&2; (sleep 30) & exit 1`);
    const t = Date.now();
    const lines = await loadThenKill(cmd, [...args], /Ready to accept/, 10_000, 300);
    expect(lines).toEqual(["FATAL early"]);
    expect(Date.now() - t).toBeLessThan(5_000);
  });

  it("reports ready as accepted, and an exit without a recognised line by its code", async () => {
    expect(await loadThenKill("/bin/sh", ["-c", "echo Ready to accept connections; sleep 30"], /Ready to accept/)).toEqual([]);
    expect(await loadThenKill("/bin/sh", ["-c", "echo something else; exit 3"], /Ready to accept/)).toEqual(["exited 3: something else"]);
  });
});

describe("freeHugePages: /proc/meminfo's count", () => {
  it("reads HugePages_Free, not Total or the anonymous huge pages; none reported is 0", () => {
    const meminfo = "MemTotal:       24683752 kB\nAnonHugePages:    204800 kB\nHugePages_Total:     512\nHugePages_Free:      100\nHugepagesize:       2048 kB\n";
    expect(freeHugePages(meminfo)).toBe(100);
    expect(freeHugePages("MemTotal: 1 kB\n")).toBe(0);
    expect(freeHugePages("")).toBe(0);
  });
});
