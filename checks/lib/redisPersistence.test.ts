import { describe, expect, it } from "vitest";
import { persistenceMessage, persistenceProblems } from "./redisPersistence";

const ok = { aof_enabled: "1", aof_last_write_status: "ok", rdb_last_bgsave_status: "ok", aof_last_bgrewrite_status: "ok" };

describe("Redis persistence (a full disk) from INFO persistence", () => {
  it("nothing when every status is ok, or AOF is off", () => {
    expect(persistenceProblems(ok)).toEqual([]);
    expect(persistenceMessage("redis-1", { ...ok, aof_enabled: "0", aof_last_write_status: "err" })).toBeNull();
  });

  it("names the node and each failing status", () => {
    expect(persistenceMessage("redis-1", { ...ok, aof_last_write_status: "err", rdb_last_bgsave_status: "err" })).toBe(
      "redis-1 cannot persist: writes to the append-only file are failing (aof_last_write_status:err); the last RDB snapshot failed (rdb_last_bgsave_status:err): its disk is full or unwritable (the reason is in its log); a master then refuses writes with MISCONF",
    );
    expect(persistenceProblems({ ...ok, aof_last_bgrewrite_status: "err" })).toEqual(["the last AOF rewrite failed (aof_last_bgrewrite_status:err)"]);
  });
});
