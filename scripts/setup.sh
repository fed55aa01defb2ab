#!/usr/bin/env bash
# One-time (and idempotent) setup on Debian 12, as root: Debian packages, npm packages,
# the compiled harness, and the default DUT image. Each part is skipped when nothing it
# depends on changed, so a second run takes a couple of seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
say() { printf 'setup: %s\n' "$*" >&2; }

# qemu/iperf3/iproute2/iputils-ping (latency probe) run the labs; the rest is what images/default/build.sh copies
# into the image (or needs to build it: apt for the kernel .deb, xz-utils for vmlinux).
# OpenWrt images: ovmf (x86-64 EFI), qemu-system-arm + qemu-efi-aarch64 (armsr armv8),
# gzip (.img.gz with trailing metadata), qemu-utils (qcow2 overlays). make, gcc, binutils:
# out-of-tree modules for the default image (images/default/extra-modules.sh adds the headers).
# chromium: the HTML report is tested in a real headless browser (playwright-core drives it).
# dropbear-bin, openssl: the tests' stand-in board runs Debian's dropbear, with a root password hashed by openssl.
# docker.io: container DUTs and lab hosts (the harness starts its own dockerd when no engine runs, and stops it).
# libarchive-tools (bsdtar): an OpenWrt rootfs tarball becomes an initramfs (tar to cpio, owners kept, no root needed).
PACKAGES=(qemu-system-x86 qemu-utils iperf3 iproute2 iputils-ping chromium nftables conntrack busybox-static ethtool kmod xz-utils procps
  ovmf qemu-system-arm qemu-efi-aarch64 gzip
  make gcc binutils dropbear-bin openssl docker.io libarchive-tools)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
updated=0
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { say "need root to install: ${missing[*]}"; exit 1; }
  say "installing ${missing[*]}"
  apt-get update -q >/dev/null
  updated=1
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.hil-lock-sha256 2>/dev/null)" != "$lock_sum" ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > node_modules/.hil-lock-sha256
fi

src_sum=$( (find harness/src tsconfig.json -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1)
if [ "$(cat harness/dist/.src-sha256 2>/dev/null)" != "$src_sum" ]; then
  say "compiling the harness"
  npx tsc -p tsconfig.json
  echo "$src_sum" > harness/dist/.src-sha256
fi

# The kernel package is resolved from apt's lists; stale or missing lists need an update.
if ! bash images/default/build.sh >/dev/null; then
  [ "$updated" = 1 ] && exit 1
  say "refreshing apt lists and retrying the image build"
  apt-get update -q >/dev/null
  bash images/default/build.sh >/dev/null
fi
# The lab hosts' container image (lab.hosts.container: default): iperf3 and ping as installed above.
bash images/hosts/build.sh >/dev/null
say "ready: npx hil run scenarios/"
