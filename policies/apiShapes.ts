/**
 * Every input of an AWS resource against the API member it becomes, in AWS's own service
 * models (components/aws/models, pinned from botocore): length, pattern, range,
 * enumeration, list size. The review runs the same check on the evaluated program
 * (exit 2 with the settings key); as a policy it also stops `pulumi preview/up
 * --policy-pack` on a value AWS would refuse.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { checkApiShapes } from "../components/aws/models";
import { alarmMetrics, duplicateRules, tagCase } from "../tools/review/programChecks";

/**
 * The inputs as plain data, each value unknown during preview left out: the policy judges
 * what is known (an unknown value is judged at `up`, when the engine knows it).
 */
function known(v: unknown, depth = 0): unknown {
  if (v === null || typeof v !== "object" || depth > 16) return v;
  const read = (k: string | number) => {
    try {
      return known((v as Record<string | number, unknown>)[k], depth + 1);
    } catch {
      return undefined;
    }
  };
  if (Array.isArray(v)) return Array.from({ length: v.length }, (_, i) => read(i));
  return Object.fromEntries(Object.keys(v).map((k) => [k, read(k)]).filter(([, x]) => x !== undefined));
}

export const awsApiShapes: ResourceValidationPolicy = {
  name: "aws-api-shapes",
  description: "Every value sent to an AWS API fits that API's own definition (length, pattern, range, enumeration, list size).",
  severity: "high",
  validateResource: (args, reportViolation) => {
    if (!args.type.startsWith("aws:")) return;
    const { problems } = checkApiShapes([{ type: args.type, name: args.name, custom: true, inputs: known(args.props) as Record<string, unknown> }]);
    for (const p of problems) {
      const value = typeof p.value === "string" ? `"${p.value.length > 40 ? `${p.value.slice(0, 37)}...` : p.value}"` : String(p.value);
      reportViolation(`Set ${p.input} on ${args.name} to a value ${p.member} accepts (${value} ${p.message.replace(/\.$/, "")}).`);
    }
  },
};


/**
 * The cross-resource rules the program creates (tools/review/programChecks.ts) over the
 * whole stack: a security group rule made twice, a metric-math alarm over more than 10
 * metrics, tag keys equal but for case on one resource. AWS refuses each at deploy.
 */
export const awsCrossResource: StackValidationPolicy = {
  name: "aws-cross-resource",
  description: "No security group rule twice, no metric-math alarm over more than 10 metrics, no tag keys equal but for case (AWS refuses each).",
  severity: "high",
  validateStack: (args, reportViolation) => {
    const rs = args.resources.filter((r) => r.type.startsWith("aws:")).map((r) => ({ type: r.type, name: r.name, custom: true, inputs: known(r.props) as Record<string, unknown>, urn: r.urn }));
    for (const f of [...duplicateRules(rs), ...alarmMetrics(rs), ...tagCase(rs)]) {
      const name = f.where.split(" and ")[0];
      const value = typeof f.value === "string" ? `"${f.value}" ` : "";
      reportViolation(`Set ${name} so AWS accepts it: ${value}${f.message}.`, rs.find((r) => r.name === name)?.urn);
    }
  },
};

export const API_SHAPE_POLICIES = [awsApiShapes, awsCrossResource];
