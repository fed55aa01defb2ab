import { describe, expect, it } from 'vitest';
import { demuxLogs } from '../../src/containers/logs.js';

const frame = (stream: number, text: string) => {
  const payload = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(payload.length, 4);
  return Buffer.concat([head, payload]);
};

describe('demuxLogs', () => {
  it('joins the payloads of stdout and stderr frames, in order, without their headers', () => {
    // The frames of a real container's log (a host container's wrapped iperf3 and ping).
    const buf = Buffer.concat([frame(1, 'hil-test: iperf3 --version\n'), frame(2, 'warning\n'), frame(1, 'hil-test: ping -V\n')]);
    expect(demuxLogs(buf)).toBe('hil-test: iperf3 --version\nwarning\nhil-test: ping -V\n');
  });

  it('takes a log that is not framed (a TTY container\'s) as text, and an empty one as empty', () => {
    expect(demuxLogs(Buffer.from('plain text\n'))).toBe('plain text\n');
    expect(demuxLogs(Buffer.alloc(0))).toBe('');
  });

  it('keeps a cut-off last frame\'s bytes rather than dropping them', () => {
    const whole = frame(1, 'complete\n');
    const cut = frame(1, 'cut off here\n').subarray(0, 12);
    expect(demuxLogs(Buffer.concat([whole, cut]))).toBe('complete\ncut ');
  });
});
