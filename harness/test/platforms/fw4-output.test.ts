import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FALLBACK_TEXT, parseFw4Stderr } from '../../src/platforms/fw4-output.js';

describe("firewall4's stderr", () => {
  it('plain form, as captured from the DUT (stderr not a terminal)', () => {
    const text = readFileSync(new URL('../fixtures/fw4-reload-hw-stderr.txt', import.meta.url), 'utf8');
    expect(parseFw4Stderr(text)).toEqual({ warning: `[!] ${FALLBACK_TEXT}`, form: 'plain', nftErrors: [] });
  });

  it('terminal form, as real fw4 printed it on a serial console (../shared/FACTS.md)', () => {
    const out = parseFw4Stderr(`\x1b[33m${FALLBACK_TEXT}\x1b[m\r\r\n`);
    expect(out.form).toBe('tty');
    expect(out.warning).toContain(FALLBACK_TEXT);
  });

  it('quiet mode prints nothing; a rejected ruleset yields nft errors', () => {
    expect(parseFw4Stderr('').warning).toBeNull();
    const e = parseFw4Stderr('/dev/stdin:9:12-13: Error: Could not process rule: No such file or directory\n\tflowtable ft {\n\t          ^^\n');
    expect(e.nftErrors).toEqual(['/dev/stdin:9:12-13: Error: Could not process rule: No such file or directory']);
  });
});
