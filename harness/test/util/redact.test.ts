import { describe, expect, it } from 'vitest';
import { addSecret, redact, REDACTED } from '../../src/util/redact.js';

describe('redact', () => {
  it('takes every registered secret out of text, wherever and however often it appears', () => {
    addSecret('s3cr3t-pw');
    expect(redact('ssh root@x with s3cr3t-pw, again s3cr3t-pw.')).toBe(`ssh root@x with ${REDACTED}, again ${REDACTED}.`);
  });

  it('leaves text without secrets alone, and ignores "secrets" too short to be kept out safely', () => {
    addSecret('ab');
    expect(redact('about a cable')).toBe('about a cable');
  });
});
