/** Errors the command line maps to exit code 3 (bad outputs or usage). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
