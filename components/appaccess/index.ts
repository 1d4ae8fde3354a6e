/**
 * Application access on AWS, least privilege: one Secrets Manager secret per application
 * role (read-write, read-only) in the JSON shape of an RDS secret, pointing at PgBouncer's
 * pools, and a managed IAM policy that reads exactly those two secrets and the Redis AUTH
 * token's. An application's task role (or execution role, for ECS `secrets`) attaches the
 * policy; it never sees the operator's passwords.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { applicationRoleSecretFor } from "../contract/application";
import type { ApplicationOutputs } from "../contract/outputs";
import { applicationReadPolicy } from "./policy";

export interface ApplicationAccessArgs {
  /** Physical-name prefix, "<project>-<environment>". */
  namePrefix: string;
  region: string;
  /** Protects the secrets and keeps a 30-day recovery window. @default false */
  production?: boolean;
  /** Plain connection details of the two roles (the `application` output's readWrite / readOnly). */
  connections: pulumi.Input<{ readWrite: ApplicationOutputs["readWrite"]; readOnly: ApplicationOutputs["readOnly"] }>;
  /** The roles' passwords (secrets). */
  passwords: { readWrite: pulumi.Input<string>; readOnly: pulumi.Input<string> };
  /** Customer managed key for the two role secrets (postgres.kmsKeyArn); aws/secretsmanager when unset. */
  kmsKeyArn?: string;
  /** The application's Redis secret (its RBAC user, or the AUTH token where RBAC cannot apply; created by the Redis component) and its key (redis.kmsKeyArn). */
  redisSecret: { secretArn: pulumi.Input<string>; kmsKeyArn?: string };
  tags: Record<string, string>;
}

export class ApplicationAccess extends pulumi.ComponentResource {
  public readonly readWriteSecretArn: pulumi.Output<string>;
  public readonly readOnlySecretArn: pulumi.Output<string>;
  public readonly readPolicyArn: pulumi.Output<string>;
  /** The `application.aws` part of the contract. */
  public readonly contract: pulumi.Output<NonNullable<ApplicationOutputs["aws"]>>;

  constructor(name: string, args: ApplicationAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datatier:appaccess:ApplicationAccess", name, {}, opts);
    const a = { production: false, ...args };
    const child = { parent: this };
    const connections = pulumi.output(a.connections);

    const secret = (role: "readWrite" | "readOnly", slug: string, what: string) => {
      const s = new aws.secretsmanager.Secret(
        `${name}-${slug}`,
        {
          name: `${a.namePrefix}/app/${slug}`,
          description: `${what} application role: host, port, dbname (the PgBouncer pool), username, password`,
          kmsKeyId: a.kmsKeyArn,
          recoveryWindowInDays: a.production ? 30 : 7,
          tags: { ...a.tags, DataTierRole: slug },
        },
        { ...child, protect: a.production },
      );
      const value = pulumi.all([connections, a.passwords[role]]).apply(([c, pw]) => JSON.stringify(applicationRoleSecretFor(c[role], pw)));
      new aws.secretsmanager.SecretVersion(`${name}-${slug}`, { secretId: s.id, secretString: pulumi.secret(value) }, child);
      return s.arn;
    };
    this.readWriteSecretArn = secret("readWrite", "readwrite", "Read-write");
    this.readOnlySecretArn = secret("readOnly", "readonly", "Read-only");

    const document = pulumi
      .all([this.readWriteSecretArn, this.readOnlySecretArn, pulumi.output(a.redisSecret.secretArn)])
      .apply(([rw, ro, redis]) =>
        JSON.stringify(
          applicationReadPolicy(
            [
              { arn: rw, kmsKeyArn: a.kmsKeyArn },
              { arn: ro, kmsKeyArn: a.kmsKeyArn },
              { arn: redis, kmsKeyArn: a.redisSecret.kmsKeyArn },
            ],
            a.region,
          ),
        ),
      );
    const policy = new aws.iam.Policy(
      `${name}-read`,
      { name: `${a.namePrefix}-app-secrets-read`, description: "Read the data tier's application secrets (read-write, read-only, the application's Redis credentials) and nothing else", policy: document, tags: a.tags },
      child,
    );
    this.readPolicyArn = policy.arn;

    this.contract = pulumi
      .all([this.readWriteSecretArn, this.readOnlySecretArn, pulumi.output(a.redisSecret.secretArn), policy.arn])
      .apply(([readWriteSecretArn, readOnlySecretArn, redisSecretArn, readPolicyArn]) => ({ readWriteSecretArn, readOnlySecretArn, redisSecretArn, readPolicyArn }));
    this.registerOutputs({ readWriteSecretArn: this.readWriteSecretArn, readOnlySecretArn: this.readOnlySecretArn, readPolicyArn: this.readPolicyArn, contract: this.contract });
  }
}
