import * as docker from "@pulumi/docker";
import { DataTierNetwork } from "../components/network";
import type { Settings } from "../components/settings";
import { derivedTags } from "../components/tags";
import { resolveThresholds, type Thresholds } from "../components/thresholds/thresholds";

/** What every slice of the program receives: settings, names, tags, shared plumbing. */
export interface StackContext {
  settings: Settings;
  /** Physical-name prefix, "<project>-<environment>". */
  prefix: string;
  /** Tags for every taggable resource (derived + the stack's own). */
  tags: Record<string, string>;
  /** Effective thresholds (documented table + the stack's overrides). */
  thresholds: Thresholds;
  /** AWS plumbing (platform aws). */
  aws?: { network: DataTierNetwork };
  /** Docker plumbing (platform docker). */
  docker?: { network: docker.Network };
}

export function createContext(settings: Settings): StackContext {
  const prefix = `${settings.project}-${settings.environment}`;
  const tags = { ...derivedTags(settings.project, settings.environment), ...settings.tags };
  const ctx: StackContext = { settings, prefix, tags, thresholds: resolveThresholds(settings.alarms.thresholds) };
  if (settings.platform === "aws") {
    const n = settings.network;
    ctx.aws = {
      network: new DataTierNetwork(prefix, {
        vpcId: n.vpcId!,
        appSecurityGroupIds: n.appSecurityGroupIds,
        adminSecurityGroupIds: n.adminSecurityGroupIds,
        redisPort: settings.redis.port,
        postgresPort: settings.postgres.port,
        pgbouncerPort: settings.pgbouncer.port,
        tags,
      }),
    };
  } else {
    ctx.docker = {
      network: new docker.Network(`${prefix}-net`, {
        name: settings.network.dockerNetworkName ?? `${prefix}-net`,
        driver: "bridge",
        labels: Object.entries(tags).map(([label, value]) => ({ label: `datatier.${label.toLowerCase()}`, value })),
      }),
    };
  }
  return ctx;
}
