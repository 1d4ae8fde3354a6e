/**
 * The example program evaluated under Pulumi's mocks: what it registers follows its own
 * settings (one replica, no Postgres replicas, no PgBouncer), not the data tier's stacks.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { mockCall, mockNewResource } from "../../tools/evaluate/mocks";

const registered: { type: string; inputs: Record<string, unknown> }[] = [];
let outputs: Record<string, pulumi.Output<unknown>>;

const settle = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));

beforeAll(async () => {
  pulumi.runtime.setAllConfig({
    "cache-and-db:subnets": JSON.stringify([
      { id: "subnet-0aaa1111bbbb2222c", availabilityZone: "us-east-1a" },
      { id: "subnet-0ddd3333eeee4444f", availabilityZone: "us-east-1b" },
    ]),
    "cache-and-db:cacheSecurityGroupId": "sg-0cache00000000000",
    "cache-and-db:dbSecurityGroupId": "sg-0db0000000000000a",
  });
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({ type: args.type, inputs: args.inputs });
        return mockNewResource(args);
      },
      call: mockCall,
    },
    "cache-and-db",
    "example",
    false,
  );
  const { main } = await import("./program");
  outputs = main();
  await settle(pulumi.all(Object.values(outputs)));
});

const ofType = (t: string) => registered.filter((r) => r.type === t);

describe("examples/cache-and-db", () => {
  it("registers one replication group with one replica and one RDS primary, nothing of PgBouncer", () => {
    const groups = ofType("aws:elasticache/replicationGroup:ReplicationGroup");
    expect(groups).toHaveLength(1);
    expect(groups[0].inputs.replicationGroupId).toBe("cache-and-db-cache");
    expect(groups[0].inputs.numCacheClusters ?? Number(groups[0].inputs.replicasPerNodeGroup) + 1).toBe(2);
    const dbs = ofType("aws:rds/instance:Instance");
    expect(dbs).toHaveLength(1);
    expect(dbs[0].inputs.instanceClass).toBe("db.t4g.medium");
    expect(registered.some((r) => r.type.startsWith("aws:ecs/") || r.type.startsWith("aws:lb/"))).toBe(false);
    expect(ofType("postgresql:index/role:Role")).toHaveLength(0);
  });

  it("exports the endpoints of what it made", async () => {
    const cache = (await settle(outputs.cache)) as { host: string; port: number };
    const db = (await settle(outputs.db)) as { host: string; port: number };
    expect(cache.host).toMatch(/cache-and-db-cache/);
    expect(db.port).toBe(5432);
  });
});
