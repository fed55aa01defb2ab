/**
 * Secrets of this process (board passwords, key passphrases) are registered once they are
 * read, and every report file, transcript and progress line passes through redact() on
 * its way out, so no writer has to remember which of its strings might carry one.
 */
const secrets = new Set<string>();

export const REDACTED = '[redacted]';

export function addSecret(value: string): void {
  // A one- or two-character "secret" would blank out ordinary text; such a password is refused at load.
  if (value.length >= 3) secrets.add(value);
}

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}
