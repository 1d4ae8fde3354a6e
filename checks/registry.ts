/**
 * The one list of check factories and post-run hooks. To add a group of checks, add
 * its CheckFactory to CHECK_FACTORIES; to act on a finished report (e.g. publish the
 * measured metrics), add a PostRunHook to POST_RUN_HOOKS (its flag appears on the CLI).
 */
import { alarmChecks } from "./alarms";
import { PUBLISH_METRICS_HOOK } from "./alarms/publish";
import { awsChecks } from "./aws";
import { cacheChecks } from "./cache";
import { databaseChecks } from "./database";
import { diskChecks } from "./disk";
import type { PostRunHook } from "./hooks";
import { invalidationChecks } from "./invalidation";
import { partitionChecks } from "./partition";
import { pgbouncerChecks } from "./pgbouncer";
import { readRoutingChecks } from "./readRouting";
import type { CheckFactory } from "./types";

export const CHECK_FACTORIES: CheckFactory[] = [
  cacheChecks,
  invalidationChecks,
  databaseChecks,
  pgbouncerChecks,
  readRoutingChecks,
  partitionChecks,
  diskChecks,
  awsChecks,
  alarmChecks,
];

export const POST_RUN_HOOKS: PostRunHook[] = [PUBLISH_METRICS_HOOK];
