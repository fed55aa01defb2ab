#!/usr/bin/env bash
# Builds the default DUT image (Debian's kernel + a busybox initramfs) from Debian's
# archive only, into a content-addressed cache, one per kernel series:
#   $HIL_CACHE/images/default-<series>-<key>/{vmlinux,initramfs.cpio,manifest.json}
#   $HIL_CACHE/images/default-<series> -> default-<series>-<key>
# The key hashes every input (this recipe, the rootfs files, the module list, the
# kernel package version and the versions of the userland packages), so an unchanged
# second run only computes the key and exits.
#   build.sh [--kernel SERIES]          build if needed, print the image folder
#   build.sh [--kernel SERIES] --key    print the key only
# SERIES is 6.1 (bookworm's kernel, the default) or 6.12 (bookworm-backports'); the exact
# version is whatever the archive's linux-image-amd64 of that series depends on.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${HIL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/offload-hil}
say() { printf 'image: %s\n' "$*" >&2; }
series=6.1 key_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --kernel) series=${2:?--kernel needs a series, e.g. 6.12}; shift 2 ;;
    --key) key_only=1; shift ;;
    *) echo "image: unknown argument $1 (build.sh [--kernel SERIES] [--key])" >&2; exit 2 ;;
  esac
done
case "$series" in 6.1|6.12) ;; *) echo "image: no kernel series $series (6.1 or 6.12)" >&2; exit 2 ;; esac

userland_pkgs=(busybox-static nftables iproute2 conntrack ethtool kmod)
# Needed on the build host only: xz-utils and zstd (vmlinux extraction), apt (download).
tools=(/usr/sbin/nft /usr/sbin/ip /usr/sbin/tc /usr/sbin/conntrack /usr/sbin/ethtool /usr/bin/kmod)

# The kernel package: what linux-image-amd64 depends on, in the newest version of that
# metapackage whose kernel is of this series (6.1's candidate; 6.12's from backports).
kernel_of() { apt-cache depends "linux-image-amd64${1:+=$1}" 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'; }
kpkg=
for v in "" $(apt-cache madison linux-image-amd64 2>/dev/null | awk '{print $3}'); do
  p=$(kernel_of "$v")
  case "${p#linux-image-}" in "$series".*) kpkg=$p; break ;; esac
done
[ -n "$kpkg" ] || { echo "image: no Linux $series kernel in apt's lists (linux-image-amd64; 6.12 comes from bookworm-backports, which npm run setup adds): run apt-get update" >&2; exit 1; }
kver=${kpkg#linux-image-}
kdebver=$(apt-cache policy "$kpkg" | awk '/Candidate:/ {print $2}')

key=$( {
  echo "kernel $kpkg $kdebver"
  for p in "${userland_pkgs[@]}"; do dpkg-query -W -f '${Package} ${Version}\n' "$p"; done
  (cd "$here" && find build.sh extra-modules.sh modules.txt rootfs kmod -type f -print0 | sort -z | xargs -0 sha256sum)
} | sha256sum | cut -c1-16)

if [ "$key_only" = 1 ]; then echo "$key"; exit 0; fi

name=default-$series
out=$cache/images/$name-$key
if [ -f "$out/manifest.json" ]; then
  ln -sfn "$name-$key" "$cache/images/$name"
  say "up to date ($out)"
  echo "$out"; exit 0
fi

mkdir -p "$cache/images" "$cache/debs"
# One build of a series at a time (two runs building 6.12 on first use); the second finds it built.
exec 9>"$cache/images/.build-$series.lock"
flock 9
if [ -f "$out/manifest.json" ]; then
  ln -sfn "$name-$key" "$cache/images/$name"
  say "built meanwhile ($out)"
  echo "$out"; exit 0
fi
work=$(mktemp -d "$cache/images/.build-XXXXXX")
trap 'rm -rf "$work"' EXIT

deb=$(ls "$cache/debs/${kpkg}_${kdebver/:/%3a}_"*.deb 2>/dev/null | head -n1 || true)
if [ -z "$deb" ]; then
  say "downloading $kpkg $kdebver"
  (cd "$cache/debs" && apt-get download -q "$kpkg=$kdebver" >/dev/null 2>&1) \
    || { echo "image: apt-get download $kpkg failed" >&2; exit 1; }
  deb=$(ls "$cache/debs/${kpkg}_"*.deb | head -n1)
fi
say "unpacking $(basename "$deb")"
dpkg-deb -x "$deb" "$work/kernel"
kroot=$work/kernel
depmod -b "$kroot" "$kver"

root=$work/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,root,lib/modules/$kver}
cp -a "$here/rootfs/." "$root/"

