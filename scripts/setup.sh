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
# out-of-tree modules for the default image (images/default/extra-modules.sh unpacks the headers;
# their kbuild tools link libelf1 and libssl3, which installing the headers package would pull in).
# chromium: the HTML report is tested in a real headless browser (playwright-core drives it).
# dropbear-bin, openssl: the tests' stand-in board runs Debian's dropbear, with a root password hashed by openssl.
# docker.io: container DUTs and lab hosts (the harness starts its own dockerd when no engine runs, and stops it).
# zstd: Debian's 6.12 kernel image is zstd-compressed (images/default/build.sh takes vmlinux out of it).
# libarchive-tools (bsdtar): an OpenWrt rootfs tarball becomes an initramfs (tar to cpio, owners kept, no root needed).
PACKAGES=(qemu-system-x86 qemu-utils iperf3 iproute2 iputils-ping chromium nftables conntrack busybox-static ethtool kmod xz-utils zstd procps
  ovmf qemu-system-arm qemu-efi-aarch64 gzip
  make gcc binutils libelf1 libssl3 dropbear-bin openssl docker.io libarchive-tools)

# Kernels: 6.1 always; more with --kernel SERIES (repeatable, or a comma list: --kernel 6.12).
kernels=(6.1)
while [ $# -gt 0 ]; do
  case "$1" in
    --kernel) IFS=, read -r -a more <<< "${2:?--kernel needs a series, e.g. 6.12}"; kernels+=("${more[@]}"); shift 2 ;;
    --kernel=*) IFS=, read -r -a more <<< "${1#--kernel=}"; kernels+=("${more[@]}"); shift ;;
    *) say "unknown argument $1 (npm run setup -- [--kernel 6.12])"; exit 2 ;;
  esac
done

# Linux 6.12 is Debian's bookworm-backports kernel: that suite, from the same archive as the
# rest, is added to apt's sources when none names it. Backports are never picked by default
# (the archive marks them NotAutomatic), so nothing else installed here changes.
backports=/etc/apt/sources.list.d/offload-hil-backports.sources
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  if [ "$(id -u)" = 0 ]; then
    say "adding bookworm-backports to apt's sources ($backports)"
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' > "$backports"
    apt-get update -q >/dev/null
  elif printf '%s\n' "${kernels[@]}" | grep -qvx 6.1; then
    say "need root to add bookworm-backports (Linux 6.12) to apt's sources"; exit 1
  else
    say "note: bookworm-backports is not in apt's sources; Linux 6.12 needs a run of this as root"
  fi
fi

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
for k in $(printf '%s\n' "${kernels[@]}" | awk '!seen[$0]++'); do
  if ! bash images/default/build.sh --kernel "$k" >/dev/null; then
    [ "$updated" = 1 ] && exit 1
    say "refreshing apt lists and retrying the image build"
    apt-get update -q >/dev/null
    updated=1
    bash images/default/build.sh --kernel "$k" >/dev/null
  fi
done
# The lab hosts' container image (lab.hosts.container: default): iperf3 and ping as installed above.
bash images/hosts/build.sh >/dev/null
say "ready: npx hil run scenarios/"
