/**
 * Docker's own grammar for image references and container names, so the docker plan is
 * judged by the engine's rules rather than by examples:
 * - image references: github.com/distribution/reference, regexp.go (`ReferenceRegexp`:
 *   optional domain[:port]/, lower-case path components joined by `.`, `_`, `__` or
 *   hyphens, optional `:tag` of `[\w][\w.-]{0,127}`, optional `@algorithm:hex`), and
 *   reference.go (`NameTotalLengthMax` 255; "repository name must be lowercase");
 * - container names: moby daemon/names (`RestrictedNamePattern` `[a-zA-Z0-9][a-zA-Z0-9_.-]+`).
 */
const alnum = "[a-z0-9]+";
const separator = "(?:[._]|__|[-]+)";
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const host = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const name = `(?:${domainAndPort}/)?${pathComponent}(?:/${pathComponent})*`;
const tag = "[\\w][\\w.-]{0,127}";
const digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
const REFERENCE = new RegExp(`^(${name})(?::(${tag}))?(?:@(${digest}))?$`);

/** distribution/reference NameTotalLengthMax. */
export const NAME_TOTAL_LENGTH_MAX = 255;

/** Why docker would refuse an image reference, or undefined. */
export function imageReferenceProblem(ref: string): string | undefined {
  const m = REFERENCE.exec(ref);
  if (!m) {
    if (/[A-Z]/.test(ref.split("@")[0].split("/").slice(ref.includes("/") ? 1 : 0).join("/").split(":")[0])) return `"${ref}" is not a valid image reference: docker requires a lower-case repository name`;
    return `"${ref}" is not a valid image reference (docker's grammar: [registry[:port]/]lower-case/path[:tag][@digest])`;
  }
  if (m[1].length > NAME_TOTAL_LENGTH_MAX) return `"${ref.slice(0, 40)}..." has a repository name of ${m[1].length} characters; docker allows ${NAME_TOTAL_LENGTH_MAX}`;
  return undefined;
}

/** moby's RestrictedNamePattern for container (and volume) names. */
export const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/**
 * Network names the engines will not create, whatever the pattern says: moby's predefined
 * networks (runconfig `IsPreDefinedNetwork`: bridge, host, none, default; "operation is not
 * permitted on predefined network") and podman's network modes (`NetworkCreate`: "cannot
 * create network with name ... because it conflicts with a valid network mode"). The dev
 * stack runs on either engine (devstack/engine.ts), so a name either refuses is refused.
 */
export const RESERVED_NETWORK_NAMES = ["bridge", "host", "none", "default", "private", "slirp4netns", "pasta", "container", "ns"] as const;

/** Why docker or podman would refuse to create a network of this name, or undefined. */
export function networkNameProblem(name: string): string | undefined {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) return "is not a network name the engine accepts ([a-zA-Z0-9][a-zA-Z0-9_.-]*)";
  if ((RESERVED_NETWORK_NAMES as readonly string[]).includes(name)) return `is a network the engine predefines or a network mode (${RESERVED_NETWORK_NAMES.join(", ")}); docker or podman (the dev stack runs on either) refuses to create it`;
  return undefined;
}
