/**
 * The read router as a long-running process: `tsx components/readrouting/main.ts
 * [config.json]` (sandbox), or the sidecar image's command with $READ_ROUTER_CONFIG.
 * Bad configuration: one message listing every problem, exit 2, nothing started.
 * SIGTERM/SIGINT: the current round finishes, then exit 0.
 */
import { hostname } from "node:os";
import { loadRouterConfig, type RouterConfig } from "./config";
import { holdAliveFifo } from "./liveness";
import { ReadRouter, type RouterMetric } from "./router";

/** Publishes one round's figures to CloudWatch (the namespace and dimensions the router's alarms watch). */
export async function cloudWatchPublisher(m: NonNullable<RouterConfig["metrics"]>): Promise<(metrics: RouterMetric[]) => Promise<void>> {
  const { CloudWatchClient, PutMetricDataCommand } = await import("@aws-sdk/client-cloudwatch");
  const cw = new CloudWatchClient({ region: m.region });
  const Dimensions = Object.entries(m.dimensions).map(([Name, Value]) => ({ Name, Value }));
  return async (metrics) => {
    await cw.send(new PutMetricDataCommand({ Namespace: m.namespace, MetricData: metrics.map((x) => ({ MetricName: x.name, Value: x.value, Unit: "Count", Dimensions })) }));
  };
}

export async function main(argv: string[]): Promise<number> {
  let cfg: RouterConfig;
  try {
    cfg = loadRouterConfig(argv[0]);
  } catch (e) {
    process.stderr.write(`read-router: ${(e as Error).message}\n`);
    return 2;
  }
  // One heartbeat row per router: each ECS task names itself by its host name.
  if (cfg.instance === "hostname") cfg = { ...cfg, instance: hostname().replace(/[^A-Za-z0-9_.:-]/g, "-").slice(0, 64) || "router" };
  const router = new ReadRouter(cfg, {
    log: (line) => process.stdout.write(`${line}\n`),
    publish: cfg.metrics ? await cloudWatchPublisher(cfg.metrics) : undefined,
  });
  // Held open for the life of the process: the kernel closes it when the router dies, however it dies (liveness.ts).
  if (cfg.stateFile) holdAliveFifo(cfg.stateFile);
  router.start();
  await new Promise<void>((resolve) => {
    const stop = () => void router.stop().then(resolve);
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
