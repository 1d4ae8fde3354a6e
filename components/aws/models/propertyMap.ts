/**
 * Pulumi resource input -> the AWS API member it becomes (per the Terraform AWS provider
 * the Pulumi provider is bridged from): "Operation.Member[].Sub" in the service's pinned
 * model. An input the provider transforms before sending (a boolean turned into an
 * enumeration, an attribute call, a provider-only switch) is `{ unmapped: why }`: listed
 * by models.test.ts, so the map cannot shrink without a test changing.
 */

export type Spec =
  /** A member path; lists of scalars are checked item by item. */
  | string
  /** A `{key: value}` map sent as the service's tag list (Key/Value) or tag map. */
  | { tags: string }
  /** CloudWatch `{name: value}` dimensions sent as [{Name, Value}]. */
  | { dimensions: string }
  /** A name prefix: the provider appends a unique suffix of this many characters. */
  | { path: string; suffix: number }
  /** A JSON document the provider decodes before sending. */
  | { json: Spec }
  /** A list of objects: the list's member path and each field's spec. */
  | { items: string; fields: Record<string, Spec> }
  /** An object input: each field's spec. */
  | { fields: Record<string, Spec> }
  /** Not checked against a model, and why. */
  | { unmapped: string };

export interface MapEntry {
  /** botocore service name (operations.ts). */
  service: string;
  inputs: Record<string, Spec>;
}

const ATTRIBUTE = (call: string) => ({ unmapped: `sent through ${call} as a key/value attribute string` });
const PROVIDER_ONLY = { unmapped: "read by the provider, not sent to AWS" };
const NEWER = (member: string) => ({ unmapped: `${member} is newer than the pinned model (botocore 1.29.27, December 2022)` });

