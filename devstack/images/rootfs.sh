#!/usr/bin/env bash
# Lays out a root file system for a dev-stack image from Debian packages installed on
# this machine (scripts/install-system-packages.sh installs them): every file the
# packages own, plus every shared library their programs and libraries load (ldd), on a
# merged-/usr layout like Debian's own. No network, no registry.
#   [ROOTFS_EXCLUDE=REGEX] rootfs.sh ROOT PACKAGE...   (REGEX: package files to leave out)
set -euo pipefail
root=$1
shift
missing=()
for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "rootfs: Debian package(s) not installed: ${missing[*]} (run: bash scripts/install-system-packages.sh)" >&2
  exit 3
fi
mkdir -p "$root"/usr/bin "$root"/usr/sbin "$root"/usr/lib "$root"/usr/lib64 "$root"/etc "$root"/tmp "$root"/run "$root"/var "$root"/root
ln -sfn usr/bin "$root/bin"; ln -sfn usr/sbin "$root/sbin"; ln -sfn usr/lib "$root/lib"; ln -sfn usr/lib64 "$root/lib64"
ln -sfn ../run "$root/var/run"
chmod 1777 "$root/tmp"
list=$(mktemp)
trap 'rm -f "$list"' EXIT
# One tar pipe instead of a copy per file (postgres + tzdata own thousands of files);
# --keep-directory-symlink lets /bin/x land in usr/bin through the bin -> usr/bin link.
# Left out: documentation, and PostgreSQL's LLVM JIT (it pulls in 110 MB of libLLVM; the
# server runs without JIT when the provider is absent).
copy() { tar -C / --no-recursion -cf - -T "$list" | tar -C "$root" --keep-directory-symlink -xpf -; }
for p in "$@"; do dpkg-query -L "$p"; done | sort -u | while IFS= read -r f; do
  if [ -L "$f" ] || { [ -e "$f" ] && [ ! -d "$f" ]; }; then printf '%s\n' "${f#/}"; fi
done | grep -Ev '^usr/share/(doc|man|locale)/|^usr/lib/postgresql/[0-9]+/lib/(llvmjit|bitcode)' \
  | { if [ -n "${ROOTFS_EXCLUDE:-}" ]; then grep -Ev "$ROOTFS_EXCLUDE" || true; else cat; fi; } > "$list"
copy
# Shared libraries: the ldd closure of every executable and library now in the tree
# (ldd fails on the scripts among them: expected, not an error), links and their targets.
{ find "$root" -type f \( -perm -u+x -o -name '*.so*' \) -print0 | xargs -0 -r ldd 2>/dev/null || true; } \
  | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $1 !~ /:$/ { print $1 }' | sort -u | while IFS= read -r lib; do
  printf '%s\n' "${lib#/}"
  real=$(readlink -f "$lib")
  [ "$real" = "$lib" ] || printf '%s\n' "${real#/}"
done > "$list"
copy
cat > "$root/etc/nsswitch.conf" <<'NSS'
passwd: files
group: files
hosts: files dns
NSS
