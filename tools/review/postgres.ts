/**
 * The offline review's PostgreSQL section: the topology the stack will get, the
 * protections production relies on and the parameters that reach the server, read from
 * the program's run under mocks. No secret is printed. A run that does not match the
 * settings (replica count, Multi-AZ, encryption, backups, protect) fails the section.
 */
import { postgresOutputs } from "../../components/contract/outputs";
import type { ReviewSection, SectionBuilder } from "./section";
import type { RecordedResource } from "../evaluate/program";
import { postgresParameters, rdsParameters } from "../../components/postgres/render";

const COMPONENT = "datatier:postgres:PostgresCluster";
const INSTANCE = "aws:rds/instance:Instance";
const CONTAINER = "docker:index/container:Container";

export const postgresReviewSection: SectionBuilder = ({ settings, run }): ReviewSection => {
  const p = settings.postgres;
  const problems: string[] = [];
  const component = run.resources.find((r) => r.type === COMPONENT);
  const children: RecordedResource[] = component ? run.resources.filter((r) => r.parent === component.urn) : [];
  if (!component) problems.push("the program created no PostgresCluster");
  const contract = postgresOutputs.safeParse(run.outputs.postgres);
  if (!contract.success) problems.push(`the postgres output does not match the contract: ${contract.error.issues.map((i) => i.path.join(".") || "(root)").join(", ")}`);
  const roles = children.filter((r) => r.type === "postgresql:index/role:Role").map((r) => String(r.inputs.name));

  const lines: string[] = [];
  let json: Record<string, unknown>;
  if (settings.platform === "aws") {
    const instances = children.filter((r) => r.type === INSTANCE);
    const primary = instances.find((r) => r.inputs.replicateSourceDb === undefined);
    const replicas = instances.filter((r) => r.inputs.replicateSourceDb !== undefined);
    const g = primary?.inputs ?? {};
    if (!primary) problems.push("no RDS primary instance");
    if (replicas.length !== p.replicas) problems.push(`expected ${p.replicas} read replica(s), found ${replicas.length}`);
    if (primary && g.multiAz !== p.multiAz) problems.push(`primary Multi-AZ is ${g.multiAz}, settings say ${p.multiAz}`);
    if (primary && g.storageEncrypted !== true) problems.push("primary storage is not encrypted");
    if (primary && g.publiclyAccessible !== false) problems.push("primary is publicly accessible");
    if (settings.production && primary && !primary.protect) problems.push("production primary is not protected (protect: true)");
    if (settings.production && g.skipFinalSnapshot !== false) problems.push("production primary skips its final snapshot");
    const zones = replicas.map((r) => String(r.inputs.availabilityZone));
    const params = rdsParameters(settings);
    lines.push(
      `RDS PostgreSQL ${p.engineVersion} primary ${g.identifier} (${g.instanceClass}) + ${replicas.length} read replica(s) in ${zones.join(", ") || "-"}`,
      `Multi-AZ ${g.multiAz ? "on" : "OFF"}, encrypted ${g.storageEncrypted ? "on" : "OFF"}, gp3 ${g.allocatedStorage}-${g.maxAllocatedStorage} GB, backups ${g.backupRetentionPeriod} day(s), deletion protection ${g.deletionProtection ? "on" : "off"}, final snapshot ${g.skipFinalSnapshot === false ? "kept" : "skipped"}, protect ${primary?.protect ? "on" : "off"}`,
      `Performance Insights ${g.performanceInsightsEnabled ? `on (${g.performanceInsightsRetentionPeriod} d)` : "off"}, enhanced monitoring ${g.monitoringInterval ? `every ${g.monitoringInterval} s` : "off"}, master password RDS-managed ${g.manageMasterUserPassword ? "yes" : "NO"}`,
      `parameter group: ${params.map((x) => `${x.name}=${x.value}${x.applyMethod === "pending-reboot" ? " (reboot)" : ""}`).join(", ")}`,
    );
    json = { primary: g.identifier ?? null, replicas: replicas.map((r) => r.inputs.identifier), zones, multiAz: g.multiAz ?? null, backupRetentionDays: g.backupRetentionPeriod ?? null, parameters: params, roles };
  } else {
    const containers = children.filter((r) => r.type === CONTAINER);
    const replicas = containers.filter((c) => c.name.includes("-replica-"));
    if (containers.length - replicas.length !== 1) problems.push(`expected one primary container, found ${containers.length - replicas.length}`);
    if (replicas.length !== p.replicas) problems.push(`expected ${p.replicas} replica container(s), found ${replicas.length}`);
    const params = postgresParameters(settings);
    lines.push(
      `containers: 1 primary + ${replicas.length} streaming replica(s) (pg_basebackup, one slot each)`,
      `postgresql.conf: ${Object.entries(params).map(([k, v]) => `${k}=${v}`).join(", ")}`,
    );
    json = { replicas: replicas.length, parameters: params, roles };
  }
  lines.push(`roles: ${roles.join(", ") || (p.manageRoles ? "NONE" : "not managed (master user everywhere)")}`);
  if (p.manageRoles && roles.length === 0) problems.push("postgres.manageRoles is on but no role was created");
  if (contract.success) {
    const c = contract.data;
    lines.push(`primary ${c.primary.host}:${c.primary.port}; replicas ${c.replicas.map((x) => `${x.host}:${x.port}`).join(", ") || "none"}; TLS ${c.tls ? "required" : "off"}`);
  }
  for (const x of problems) lines.push(`PROBLEM: ${x}`);
  return { title: "PostgreSQL", text: lines.join("\n"), json: { ...json, problems }, failed: problems.length > 0 };
};
