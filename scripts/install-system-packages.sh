#!/usr/bin/env bash
# Installs the Debian packages the sandbox and the tests run for real: Redis + Sentinel,
# PostgreSQL 15 (+ contrib for pg_stat_statements), psycopg2 and pgbench for the driver
# conformance tests, podman + runc for the dev stack's containers, and PgBouncer at the
# pinned version (components/pgbouncer/version.env) built from Debian's source archive,
# because bookworm only packages 1.18. Skips what is present (a built PgBouncer is kept
# under /opt and reused); never upgrades what is already installed. Needs root (or sudo).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../components/pgbouncer/version.env
. "$here/../components/pgbouncer/version.env"
PGBOUNCER_PREFIX="/opt/pgbouncer-$PGBOUNCER_VERSION"

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-sentinel >/dev/null 2>&1 || need+=(redis-sentinel)
[ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql-15)
[ -f /usr/share/postgresql/15/extension/pg_stat_statements.control ] || need+=(postgresql-contrib)
# PgBouncer's build needs (and its runtime libraries, which the dev-stack image copies).
if [ ! -x "$PGBOUNCER_PREFIX/bin/pgbouncer" ]; then
  for p in gcc libc6-dev make pkg-config dpkg-dev libevent-dev libc-ares-dev libssl-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
  done
fi
# Debian's python3 (a pyenv one on PATH would not see Debian's psycopg2).
/usr/bin/python3 -c 'import psycopg2' >/dev/null 2>&1 || need+=(python3-psycopg2)
[ -x /usr/lib/postgresql/15/bin/pgbench ] || need+=(postgresql-client-15)
# The dev stack on a real engine (npm run dev-stack): podman serves the Docker Engine API;
# runc because crun fails on this kind of machine (hybrid cgroups); gosu, openssl and
# tzdata go into the images built from Debian packages (devstack/images.ts).
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v runc >/dev/null 2>&1 || need+=(runc)
command -v gosu >/dev/null 2>&1 || need+=(gosu)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
[ -d /usr/share/zoneinfo ] || need+=(tzdata)

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ ${#need[@]} -eq 0 ]; then
  echo "system packages: all present"
else
  echo "system packages: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-upgrade "${need[@]}" >/dev/null
  # Debian's packages may start services on the default ports where systemd runs;
  # the sandbox uses ports of its own and does not depend on them.
  echo "system packages: installed ${need[*]}"
fi

# PgBouncer $PGBOUNCER_VERSION: Debian's source package from the suite version.env names,
# fetched by apt's own client (so checked against the archive's signature, on the same
# mirror this machine's apt already uses), its upstream tarball checked against the pinned
# sha256, unpacked with Debian's patches applied, built with bookworm's libraries (~12 s on
# 2 cores), installed once under $PGBOUNCER_PREFIX (outside any checkout).
if [ -x "$PGBOUNCER_PREFIX/bin/pgbouncer" ] && "$PGBOUNCER_PREFIX/bin/pgbouncer" --version | grep -qx "PgBouncer $PGBOUNCER_VERSION"; then
  echo "pgbouncer $PGBOUNCER_VERSION: present ($PGBOUNCER_PREFIX)"
  exit 0
fi
mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  mirror=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f")
  [ -n "$mirror" ] && break
done
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; exit } }' /etc/apt/sources.list)
fi
if [ -z "$mirror" ]; then
  echo "pgbouncer $PGBOUNCER_VERSION: no Debian mirror found in /etc/apt/sources.list(.d) to fetch the source package from" >&2
  exit 1
fi
srclist=/etc/apt/sources.list.d/data-tier-pgbouncer-src.sources
printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
  "$mirror" "$PGBOUNCER_DEBIAN_SUITE" | $SUDO tee "$srclist" >/dev/null
$SUDO apt-get update -qq
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
chmod 755 "$build"
echo "pgbouncer $PGBOUNCER_VERSION: building Debian's $PGBOUNCER_DEBIAN_SUITE source package"
(cd "$build" && apt-get source --download-only -qq pgbouncer 2>&1 | grep -v "unsandboxed" || true)
orig="$build/pgbouncer_$PGBOUNCER_VERSION.orig.tar.gz"
if [ ! -f "$orig" ]; then
  echo "pgbouncer: Debian $PGBOUNCER_DEBIAN_SUITE no longer carries upstream $PGBOUNCER_VERSION (got: $(cd "$build" && ls)); update components/pgbouncer/version.env" >&2
  exit 1
fi
echo "$PGBOUNCER_ORIG_SHA256  $orig" | sha256sum -c --quiet - || { echo "pgbouncer: $orig does not match PGBOUNCER_ORIG_SHA256 in components/pgbouncer/version.env" >&2; exit 1; }
dpkg-source -x "$build"/pgbouncer_*.dsc "$build/src" >"$build/unpack.log" 2>&1 || { tail -20 "$build/unpack.log" >&2; exit 1; }
(
  cd "$build/src"
  ./configure --prefix="$PGBOUNCER_PREFIX" --without-systemd >"$build/configure.log" 2>&1 || { tail -20 "$build/configure.log" >&2; exit 1; }
  make -j"$(nproc)" >"$build/make.log" 2>&1 || { tail -20 "$build/make.log" >&2; exit 1; }
  $SUDO make install >/dev/null
)
"$PGBOUNCER_PREFIX/bin/pgbouncer" --version | head -1
