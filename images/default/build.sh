#!/usr/bin/env bash
# Builds the default DUT image (Debian's kernel + a busybox initramfs) from Debian's
# archive only, into a content-addressed cache:
#   $HIL_CACHE/images/default-<key>/{vmlinuz,initramfs.cpio.gz,manifest.json}
#   $HIL_CACHE/images/default -> default-<key>
# The key hashes every input (this recipe, the rootfs files, the module list, the
# kernel package version and the versions of the userland packages), so an unchanged
# second run only computes the key and exits.
#   build.sh            build if needed, print the image folder
#   build.sh --key      print the key only
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${HIL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/offload-hil}
say() { printf 'image: %s\n' "$*" >&2; }

userland_pkgs=(busybox-static nftables iproute2 conntrack ethtool kmod)
# Needed on the build host only: xz-utils (vmlinux extraction), apt (download).
tools=(/usr/sbin/nft /usr/sbin/ip /usr/sbin/tc /usr/sbin/conntrack /usr/sbin/ethtool /usr/bin/kmod)

kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$kpkg" ] || { echo "image: cannot resolve the kernel package from linux-image-amd64 (run apt-get update)" >&2; exit 1; }
kver=${kpkg#linux-image-}
kdebver=$(apt-cache policy "$kpkg" | awk '/Candidate:/ {print $2}')

key=$( {
  echo "kernel $kpkg $kdebver"
  for p in "${userland_pkgs[@]}"; do dpkg-query -W -f '${Package} ${Version}\n' "$p"; done
  (cd "$here" && find build.sh extra-modules.sh modules.txt rootfs kmod -type f -print0 | sort -z | xargs -0 sha256sum)
} | sha256sum | cut -c1-16)

if [ "${1:-}" = --key ]; then echo "$key"; exit 0; fi

out=$cache/images/default-$key
if [ -f "$out/manifest.json" ]; then
  ln -sfn "default-$key" "$cache/images/default"
  say "up to date ($out)"
  echo "$out"; exit 0
fi

mkdir -p "$cache/images" "$cache/debs"
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
off=$(LC_ALL=C grep -obUa $'\xfd''7zXZ' "$vmlinuz" | head -n1 | cut -d: -f1)
[ -n "$off" ] || { echo "image: no xz stream in $vmlinuz" >&2; exit 1; }
# xz complains about the data after the stream (the kernel's trailer); the stream is whole.
tail -c +$((off + 1)) "$vmlinuz" | xz -dc 2>/dev/null > "$work/out/vmlinux" || true
head -c 4 "$work/out/vmlinux" | grep -q ELF || { echo "image: vmlinux extraction failed" >&2; exit 1; }
modlist=$(cd "$root/lib/modules/$kver" && find . -name '*.ko*' -printf '%f\n' | sed 's/\.ko.*//' | sort | paste -sd, -)
cat > "$work/out/manifest.json" <<JSON
{
  "name": "default",
  "key": "$key",
  "kernel": { "package": "$kpkg", "version": "$kdebver", "release": "$kver", "deb": "$(basename "$deb")" },
  "userland": { $(for p in "${userland_pkgs[@]}"; do dpkg-query -W -f '"${Package}": "${Version}", ' "$p"; done | sed 's/, $//') },
  "modules": "$(echo "$modlist")",
  "files": { "kernel": "vmlinux", "initrd": "initramfs.cpio", "rootfs": "rootfs.tar", "kmodIndex": "kmod-index", "flavours": "flavours" },
  "builtAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}
JSON
rm -rf "$out"; mv "$work/out" "$out"
ln -sfn "default-$key" "$cache/images/default"
# Older builds are unreachable through the link; runs in progress keep their open files.
find "$cache/images" -maxdepth 1 -name 'default-*' ! -name "default-$key" -exec rm -rf {} +
say "built $out ($(du -sh "$out" | cut -f1))"
echo "$out"
