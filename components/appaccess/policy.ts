/**
 * The application's read policy as a pure function, so a test can hold it to "exactly
 * these secrets". Shape from AWS's own AWSSecretsManagerClientReadOnlyAccess managed policy
 * and the Secrets Manager guide ("Secret encryption and decryption", permissions for the
 * KMS key): GetSecretValue on the secrets, and, for a secret encrypted with a customer
 * managed key, kms:Decrypt on that key only when Secrets Manager calls KMS on the caller's
 * behalf (kms:ViaService) for that very secret (kms:EncryptionContext:SecretARN: Secrets
 * Manager puts the secret's ARN in the encryption context of every data key). A secret
 * under the AWS managed key aws/secretsmanager needs no KMS statement: that key's policy
 * admits any principal of the account through Secrets Manager.
 */

export interface ReadableSecret {
  arn: string;
  /** Customer managed key the secret is encrypted with; undefined for aws/secretsmanager. */
  kmsKeyArn?: string;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: {
    Sid: string;
    Effect: "Allow";
    Action: string[];
    Resource: string[];
    Condition?: Record<string, Record<string, string | string[]>>;
  }[];
}

export function applicationReadPolicy(secrets: ReadableSecret[], region: string): PolicyDocument {
  if (secrets.length === 0) throw new Error("applicationReadPolicy: no secrets given; a policy over nothing would be meaningless");
  const statements: PolicyDocument["Statement"] = [{ Sid: "ReadApplicationSecrets", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [...new Set(secrets.map((s) => s.arn))] }];
  const byKey = new Map<string, string[]>();
  for (const s of secrets) if (s.kmsKeyArn) byKey.set(s.kmsKeyArn, [...(byKey.get(s.kmsKeyArn) ?? []), s.arn]);
  [...byKey].forEach(([key, arns], i) =>
    statements.push({
      Sid: `DecryptThroughSecretsManager${i}`,
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: [key],
      Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${region}.amazonaws.com`, "kms:EncryptionContext:SecretARN": arns } },
    }),
  );
  return { Version: "2012-10-17", Statement: statements };
}
