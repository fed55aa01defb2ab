#!/usr/bin/env bash
# Kernel modules the default image needs that Debian's kernel package does not ship, built
# out of tree against that exact kernel: netdevsim (CONFIG_NETDEVSIM is not set in Debian),
# from Debian's own linux-source package of the same version, and offload-hil's own
# simulated offload engine (kmod/hil_offload).
# Usage: extra-modules.sh KVER KDEBVER OUTDIR   (OUTDIR receives the .ko files)
set -euo pipefail
kver=$1 kdebver=$2 out=$3
cache=${HIL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/offload-hil}
say() { printf 'image: %s\n' "$*" >&2; }
series=$(echo "$kver" | cut -d. -f1,2)          # 6.1.0-56-amd64 -> 6.1
built=$cache/kmods/$kver-$kdebver
here=$(cd "$(dirname "$0")" && pwd)
headers=/usr/src/linux-headers-$kver
if [ ! -d "$headers" ]; then
  say "installing linux-headers-$kver (to build out-of-tree modules)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "linux-headers-$kver=$kdebver" >/dev/null
fi

say "building hil_offload.ko for $kver"
kwork=$(mktemp -d)
cp -r "$here/kmod/hil_offload" "$kwork/"
make -s -C "$headers" M="$kwork/hil_offload" modules 2>&1 | grep -v '^Skipping BTF' >&2 || true
[ -f "$kwork/hil_offload/hil_offload.ko" ] || { echo "image: building hil_offload.ko failed" >&2; rm -rf "$kwork"; exit 1; }
cp "$kwork/hil_offload/hil_offload.ko" "$out/"
rm -rf "$kwork"

if [ -f "$built/netdevsim.ko" ]; then cp "$built/netdevsim.ko" "$out/"; exit 0; fi
mkdir -p "$cache/debs"
src_deb=$(ls "$cache/debs/linux-source-${series}_${kdebver}_"*.deb 2>/dev/null | head -n1 || true)
if [ -z "$src_deb" ]; then
  say "downloading linux-source-$series $kdebver (netdevsim's source)"
  (cd "$cache/debs" && apt-get download -q "linux-source-$series=$kdebver" >/dev/null 2>&1) \
    || { echo "image: apt-get download linux-source-$series failed" >&2; exit 1; }
  src_deb=$(ls "$cache/debs/linux-source-${series}_"*.deb | head -n1)
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say "building netdevsim.ko for $kver"
dpkg-deb --fsys-tarfile "$src_deb" | tar -xO "./usr/src/linux-source-$series.tar.xz" \
  | tar -xJ -C "$work" "linux-source-$series/drivers/net/netdevsim"
make -s -C "$headers" M="$work/linux-source-$series/drivers/net/netdevsim" CONFIG_NETDEVSIM=m modules >/dev/null
mkdir -p "$built"
cp "$work/linux-source-$series/drivers/net/netdevsim/netdevsim.ko" "$built/"
cp "$built/netdevsim.ko" "$out/"
