/**
 * Issue 21 on the evaluated program: the cross-resource rules the program creates
 * itself (fixed at the source, or refused by key), the docker plan by docker's rules,
 * and the review's exit codes (2 with the key, never 4).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { deepMerge } from "../../components/settings/defaults";
import { dockerHostPorts } from "../../components/settings/dockerPorts";
import { parseSettings } from "../../components/settings/load";
import { PROJECT_ROOT, readStackFile } from "../../components/settings/stackFile";
import type { Settings } from "../../components/settings/schema";
import { testTempDir } from "../../testing/tempDir";
import type { ProgramRun, RecordedResource } from "../evaluate/program";
import { EXIT, review } from "./cli";
import { programProblems, settingsKeyFor } from "./programChecks";
import { RESERVED_NETWORK_NAMES } from "../../components/docker/reference";

const settings = (): Settings => parseSettings(readStackFile("prod").raw);
const res = (type: string, name: string, inputs: Record<string, unknown>): RecordedResource =>
  ({ type, name, urn: name, custom: true, inputs, secretInputs: [], secretPaths: [], state: {}, protect: false, retainOnDelete: false, deleteBeforeReplace: false, ignoreChanges: [], additionalSecretOutputs: [], dependencies: [] }) as RecordedResource;
const keys = (rs: RecordedResource[], s = settings()) => programProblems(rs, s, "data-tier").map((p) => `${p.key}: ${p.message}`);

describe("cross-resource rules on registered resources", () => {
  it("a security group rule made twice is refused, naming the group's settings key", () => {
    const rule = { securityGroupId: "sg-redis", referencedSecurityGroupId: "sg-0a1b2c3d4e5f60718", ipProtocol: "tcp", fromPort: 6379, toPort: 6379 };
    const type = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
    expect(keys([res(type, "a", rule), res(type, "b", { ...rule, fromPort: 6380, toPort: 6380 })])).toEqual([]);
    expect(keys([res(type, "a", rule), res(type, "b", rule)])).toEqual([expect.stringMatching(/^data-tier:network.appSecurityGroupIds\[0\]: gives the same ingress rule \(port 6379\) twice/)]);
  });

  it("two subnets of one zone behind a load balancer are refused by key", () => {
    const s = settings();
    const [a, b] = s.network.privateSubnets;
    const sameZone = { ...s, network: { ...s.network, privateSubnets: [a, { ...b, availabilityZone: a.availabilityZone }] } };
    const lb = res("aws:lb/loadBalancer:LoadBalancer", "nlb", { subnets: [a.id, b.id] });
    expect(keys([lb])).toEqual([]);
    expect(keys([lb], sameZone)).toEqual([expect.stringMatching(/^data-tier:network.privateSubnets: puts 2 subnets of us-east-1a/)]);
  });

  it("an alarm over more than 10 metrics, and tag keys equal but for case, are refused", () => {
    const q = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `n${i}`, metric: { namespace: "AWS/ElastiCache", metricName: "M", dimensions: { CacheClusterId: `g-${i}` }, stat: "Maximum" } }));
    const type = "aws:cloudwatch/metricAlarm:MetricAlarm";
    expect(keys([res(type, "ok", { metricQueries: q(10) })])).toEqual([]);
    expect(keys([res(type, "big", { metricQueries: q(11) })])).toEqual([expect.stringMatching(/reads 11 metrics; CloudWatch allows 10/)]);
    expect(keys([res("aws:iam/role:Role", "r", { tags: { Owner: "a", owner: "b" } })])).toEqual([expect.stringMatching(/^data-tier:tags.Owner: and "Owner" are one tag key|^data-tier:tags.owner/)]);
  });

  it("a value the API model refuses is reported under the settings key it came from", () => {
    const s = settings();
    const odd = { ...s, alarms: { ...s.alarms, customMetricNamespace: ":odd" } };
    expect(keys([res("aws:cloudwatch/metricAlarm:MetricAlarm", "a", { namespace: ":odd" })], odd)).toEqual([expect.stringMatching(/^data-tier:alarms.customMetricNamespace: does not match the API pattern \[\^:\]\.\*/)]);
    expect(settingsKeyFor(s, `${s.project}-x-${s.tags.Owner}-y`)).toBe("tags.Owner");
    expect(settingsKeyFor(s, "nothing-like-any-setting-value-zz")).toBeUndefined();
    expect(settingsKeyFor(s, `${"{}".repeat(300)}${s.tags.Owner}`)).toBeUndefined();
  });

  it("the docker plan by docker's rules: container names, image references, host ports once and in range, role names", () => {
    const c = (name: string, image: string, ports: unknown[]) => res("docker:index/container:Container", name, { name, image, ports });
    expect(keys([c("aa", "redis:7", [{ internal: 6379, external: 6379, ip: "127.0.0.1" }]), c("bb", "redis:7", [{ internal: 6379, external: 6380, ip: "127.0.0.1" }])])).toEqual([]);
    expect(keys([res("docker:index/volume:Volume", "v", { name: "my vol" }), res("docker:index/network:Network", "n", { name: "-net" })])).toEqual([expect.stringMatching(/not a volume name/), expect.stringMatching(/not a network name/)]);
    // Names the engines predefine or keep for network modes, each refused; a name beside them is not.
    for (const predefined of RESERVED_NETWORK_NAMES) expect(keys([res("docker:index/network:Network", "n", { name: predefined })])).toEqual([expect.stringMatching(/predefines or a network mode/)]);
    expect(keys([res("docker:index/network:Network", "n", { name: "host-net" })])).toEqual([]);
    // moby's pattern needs two characters at least.
    expect(keys([c("a", "redis:7", [])])).toEqual([expect.stringMatching(/not a container name docker accepts/)]);
    const found = keys([
      c("-bad name", "Redis:7", [{ internal: 6432, external: 6379, ip: "127.0.0.1" }]),
      c("bb", "redis:7", [{ internal: 6432, external: 6379, ip: "127.0.0.1" }, { internal: 5432, external: 70000, ip: "127.0.0.1" }]),
      res("postgresql:index/role:Role", "r", { name: "select" }),
    ]);
    expect(found).toEqual([
      expect.stringMatching(/not a container name docker accepts/),
      expect.stringMatching(/lower-case repository name/),
      expect.stringMatching(/^data-tier:pgbouncer.port: both publish host port 127.0.0.1:6379\/tcp/),
      expect.stringMatching(/^data-tier:postgres.port: publishes a host port outside 1-65535/),
      expect.stringMatching(/reserved SQL key word/),
    ]);
  });
});

