/** Every policy of the pack, per area and in one array (the runner loads this lazily). */
import type { Policies } from "@pulumi/policy";
import { ALARM_POLICIES } from "./alarms";
import { APPCONFIG_POLICIES } from "./appconfig";
import { ELASTICACHE_POLICIES } from "./elasticache";
import { NETWORK_POLICIES } from "./network";
import { PGBOUNCER_POLICIES } from "./pgbouncer";
import { PROTECTION_POLICIES } from "./protection";
import { RDS_POLICIES } from "./rds";
import { SECRET_POLICIES } from "./secrets";
import { TAGGING_POLICIES } from "./tagging";

export { ALARM_POLICIES, APPCONFIG_POLICIES, ELASTICACHE_POLICIES, NETWORK_POLICIES, PGBOUNCER_POLICIES, PROTECTION_POLICIES, RDS_POLICIES, SECRET_POLICIES, TAGGING_POLICIES };

/** Policies per area, in the order reports list them. */
export const POLICY_AREAS: Readonly<Record<string, Policies>> = {
  rds: RDS_POLICIES,
  elasticache: ELASTICACHE_POLICIES,
  pgbouncer: PGBOUNCER_POLICIES,
  network: NETWORK_POLICIES,
  alarms: ALARM_POLICIES,
  flags: APPCONFIG_POLICIES,
  tagging: TAGGING_POLICIES,
  protection: PROTECTION_POLICIES,
  secrets: SECRET_POLICIES,
};

export const ALL_POLICIES: Policies = Object.values(POLICY_AREAS).flat();
