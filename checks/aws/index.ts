/**
 * The AWS-only checks (control plane: ElastiCache, RDS, ECS, NLB). They run only on
 * platform "aws", with credentials from the default AWS chain and the stack's region.
 */
import type { RetryPolicy } from "../lib/aws";
import type { CheckFactory } from "../types";
import { ecsChecks } from "./ecs";
import { elasticacheChecks } from "./elasticache";
import { nlbChecks } from "./nlb";
import { rdsChecks } from "./rds";

/** @param retry throttling retries; tests pass a short backoff. */
export function awsChecksWith(retry?: RetryPolicy): CheckFactory {
  return (outputs) => (outputs.platform === "aws" ? [...elasticacheChecks(outputs, retry), ...rdsChecks(outputs, retry), ...ecsChecks(outputs, retry), ...nlbChecks(outputs, retry)] : []);
}

export const awsChecks: CheckFactory = awsChecksWith();
