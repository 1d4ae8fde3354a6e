"""psycopg2 (Debian's python3-psycopg2, libpq) through one PgBouncer pool, the way an
application would use it: default (non-autocommit) transactions, parameters, a named
server-side cursor inside a transaction, executemany. Connection from PG* variables
(the password never on the command line). Prints one JSON line; exits 1 on any error."""
import json
import sys

import psycopg2

MODE = sys.argv[1]  # "rw" or "ro"
out = {}
conn = psycopg2.connect("")  # libpq reads PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE
try:
    with conn:
        with conn.cursor() as cur:
            cur.execute("SELECT current_user, pg_is_in_recovery(), %s::int + 1", (41,))
            who, recovery, n = cur.fetchone()
            out.update(user=who, recovery=recovery, n=n)
    with conn:
        # A named cursor is a server-side cursor: it lives in one transaction, fine under transaction pooling.
        with conn.cursor(name="probe_cursor") as cur:
            cur.itersize = 10
            cur.execute("SELECT g FROM generate_series(1, 25) AS g")
            out["cursor_rows"] = sum(1 for _ in cur)
    if MODE == "rw":
        with conn:
            with conn.cursor() as cur:
                cur.execute("CREATE TEMP TABLE probe (x int) ON COMMIT DROP")
                cur.executemany("INSERT INTO probe VALUES (%s)", [(i,) for i in range(10)])
                cur.execute("SELECT sum(x) FROM probe")
                out["sum"] = cur.fetchone()[0]
    else:
        try:
            with conn:
                with conn.cursor() as cur:
                    cur.execute("CREATE TEMP TABLE probe (x int) ON COMMIT DROP")
                    cur.execute("INSERT INTO probe VALUES (1)")
            out["write"] = "accepted"
        except psycopg2.Error as e:
            out["write"] = e.pgcode
finally:
    conn.close()
print(json.dumps(out))