describe("the program, evaluated", () => {
  let prod: ProgramRun;
  let dev: ProgramRun;
  const overrides = {
    redis: { clusterMode: { enabled: true, shards: 4 }, nodeType: "cache.r6gd.xlarge", replicationGroupId: "Data-Tier-Prod" },
    postgres: { maxAllocatedStorageGb: 500 },
    network: { adminSecurityGroupIds: ["sg-0a1b2c3d4e5f60718"] },
    alarms: { customMetricNamespace: "Data Tier/Prod" },
  };
  beforeAll(async () => {
    const { runProgram } = await import("../evaluate/program");
    prod = await runProgram({ stack: "prod", overrides });
    dev = await runProgram({ stack: "dev", overrides: { redis: { replicas: 5, sentinel: { count: 9 } }, postgres: { replicas: 15 } } });
  }, 180_000);

  it("4 shards (12 nodes) with data tiering, one group both app and admin, no autoscaling, an upper-case group id and a namespace with a space: nothing AWS refuses", () => {
    const raw = readStackFile("prod").raw;
    const s = parseSettings({ ...raw, values: deepMerge(raw.values, overrides) as Record<string, unknown> });
    expect(programProblems(prod.resources, s, "data-tier")).toEqual([]);
    const group = prod.resources.find((r) => r.type === "aws:elasticache/replicationGroup:ReplicationGroup")!;
    expect(group.inputs.dataTieringEnabled).toBe(true);
    expect(group.inputs.replicationGroupId).toBe("data-tier-prod");
    for (const a of prod.resources.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm")) {
      expect(((a.inputs.metricQueries ?? []) as { metric?: unknown }[]).filter((q) => q.metric).length).toBeLessThanOrEqual(10);
    }
    const primary = prod.resources.find((r) => r.type === "aws:rds/instance:Instance" && !r.inputs.replicateSourceDb)!;
    expect(primary.inputs.maxAllocatedStorage).toBe(0);
    const redisFromGroup = prod.resources.filter((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" && r.inputs.referencedSecurityGroupId === "sg-0a1b2c3d4e5f60718" && r.inputs.fromPort === 6379);
    expect(redisFromGroup).toHaveLength(1);
  });

  it("the settings' docker host ports are the ports the docker plan publishes (dev at its largest: 5 Redis replicas, 9 Sentinels, 15 PostgreSQL replicas)", () => {
    expect(programProblems(dev.resources, parseSettings({ ...readStackFile("dev").raw, values: deepMerge(readStackFile("dev").raw.values, { redis: { replicas: 5, sentinel: { count: 9 } }, postgres: { replicas: 15 } }) as Record<string, unknown> }), "data-tier")).toEqual([]);
    const published = dev.resources.filter((r) => r.type === "docker:index/container:Container").flatMap((r) => ((r.inputs.ports ?? []) as { external: number }[]).map((p) => p.external));
    const s = parseSettings({ ...readStackFile("dev").raw, values: deepMerge(readStackFile("dev").raw.values, { redis: { replicas: 5, sentinel: { count: 9 } }, postgres: { replicas: 15 } }) as Record<string, unknown> });
    expect(published).toHaveLength(1 + 5 + 9 + 1 + 15 + 1);
    expect(dockerHostPorts(s).map((p) => p.port).sort()).toEqual(published.sort());
  });
});

describe("npm run review: a refusal is exit 2 naming the key, never 4", () => {
  const run = async (edit: (config: Record<string, unknown>) => void) => {
    const doc = parse(readFileSync(join(PROJECT_ROOT, "Pulumi.prod.yaml"), "utf8")) as { config: Record<string, unknown> };
    // The stack is named "case": keep prod's profile.
    doc.config["data-tier:production"] = true;
    edit(doc.config);
    const file = join(testTempDir("refusal-"), "Pulumi.case.yaml");
    writeFileSync(file, stringify(doc));
    const lines: string[] = [];
    const code = await review({ stack: "case", file, print: (l) => lines.push(l) });
    return { code, out: lines.join("\n") };
  };

  it("a namespace starting with ':' is exit 2 with the key", async () => {
    const { code, out } = await run((c) => {
      c["data-tier:alarms"] = { customMetricNamespace: ":DataTier" };
    });
    expect(code).toBe(EXIT.invalidSettings);
    expect(out).toContain("data-tier:alarms.customMetricNamespace");
  });

  it("4 shards reviews to the end (it crashed with exit 4)", async () => {
    const { code, out } = await run((c) => {
      c["data-tier:redis"] = { ...(c["data-tier:redis"] as object), clusterMode: { enabled: true, shards: 4 } };
    });
    expect([EXIT.ok, EXIT.failed], out).toContain(code);
    expect(out).toMatch(/redis-replication-lag-nodes-1-of-2-warning/);
  }, 120_000);
});

describe("a component's refusal naming a settings key is exit 2, not 4", () => {
  it("maps 'redis.engineVersion ...' and 'postgres.parameters.x: ...' to their keys; anything else stays internal", async () => {
    const { settingsErrorFromProgram } = await import("./cli");
    expect(settingsErrorFromProgram(new Error('redis.engineVersion "x" is not "major.minor"'), "data-tier", "f")?.problems).toEqual([{ key: "data-tier:redis.engineVersion", value: undefined, message: '"x" is not "major.minor"' }]);
    expect(settingsErrorFromProgram(new Error("postgres.parameters.work_mem: expected an integer"), "data-tier", "f")?.problems[0].key).toBe("data-tier:postgres.parameters.work_mem");
    expect(settingsErrorFromProgram(new Error("Cannot read properties of undefined (reading 'x')"), "data-tier", "f")).toBeUndefined();
    expect(settingsErrorFromProgram(new Error("alarms: two alarms would share a name"), "data-tier", "f")).toBeUndefined();
  });
});
