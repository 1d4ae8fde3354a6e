#!/bin/sh
# Writes the rendered configuration from the environment (ECS injects it from Secrets
# Manager) to files only PgBouncer's user can read, drops it from the environment and
# runs PgBouncer in the foreground as PID 1, so ECS stop signals reach it.
set -eu
dir="${PGBOUNCER_CONFIG_DIR:-/etc/pgbouncer}"
: "${PGBOUNCER_INI:?PGBOUNCER_INI is not set: the task definition must inject the rendered pgbouncer.ini from Secrets Manager}"
: "${PGBOUNCER_USERLIST:?PGBOUNCER_USERLIST is not set: the task definition must inject the rendered userlist from Secrets Manager}"
umask 077
mkdir -p "$dir"
printf '%s\n' "$PGBOUNCER_INI" > "$dir/pgbouncer.ini"
printf '%s\n' "$PGBOUNCER_USERLIST" > "$dir/userlist.txt"
# The hba file (auth_type = hba: each role on its own pool) is not secret: a plain variable.
if [ -n "${PGBOUNCER_HBA:-}" ]; then printf '%s\n' "$PGBOUNCER_HBA" > "$dir/pgbouncer_hba.conf"; fi
unset PGBOUNCER_INI PGBOUNCER_USERLIST PGBOUNCER_HBA

# Client TLS with sslmode=require encrypts but does not verify: a certificate made at
# start is enough and keeps key material out of the image and the state.
cert="$(sed -n 's/^client_tls_cert_file = //p' "$dir/pgbouncer.ini")"
key="$(sed -n 's/^client_tls_key_file = //p' "$dir/pgbouncer.ini")"
if [ -n "$cert" ] && [ -n "$key" ] && [ ! -s "$cert" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=pgbouncer" -keyout "$key" -out "$cert" 2>/dev/null
fi

exec pgbouncer "$dir/pgbouncer.ini"
