/**
 * Computed outputs the mocks return, per resource type: what the cloud would fill
 * in (endpoints, ARNs, ids). Without them such outputs are undefined under mocks and
 * the program's outputs could not be checked against the contract.
 */
import type * as pulumi from "@pulumi/pulumi";

export const MOCK_ACCOUNT = "123456789012";
export const MOCK_REGION = "us-east-1";

type State = Record<string, unknown>;
type Computer = (name: string, inputs: State) => State;

function arn(service: string, resource: string): string {
  return `arn:aws:${service}:${MOCK_REGION}:${MOCK_ACCOUNT}:${resource}`;
}

/** A stable AppConfig-shaped id for a resource name. */
function appconfigId(name: string): string {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h.toString(36).slice(0, 7).padStart(4, "0");
}

/** Per-type computed outputs; extend here when a component reads a new computed field. */
export const COMPUTED: Record<string, Computer> = {
  "aws:elasticache/replicationGroup:ReplicationGroup": (name, i) => {
    const id = String(i.replicationGroupId ?? name);
    const nodes = (1 + Number(i.replicasPerNodeGroup ?? 0)) * Number(i.numNodeGroups ?? 1);
    return {
      arn: arn("elasticache", `replicationgroup:${id}`),
      primaryEndpointAddress: `master.${id}.abc123.use1.cache.amazonaws.com`,
      readerEndpointAddress: `replica.${id}.abc123.use1.cache.amazonaws.com`,
      configurationEndpointAddress: i.clusterMode === "enabled" ? `clustercfg.${id}.abc123.use1.cache.amazonaws.com` : undefined,
      memberClusters: Array.from({ length: nodes }, (_, n) => `${id}-00${n + 1}`),
    };
  },
  "aws:rds/instance:Instance": (name, i) => {
    const id = String(i.identifier ?? name);
    return {
      arn: arn("rds", `db:${id}`),
      address: `${id}.abc123.us-east-1.rds.amazonaws.com`,
      endpoint: `${id}.abc123.us-east-1.rds.amazonaws.com:${i.port ?? 5432}`,
      port: i.port ?? 5432,
      identifier: id,
      resourceId: `db-${id.toUpperCase().replace(/-/g, "")}`,
      masterUserSecrets: i.manageMasterUserPassword ? [{ secretArn: arn("secretsmanager", `secret:rds!db-${id}`), secretStatus: "active", kmsKeyId: "" }] : [],
    };
  },
  "aws:lb/loadBalancer:LoadBalancer": (name) => ({ arn: arn("elasticloadbalancing", `loadbalancer/net/${name}/50dc6c495c0c9188`), dnsName: `${name}-0123456789.elb.us-east-1.amazonaws.com`, arnSuffix: `net/${name}/50dc6c495c0c9188` }),
  "aws:lb/targetGroup:TargetGroup": (name) => ({ arn: arn("elasticloadbalancing", `targetgroup/${name}/73e2d6bc24d8a067`), arnSuffix: `targetgroup/${name}/73e2d6bc24d8a067` }),
  "aws:ecs/cluster:Cluster": (name) => ({ arn: arn("ecs", `cluster/${name}`) }),
  "aws:ecs/service:Service": (name, i) => ({ arn: arn("ecs", `service/${String(i.cluster ?? "cluster").split("/").pop()}/${i.name ?? name}`) }),
  "aws:ecr/repository:Repository": (name) => ({ repositoryUrl: `${MOCK_ACCOUNT}.dkr.ecr.${MOCK_REGION}.amazonaws.com/${name}`, arn: arn("ecr", `repository/${name}`) }),
  // Deterministic bytes from the name (SCRAM salts): the same run gives the same verifiers.
  "random:index/randomBytes:RandomBytes": (name, i) => {
    const n = Number(i.length ?? 32);
    const bytes = Buffer.alloc(n, Buffer.from(`${name}-salt-bytes`));
    return { base64: bytes.toString("base64"), hex: bytes.toString("hex") };
  },
  "random:index/randomPassword:RandomPassword": (name, i) => ({ result: `mock-${name}-${"x".repeat(Math.max(0, Number(i.length ?? 32) - name.length - 6))}`, bcryptHash: "$2a$10$mock" }),
  "aws:secretsmanager/secret:Secret": (name) => ({ arn: arn("secretsmanager", `secret:${name}-AbCdEf`) }),
  "aws:sns/topic:Topic": (name, i) => ({ arn: arn("sns", String(i.name ?? name)) }),
  "aws:iam/role:Role": (name, i) => ({ arn: `arn:aws:iam::${MOCK_ACCOUNT}:role/${i.name ?? name}`, name: i.name ?? name }),
  // AppConfig's own ids (4-7 lower-case letters and digits), distinct per resource.
  "aws:appconfig/environment:Environment": (name) => ({ environmentId: appconfigId(name) }),
  "aws:appconfig/configurationProfile:ConfigurationProfile": (name) => ({ configurationProfileId: appconfigId(name) }),
  "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion": () => ({ versionNumber: 1 }),
  "aws:kms/key:Key": (name) => ({ arn: arn("kms", `key/${name}`), keyId: `${name}-key-id` }),
  "docker:index/container:Container": (name, i) => ({ name: i.name ?? name }),
  "docker:index/network:Network": (name, i) => ({ name: i.name ?? name }),
  "aws:elasticache/subnetGroup:SubnetGroup": (name, i) => ({ name: i.name ?? name }),
  "aws:elasticache/parameterGroup:ParameterGroup": (name, i) => ({ name: i.name ?? name }),
  "aws:cloudwatch/logGroup:LogGroup": (name, i) => ({ name: i.name ?? name }),
  "docker:index/remoteImage:RemoteImage": (name, i) => ({ imageId: `sha256:${"1".repeat(64)}`, repoDigest: `${String(i.name ?? name).split(":")[0]}@sha256:${"1".repeat(64)}` }),
  "docker:index/volume:Volume": (name, i) => ({ name: i.name ?? name }),
  "docker:index/image:Image": (name, i) => ({ imageName: String(i.imageName ?? name), repoDigest: `${String(i.imageName ?? name).split(":")[0]}@sha256:${"0".repeat(64)}` }),
};

