#!/usr/bin/env bash
# Installs the Debian packages the sandbox and the tests run for real: Redis + Sentinel,
# PostgreSQL 15 (+ contrib for pg_stat_statements), PgBouncer, and podman + runc for the
# dev stack's containers. Skips what is present;
# never upgrades what is already installed. Needs root (or sudo).
set -euo pipefail

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-sentinel >/dev/null 2>&1 || need+=(redis-sentinel)
[ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql-15)
[ -f /usr/share/postgresql/15/extension/pg_stat_statements.control ] || need+=(postgresql-contrib)
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || need+=(pgbouncer)
[ -x /usr/lib/postgresql/15/bin/pgbench ] || need+=(postgresql-client-15)
# A Redis client this project did not write: redis-py (Sentinel mode) in examples/app-client's test.
[ -d /usr/lib/python3/dist-packages/redis ] || need+=(python3-redis)
# The dev stack on a real engine (npm run dev-stack): podman serves the Docker Engine API;
# runc because crun fails on this kind of machine (hybrid cgroups); gosu, openssl and
# tzdata go into the images built from Debian packages (devstack/images.ts).
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v runc >/dev/null 2>&1 || need+=(runc)
command -v gosu >/dev/null 2>&1 || need+=(gosu)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
[ -d /usr/share/zoneinfo ] || need+=(tzdata)

if [ ${#need[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "system packages: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-upgrade "${need[@]}" >/dev/null
# Debian's packages may start services on the default ports where systemd runs;
# the sandbox uses ports of its own and does not depend on them.
echo "system packages: installed ${need[*]}"
