/** An error whose message is meant for the user as it is: one line, no stack. */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
  }
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
