import * as pulumi from "@pulumi/pulumi";
import { parseSettings, valuesFromNamespacedConfig, type Settings } from "../components/settings";

/**
 * Reads and validates this stack's settings from Pulumi config. Throws a
 * SettingsError listing every problem before any resource is registered.
 */
export function settingsFromPulumiConfig(): Settings {
  const project = pulumi.getProject();
  const stack = pulumi.getStack();
  const { values, awsRegion } = valuesFromNamespacedConfig(project, pulumi.runtime.allConfig());
  return parseSettings({ project, stack, source: `Pulumi.${stack}.yaml`, values, awsRegion });
}
