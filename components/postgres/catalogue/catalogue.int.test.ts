/**
 * The committed catalogue (pg15.json) is what a real PostgreSQL 15 reports in
 * pg_settings: same names, types, contexts, units, ranges and enum values. Fails when
 * either drifts; regenerate with `npx tsx components/postgres/catalogue/generate.ts`.
 */
import { describe, expect, it } from "vitest";
import { PG_CATALOGUE, checkParameterValue } from "./index";
import { readLiveCatalogue } from "./live";

describe("the PostgreSQL 15 parameter catalogue against a real server", () => {
  let live: Awaited<ReturnType<typeof readLiveCatalogue>>;

  it("reads pg_settings of a fresh PostgreSQL 15", async () => {
    live = await readLiveCatalogue();
    expect(live.serverVersion.split(".")[0]).toBe("15");
    expect(Object.keys(live.parameters).length).toBeGreaterThan(300);
  });

  it("has the same parameter names as the server", () => {
    const committed = Object.keys(PG_CATALOGUE.parameters).sort();
    const server = Object.keys(live.parameters).sort();
    expect({ onlyInCatalogue: committed.filter((n) => !server.includes(n)), onlyOnServer: server.filter((n) => !committed.includes(n)) }).toEqual({ onlyInCatalogue: [], onlyOnServer: [] });
  });

  it("has each parameter's type, context, unit, range and values as the server reports them", () => {
    const differ = Object.keys(live.parameters).filter((n) => JSON.stringify(live.parameters[n]) !== JSON.stringify(PG_CATALOGUE.parameters[n]));
    expect(differ.map((n) => ({ name: n, server: live.parameters[n], catalogue: PG_CATALOGUE.parameters[n] }))).toEqual([]);
  });

  it("accepts each enum parameter's server-listed values and each number range's ends", () => {
    for (const [name, p] of Object.entries(live.parameters)) {
      if (p.type === "enum") for (const v of p.values ?? []) expect(checkParameterValue(p, v, "docker").ok, `${name}=${v}`).toBe(true);
      if ((p.type === "integer" || p.type === "real") && p.min !== undefined && p.max !== undefined) {
        expect(checkParameterValue(p, String(p.min), "docker").ok, `${name} min`).toBe(true);
        expect(checkParameterValue(p, String(p.max), "docker").ok, `${name} max`).toBe(true);
      }
    }
  });
});
