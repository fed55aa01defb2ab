#!/usr/bin/env bash
# The plain-script baseline for bench/run.sh: what a person would write by hand to do
# sw-offload.yaml's work. Same image, same QEMU arguments, same ruleset (the image's fw4),
# same 2 s iperf3, then a grep of conntrack. No reports, no checks beyond the grep.
set -euo pipefail
img=${HIL_CACHE:-$HOME/.cache/offload-hil}/images/default-6.1
id=b$$; d=$(mktemp -d); qpid=
ip netns add $id-dut; ip netns add $id-lan; ip netns add $id-wan
cleanup() { kill $qpid 2>/dev/null || true; wait 2>/dev/null || true; for n in dut lan wan; do ip netns del $id-$n 2>/dev/null || true; done; rm -rf "$d"; }
trap cleanup EXIT
ip -n $id-dut tuntap add dev ${id}l mode tap; ip -n $id-dut tuntap add dev ${id}w mode tap
mkfifo $d/con.in $d/con.out
append=$(node -e 'console.log(require(process.argv[1]).append)' "$(realpath "$(dirname "$0")/../qemu/x86-64.json")")
ip netns exec $id-dut qemu-system-x86_64 -machine pc -accel tcg -cpu max,-erms,-fsrm -m 256 -smp 1 -nodefaults -no-user-config -display none -no-reboot \
  -kernel $img/vmlinux -initrd $img/initramfs.cpio -append "$append panic=1" -chardev pipe,id=con,path=$d/con -serial chardev:con \
  -netdev tap,id=lan,ifname=${id}l,script=no,downscript=no -device virtio-net-pci,netdev=lan,mac=52:54:00:4c:41:4e \
  -netdev tap,id=wan,ifname=${id}w,script=no,downscript=no -device virtio-net-pci,netdev=wan,mac=52:54:00:57:41:4e &
qpid=$!
exec 3>$d/con.in 4<$d/con.out
until IFS= read -r line <&4; [[ $line == *HIL-READY* ]]; do :; done
n=0
dut() { n=$((n+1)); echo "c$n P $*" >&3; while IFS= read -r line <&4; do [[ $line == *"c$n Z"* ]] && break; printf '%s\n' "$line"; done; }
ip -n $id-dut link set ${id}l netns $id-lan; ip -n $id-dut link set ${id}w netns $id-wan
ip -n $id-lan addr add 192.168.1.2/24 dev ${id}l; ip -n $id-lan link set ${id}l up; ip -n $id-lan route add default via 192.168.1.1
ip -n $id-wan addr add 10.99.0.1/24 dev ${id}w; ip -n $id-wan link set ${id}w up
dut "/usr/sbin/ip addr add 192.168.1.1/24 dev eth0 && /usr/sbin/ip addr add 10.99.0.2/24 dev eth1 && /usr/sbin/ip link set eth0 up && /usr/sbin/ip link set eth1 up && echo 1 > /proc/sys/net/ipv4/ip_forward" >/dev/null
dut "echo flow_offloading=1 > /etc/hil/firewall && /sbin/fw4 reload" >/dev/null
ip netns exec $id-wan iperf3 -s -1 >/dev/null & spid=$!
sleep 0.3
ip netns exec $id-lan iperf3 -c 10.99.0.1 -t 2 >/dev/null &
sleep 1
dut "cat /proc/net/nf_conntrack" > $d/ct
if grep -q 'dport=5201 .*\[OFFLOAD\]' $d/ct; then echo 'baseline: flow offloaded'; else echo 'baseline: no offloaded flow'; exit 1; fi
wait $spid