export const PROPERTY_MAP: Record<string, MapEntry> = {
  "aws:rds/instance:Instance": {
    service: "rds",
    inputs: {
      allocatedStorage: "CreateDBInstance.AllocatedStorage",
      autoMinorVersionUpgrade: "CreateDBInstance.AutoMinorVersionUpgrade",
      availabilityZone: "CreateDBInstance.AvailabilityZone",
      backupRetentionPeriod: "CreateDBInstance.BackupRetentionPeriod",
      backupWindow: "CreateDBInstance.PreferredBackupWindow",
      copyTagsToSnapshot: "CreateDBInstance.CopyTagsToSnapshot",
      dbName: "CreateDBInstance.DBName",
      dbSubnetGroupName: "CreateDBInstance.DBSubnetGroupName",
      deleteAutomatedBackups: "DeleteDBInstance.DeleteAutomatedBackups",
      deletionProtection: "CreateDBInstance.DeletionProtection",
      enabledCloudwatchLogsExports: "CreateDBInstance.EnableCloudwatchLogsExports",
      engine: "CreateDBInstance.Engine",
      engineVersion: "CreateDBInstance.EngineVersion",
      finalSnapshotIdentifier: "DeleteDBInstance.FinalDBSnapshotIdentifier",
      identifier: "CreateDBInstance.DBInstanceIdentifier",
      instanceClass: "CreateDBInstance.DBInstanceClass",
      kmsKeyId: "CreateDBInstance.KmsKeyId",
      maintenanceWindow: "CreateDBInstance.PreferredMaintenanceWindow",
      manageMasterUserPassword: NEWER("CreateDBInstance.ManageMasterUserPassword"),
      masterUserSecretKmsKeyId: NEWER("CreateDBInstance.MasterUserSecretKmsKeyId"),
      maxAllocatedStorage: "CreateDBInstance.MaxAllocatedStorage",
      monitoringInterval: "CreateDBInstance.MonitoringInterval",
      monitoringRoleArn: "CreateDBInstance.MonitoringRoleArn",
      multiAz: "CreateDBInstance.MultiAZ",
      parameterGroupName: "CreateDBInstance.DBParameterGroupName",
      performanceInsightsEnabled: "CreateDBInstance.EnablePerformanceInsights",
      performanceInsightsKmsKeyId: "CreateDBInstance.PerformanceInsightsKMSKeyId",
      performanceInsightsRetentionPeriod: "CreateDBInstance.PerformanceInsightsRetentionPeriod",
      port: "CreateDBInstance.Port",
      publiclyAccessible: "CreateDBInstance.PubliclyAccessible",
      replicateSourceDb: "CreateDBInstanceReadReplica.SourceDBInstanceIdentifier",
      skipFinalSnapshot: "DeleteDBInstance.SkipFinalSnapshot",
      storageEncrypted: "CreateDBInstance.StorageEncrypted",
      storageType: "CreateDBInstance.StorageType",
      tags: { tags: "CreateDBInstance.Tags" },
      username: "CreateDBInstance.MasterUsername",
      vpcSecurityGroupIds: "CreateDBInstance.VpcSecurityGroupIds",
    },
  },
  "aws:rds/parameterGroup:ParameterGroup": {
    service: "rds",
    inputs: {
      description: "CreateDBParameterGroup.Description",
      family: "CreateDBParameterGroup.DBParameterGroupFamily",
      name: "CreateDBParameterGroup.DBParameterGroupName",
      parameters: { items: "ModifyDBParameterGroup.Parameters", fields: { name: "ModifyDBParameterGroup.Parameters[].ParameterName", value: "ModifyDBParameterGroup.Parameters[].ParameterValue", applyMethod: "ModifyDBParameterGroup.Parameters[].ApplyMethod" } },
      tags: { tags: "CreateDBParameterGroup.Tags" },
    },
  },
  "aws:rds/subnetGroup:SubnetGroup": {
    service: "rds",
    inputs: { description: "CreateDBSubnetGroup.DBSubnetGroupDescription", name: "CreateDBSubnetGroup.DBSubnetGroupName", subnetIds: "CreateDBSubnetGroup.SubnetIds", tags: { tags: "CreateDBSubnetGroup.Tags" } },
  },
  "aws:elasticache/replicationGroup:ReplicationGroup": {
    service: "elasticache",
    inputs: {
      atRestEncryptionEnabled: "CreateReplicationGroup.AtRestEncryptionEnabled",
      authToken: "CreateReplicationGroup.AuthToken",
      autoMinorVersionUpgrade: "CreateReplicationGroup.AutoMinorVersionUpgrade",
      automaticFailoverEnabled: "CreateReplicationGroup.AutomaticFailoverEnabled",
      clusterMode: NEWER("CreateReplicationGroup.ClusterMode"),
      dataTieringEnabled: "CreateReplicationGroup.DataTieringEnabled",
      description: "CreateReplicationGroup.ReplicationGroupDescription",
      engine: "CreateReplicationGroup.Engine",
      engineVersion: "CreateReplicationGroup.EngineVersion",
      finalSnapshotIdentifier: "DeleteReplicationGroup.FinalSnapshotIdentifier",
      kmsKeyId: "CreateReplicationGroup.KmsKeyId",
      logDeliveryConfigurations: {
        items: "CreateReplicationGroup.LogDeliveryConfigurations",
        fields: {
          destination: "CreateReplicationGroup.LogDeliveryConfigurations[].DestinationDetails.CloudWatchLogsDetails.LogGroup",
          destinationType: "CreateReplicationGroup.LogDeliveryConfigurations[].DestinationType",
          logFormat: "CreateReplicationGroup.LogDeliveryConfigurations[].LogFormat",
          logType: "CreateReplicationGroup.LogDeliveryConfigurations[].LogType",
        },
      },
      maintenanceWindow: "CreateReplicationGroup.PreferredMaintenanceWindow",
      multiAzEnabled: "CreateReplicationGroup.MultiAZEnabled",
      nodeType: "CreateReplicationGroup.CacheNodeType",
      numNodeGroups: "CreateReplicationGroup.NumNodeGroups",
      parameterGroupName: "CreateReplicationGroup.CacheParameterGroupName",
      port: "CreateReplicationGroup.Port",
      replicasPerNodeGroup: "CreateReplicationGroup.ReplicasPerNodeGroup",
      replicationGroupId: "CreateReplicationGroup.ReplicationGroupId",
      securityGroupIds: "CreateReplicationGroup.SecurityGroupIds",
      snapshotRetentionLimit: "CreateReplicationGroup.SnapshotRetentionLimit",
      snapshotWindow: "CreateReplicationGroup.SnapshotWindow",
      subnetGroupName: "CreateReplicationGroup.CacheSubnetGroupName",
      tags: { tags: "CreateReplicationGroup.Tags" },
      transitEncryptionEnabled: "CreateReplicationGroup.TransitEncryptionEnabled",
      userGroupIds: "CreateReplicationGroup.UserGroupIds",
    },
  },
  "aws:elasticache/user:User": {
    service: "elasticache",
    inputs: {
      accessString: "CreateUser.AccessString",
      engine: "CreateUser.Engine",
      passwords: "CreateUser.Passwords",
      tags: { tags: "CreateUser.Tags" },
      userId: "CreateUser.UserId",
      userName: "CreateUser.UserName",
    },
  },
  "aws:elasticache/userGroup:UserGroup": {
    service: "elasticache",
    inputs: { engine: "CreateUserGroup.Engine", tags: { tags: "CreateUserGroup.Tags" }, userGroupId: "CreateUserGroup.UserGroupId", userIds: "CreateUserGroup.UserIds" },
  },
  "aws:elasticache/parameterGroup:ParameterGroup": {
    service: "elasticache",
    inputs: {
      description: "CreateCacheParameterGroup.Description",
      family: "CreateCacheParameterGroup.CacheParameterGroupFamily",
      name: "CreateCacheParameterGroup.CacheParameterGroupName",
      parameters: { items: "ModifyCacheParameterGroup.ParameterNameValues", fields: { name: "ModifyCacheParameterGroup.ParameterNameValues[].ParameterName", value: "ModifyCacheParameterGroup.ParameterNameValues[].ParameterValue" } },
      tags: { tags: "CreateCacheParameterGroup.Tags" },
    },
  },
  "aws:elasticache/subnetGroup:SubnetGroup": {
    service: "elasticache",
    inputs: { description: "CreateCacheSubnetGroup.CacheSubnetGroupDescription", name: "CreateCacheSubnetGroup.CacheSubnetGroupName", subnetIds: "CreateCacheSubnetGroup.SubnetIds", tags: { tags: "CreateCacheSubnetGroup.Tags" } },
  },
  "aws:cloudwatch/metricAlarm:MetricAlarm": {
    service: "cloudwatch",
    inputs: {
      actionsEnabled: "PutMetricAlarm.ActionsEnabled",
      alarmActions: "PutMetricAlarm.AlarmActions",
      alarmDescription: "PutMetricAlarm.AlarmDescription",
      comparisonOperator: "PutMetricAlarm.ComparisonOperator",
      datapointsToAlarm: "PutMetricAlarm.DatapointsToAlarm",
      dimensions: { dimensions: "PutMetricAlarm.Dimensions" },
      evaluationPeriods: "PutMetricAlarm.EvaluationPeriods",
      extendedStatistic: "PutMetricAlarm.ExtendedStatistic",
      insufficientDataActions: "PutMetricAlarm.InsufficientDataActions",
      metricName: "PutMetricAlarm.MetricName",
      metricQueries: {
        items: "PutMetricAlarm.Metrics",
        fields: {
          id: "PutMetricAlarm.Metrics[].Id",
          expression: "PutMetricAlarm.Metrics[].Expression",
          label: "PutMetricAlarm.Metrics[].Label",
          returnData: "PutMetricAlarm.Metrics[].ReturnData",
          period: "PutMetricAlarm.Metrics[].Period",
          metric: {
            fields: {
              metricName: "PutMetricAlarm.Metrics[].MetricStat.Metric.MetricName",
              namespace: "PutMetricAlarm.Metrics[].MetricStat.Metric.Namespace",
              dimensions: { dimensions: "PutMetricAlarm.Metrics[].MetricStat.Metric.Dimensions" },
              period: "PutMetricAlarm.Metrics[].MetricStat.Period",
              stat: "PutMetricAlarm.Metrics[].MetricStat.Stat",
              unit: "PutMetricAlarm.Metrics[].MetricStat.Unit",
            },
          },
        },
      },
      name: "PutMetricAlarm.AlarmName",
      namespace: "PutMetricAlarm.Namespace",
      okActions: "PutMetricAlarm.OKActions",
      period: "PutMetricAlarm.Period",
      statistic: "PutMetricAlarm.Statistic",
      tags: { tags: "PutMetricAlarm.Tags" },
      threshold: "PutMetricAlarm.Threshold",
      thresholdMetricId: "PutMetricAlarm.ThresholdMetricId",
      treatMissingData: "PutMetricAlarm.TreatMissingData",
      unit: "PutMetricAlarm.Unit",
    },
  },
  "aws:cloudwatch/compositeAlarm:CompositeAlarm": {
    service: "cloudwatch",
    inputs: {
      actionsEnabled: "PutCompositeAlarm.ActionsEnabled",
      alarmActions: "PutCompositeAlarm.AlarmActions",
      alarmDescription: "PutCompositeAlarm.AlarmDescription",
      alarmName: "PutCompositeAlarm.AlarmName",
      alarmRule: "PutCompositeAlarm.AlarmRule",
      insufficientDataActions: "PutCompositeAlarm.InsufficientDataActions",
      okActions: "PutCompositeAlarm.OKActions",
      tags: { tags: "PutCompositeAlarm.Tags" },
    },
  },
  "aws:cloudwatch/dashboard:Dashboard": { service: "cloudwatch", inputs: { dashboardBody: "PutDashboard.DashboardBody", dashboardName: "PutDashboard.DashboardName" } },
  "aws:cloudwatch/logGroup:LogGroup": {
    service: "logs",
    inputs: { name: "CreateLogGroup.logGroupName", kmsKeyId: "CreateLogGroup.kmsKeyId", retentionInDays: "PutRetentionPolicy.retentionInDays", tags: { tags: "CreateLogGroup.tags" } },
  },
  "aws:ec2/securityGroup:SecurityGroup": {
    service: "ec2",
    inputs: { description: "CreateSecurityGroup.Description", name: "CreateSecurityGroup.GroupName", vpcId: "CreateSecurityGroup.VpcId", tags: { tags: "CreateTags.Tags" } },
  },
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {
    service: "ec2",
    inputs: {
      cidrIpv4: "AuthorizeSecurityGroupIngress.IpPermissions[].IpRanges[].CidrIp",
      description: "AuthorizeSecurityGroupIngress.IpPermissions[].UserIdGroupPairs[].Description",
      fromPort: "AuthorizeSecurityGroupIngress.IpPermissions[].FromPort",
      ipProtocol: "AuthorizeSecurityGroupIngress.IpPermissions[].IpProtocol",
      referencedSecurityGroupId: "AuthorizeSecurityGroupIngress.IpPermissions[].UserIdGroupPairs[].GroupId",
      securityGroupId: "AuthorizeSecurityGroupIngress.GroupId",
      tags: { tags: "CreateTags.Tags" },
      toPort: "AuthorizeSecurityGroupIngress.IpPermissions[].ToPort",
    },
  },
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {
    service: "ec2",
    inputs: {
      cidrIpv4: "AuthorizeSecurityGroupEgress.IpPermissions[].IpRanges[].CidrIp",
      description: "AuthorizeSecurityGroupEgress.IpPermissions[].UserIdGroupPairs[].Description",
      fromPort: "AuthorizeSecurityGroupEgress.IpPermissions[].FromPort",
      ipProtocol: "AuthorizeSecurityGroupEgress.IpPermissions[].IpProtocol",
      referencedSecurityGroupId: "AuthorizeSecurityGroupEgress.IpPermissions[].UserIdGroupPairs[].GroupId",
      securityGroupId: "AuthorizeSecurityGroupEgress.GroupId",
      tags: { tags: "CreateTags.Tags" },
      toPort: "AuthorizeSecurityGroupEgress.IpPermissions[].ToPort",
    },
  },
  "aws:ecr/repository:Repository": {
    service: "ecr",
    inputs: {
      forceDelete: PROVIDER_ONLY,
      imageScanningConfiguration: { fields: { scanOnPush: "CreateRepository.imageScanningConfiguration.scanOnPush" } },
      imageTagMutability: "CreateRepository.imageTagMutability",
      name: "CreateRepository.repositoryName",
      tags: { tags: "CreateRepository.tags" },
    },
  },
  "aws:ecs/cluster:Cluster": {
    service: "ecs",
    inputs: { name: "CreateCluster.clusterName", settings: { items: "CreateCluster.settings", fields: { name: "CreateCluster.settings[].name", value: "CreateCluster.settings[].value" } }, tags: { tags: "CreateCluster.tags" } },
  },
  "aws:ecs/service:Service": {
    service: "ecs",
    inputs: {
      availabilityZoneRebalancing: NEWER("CreateService.availabilityZoneRebalancing"),
      cluster: "CreateService.cluster",
      deploymentCircuitBreaker: { fields: { enable: "CreateService.deploymentConfiguration.deploymentCircuitBreaker.enable", rollback: "CreateService.deploymentConfiguration.deploymentCircuitBreaker.rollback" } },
      deploymentMaximumPercent: "CreateService.deploymentConfiguration.maximumPercent",
      deploymentMinimumHealthyPercent: "CreateService.deploymentConfiguration.minimumHealthyPercent",
      desiredCount: "CreateService.desiredCount",
      enableEcsManagedTags: "CreateService.enableECSManagedTags",
      healthCheckGracePeriodSeconds: "CreateService.healthCheckGracePeriodSeconds",
      launchType: "CreateService.launchType",
      loadBalancers: { items: "CreateService.loadBalancers", fields: { targetGroupArn: "CreateService.loadBalancers[].targetGroupArn", containerName: "CreateService.loadBalancers[].containerName", containerPort: "CreateService.loadBalancers[].containerPort" } },
      name: "CreateService.serviceName",
      networkConfiguration: {
        fields: {
          subnets: "CreateService.networkConfiguration.awsvpcConfiguration.subnets",
          securityGroups: "CreateService.networkConfiguration.awsvpcConfiguration.securityGroups",
          assignPublicIp: { unmapped: "a boolean the provider sends as ENABLED / DISABLED" },
        },
      },
      propagateTags: "CreateService.propagateTags",
      tags: { tags: "CreateService.tags" },
      taskDefinition: "CreateService.taskDefinition",
    },
  },
  "aws:ecs/taskDefinition:TaskDefinition": {
    service: "ecs",
    inputs: {
      containerDefinitions: {
        json: {
          items: "RegisterTaskDefinition.containerDefinitions",
          fields: {
            name: "RegisterTaskDefinition.containerDefinitions[].name",
            image: "RegisterTaskDefinition.containerDefinitions[].image",
            essential: "RegisterTaskDefinition.containerDefinitions[].essential",
            cpu: "RegisterTaskDefinition.containerDefinitions[].cpu",
            memory: "RegisterTaskDefinition.containerDefinitions[].memory",
            memoryReservation: "RegisterTaskDefinition.containerDefinitions[].memoryReservation",
            command: "RegisterTaskDefinition.containerDefinitions[].command",
            entryPoint: "RegisterTaskDefinition.containerDefinitions[].entryPoint",
            user: "RegisterTaskDefinition.containerDefinitions[].user",
            readonlyRootFilesystem: "RegisterTaskDefinition.containerDefinitions[].readonlyRootFilesystem",
            stopTimeout: "RegisterTaskDefinition.containerDefinitions[].stopTimeout",
            startTimeout: "RegisterTaskDefinition.containerDefinitions[].startTimeout",
            portMappings: {
              items: "RegisterTaskDefinition.containerDefinitions[].portMappings",
              fields: {
                containerPort: "RegisterTaskDefinition.containerDefinitions[].portMappings[].containerPort",
                hostPort: "RegisterTaskDefinition.containerDefinitions[].portMappings[].hostPort",
                protocol: "RegisterTaskDefinition.containerDefinitions[].portMappings[].protocol",
                name: "RegisterTaskDefinition.containerDefinitions[].portMappings[].name",
              },
            },
            environment: {
              items: "RegisterTaskDefinition.containerDefinitions[].environment",
              fields: { name: "RegisterTaskDefinition.containerDefinitions[].environment[].name", value: "RegisterTaskDefinition.containerDefinitions[].environment[].value" },
            },
            secrets: {
              items: "RegisterTaskDefinition.containerDefinitions[].secrets",
              fields: { name: "RegisterTaskDefinition.containerDefinitions[].secrets[].name", valueFrom: "RegisterTaskDefinition.containerDefinitions[].secrets[].valueFrom" },
            },
            ulimits: {
              items: "RegisterTaskDefinition.containerDefinitions[].ulimits",
              fields: {
                name: "RegisterTaskDefinition.containerDefinitions[].ulimits[].name",
                softLimit: "RegisterTaskDefinition.containerDefinitions[].ulimits[].softLimit",
                hardLimit: "RegisterTaskDefinition.containerDefinitions[].ulimits[].hardLimit",
              },
            },
            healthCheck: {
              fields: {
                command: "RegisterTaskDefinition.containerDefinitions[].healthCheck.command",
                interval: "RegisterTaskDefinition.containerDefinitions[].healthCheck.interval",
                timeout: "RegisterTaskDefinition.containerDefinitions[].healthCheck.timeout",
                retries: "RegisterTaskDefinition.containerDefinitions[].healthCheck.retries",
                startPeriod: "RegisterTaskDefinition.containerDefinitions[].healthCheck.startPeriod",
              },
            },
            logConfiguration: {
              fields: {
                logDriver: "RegisterTaskDefinition.containerDefinitions[].logConfiguration.logDriver",
                options: { unmapped: "a free-form map of the log driver's options" },
              },
            },
            dependsOn: {
              items: "RegisterTaskDefinition.containerDefinitions[].dependsOn",
              fields: { containerName: "RegisterTaskDefinition.containerDefinitions[].dependsOn[].containerName", condition: "RegisterTaskDefinition.containerDefinitions[].dependsOn[].condition" },
            },
            mountPoints: {
              items: "RegisterTaskDefinition.containerDefinitions[].mountPoints",
              fields: {
                sourceVolume: "RegisterTaskDefinition.containerDefinitions[].mountPoints[].sourceVolume",
                containerPath: "RegisterTaskDefinition.containerDefinitions[].mountPoints[].containerPath",
                readOnly: "RegisterTaskDefinition.containerDefinitions[].mountPoints[].readOnly",
              },
            },
            linuxParameters: { unmapped: "nested Linux capabilities and tmpfs structures; not mapped yet" },
          },
        },
      },
      cpu: "RegisterTaskDefinition.cpu",
      executionRoleArn: "RegisterTaskDefinition.executionRoleArn",
      family: "RegisterTaskDefinition.family",
      memory: "RegisterTaskDefinition.memory",
      networkMode: "RegisterTaskDefinition.networkMode",
      requiresCompatibilities: "RegisterTaskDefinition.requiresCompatibilities",
      runtimePlatform: { fields: { cpuArchitecture: "RegisterTaskDefinition.runtimePlatform.cpuArchitecture", operatingSystemFamily: "RegisterTaskDefinition.runtimePlatform.operatingSystemFamily" } },
      tags: { tags: "RegisterTaskDefinition.tags" },
      taskRoleArn: "RegisterTaskDefinition.taskRoleArn",
      volumes: { items: "RegisterTaskDefinition.volumes", fields: { name: "RegisterTaskDefinition.volumes[].name" } },
    },
  },
  "aws:iam/policy:Policy": {
    service: "iam",
    inputs: { description: "CreatePolicy.Description", name: "CreatePolicy.PolicyName", path: "CreatePolicy.Path", policy: "CreatePolicy.PolicyDocument", tags: { tags: "CreatePolicy.Tags" } },
  },
  "aws:iam/role:Role": {
    service: "iam",
    inputs: { assumeRolePolicy: "CreateRole.AssumeRolePolicyDocument", description: "CreateRole.Description", name: "CreateRole.RoleName", path: "CreateRole.Path", tags: { tags: "CreateRole.Tags" } },
  },
  "aws:iam/rolePolicy:RolePolicy": { service: "iam", inputs: { name: "PutRolePolicy.PolicyName", policy: "PutRolePolicy.PolicyDocument", role: "PutRolePolicy.RoleName" } },
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": { service: "iam", inputs: { policyArn: "AttachRolePolicy.PolicyArn", role: "AttachRolePolicy.RoleName" } },
  "aws:kms/alias:Alias": { service: "kms", inputs: { name: "CreateAlias.AliasName", targetKeyId: "CreateAlias.TargetKeyId" } },
  "aws:kms/key:Key": {
    service: "kms",
    inputs: {
      deletionWindowInDays: "ScheduleKeyDeletion.PendingWindowInDays",
      description: "CreateKey.Description",
      enableKeyRotation: { unmapped: "a separate EnableKeyRotation call taking only the key id" },
      policy: "CreateKey.Policy",
      tags: { tags: "CreateKey.Tags" },
    },
  },
  "aws:lb/listener:Listener": {
    service: "elbv2",
    inputs: {
      defaultActions: { items: "CreateListener.DefaultActions", fields: { type: "CreateListener.DefaultActions[].Type", targetGroupArn: "CreateListener.DefaultActions[].TargetGroupArn" } },
      loadBalancerArn: "CreateListener.LoadBalancerArn",
      port: "CreateListener.Port",
      protocol: "CreateListener.Protocol",
      tags: { tags: "CreateListener.Tags" },
    },
  },
  "aws:lb/loadBalancer:LoadBalancer": {
    service: "elbv2",
    inputs: {
      enableCrossZoneLoadBalancing: ATTRIBUTE("ModifyLoadBalancerAttributes"),
      enableDeletionProtection: ATTRIBUTE("ModifyLoadBalancerAttributes"),
      internal: { unmapped: "a boolean the provider sends as Scheme internal / internet-facing" },
      loadBalancerType: "CreateLoadBalancer.Type",
      name: "CreateLoadBalancer.Name",
      securityGroups: "CreateLoadBalancer.SecurityGroups",
      subnets: "CreateLoadBalancer.Subnets",
      tags: { tags: "CreateLoadBalancer.Tags" },
    },
  },
  "aws:lb/targetGroup:TargetGroup": {
    service: "elbv2",
    inputs: {
      connectionTermination: ATTRIBUTE("ModifyTargetGroupAttributes"),
      deregistrationDelay: ATTRIBUTE("ModifyTargetGroupAttributes"),
      healthCheck: {
        fields: {
          enabled: "CreateTargetGroup.HealthCheckEnabled",
          healthyThreshold: "CreateTargetGroup.HealthyThresholdCount",
          interval: "CreateTargetGroup.HealthCheckIntervalSeconds",
          matcher: "CreateTargetGroup.Matcher.HttpCode",
          path: "CreateTargetGroup.HealthCheckPath",
          port: "CreateTargetGroup.HealthCheckPort",
          protocol: "CreateTargetGroup.HealthCheckProtocol",
          timeout: "CreateTargetGroup.HealthCheckTimeoutSeconds",
          unhealthyThreshold: "CreateTargetGroup.UnhealthyThresholdCount",
        },
      },
      name: "CreateTargetGroup.Name",
      port: "CreateTargetGroup.Port",
      protocol: "CreateTargetGroup.Protocol",
      tags: { tags: "CreateTargetGroup.Tags" },
      targetType: "CreateTargetGroup.TargetType",
      vpcId: "CreateTargetGroup.VpcId",
    },
  },
  "aws:scheduler/schedule:Schedule": {
    service: "scheduler",
    inputs: {
      description: "CreateSchedule.Description",
      flexibleTimeWindow: { fields: { mode: "CreateSchedule.FlexibleTimeWindow.Mode", maximumWindowInMinutes: "CreateSchedule.FlexibleTimeWindow.MaximumWindowInMinutes" } },
      name: "CreateSchedule.Name",
      scheduleExpression: "CreateSchedule.ScheduleExpression",
      scheduleExpressionTimezone: "CreateSchedule.ScheduleExpressionTimezone",
      state: "CreateSchedule.State",
      target: {
        fields: {
          arn: "CreateSchedule.Target.Arn",
          roleArn: "CreateSchedule.Target.RoleArn",
          input: "CreateSchedule.Target.Input",
          retryPolicy: { fields: { maximumEventAgeInSeconds: "CreateSchedule.Target.RetryPolicy.MaximumEventAgeInSeconds", maximumRetryAttempts: "CreateSchedule.Target.RetryPolicy.MaximumRetryAttempts" } },
          ecsParameters: {
            fields: {
              taskDefinitionArn: "CreateSchedule.Target.EcsParameters.TaskDefinitionArn",
              launchType: "CreateSchedule.Target.EcsParameters.LaunchType",
              taskCount: "CreateSchedule.Target.EcsParameters.TaskCount",
              platformVersion: "CreateSchedule.Target.EcsParameters.PlatformVersion",
              enableEcsManagedTags: "CreateSchedule.Target.EcsParameters.EnableECSManagedTags",
              propagateTags: "CreateSchedule.Target.EcsParameters.PropagateTags",
              networkConfiguration: {
                fields: {
                  subnets: "CreateSchedule.Target.EcsParameters.NetworkConfiguration.awsvpcConfiguration.Subnets",
                  securityGroups: "CreateSchedule.Target.EcsParameters.NetworkConfiguration.awsvpcConfiguration.SecurityGroups",
                  assignPublicIp: { unmapped: "a boolean the provider sends as ENABLED / DISABLED" },
                },
              },
            },
          },
        },
      },
    },
  },
  "aws:secretsmanager/secret:Secret": {
    service: "secretsmanager",
    inputs: {
      description: "CreateSecret.Description",
      kmsKeyId: "CreateSecret.KmsKeyId",
      name: "CreateSecret.Name",
      // terraform-provider-aws create.Name: prefix + a 26-character unique suffix.
      namePrefix: { path: "CreateSecret.Name", suffix: 26 },
      recoveryWindowInDays: "DeleteSecret.RecoveryWindowInDays",
      tags: { tags: "CreateSecret.Tags" },
    },
  },
  "aws:secretsmanager/secretVersion:SecretVersion": { service: "secretsmanager", inputs: { secretId: "PutSecretValue.SecretId", secretString: "PutSecretValue.SecretString" } },
  "aws:sns/topic:Topic": {
    service: "sns",
    inputs: { displayName: ATTRIBUTE("CreateTopic Attributes (DisplayName)"), kmsMasterKeyId: ATTRIBUTE("CreateTopic Attributes (KmsMasterKeyId)"), name: "CreateTopic.Name", tags: { tags: "CreateTopic.Tags" } },
  },
  "aws:sns/topicSubscription:TopicSubscription": {
    service: "sns",
    inputs: { endpoint: "Subscribe.Endpoint", endpointAutoConfirms: PROVIDER_ONLY, protocol: "Subscribe.Protocol", topic: "Subscribe.TopicArn" },
  },
  "aws:appconfig/application:Application": {
    service: "appconfig",
    inputs: { description: "CreateApplication.Description", name: "CreateApplication.Name", tags: { tags: "CreateApplication.Tags" } },
  },
  "aws:appconfig/environment:Environment": {
    service: "appconfig",
    inputs: {
      applicationId: "CreateEnvironment.ApplicationId",
      description: "CreateEnvironment.Description",
      monitors: { items: "CreateEnvironment.Monitors", fields: { alarmArn: "CreateEnvironment.Monitors[].AlarmArn", alarmRoleArn: "CreateEnvironment.Monitors[].AlarmRoleArn" } },
      name: "CreateEnvironment.Name",
      tags: { tags: "CreateEnvironment.Tags" },
    },
  },
  "aws:appconfig/configurationProfile:ConfigurationProfile": {
    service: "appconfig",
    inputs: {
      applicationId: "CreateConfigurationProfile.ApplicationId",
      description: "CreateConfigurationProfile.Description",
      locationUri: "CreateConfigurationProfile.LocationUri",
      name: "CreateConfigurationProfile.Name",
      retrievalRoleArn: "CreateConfigurationProfile.RetrievalRoleArn",
      tags: { tags: "CreateConfigurationProfile.Tags" },
      type: "CreateConfigurationProfile.Type",
    },
  },
  "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion": {
    service: "appconfig",
    inputs: {
      applicationId: "CreateHostedConfigurationVersion.ApplicationId",
      configurationProfileId: "CreateHostedConfigurationVersion.ConfigurationProfileId",
      content: "CreateHostedConfigurationVersion.Content",
      contentType: "CreateHostedConfigurationVersion.ContentType",
      description: "CreateHostedConfigurationVersion.Description",
    },
  },
  "aws:appconfig/deploymentStrategy:DeploymentStrategy": {
    service: "appconfig",
    inputs: {
      deploymentDurationInMinutes: "CreateDeploymentStrategy.DeploymentDurationInMinutes",
      description: "CreateDeploymentStrategy.Description",
      finalBakeTimeInMinutes: "CreateDeploymentStrategy.FinalBakeTimeInMinutes",
      growthFactor: "CreateDeploymentStrategy.GrowthFactor",
      growthType: "CreateDeploymentStrategy.GrowthType",
      name: "CreateDeploymentStrategy.Name",
      replicateTo: "CreateDeploymentStrategy.ReplicateTo",
      tags: { tags: "CreateDeploymentStrategy.Tags" },
    },
  },
  "aws:appautoscaling/target:Target": {
    service: "application-autoscaling",
    inputs: {
      maxCapacity: "RegisterScalableTarget.MaxCapacity",
      minCapacity: "RegisterScalableTarget.MinCapacity",
      resourceId: "RegisterScalableTarget.ResourceId",
      scalableDimension: "RegisterScalableTarget.ScalableDimension",
      serviceNamespace: "RegisterScalableTarget.ServiceNamespace",
      tags: NEWER("RegisterScalableTarget.Tags"),
    },
  },
  "aws:appautoscaling/policy:Policy": {
    service: "application-autoscaling",
    inputs: {
      name: "PutScalingPolicy.PolicyName",
      policyType: "PutScalingPolicy.PolicyType",
      resourceId: "PutScalingPolicy.ResourceId",
      scalableDimension: "PutScalingPolicy.ScalableDimension",
      serviceNamespace: "PutScalingPolicy.ServiceNamespace",
      targetTrackingScalingPolicyConfiguration: {
        fields: {
          targetValue: "PutScalingPolicy.TargetTrackingScalingPolicyConfiguration.TargetValue",
          scaleInCooldown: "PutScalingPolicy.TargetTrackingScalingPolicyConfiguration.ScaleInCooldown",
          scaleOutCooldown: "PutScalingPolicy.TargetTrackingScalingPolicyConfiguration.ScaleOutCooldown",
          disableScaleIn: "PutScalingPolicy.TargetTrackingScalingPolicyConfiguration.DisableScaleIn",
          predefinedMetricSpecification: {
            fields: {
              predefinedMetricType: "PutScalingPolicy.TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.PredefinedMetricType",
              resourceLabel: "PutScalingPolicy.TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.ResourceLabel",
            },
          },
        },
      },
    },
  },
};

