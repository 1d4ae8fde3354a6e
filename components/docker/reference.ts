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
