/**
 * The two notification topics (warning, critical), encrypted, with the stack's
 * subscriptions.
 *
 * Encryption: CloudWatch alarms cannot publish to a topic encrypted with the
 * AWS-managed key `alias/aws/sns`; its key policy does not let cloudwatch.amazonaws.com
 * use it and cannot be edited, so every notification would fail silently ("CloudWatch
 * Alarms does not have authorization to access the SNS topic encryption key", AWS
 * re:Post knowledge center). Without `alarms.kmsKeyArn` the component therefore creates
 * a customer-managed key whose policy admits CloudWatch; a key given in `kmsKeyArn`
 * must grant the same (docs/alarms.md).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Severity } from "../thresholds/thresholds";

export interface NotificationTargets {
  warningEmails: string[];
  criticalEmails: string[];
  /** Subscribed to both topics (pager webhooks read the severity from the message). */
  httpsEndpoints: string[];
}

export interface TopicsArgs {
  namePrefix: string;
  kmsKeyArn?: string;
  notifications: NotificationTargets;
  tags: Record<string, string>;
}

export interface Topics {
  warning: aws.sns.Topic;
  critical: aws.sns.Topic;
  /** The key the topics use: the given ARN, or the created key's ARN. */
  kmsKeyArn: pulumi.Output<string>;
}

/** The ARNs of this stack's alarms (every alarm is named `<prefix>-<id>`, catalogue.ts). */
export function alarmArnPattern(partition: string, region: string, accountId: string, namePrefix: string): string {
  return `arn:${partition}:cloudwatch:${region}:${accountId}:alarm:${namePrefix}-*`;
}

/**
 * Key policy: the account administers the key; CloudWatch may use it for SNS only on
 * behalf of this stack's alarms (aws:SourceAccount and aws:SourceArn, the confused-deputy
 * guard; CloudWatch sends both on these KMS calls, unlike EventBridge).
 */
export function topicKeyPolicy(partition: string, accountId: string, region: string, namePrefix: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "AccountAdministers", Effect: "Allow", Principal: { AWS: `arn:${partition}:iam::${accountId}:root` }, Action: "kms:*", Resource: "*" },
      {
        Sid: "CloudWatchAlarmsPublishToEncryptedTopics",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": accountId }, ArnLike: { "aws:SourceArn": alarmArnPattern(partition, region, accountId, namePrefix) } },
      },
    ],
  });
}

export function createTopics(parent: pulumi.Resource, name: string, args: TopicsArgs): Topics {
  const child = { parent };
  let kmsKeyArn: pulumi.Output<string>;
  if (args.kmsKeyArn) {
    kmsKeyArn = pulumi.output(args.kmsKeyArn);
  } else {
    const identity = aws.getCallerIdentityOutput({}, child);
    const partition = aws.getPartitionOutput({}, child);
    const region = aws.getRegionOutput({}, child);
    const key = new aws.kms.Key(
      `${name}-topics-key`,
      {
        description: `${args.namePrefix} alarm topics: SNS encryption usable by CloudWatch alarms`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: pulumi.all([partition.partition, identity.accountId, region.region]).apply(([p, a, r]) => topicKeyPolicy(p, a, r, args.namePrefix)),
        tags: args.tags,
      },
      child,
    );
    new aws.kms.Alias(`${name}-topics-key-alias`, { name: `alias/${args.namePrefix}-alarm-topics`, targetKeyId: key.keyId }, child);
    kmsKeyArn = key.arn;
  }

  const topic = (severity: Severity) =>
    new aws.sns.Topic(
      `${name}-${severity}`,
      { name: `${args.namePrefix}-alarms-${severity}`, displayName: `${args.namePrefix} ${severity} alarms`, kmsMasterKeyId: kmsKeyArn, tags: { ...args.tags, Severity: severity } },
      child,
    );
  const topics = { warning: topic("warning"), critical: topic("critical") };

  const subscribe = (severity: Severity, protocol: "email" | "https", endpoints: string[]) =>
    endpoints.forEach((endpoint, i) => {
      new aws.sns.TopicSubscription(`${name}-${severity}-${protocol}-${i}`, { topic: topics[severity].arn, protocol, endpoint, ...(protocol === "https" ? { endpointAutoConfirms: false } : {}) }, child);
    });
  subscribe("warning", "email", args.notifications.warningEmails);
  subscribe("critical", "email", args.notifications.criticalEmails);
  subscribe("warning", "https", args.notifications.httpsEndpoints);
  subscribe("critical", "https", args.notifications.httpsEndpoints);
  return { ...topics, kmsKeyArn };
}
