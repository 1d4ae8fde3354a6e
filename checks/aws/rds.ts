/** RDS: the primary is Multi-AZ and available; each replica is available and reads from the primary. */
import { DescribeDBInstancesCommand, RDSClient, type DBInstance } from "@aws-sdk/client-rds";
import type { StackOutputs } from "../../components/contract/outputs";
import { awsCall, clientConfig, type RetryPolicy } from "../lib/aws";
import type { Check, CheckContext } from "../types";

async function describeInstance(ctx: CheckContext, outputs: StackOutputs, id: string, retry?: RetryPolicy): Promise<DBInstance> {
  const client = new RDSClient(clientConfig(outputs, ctx));
  try {
    const r = await awsCall(ctx, `RDS DescribeDBInstances(${id})`, (abortSignal) => client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }), { abortSignal }), retry);
    const db = r.DBInstances?.[0];
    if (!db) throw new Error(`DB instance ${id} was not found in ${outputs.region}`);
    return db;
  } finally {
    client.destroy();
  }
}

/** The source may be given as an id or, across regions, an ARN ending in ":db:<id>". */
function sameInstance(source: string | undefined, id: string): boolean {
  return source === id || (source ?? "").endsWith(`:db:${id}`);
}

export function rdsChecks(outputs: StackOutputs, retry?: RetryPolicy): Check[] {
  const aws = outputs.postgres.aws;
  if (!aws) {
    return [{ id: "rds.primary", group: "database", title: "RDS primary", platforms: ["aws"], run: async () => ({ status: "FAIL", message: "outputs.postgres.aws is null on platform aws: the RDS instance ids are unknown" }) }];
  }
  const primary: Check = {
    id: "rds.primary",
    group: "database",
    title: `RDS primary ${aws.primaryInstanceId} Multi-AZ and available`,
    platforms: ["aws"],
    async run(ctx) {
      const db = await describeInstance(ctx, outputs, aws.primaryInstanceId, retry);
      const problems = [db.DBInstanceStatus !== "available" && `status is ${db.DBInstanceStatus ?? "unknown"}`, db.MultiAZ !== true && "Multi-AZ is off (no standby to fail over to)"].filter(Boolean);
      if (problems.length > 0) return { status: "FAIL", message: `${aws.primaryInstanceId}: ${problems.join("; ")}` };
      return { status: "PASS", message: `${aws.primaryInstanceId} is available and Multi-AZ (${db.AvailabilityZone ?? "?"} + standby ${db.SecondaryAvailabilityZone ?? "?"})` };
    },
  };
  const replicas: Check[] = aws.replicaInstanceIds.map((rid) => ({
    id: `rds.replica.${rid}`,
    group: "database",
    title: `RDS replica ${rid} available and replicating from ${aws.primaryInstanceId}`,
    platforms: ["aws"],
    async run(ctx) {
      const db = await describeInstance(ctx, outputs, rid, retry);
      const problems: string[] = [];
      if (db.DBInstanceStatus !== "available") problems.push(`status is ${db.DBInstanceStatus ?? "unknown"}`);
      if (!sameInstance(db.ReadReplicaSourceDBInstanceIdentifier, aws.primaryInstanceId)) problems.push(`replicates from ${db.ReadReplicaSourceDBInstanceIdentifier ?? "nothing (not a read replica)"}, not ${aws.primaryInstanceId}`);
      const replication = db.StatusInfos?.find((s) => s.StatusType === "read replication");
      if (replication && replication.Normal === false) problems.push(`read replication is ${replication.Status ?? "not normal"}${replication.Message ? `: ${replication.Message}` : ""}`);
      if (problems.length > 0) return { status: "FAIL", message: `${rid}: ${problems.join("; ")}` };
      return { status: "PASS", message: `${rid} is available and replicates from ${aws.primaryInstanceId}` };
    },
  }));
  return [primary, ...replicas];
}
