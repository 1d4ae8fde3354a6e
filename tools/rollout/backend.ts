/** Where the flag lives: a file (local stacks) or AWS AppConfig (aws stacks). */
import type { SwitchoverState } from "../../components/flags/document";
import type { Phase } from "../../components/flags/phases";
import type { AlarmEvidence } from "./gate";

export interface FlagReading {
  state: SwitchoverState;
  /** One line on where the state was read and what is in flight, e.g. "AppConfig deployment 7 COMPLETE". */
  detail: string;
  /** A deployment still rolling out or baking (AWS): the next phase waits for it. Absent when settled. */
  inFlight?: string;
  /** AppConfig rolled a deployment back by itself since the last one this command started (AWS only). */
  rolledBackByAppConfig?: string;
}

export interface FlagBackend {
  /** e.g. "file /x/flags.json" or "AppConfig app/env/profile". */
  describe(): string;
  read(): Promise<FlagReading>;
  /** Sets the flags for `phase` ("rollback" strategy when rolling back); returns where it went. */
  write(state: SwitchoverState, phase: Phase, kind: "advance" | "rollback"): Promise<string>;
  /** Critical alarm evidence since `since` (the phase's start). */
  alarms(since: Date | null): Promise<AlarmEvidence>;
}
