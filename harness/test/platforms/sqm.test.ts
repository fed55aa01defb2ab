import { describe, expect, it } from 'vitest';
import { ifbName, sqmTcCommands, sqmUciCommands } from '../../src/platforms/sqm.js';

describe('sqm-scripts trees as tc commands', () => {
  it('cake on egress, and ingress through ifb4<wan> with a u32 match-all redirect', () => {
    const { commands, devices } = sqmTcCommands({ qdisc: 'cake', egress: '20M', ingress: '1.5M' }, 'eth1', 'tc', 'ip');
    expect(devices).toEqual({ egress: 'eth1', ingress: 'ifb4eth1' });
    expect(commands).toEqual([
      'tc qdisc replace dev eth1 root cake bandwidth 20000kbit besteffort',
      'ip link add name ifb4eth1 type ifb',
      'ip link set ifb4eth1 up',
      'tc qdisc replace dev ifb4eth1 root cake bandwidth 1500kbit besteffort ingress',
      'tc qdisc add dev eth1 handle ffff: ingress',
      'tc filter add dev eth1 parent ffff: protocol all prio 10 u32 match u32 0 0 flowid 1:1 action mirred egress redirect dev ifb4eth1',
    ]);
  });

  it('htb with an fq_codel leaf where cake is not wanted; egress only', () => {
    const { commands, devices } = sqmTcCommands({ qdisc: 'fq_codel', egress: '800K' }, 'wan0', 'tc', 'ip');
    expect(devices).toEqual({ egress: 'wan0', ingress: null });
    expect(commands[0]).toBe('tc qdisc replace dev wan0 root handle 1: htb default 10');
    expect(commands.at(-1)).toBe('tc qdisc add dev wan0 parent 1:10 handle 110: fq_codel');
    expect(commands.join('\n')).toContain('rate 800kbit ceil 800kbit');
  });

  it('ifb names stay within IFNAMSIZ', () => {
    expect(ifbName('a-very-long-wan-name')).toHaveLength(15);
  });

  it('OpenWrt: one sqm queue section in kbit/s, 0 for an unshaped direction', () => {
    const { commands } = sqmUciCommands({ qdisc: 'cake', egress: '20M' }, 'eth1');
    expect(commands).toContain('uci set "sqm.$s.upload=20000"');
    expect(commands).toContain('uci set "sqm.$s.download=0"');
    expect(commands).toContain('uci set "sqm.$s.script=piece_of_cake.qos"');
    expect(commands.at(-1)).toBe('/etc/init.d/sqm restart');
  });
});
