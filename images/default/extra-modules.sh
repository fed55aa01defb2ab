#!/usr/bin/env bash
# Kernel modules the default image needs that Debian's kernel package does not ship, built
# out of tree against that exact kernel: netdevsim (CONFIG_NETDEVSIM is not set in Debian),
# from Debian's own linux-source package of the same version, offload-hil's own simulated
# offload engine (kmod/hil_offload), and the OpenWrt kernel flavour: nf_tables rebuilt from
# the same source with the behaviour of OpenWrt's generic patch 701 ("netfilter: nf_tables:
# ignore -EOPNOTSUPP on flowtable device offload setup"), the change written here.
# Usage: extra-modules.sh KVER KDEBVER OUTDIR FLAVOURDIR
#   OUTDIR receives the .ko files; FLAVOURDIR/openwrt/ the flavour's replacement modules
set -euo pipefail
kver=$1 kdebver=$2 out=$3 flavours=$4
cache=${HIL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/offload-hil}
say() { printf 'image: %s\n' "$*" >&2; }
series=$(echo "$kver" | cut -d. -f1,2)          # 6.1.0-56-amd64 -> 6.1
built=$cache/kmods/$kver-$kdebver
here=$(cd "$(dirname "$0")" && pwd)
# The kernel's headers, unpacked into the cache rather than installed: 6.12's headers package
# depends on its kernel image package, which would put a kernel (and initramfs-tools) on
# this machine. The headers package and the -common and kbuild ones it depends on, at the
# kernel's own version; its Makefile names -common by absolute path.
hdr=$cache/kheaders/$kver-$kdebver
headers=$hdr/usr/src/linux-headers-$kver
if [ ! -f "$hdr/.complete" ]; then
  say "downloading linux-headers-$kver $kdebver (to build out-of-tree modules)"
  rm -rf "$hdr"; mkdir -p "$hdr" "$cache/debs"
  deps=$(apt-cache depends "linux-headers-$kver=$kdebver" | awk '/Depends: linux-(headers|kbuild)-/ {print $2}')
  for p in "linux-headers-$kver" $deps; do
    f=$(ls "$cache/debs/${p}_${kdebver}_"*.deb 2>/dev/null | head -n1 || true)
    if [ -z "$f" ]; then
      (cd "$cache/debs" && apt-get download -q "$p=$kdebver" >/dev/null 2>&1) || { echo "image: apt-get download $p=$kdebver failed" >&2; exit 1; }
      f=$(ls "$cache/debs/${p}_${kdebver}_"*.deb | head -n1)
    fi
    dpkg-deb -x "$f" "$hdr"
  done
  sed -i "s|^include /usr/src/|include $hdr/usr/src/|" "$headers/Makefile"
  [ -e "$headers/scripts/Makefile.build" ] || { echo "image: linux-headers-$kver unpacked without its kbuild scripts" >&2; exit 1; }
  touch "$hdr/.complete"
fi

# No BTF for these modules: 6.12's headers ship vmlinux, so kbuild would run pahole (a
# dependency of the headers package, not installed here); nothing here needs module BTF.
kmake() { make -s -C "$headers" CONFIG_DEBUG_INFO_BTF_MODULES= "$@"; }

say "building hil_offload.ko for $kver"
kwork=$(mktemp -d)
cp -r "$here/kmod/hil_offload" "$kwork/"
kmake M="$kwork/hil_offload" modules 2>&1 | grep -v '^Skipping BTF' >&2 || true
[ -f "$kwork/hil_offload/hil_offload.ko" ] || { echo "image: building hil_offload.ko failed" >&2; rm -rf "$kwork"; exit 1; }
cp "$kwork/hil_offload/hil_offload.ko" "$out/"
rm -rf "$kwork"

# Bumped when the flavour's change below changes: the cache holds what an older one built.
flavour_rev=1
mkdir -p "$flavours/openwrt"
if [ -f "$built/netdevsim.ko" ] && [ -f "$built/openwrt-r$flavour_rev/nf_tables.ko" ]; then
  cp "$built/netdevsim.ko" "$out/"
  cp "$built/openwrt-r$flavour_rev/nf_tables.ko" "$flavours/openwrt/"
  exit 0
fi
mkdir -p "$cache/debs"
src_deb=$(ls "$cache/debs/linux-source-${series}_${kdebver}_"*.deb 2>/dev/null | head -n1 || true)
if [ -z "$src_deb" ]; then
  say "downloading linux-source-$series $kdebver (netdevsim's and nf_tables' source)"
  (cd "$cache/debs" && apt-get download -q "linux-source-$series=$kdebver" >/dev/null 2>&1) \
    || { echo "image: apt-get download linux-source-$series failed" >&2; exit 1; }
  src_deb=$(ls "$cache/debs/linux-source-${series}_"*.deb | head -n1)
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dpkg-deb --fsys-tarfile "$src_deb" | tar -xO "./usr/src/linux-source-$series.tar.xz" \
  | tar -xJ -C "$work" "linux-source-$series/drivers/net/netdevsim" "linux-source-$series/net/netfilter"
mkdir -p "$built"
if [ ! -f "$built/netdevsim.ko" ]; then
  say "building netdevsim.ko for $kver"
  kmake M="$work/linux-source-$series/drivers/net/netdevsim" CONFIG_NETDEVSIM=m modules >/dev/null
  cp "$work/linux-source-$series/drivers/net/netdevsim/netdevsim.ko" "$built/"
fi
cp "$built/netdevsim.ko" "$out/"

# The OpenWrt flavour: in nft_register_flowtable_net_hooks(), a device whose flow block BIND
# answers -EOPNOTSUPP no longer fails the flowtable (and with it the transaction): the hook is
# registered, the device just has no hardware offload. Only nf_tables is rebuilt (Debian's
# config, its own Makefile's object list), so the exported symbols' CRCs stay Debian's.
say "building nf_tables.ko (OpenWrt flavour) for $kver"
nf=$work/linux-source-$series/net/netfilter
n=$(perl -0 -ne '$n = () = /err = flowtable->data\.type->setup\(&flowtable->data,\s*hook->ops\.dev,\s*FLOW_BLOCK_BIND\);\s*if \(err < 0\)/g; print $n' "$nf/nf_tables_api.c")
[ "$n" = 1 ] || { echo "image: nf_tables_api.c of $kver: the flowtable BIND check was found $n times, not once; the OpenWrt flavour needs a new recipe" >&2; exit 1; }
perl -0pi -e 's/(err = flowtable->data\.type->setup\(&flowtable->data,\s*hook->ops\.dev,\s*FLOW_BLOCK_BIND\);\s*if \(err < 0)\)/$1 \&\& err != -EOPNOTSUPP)/' "$nf/nf_tables_api.c"
printf 'include $(src)/Makefile\nobj-y :=\nobj-m := nf_tables.o\n' > "$nf/Kbuild"
kmake M="$nf" modules 2>&1 | grep -v '^Skipping BTF' >&2 || true
[ -f "$nf/nf_tables.ko" ] || { echo "image: building nf_tables.ko (OpenWrt flavour) failed" >&2; exit 1; }
strip --strip-debug "$nf/nf_tables.ko"
mkdir -p "$built/openwrt-r$flavour_rev"
cp "$nf/nf_tables.ko" "$built/openwrt-r$flavour_rev/"
cp "$nf/nf_tables.ko" "$flavours/openwrt/"