# Busybox applets as symlinks; the real tools below win only when called by full
# path, because busybox's shell prefers its own applets.
cp /bin/busybox "$root/bin/busybox"
for a in $(/bin/busybox --list); do [ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"; done

copy_with_libs() {
  local f=$1
  mkdir -p "$root$(dirname "$f")"; cp -L "$f" "$root$f"
  ldd "$f" | awk '/=> \// {print $3} /^\t\/lib/ {print $1}' | while read -r lib; do
    [ -e "$root$lib" ] || { mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; }
  done
}
for t in "${tools[@]}"; do copy_with_libs "$t"; done
for l in modprobe lsmod rmmod insmod depmod modinfo; do ln -sf /usr/bin/kmod "$root/sbin/$l"; done
cp /etc/protocols /etc/services "$root/etc/"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"

# Kernel modules: the listed ones and everything they depend on.
mods=$(grep -v '^#' "$here/modules.txt" | grep .)
for m in $mods; do
  modprobe -d "$kroot" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
done | sort -u | while read -r ko; do
  rel=${ko#"$kroot"}
  mkdir -p "$root$(dirname "$rel")"; cp "$ko" "$root$rel"
done
# Out-of-tree modules (netdevsim), built against this kernel, and the in-tree modules they need.
mkdir -p "$root/lib/modules/$kver/extra" "$work/flavours"
bash "$here/extra-modules.sh" "$kver" "$kdebver" "$root/lib/modules/$kver/extra" "$work/flavours"
# Kernel flavours (hil.flavour=NAME on the command line): modules that replace the kernel's
# own before anything loads, kept outside /lib/modules so depmod never sees two of a name.
mkdir -p "$root/lib/hil"
cp -r "$work/flavours" "$root/lib/hil/"
for ko in "$root/lib/modules/$kver/extra"/*.ko; do
  strip --strip-debug "$ko"
  for dep in $(modinfo -F depends "$ko" | tr , ' '); do
    modprobe -d "$kroot" -S "$kver" --show-depends "$dep" | awk '$1 == "insmod" {print $2}'
  done
done | sort -u | while read -r ko; do
  rel=${ko#"$kroot"}
  mkdir -p "$root$(dirname "$rel")"; cp "$ko" "$root$rel"
done
cp "$kroot/lib/modules/$kver"/modules.{order,builtin,builtin.modinfo} "$root/lib/modules/$kver/"
depmod -b "$root" "$kver"
echo "$mods" > "$root/etc/hil/modules"

mkdir -p "$work/out/kmod-index"
# The flavours, for root filesystem tarballs booted on this kernel too.
cp -r "$work/flavours" "$work/out/flavours"
# The whole kernel's module index: a root filesystem tarball booted on this kernel gets the
# modules its own packages name (harness/src/images/rootfs-image.ts), taken from the .deb.
cp "$kroot/lib/modules/$kver"/modules.{dep,builtin,builtin.modinfo} "$work/out/kmod-index/"
# Uncompressed on purpose: under TCG the guest's gunzip costs more than QEMU's
# fw_cfg copy of the larger file.
(cd "$root" && find . | /bin/busybox cpio -o -H newc 2>/dev/null) > "$work/out/initramfs.cpio"
# The same userland as a root filesystem tarball, for a container DUT (docker import): no
# kernel modules, since a container runs on the host's kernel and cannot load any.
tar -C "$root" --exclude=./lib/modules --exclude=./init -cf "$work/out/rootfs.tar" .
# The ELF vmlinux has a PVH entry point: QEMU jumps straight into it, skipping the
# BIOS's real-mode loader and the in-guest xz decompression (~3 s under TCG).
vmlinuz=$kroot/boot/vmlinuz-$kver
# Debian compresses 6.1 with xz, 6.12 with zstd: the kernel's own config says which.
if grep -q '^CONFIG_KERNEL_ZSTD=y' "$kroot/boot/config-$kver"; then magic=$'\x28\xb5\x2f\xfd' unpack=(zstd -dcq)
else magic=$'\xfd''7zXZ' unpack=(xz -dc); fi
off=$(LC_ALL=C grep -obUa "$magic" "$vmlinuz" | head -n1 | cut -d: -f1)
[ -n "$off" ] || { echo "image: no ${unpack[0]} stream in $vmlinuz" >&2; exit 1; }
# The decompressor complains about the data after the stream (the kernel's trailer); the stream is whole.
tail -c +$((off + 1)) "$vmlinuz" | "${unpack[@]}" 2>/dev/null > "$work/out/vmlinux" || true
head -c 4 "$work/out/vmlinux" | grep -q ELF || { echo "image: vmlinux extraction failed" >&2; exit 1; }
modlist=$(cd "$root/lib/modules/$kver" && find . -name '*.ko*' -printf '%f\n' | sed 's/\.ko.*//' | sort | paste -sd, -)
cat > "$work/out/manifest.json" <<JSON
{
  "name": "default",
  "key": "$key",
  "series": "$series",
  "kernel": { "package": "$kpkg", "version": "$kdebver", "release": "$kver", "deb": "$(basename "$deb")" },
  "userland": { $(for p in "${userland_pkgs[@]}"; do dpkg-query -W -f '"${Package}": "${Version}", ' "$p"; done | sed 's/, $//') },
  "modules": "$(echo "$modlist")",
  "files": { "kernel": "vmlinux", "initrd": "initramfs.cpio", "rootfs": "rootfs.tar", "kmodIndex": "kmod-index", "flavours": "flavours" },
  "builtAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}
JSON
rm -rf "$out"; mv "$work/out" "$out"
ln -sfn "$name-$key" "$cache/images/$name"
# Older builds of this series are unreachable through the link (and so are those from before
# there were series, default-<key>); runs in progress keep their open files.
[ -L "$cache/images/default" ] && rm -f "$cache/images/default"
find "$cache/images" -maxdepth 1 \( -name "$name-*" -o -name 'default-????????????????' \) ! -name "$name-$key" -exec rm -rf {} +
say "built $out ($(du -sh "$out" | cut -f1))"
echo "$out"
