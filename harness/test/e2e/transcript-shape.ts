import { readFileSync } from 'node:fs';
import { expect } from 'vitest';

/** A prompt line of the readable transcript: `[  +1.234s] dut# COMMAND`. */
export const PROMPT = /^\[ *[-+]\d+\.\d{3}s\] dut# /;

/**
 * console.log as people are shown it: no agent frame or banner (they start with the record
 * separator), no snapshot separator, no echoed protocol line. Returns the text. (A board's
 * shell echoes the agent's script as it is typed in: that text is what its console showed.)
 */
export function readableTranscript(path: string): string {
  const text = readFileSync(path, 'latin1');
  expect(text).not.toContain('\x1e');
  expect(text).not.toContain('--hil-snapshot-separator--');
  expect(text).not.toMatch(/^[0-9a-z]{1,8} (?:B|Z|X -?\d+|[PO] .*)$/m);
  expect(text).toMatch(new RegExp(PROMPT.source, 'm'));
  return text;
}

/** What the transcript shows under the first (or last) prompt whose command matches: the lines up to the next prompt or note. */
export function outputOf(text: string, command: RegExp, which: 'first' | 'last' = 'first'): string | undefined {
  const lines = text.split('\n');
  const match = (l: string) => PROMPT.test(l) && command.test(l.replace(PROMPT, ''));
  const at = which === 'first' ? lines.findIndex(match) : lines.findLastIndex(match);
  if (at < 0) return undefined;
  const out: string[] = [];
  for (const l of lines.slice(at + 1)) {
    if (PROMPT.test(l) || l.startsWith('[hil] ')) break;
    out.push(l);
  }
  return out.join('\n');
}
