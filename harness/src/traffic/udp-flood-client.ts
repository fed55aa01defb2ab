// The LAN host's side of a UDP flood: FLOWS short flows, each from its own source port
// (FIRST_PORT + i, never reused, so each is its own conntrack entry), PACKETS datagrams each,
// every one waiting for its echo, CONCURRENCY flows at a time. Prints a JSON summary.
// node udp-flood-client.js DST PORT FLOWS PACKETS CONCURRENCY FIRST_PORT
import { createSocket, type Socket } from 'node:dgram';

const [dst, port, flows, packets, concurrency, firstPort] = process.argv.slice(2);
const FLOWS = Number(flows);
const PACKETS = Number(packets);
const ECHO_TIMEOUT_MS = 1000;

function flow(i: number): Promise<{ sent: number; answered: number; failed?: string }> {
  return new Promise((resolve) => {
    const sock: Socket = createSocket(dst!.includes(':') ? 'udp6' : 'udp4');
    let sent = 0;
    let answered = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (failed?: string) => {
      clearTimeout(timer);
      sock.close();
      resolve({ sent, answered, failed });
    };
    const next = () => {
      if (sent === PACKETS) return finish();
      sent++;
      sock.send(`hil ${i} ${sent}`, Number(port), dst);
      timer = setTimeout(next, ECHO_TIMEOUT_MS);
    };
    sock.on('message', () => {
      answered++;
      clearTimeout(timer);
      next();
    });
    sock.on('error', (e) => finish(e.message));
    sock.bind(Number(firstPort) + i, () => next());
  });
}

const started = performance.now();
let nextFlow = 0;
let sent = 0;
let answered = 0;
let flowsAnswered = 0;
const failures: string[] = [];
async function worker(): Promise<void> {
  while (nextFlow < FLOWS) {
    const r = await flow(nextFlow++);
    sent += r.sent;
    answered += r.answered;
    if (r.answered > 0) flowsAnswered++;
    if (r.failed && failures.length < 5) failures.push(r.failed);
  }
}
await Promise.all(Array.from({ length: Math.min(Number(concurrency), FLOWS) }, worker));
process.stdout.write(`${JSON.stringify({ flows: FLOWS, flowsAnswered, sent, answered, durationMs: Math.round(performance.now() - started), failures })}\n`);
