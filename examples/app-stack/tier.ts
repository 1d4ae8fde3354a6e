/**
 * The one helper an application stack needs: a StackReference to the data tier turned
 * into typed outputs validated with the contract's own schema. Awaited before the program
 * creates anything (StackReference.getOutputDetails), so a tier of another contract version,
 * or one missing a field, fails the preview with one message naming the field and nothing
 * is planned on top of it.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseApplicationView, type ApplicationView } from "../../components/contract/outputs";

/** What an application reads from the tier: plain outputs only; its secrets come by ARN. */
const FIELDS = ["contractVersion", "environment", "platform", "region", "application"] as const;

export async function dataTierOutputs(ref: pulumi.StackReference, stackName: string): Promise<ApplicationView> {
  const details = await Promise.all(FIELDS.map(async (f) => [f, (await ref.getOutputDetails(f)).value] as const));
  // A missing output has no value; leave its key out so the error says "is missing".
  const present = Object.fromEntries(details.filter(([, v]) => v !== undefined && v !== null));
  return parseApplicationView(present, `stack ${stackName}`);
}

/** The AWS part, or an error saying why an application on ECS cannot use this tier. */
export function awsAccess(tier: ApplicationView): NonNullable<ApplicationView["application"]["aws"]> {
  if (!tier.application.aws) throw new Error(`the data tier is platform ${tier.platform}: application.aws is null (no Secrets Manager secrets); point dataTierStack at an aws stack`);
  return tier.application.aws;
}
