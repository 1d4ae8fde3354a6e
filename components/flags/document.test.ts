/** The flag document: the AppConfig feature-flag format, every problem at once, no value echoed. */
import { describe, expect, it } from "vitest";
import { FEATURE_FLAGS_PROFILE_TYPE, FLAG_NAMES, FlagDocumentError, flagDocument, flagDocumentText, parseFlagDocument, type SwitchoverState } from "./document";

const state = (reads: number, writes = reads): SwitchoverState => ({ partitionedReads: reads, partitionedWrites: writes });
const problemsOf = (v: unknown): string[] => {
  try {
    parseFlagDocument(v, "flags.json");
  } catch (e) {
    if (e instanceof FlagDocumentError) return e.problems;
    throw e;
  }
  return [];
};

describe("flagDocument", () => {
  it("is the AppConfig feature-flag format: version 1, both flags with a 0-100 percentage attribute, values", () => {
    const d = flagDocument(state(25, 50));
    expect(FEATURE_FLAGS_PROFILE_TYPE).toBe("AWS.AppConfig.FeatureFlags");
    expect(d.version).toBe("1");
    expect(Object.keys(d.flags).sort()).toEqual([...FLAG_NAMES].sort());
    for (const f of FLAG_NAMES) {
      expect(d.flags[f].attributes.percentage.constraints).toEqual({ type: "number", minimum: 0, maximum: 100, required: true });
      // AppConfig flag keys: ^[a-z][a-zA-Z\d_-]{0,63}$.
      expect(f).toMatch(/^[a-z][a-zA-Z\d_-]{0,63}$/);
    }
    expect(d.values).toEqual({ partitionedReads: { enabled: true, percentage: 25 }, partitionedWrites: { enabled: true, percentage: 50 } });
    expect(flagDocument(state(0)).values.partitionedReads).toEqual({ enabled: false, percentage: 0 });
  });

  it("round-trips every phase-like state through its JSON text", () => {
    for (const p of [0, 1, 5, 10, 25, 50, 100, 12.5]) expect(parseFlagDocument(JSON.parse(flagDocumentText(state(p, 100 - p))), "x")).toEqual(state(p, 100 - p));
  });

  it("refuses a percentage outside 0-100 or not a number, naming each flag", () => {
    expect(() => flagDocument(state(101, -1))).toThrow(/partitionedReads: 101 .*\n.*partitionedWrites: -1/s);
    expect(() => flagDocument(state(Number.NaN))).toThrow(FlagDocumentError);
  });
});

describe("parseFlagDocument", () => {
  const good = () => JSON.parse(flagDocumentText(state(5))) as Record<string, any>;

  it("reports every problem at once, each naming its field", () => {
    const d = good();
    d.version = "2";
    d.values.partitionedReads.percentage = 150;
    d.values.partitionedWrites.enabled = "yes";
    d.flags.partitionedReads.attributes.percentage.constraints.maximum = 1000;
    d.extra = 1;
    const p = problemsOf(d);
    expect(p).toHaveLength(5);
    expect(p.join("\n")).toMatch(/^version: expected "1"/m);
    expect(p.join("\n")).toMatch(/^values\.partitionedReads\.percentage: expected a percentage from 0 to 100/m);
    expect(p.join("\n")).toMatch(/^values\.partitionedWrites\.enabled: expected boolean/m);
    expect(p.join("\n")).toMatch(/^flags\.partitionedReads\.attributes\.percentage\.constraints\.maximum:/m);
    expect(p.join("\n")).toMatch(/^\(document\): unknown field "extra"/m);
  });

  it("refuses enabled and percentage that disagree, either way", () => {
    const d = good();
    d.values.partitionedReads = { enabled: true, percentage: 0 };
    d.values.partitionedWrites = { enabled: false, percentage: 5 };
    expect(problemsOf(d)).toEqual([
      expect.stringMatching(/^values\.partitionedReads: enabled is true with percentage 0/),
      expect.stringMatching(/^values\.partitionedWrites: enabled is false with percentage 5/),
    ]);
  });

  it("refuses a missing flag and non-documents, never echoing a value", () => {
    const d = good();
    delete d.values.partitionedWrites;
    d.values.partitionedReads.percentage = "s3cr3t-value";
    const all = problemsOf(d).join("\n");
    expect(all).toMatch(/values\.partitionedWrites: expected object/);
    expect(all).not.toContain("s3cr3t-value");
    for (const v of [null, [], "text", 42]) expect(problemsOf(v).length).toBeGreaterThan(0);
  });

  it("names the source in the error message", () => {
    expect(() => parseFlagDocument({}, "/tmp/flags.json")).toThrow(/^flag document \/tmp\/flags\.json is invalid \(\d+ problems\)/);
  });
});
