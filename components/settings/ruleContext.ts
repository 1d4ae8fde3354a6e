/** Where a rule reports a problem: the settings path and the message (rules.ts, awsRules.ts). */
export interface RuleContext {
  /** `hideValue`: do not print the value (a control character or anything that could forge a line). */
  issue(path: (string | number)[], message: string, opts?: { hideValue?: boolean }): void;
}