export function mockNewResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: State } {
  const computed = COMPUTED[args.type]?.(args.name, args.inputs) ?? {};
  const generic: State = args.type.startsWith("aws:") ? { arn: arn(args.type.split(":")[1].split("/")[0], args.name) } : {};
  return { id: `${args.name}-id`, state: { ...generic, ...args.inputs, ...computed } };
}

/** Strict: a provider function the program calls must be mocked here. */
export function mockCall(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
  switch (args.token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { accountId: MOCK_ACCOUNT, arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/mock`, userId: "mock" };
    case "aws:index/getRegion:getRegion":
      return { name: MOCK_REGION, region: MOCK_REGION, id: MOCK_REGION };
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", dnsSuffix: "amazonaws.com" };
    case "aws:elasticache/getCluster:getCluster": {
      const id = String(args.inputs.clusterId);
      return { clusterId: id, cacheNodes: [{ id: "0001", address: `${id}.abc123.0001.use1.cache.amazonaws.com`, port: 6379, availabilityZone: `${MOCK_REGION}a` }] };
    }
    case "aws:secretsmanager/getSecretVersion:getSecretVersion":
      // An RDS-managed master secret: JSON with username and password.
      return { arn: String(args.inputs.secretId), secretId: String(args.inputs.secretId), secretString: JSON.stringify({ username: "dbadmin", password: "mock-rds-managed-master-password" }), versionId: "v1", versionStages: ["AWSCURRENT"] };
    case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
      return { authorizationToken: "bW9jazptb2Nr", userName: "AWS", password: "mock-ecr-token", proxyEndpoint: `https://${MOCK_ACCOUNT}.dkr.ecr.${MOCK_REGION}.amazonaws.com`, expiresAt: "2099-01-01T00:00:00Z", id: MOCK_REGION };
    case "aws:iam/getPolicyDocument:getPolicyDocument":
      return { json: JSON.stringify({ Version: "2012-10-17", Statement: args.inputs.statements ?? [] }) };
    default:
      throw new Error(`unmocked provider call ${args.token}: add it to tools/evaluate/mocks.ts`);
  }
}
