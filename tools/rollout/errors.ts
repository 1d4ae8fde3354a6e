/** A problem with the command's input (flags, files, credentials): exit 2 with this message, never a stack trace. */
export class RolloutInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RolloutInputError";
  }
}

/** Exit codes of `npm run rollout` (docs/rollout.md). */
export const ROLLOUT_EXIT = { ok: 0, refused: 1, input: 2, internal: 4 } as const;
