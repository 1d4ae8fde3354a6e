/**
 * AppConfig deployment strategies for the phases, with AWS's limits checked before any
 * resource exists (CreateDeploymentStrategy: Name 1-64 characters; DeploymentDurationInMinutes
 * and FinalBakeTimeInMinutes 0-1440; GrowthFactor 1.0-100.0; GrowthType LINEAR or
 * EXPONENTIAL; ReplicateTo NONE or SSM_DOCUMENT; Description at most 1024 characters).
 *
 * The strategy's growth is over the hosts polling AppConfig, not over organizations: the
 * share of organizations is the flag's `percentage`. During the rollout and the bake,
 * AppConfig watches the environment's monitors and rolls the document back by itself.
 */
import { PHASES, ROLLBACK_STRATEGY, type Phase } from "./phases";

export interface DeploymentStrategySpec {
  /** Key in the contract (`phase name` or "rollback"). */
  key: string;
  name: string;
  description: string;
  deploymentDurationInMinutes: number;
  growthFactor: number;
  growthType: "LINEAR" | "EXPONENTIAL";
  finalBakeTimeInMinutes: number;
  replicateTo: "NONE" | "SSM_DOCUMENT";
}

export const STRATEGY_LIMITS = { nameChars: 64, descriptionChars: 1024, minutes: 1440, growthMin: 1, growthMax: 100 } as const;

/** One strategy per phase after "off", plus the rollback strategy. */
export function strategySpecs(namePrefix: string, phases: readonly Phase[] = PHASES): DeploymentStrategySpec[] {
  const spec = (key: string, s: Phase["strategy"], what: string): DeploymentStrategySpec => ({
    key,
    name: `${namePrefix}-switchover-${key}`,
    description: what,
    deploymentDurationInMinutes: s.deploymentDurationMinutes,
    growthFactor: s.growthFactor,
    growthType: s.growthType,
    finalBakeTimeInMinutes: s.finalBakeMinutes,
    replicateTo: "NONE",
  });
  return [
    ...phases.slice(1).map((p) => spec(p.name, p.strategy, `Switchover phase ${p.name}: ${p.percentage}% of organizations on the partitioned tables`)),
    spec("rollback", ROLLBACK_STRATEGY, "Switchover rollback: both flags off on every host at once"),
  ];
}

/** Every limit a strategy breaks, naming the field and AWS's rule. */
export function strategyProblems(s: DeploymentStrategySpec): string[] {
  const L = STRATEGY_LIMITS;
  const out: string[] = [];
  if (s.name.length < 1 || s.name.length > L.nameChars) out.push(`${s.key}: name "${s.name.slice(0, 80)}" is ${s.name.length} characters; AppConfig allows 1-${L.nameChars}`);
  if (s.description.length > L.descriptionChars) out.push(`${s.key}: description is ${s.description.length} characters; at most ${L.descriptionChars}`);
  for (const [field, v] of [["deploymentDurationInMinutes", s.deploymentDurationInMinutes], ["finalBakeTimeInMinutes", s.finalBakeTimeInMinutes]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > L.minutes) out.push(`${s.key}: ${field} is ${v}; expected a whole number from 0 to ${L.minutes}`);
  }
  if (!(s.growthFactor >= L.growthMin && s.growthFactor <= L.growthMax)) out.push(`${s.key}: growthFactor is ${s.growthFactor}; expected ${L.growthMin}-${L.growthMax} (percent of targets per interval)`);
  if (s.growthType !== "LINEAR" && s.growthType !== "EXPONENTIAL") out.push(`${s.key}: growthType is ${String(s.growthType)}; expected LINEAR or EXPONENTIAL`);
  if (s.replicateTo !== "NONE" && s.replicateTo !== "SSM_DOCUMENT") out.push(`${s.key}: replicateTo is ${String(s.replicateTo)}; expected NONE or SSM_DOCUMENT`);
  return out;
}

/** CloudWatch PutCompositeAlarm: AlarmRule is at most 10240 characters. */
export const COMPOSITE_RULE_MAX_CHARS = 10_240;
/** AppConfig CreateEnvironment: at most 5 monitors; one composite alarm covers every critical alarm. */
export const MAX_MONITORS = 5;

/**
 * The composite alarm rule "any critical alarm is in ALARM". A composite, not one monitor per
 * alarm: an AppConfig environment takes at most 5 monitors and prod has more critical alarms.
 */
export function anyAlarmRule(alarmNames: readonly string[]): string {
  if (alarmNames.length === 0) throw new Error("switchover flags: no critical alarm to monitor; AppConfig could not roll back by itself");
  for (const n of alarmNames) if (/["()]/.test(n)) throw new Error(`switchover flags: alarm name ${JSON.stringify(n)} holds a quote or parenthesis, which an alarm rule cannot name`);
  const rule = alarmNames.map((n) => `ALARM("${n}")`).join(" OR ");
  if (rule.length > COMPOSITE_RULE_MAX_CHARS) throw new Error(`switchover flags: the composite alarm rule over ${alarmNames.length} critical alarms is ${rule.length} characters; CloudWatch allows ${COMPOSITE_RULE_MAX_CHARS}`);
  return rule;
}
