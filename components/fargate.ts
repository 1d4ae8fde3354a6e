import type * as pulumi from "@pulumi/pulumi";

/**
 * What every Fargate task definition of the data tier shares (PgBouncer, the in-VPC
 * checks): awsvpc networking, x86_64 Linux, its size, its execution role.
 */
export function fargateTaskBase(family: string, size: { cpu: number; memoryMb: number }, executionRoleArn: pulumi.Input<string>) {
  return {
    family,
    networkMode: "awsvpc",
    requiresCompatibilities: ["FARGATE"],
    cpu: String(size.cpu),
    memory: String(size.memoryMb),
    runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
    executionRoleArn,
  };
}
