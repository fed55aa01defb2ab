/**
 * One addressing plan for every lab (each lab lives in its own namespaces, so they
 * never collide). LAN as on an OpenWrt router; WAN a private /24 and its own ULA.
 * IPv4 is masqueraded on WAN, IPv6 is routed (firewall4's defaults): the WAN host
 * has a route back to the LAN's ULA but none to 192.168.1.0/24.
 */
export const ADDRESSING = {
  lan: {
    v4: { dut: '192.168.1.1', host: '192.168.1.2', prefix: 24 },
    v6: { dut: 'fd00:1::1', host: 'fd00:1::2', prefix: 64, net: 'fd00:1::/64' },
  },
  wan: {
    v4: { dut: '10.99.0.2', host: '10.99.0.1', prefix: 24 },
    v6: { dut: 'fd00:99::2', host: 'fd00:99::1', prefix: 64, net: 'fd00:99::/64' },
  },
} as const;

export type Side = keyof typeof ADDRESSING;
export type Family = 'ipv4' | 'ipv6';

export function hostAddr(side: Side, family: Family): string {
  return family === 'ipv4' ? ADDRESSING[side].v4.host : ADDRESSING[side].v6.host;
}

export function dutAddr(side: Side, family: Family): string {
  return family === 'ipv4' ? ADDRESSING[side].v4.dut : ADDRESSING[side].v6.dut;
}
