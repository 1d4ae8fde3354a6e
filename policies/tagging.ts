/**
 * Required tags on every taggable AWS resource. "Taggable" is read from @pulumi/aws
 * itself: a resource class whose constructor passes `args.tags` through accepts tags;
 * classes that do not (SecretVersion, RolePolicyAttachment, Dashboard, ...) are never
 * flagged. Types the installed @pulumi/aws does not know count as taggable only when
 * their inputs already carry a `tags` map.
 */
import * as aws from "@pulumi/aws";
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { REQUIRED_TAG_KEYS } from "../components/tags";
import { configOf, label, setting } from "./common";

const TOKEN = /^aws:([a-zA-Z0-9]+)\/[a-zA-Z0-9]+:([A-Za-z0-9]+)$/;
const PASSES_TAGS = /resourceInputs\["tags"\]\s*=\s*args/;
const cache = new Map<string, boolean | undefined>();

/** true / false from the @pulumi/aws class for `type`; undefined when no such class is installed. */
export function sdkAcceptsTags(type: string): boolean | undefined {
  if (cache.has(type)) return cache.get(type);
  let result: boolean | undefined;
  const m = TOKEN.exec(type);
  if (m) {
    const cls = (aws as unknown as Record<string, Record<string, unknown> | undefined>)[m[1]]?.[m[2]];
    if (typeof cls === "function" && (cls as { __pulumiType?: string }).__pulumiType === type) result = PASSES_TAGS.test(String(cls));
  }
  cache.set(type, result);
  return result;
}

/** Whether a resource of `type` with these inputs must carry the required tags. */
export function isTaggable(type: string, props: Record<string, unknown>): boolean {
  if (!type.startsWith("aws:")) return false;
  return sdkAcceptsTags(type) ?? (props.tags !== undefined && typeof props.tags === "object");
}

export interface RequiredTagsConfig {
  requiredKeys: string[];
}

// AWS tag keys are 1-128 characters (Tagging AWS resources, "Tag naming limits and requirements").
const tagsSchema = {
  properties: {
    requiredKeys: { type: "array", items: { type: "string", minLength: 1, maxLength: 128 }, default: [...REQUIRED_TAG_KEYS], description: "Tag keys every taggable resource carries (components/tags.ts)." },
  },
} as const;

export const requiredTags: ResourceValidationPolicy = {
  name: "required-tags",
  description: `Every taggable AWS resource carries the tags ${REQUIRED_TAG_KEYS.join(", ")} with non-empty values (provider default tags count).`,
  severity: "medium",
  configSchema: tagsSchema,
  validateResource: (args: ResourceValidationArgs, reportViolation) => {
    if (!isTaggable(args.type, args.props)) return;
    const { requiredKeys } = configOf<RequiredTagsConfig>(tagsSchema, args);
    const own = (args.props.tags ?? {}) as Record<string, unknown>;
    const defaults = ((args.provider?.props?.defaultTags as { tags?: Record<string, unknown> } | undefined)?.tags ?? {}) as Record<string, unknown>;
    const tags = { ...defaults, ...own };
    const missing = requiredKeys.filter((k) => typeof tags[k] !== "string" || tags[k] === "");
    if (missing.length > 0) {
      reportViolation(
        `Set tags ${missing.join(", ")} on ${label(args.type)} ${args.name}: pass the stack's tags (StackContext.tags) to it${missing.includes("Owner") ? ` and set ${setting("tags")}.Owner` : ""}.`,
      );
    }
  },
};

export const TAGGING_POLICIES = [requiredTags];
