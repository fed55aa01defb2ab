#!/usr/bin/env bash
# Builds the default lab-host container image: a root filesystem tarball with the traffic
# tools the lab's hosts run (iperf3, iputils ping) and busybox for a shell, from Debian's
# packages as installed here, into a content-addressed cache:
#   $HIL_CACHE/images/hosts-<key>/{rootfs.tar,manifest.json}
#   $HIL_CACHE/images/hosts -> hosts-<key>
# The key hashes this recipe and the packages' versions; an unchanged second run only
# computes it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${HIL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/offload-hil}
say() { printf 'hosts image: %s\n' "$*" >&2; }

pkgs=(busybox-static iperf3 iputils-ping)
tools=(/usr/bin/iperf3 /usr/bin/ping)

for p in "${pkgs[@]}"; do
  dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' \
    || { echo "hosts image: $p is not installed (apt-get install $p, or npm run setup)" >&2; exit 1; }
done
key=$( {
  for p in "${pkgs[@]}"; do dpkg-query -W -f '${Package} ${Version}\n' "$p"; done
  sha256sum "$here/build.sh"
} | sha256sum | cut -c1-16)

out=$cache/images/hosts-$key
if [ -f "$out/manifest.json" ]; then
  ln -sfn "hosts-$key" "$cache/images/hosts"
  echo "$out"; exit 0
fi
mkdir -p "$cache/images"
work=$(mktemp -d "$cache/images/.hosts-XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,usr/bin,proc,sys,dev,tmp,etc,root}
chmod 1777 "$root/tmp"
cp /bin/busybox "$root/bin/busybox"
for a in $(/bin/busybox --list); do [ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"; done
for f in "${tools[@]}"; do
  cp -L "$f" "$root$f"
  ldd "$f" | awk '/=> \// {print $3} /^\t\/lib/ {print $1}' | while read -r lib; do
    [ -e "$root$lib" ] || { mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; }
  done
done
# The full tools must win over busybox's applets of the same name on PATH.
rm -f "$root/bin/ping" "$root/bin/ping6"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"
mkdir -p "$work/out"
tar -C "$root" --numeric-owner -cf "$work/out/rootfs.tar" .
cat > "$work/out/manifest.json" <<JSON
{
  "name": "hosts",
  "key": "$key",
  "packages": { $(for p in "${pkgs[@]}"; do dpkg-query -W -f '"${Package}": "${Version}", ' "$p"; done | sed 's/, $//') },
  "files": { "rootfs": "rootfs.tar" },
  "builtAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}
JSON
rm -rf "$out"; mv "$work/out" "$out"
ln -sfn "hosts-$key" "$cache/images/hosts"
find "$cache/images" -maxdepth 1 -name 'hosts-*' ! -name "hosts-$key" -exec rm -rf {} +
say "built $out ($(du -sh "$out" | cut -f1))"
echo "$out"