/** Every member path the map names, with the input it comes from (the generated walk reads it). */
export function mappedMembers(): { type: string; service: string; input: string; path: string }[] {
  const out: { type: string; service: string; input: string; path: string }[] = [];
  const walk = (type: string, service: string, input: string, spec: Spec) => {
    if (typeof spec === "string") return out.push({ type, service, input, path: spec });
    if ("unmapped" in spec) return;
    if ("tags" in spec) return out.push({ type, service, input, path: spec.tags });
    if ("dimensions" in spec) return out.push({ type, service, input, path: spec.dimensions }, { type, service, input: `${input}.<name>`, path: `${spec.dimensions}[].Name` }, { type, service, input: `${input}.<name>`, path: `${spec.dimensions}[].Value` });
    if ("suffix" in spec) return out.push({ type, service, input, path: spec.path });
    if ("json" in spec) return walk(type, service, input, spec.json);
    if ("items" in spec) out.push({ type, service, input, path: spec.items });
    for (const [k, f] of Object.entries(spec.fields)) walk(type, service, `${input}.${k}`, f);
  };
  for (const [type, e] of Object.entries(PROPERTY_MAP)) for (const [input, spec] of Object.entries(e.inputs)) walk(type, e.service, input, spec);
  return out;
}

/** Inputs the map names but does not check, with why (the listed, deliberate gaps). */
export function unmappedInputs(): string[] {
  const out: string[] = [];
  const walk = (type: string, input: string, spec: Spec) => {
    if (typeof spec === "string") return;
    if ("unmapped" in spec) return out.push(`${type} ${input}: ${spec.unmapped}`);
    if ("json" in spec) return walk(type, input, spec.json);
    if ("fields" in spec) for (const [k, f] of Object.entries(spec.fields)) walk(type, `${input}.${k}`, f);
  };
  for (const [type, e] of Object.entries(PROPERTY_MAP)) for (const [input, spec] of Object.entries(e.inputs)) walk(type, input, spec);
  return out.sort();
}
