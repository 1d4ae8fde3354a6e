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
  for p in gcc libc6-dev make pkg-config curl libevent-dev libc-ares-dev libssl-dev; do
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

# PgBouncer $PGBOUNCER_VERSION: the upstream release tarball as Debian's archive serves
# it (checked against the pinned sha256), built with bookworm's libraries (~12 s on
# 2 cores), installed once under $PGBOUNCER_PREFIX (outside any checkout).
if [ -x "$PGBOUNCER_PREFIX/bin/pgbouncer" ] && "$PGBOUNCER_PREFIX/bin/pgbouncer" --version | grep -qx "PgBouncer $PGBOUNCER_VERSION"; then
  echo "pgbouncer $PGBOUNCER_VERSION: present ($PGBOUNCER_PREFIX)"
  exit 0
fi
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
echo "pgbouncer $PGBOUNCER_VERSION: building from $PGBOUNCER_SOURCE_URL"
curl -fsSL --retry 3 -o "$build/src.tar.gz" "$PGBOUNCER_SOURCE_URL"
echo "$PGBOUNCER_SOURCE_SHA256  $build/src.tar.gz" | sha256sum -c --quiet -
tar -C "$build" -xzf "$build/src.tar.gz"
(
  cd "$build/pgbouncer-$PGBOUNCER_VERSION"
  ./configure --prefix="$PGBOUNCER_PREFIX" --without-systemd >"$build/configure.log" 2>&1 || { tail -20 "$build/configure.log" >&2; exit 1; }
  make -j"$(nproc)" >"$build/make.log" 2>&1 || { tail -20 "$build/make.log" >&2; exit 1; }
  $SUDO make install >/dev/null
)
"$PGBOUNCER_PREFIX/bin/pgbouncer" --version | head -1
