"""A second Redis client this project did not write: redis-py (Debian's python3-redis) in
Sentinel mode, configured only from the contract's application half, as the application
user on the nodes and on the Sentinels.

    /usr/bin/python3 examples/app-client/redis_py_client.py <outputs.json> <key prefix>

Writes SET + WAIT 1 500 until SIGTERM, then prints one JSON line: acknowledged writes,
how many of them the current master lacks, failed attempts by kind, and the longest time
no write succeeded (the same measure as app.ts failureWindowMs).
"""
import json
import signal
import sys
import time

from redis.exceptions import ConnectionError, ReadOnlyError, ResponseError, TimeoutError
from redis.sentinel import MasterNotFoundError, Sentinel

doc = json.load(open(sys.argv[1]))
prefix = sys.argv[2]
app = doc["application"]["redis"]
password = doc["applicationCredentials"]["redisPassword"]
user = app["user"]
nat = app.get("natMap") or {}


class NatSentinel(Sentinel):
    """Docker: Sentinel names nodes by in-network addresses; map them to the host's ports."""

    def discover_master(self, service_name):
        host, port = super().discover_master(service_name)
        mapped = nat.get(f"{host}:{port}")
        return (mapped["host"], mapped["port"]) if mapped else (host, port)


sentinel = NatSentinel(
    [(s["host"], s["port"]) for s in app["sentinels"]],
    # Sentinels require auth too; the application user may only look the master up.
    sentinel_kwargs={"username": user, "password": password, "socket_timeout": 0.5},
    socket_timeout=1.0,
)
master = sentinel.master_for(app["sentinelMasterName"], username=user, password=password, socket_timeout=1.0, socket_connect_timeout=1.0)

running = True


def stop(*_):
    global running
    running = False


signal.signal(signal.SIGTERM, stop)

events = []  # (monotonic ms, ok)
acked = []
errors = {}
i = 0
while running:
    key = f"{prefix}{i}"
    i += 1
    try:
        master.set(key, str(i), ex=3600)
        if int(master.execute_command("WAIT", 1, 500)) >= 1:
            acked.append(key)
            events.append((time.monotonic() * 1000, True))
        else:
            events.append((time.monotonic() * 1000, False))
            errors["WAIT 0"] = errors.get("WAIT 0", 0) + 1
    except (ConnectionError, TimeoutError, ReadOnlyError, MasterNotFoundError, ResponseError) as e:
        # The errors a failover produces: retried (ResponseError covers NOREPLICAS, LOADING).
        kind = type(e).__name__ if not isinstance(e, ResponseError) else str(e).split(" ")[0]
        errors[kind] = errors.get(kind, 0) + 1
        events.append((time.monotonic() * 1000, False))
        time.sleep(0.02)
    time.sleep(0.005)


def window(ev):
    worst, last_ok, failing = 0.0, None, False
    for at, ok in ev:
        if not ok:
            failing = True
        else:
            if failing and last_ok is not None:
                worst = max(worst, at - last_ok)
            failing, last_ok = False, at
    if failing and last_ok is not None and ev:
        worst = max(worst, ev[-1][0] - last_ok)
    return round(worst)


present = 0
for n in range(0, len(acked), 500):
    present += master.exists(*acked[n : n + 500])
for n in range(0, len(acked), 500):
    master.delete(*acked[n : n + 500])
print(json.dumps({"client": "redis-py " + __import__("redis").__version__, "acked": len(acked), "lost": len(acked) - present, "failures": sum(errors.values()), "errors": errors, "windowMs": window(events)}))
