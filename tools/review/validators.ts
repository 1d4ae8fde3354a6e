/**
 * The review's "Validators" section: what judged this stack besides the settings
 * schema and rules, with the sources' dates, and which engine validators ran (an absent
 * binary is "not run", never a silent pass).
 */
import { ELASTICACHE_CATALOGUE, RDS_CATALOGUE } from "../../components/aws/catalogue";
import { AWS_MODELS } from "../../components/aws/models";
import { mappedMembers } from "../../components/aws/models/propertyMap";
import type { ValidatorRun } from "../validators";
import type { ReviewSection } from "./section";

/** Every validator line: static ones (models, catalogues, cross-resource rules) and the engines' runs. */
export function validatorLines(engines: ValidatorRun[]): string[] {
  return [
    `AWS API models: ${mappedMembers().length} mapped members of ${Object.keys(AWS_MODELS.services).length} services, ${AWS_MODELS.source} (pinned ${AWS_MODELS.pinned})`,
    `Catalogues: ElastiCache node types and engine versions (${ELASTICACHE_CATALOGUE.date}), RDS PostgreSQL 15 instance classes (${RDS_CATALOGUE.date}), PostgreSQL 15 parameters and reserved key words`,
    "Cross-resource rules: duplicate security group rules, one NLB subnet per zone, 10 metrics per alarm, tag keys by case, docker names, images and host ports",
    ...engines.map((e) => `${e.name}: ${e.ran ? `ran (${e.ms} ms), ${e.note}` : e.note}`),
  ];
}

export function validatorsSection(engines: ValidatorRun[]): ReviewSection {
  const lines = validatorLines(engines);
  return { title: "Validators", text: lines.map((l) => `- ${l}`).join("\n"), json: { lines, engines }, failed: false };
}
