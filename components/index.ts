/**
 * The data tier as a library: the components, their `Args`, the pure renderers, the
 * thresholds table, the settings schema and the stack-output contract. Importing this
 * module registers nothing; resources exist only when a component is constructed.
 *
 * ```ts
 * import { RedisCluster, PostgresCluster, settings } from "data-tier";
 * ```
 */
export { RedisCluster, redisNodeCount, checkRedisClusterArgs, DEFAULT_REDIS_IMAGE } from "./redis";
export type { RedisClusterArgs, RedisAwsArgs, RedisDockerArgs } from "./redis";
export { PostgresCluster, checkPostgresClusterArgs, DEFAULT_POSTGRES_IMAGE, DEFAULT_ROLE_NAMES } from "./postgres";
export type { PostgresClusterArgs, PostgresAwsArgs, PostgresDockerArgs, RoleNames } from "./postgres";
export { PgBouncer, checkPgBouncerArgs } from "./pgbouncer";
export type { PgBouncerArgs, PgBouncerAwsArgs, PgBouncerDockerArgs, PgBouncerUser } from "./pgbouncer";
export { DataTierAlarms } from "./alarms";
export type { DataTierAlarmsArgs } from "./alarms";
export { DataTierNetwork } from "./network";
export type { DataTierNetworkArgs } from "./network";
export { ApplicationAccess } from "./appaccess";
export type { ApplicationAccessArgs } from "./appaccess";
export { SwitchoverFlags } from "./flags";
export type { SwitchoverFlagsArgs } from "./flags";

/** Pure renderers (no Pulumi): redis.conf, sentinel.conf, ElastiCache parameters. */
export * as redisConfig from "./redis/render";
/** Pure renderers: postgresql.conf, pg_hba, RDS parameter groups. */
export * as postgresConfig from "./postgres/render";
/** Pure renderers: pgbouncer.ini and its userlist. */
export * as pgbouncerConfig from "./pgbouncer/render";
/** The alarm catalogue: every alarm the thresholds imply, as plain data. */
export * as alarmCatalogue from "./alarms/catalogue";
/** The switchover flag document (AppConfig feature-flag format), the phase table and the organization bucketing. */
export * as switchoverFlags from "./flags/pure";
/** The settings schema, defaults and cross-field rules (validation without Pulumi). */
export * as settings from "./settings";
/** The documented thresholds, read by alarms, checks and policies. */
export * from "./thresholds/thresholds";
/** The stack-output contract: its zod schema and type. */
export * from "./contract/outputs";
