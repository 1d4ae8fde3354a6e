/**
 * Container health for every realization: PgBouncer answers the protocol on its port.
 * pg_isready needs no login, so no password sits in the health check.
 */
export function healthCheckCommand(port: number): string {
  return `pg_isready -h 127.0.0.1 -p ${port} -t 3 || exit 1`;
}
