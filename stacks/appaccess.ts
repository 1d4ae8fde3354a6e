import * as pulumi from "@pulumi/pulumi";
import { ApplicationAccess } from "../components/appaccess";
import { applicationCredentialsFor, applicationOutputsFor } from "../components/contract/application";
import type { ApplicationCredentials, ApplicationOutputs } from "../components/contract/outputs";
import type { PgBouncer } from "../components/pgbouncer";
import type { PostgresCluster } from "../components/postgres";
import type { RedisCluster } from "../components/redis";
import type { StackContext } from "./context";

export interface RealizedApplicationAccess {
  /** The plain `application` output. */
  contract: pulumi.Output<ApplicationOutputs>;
  /** The `applicationCredentials` output's value (wrap in pulumi.secret on export). */
  credentials: pulumi.Output<ApplicationCredentials>;
  /** AWS: the secrets and the read policy; undefined off AWS. */
  aws?: ApplicationAccess;
}

/**
 * The application slice: what an application connects to (PgBouncer's pools, Redis) and,
 * on AWS, its Secrets Manager secrets and the policy that reads exactly them.
 */
export function realizeApplicationAccess(ctx: StackContext, parts: { redis: RedisCluster; postgres: PostgresCluster; pgbouncer: PgBouncer }): RealizedApplicationAccess {
  const s = ctx.settings;
  const { redis, postgres, pgbouncer } = parts;
  const pgbouncerClientTls = s.pgbouncer.tls.client !== "disable";
  const plain = (aws: pulumi.Output<ApplicationOutputs["aws"]>) =>
    pulumi
      .all([pgbouncer.contract, redis.contract, postgres.appUser, postgres.readonlyUser, aws])
      .apply(([pb, r, readWrite, readOnly, a]) => applicationOutputsFor({ pgbouncer: pb, pgbouncerClientTls, users: { readWrite, readOnly }, redis: r, aws: a }));

  let access: ApplicationAccess | undefined;
  let contract: pulumi.Output<ApplicationOutputs>;
  if (ctx.aws) {
    const connections = plain(pulumi.output(null)).apply((c) => ({ readWrite: c.readWrite, readOnly: c.readOnly }));
    access = new ApplicationAccess(`${ctx.prefix}-app`, {
      namePrefix: ctx.prefix,
      region: s.region!,
      production: s.production,
      connections,
      passwords: { readWrite: postgres.appPassword, readOnly: postgres.readonlyPassword },
      kmsKeyArn: s.postgres.kmsKeyArn,
      // The application user's RBAC secret; the AUTH token only where RBAC cannot apply.
      redisSecret: { secretArn: redis.contract.apply((c) => c.aws!.userSecretArns?.application ?? c.aws!.authTokenSecretArn!), kmsKeyArn: s.redis.kmsKeyArn },
      tags: ctx.tags,
    });
    contract = plain(access.contract);
  } else {
    contract = plain(pulumi.output(null));
  }
  const credentials = pulumi
    .all([contract, postgres.appPassword, postgres.readonlyPassword, redis.password])
    .apply(([app, readWrite, readOnly, redisPassword]) => applicationCredentialsFor(app, { readWrite, readOnly, redis: redisPassword }));
  return { contract, credentials, aws: access };
}
