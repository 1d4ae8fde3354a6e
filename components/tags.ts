/**
 * Tags every taggable resource carries. The program applies the derived ones
 * (Project, Environment, ManagedBy); the stack must name an Owner. The policy pack
 * checks the same list.
 */
export const REQUIRED_TAG_KEYS = ["Project", "Environment", "ManagedBy", "Owner"] as const;

/** Tags the program derives itself; a stack's `tags` supplies the rest. */
export function derivedTags(project: string, environment: string): Record<string, string> {
  return { Project: project, Environment: environment, ManagedBy: "pulumi" };
}
