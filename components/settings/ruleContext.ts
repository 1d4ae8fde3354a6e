/** Where a rule reports a problem: the settings path and the message (rules.ts, awsRules.ts). */
export interface RuleContext {
  issue(path: (string | number)[], message: string): void;
}
