import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { settingKeyPaths } from "./reference";

describe("the README's settings reference", () => {
  const readme = readFileSync(join(__dirname, "..", "..", "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Settings reference"), readme.indexOf("## The stack-output contract"));

  it("documents every setting the schema accepts", () => {
    const missing = settingKeyPaths().filter((path) => {
      const [top, ...rest] = path.split(".");
      const leaf = rest.join(".") || top;
      return !section.includes(`\`${leaf}\``) && !section.includes(`\`${top}.${leaf}\``);
    });
    expect(missing).toEqual([]);
  });

  it("finds the schema's keys (the walk reaches nested settings)", () => {
    expect(settingKeyPaths()).toEqual(expect.arrayContaining(["redis.sentinel.quorum", "pgbouncer.tls.client", "alarms.baseline.rdsCpuPercent", "platform"]));
  });
});
