import { describe, expect, it } from "vitest";
import { sampleOutputs } from "../../testing/fixtures/outputs";
import { runSuite } from "../suite";
import { fakeCheck } from "../testing/fakes";
import { formatConsoleReport } from "./console";
import { formatJunitReport } from "./junit";
import { roundForDisplay, roundNumbersIn } from "./numbers";

describe("numbers for people", () => {
  it("rounds float artefacts to 3 decimals, leaving addresses, versions and short figures alone", () => {
    expect(roundForDisplay(186.2 / 1000)).toBe(0.186);
    expect(roundNumbersIn(`pool wait ${1000 / 6} ms on 127.0.0.1:6432 (PostgreSQL 15.4, 0.5 s, 1.2345 ms)`)).toBe("pool wait 166.667 ms on 127.0.0.1:6432 (PostgreSQL 15.4, 0.5 s, 1.2345 ms)");
  });

  it("leaves timestamps whole: the seconds of a time of day are not a float artefact", () => {
    // Seen in partition.row-delta: "created_at >= 2026-12-05 11:10:0.091+00".
    for (const t of ["2026-12-05 11:10:00.091234+00", "2026-12-05T11:10:09.123456Z", "11:10:59.999999"]) expect(roundNumbersIn(`window created_at >= ${t} (last 3600 s)`)).toBe(`window created_at >= ${t} (last 3600 s)`);
    // A long fraction after the timestamp is still rounded.
    expect(roundNumbersIn(`at 11:10:00.091234, lag 0.18619999999999998 s`)).toBe("at 11:10:00.091234, lag 0.186 s");
  });

  it("the JUnit and console reports print no 166.66666666666666 or 0.18619999999999998", async () => {
    const report = await runSuite(sampleOutputs(), {
      factories: [() => [{ ...fakeCheck("pg.wait", { status: "WARN", message: `waited ${1000 / 6} ms`, measured: { value: 1000 / 6, unit: "milliseconds" } }), group: "database" }]],
      hooks: [],
    });
    report.results[0].durationMs = 186.2;
    const xml = formatJunitReport(report, (s) => s);
    expect(xml).toContain('time="0.186"');
    expect(xml).toContain("waited 166.667 ms");
    expect(xml).not.toMatch(/\d\.\d{5,}/);
    const text = formatConsoleReport(report, false);
    expect(text).toContain("waited 166.667 ms [measured 166.667 milliseconds]");
    expect(text).not.toMatch(/\d\.\d{5,}/);
    // The JSON report keeps the full figure for machines.
    expect(report.results[0].measured?.value).toBe(1000 / 6);
  });
});
