/**
 * The AWS API operations the program's resources become, per service (botocore service
 * name and API version). pin.ts copies their input shapes from botocore's service models
 * into models.json; propertyMap.ts maps each Pulumi input onto a member of one of them.
 */
export const MODEL_OPERATIONS: Record<string, { apiVersion: string; operations: string[] }> = {
  rds: { apiVersion: "2014-10-31", operations: ["CreateDBInstance", "CreateDBInstanceReadReplica", "CreateDBParameterGroup", "ModifyDBParameterGroup", "CreateDBSubnetGroup", "AddTagsToResource", "DeleteDBInstance"] },
  elasticache: { apiVersion: "2015-02-02", operations: ["CreateReplicationGroup", "CreateCacheParameterGroup", "ModifyCacheParameterGroup", "CreateCacheSubnetGroup", "DeleteReplicationGroup", "CreateUser", "CreateUserGroup"] },
  cloudwatch: { apiVersion: "2010-08-01", operations: ["PutMetricAlarm", "PutDashboard", "PutMetricData", "PutCompositeAlarm"] },
  logs: { apiVersion: "2014-03-28", operations: ["CreateLogGroup", "PutRetentionPolicy"] },
  ec2: { apiVersion: "2016-11-15", operations: ["CreateSecurityGroup", "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "CreateTags"] },
  ecr: { apiVersion: "2015-09-21", operations: ["CreateRepository"] },
  ecs: { apiVersion: "2014-11-13", operations: ["CreateCluster", "CreateService", "RegisterTaskDefinition"] },
  iam: { apiVersion: "2010-05-08", operations: ["CreatePolicy", "CreateRole", "PutRolePolicy", "AttachRolePolicy"] },
  kms: { apiVersion: "2014-11-01", operations: ["CreateAlias", "CreateKey", "ScheduleKeyDeletion"] },
  elbv2: { apiVersion: "2015-12-01", operations: ["CreateListener", "CreateLoadBalancer", "CreateTargetGroup", "ModifyTargetGroupAttributes"] },
  scheduler: { apiVersion: "2021-06-30", operations: ["CreateSchedule"] },
  secretsmanager: { apiVersion: "2017-10-17", operations: ["CreateSecret", "PutSecretValue", "DeleteSecret"] },
  sns: { apiVersion: "2010-03-31", operations: ["CreateTopic", "Subscribe"] },
  appconfig: { apiVersion: "2019-10-09", operations: ["CreateApplication", "CreateEnvironment", "CreateConfigurationProfile", "CreateHostedConfigurationVersion", "CreateDeploymentStrategy"] },
  "application-autoscaling": { apiVersion: "2016-02-06", operations: ["RegisterScalableTarget", "PutScalingPolicy"] },
};
