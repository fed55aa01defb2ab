// The WAN host's side of a UDP flood: every datagram straight back to its sender.
// Run inside the lab's WAN namespace: node udp-echo.js PORT ADDRESS
import { createSocket } from 'node:dgram';

const [port = '6000', address = '0.0.0.0'] = process.argv.slice(2);
const sock = createSocket(address.includes(':') ? 'udp6' : 'udp4');
sock.on('message', (msg, from) => sock.send(msg, from.port, from.address));
sock.on('error', (e) => {
  process.stderr.write(`udp-echo: ${e.message}\n`);
  process.exit(1);
});
sock.bind(Number(port), address, () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => sock.close(() => process.exit(0)));
