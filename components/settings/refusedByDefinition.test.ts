/**
 * Issue 21: the one-change stack files a reviewer checked against AWS's and the engines'
 * documentation. Each refused one names its key; each accepted one stays accepted. The
 * class walks (every catalogue entry, every reserved word, every port arrangement) are
 * beside them, so the rules cover the definitions, not these examples.
 */
import { describe, expect, it } from "vitest";
import { ELASTICACHE_CATALOGUE, RDS_CATALOGUE, compareVersions, creatableVersions, elasticacheCatalogueProblems, rdsCatalogueProblems, rdsEngineVersions } from "../aws/catalogue";
import { imageReferenceProblem } from "../docker/reference";
import { MAX_BACKENDS, engineLimitProblems } from "../postgres/catalogue/engineLimits";
import { PG_CATALOGUE, checkParameter } from "../postgres/catalogue";
import { databaseNameProblem } from "../postgres/catalogue/databaseNames";
import { RESERVED_KEYWORDS, roleNameProblem } from "../postgres/catalogue/roleNames";
import { dockerHostPortProblems, dockerHostPorts } from "./dockerPorts";
import { pgbouncer } from "./schema";
import { problems } from "./testkit";

type Case = { name: string; stack: "dev" | "prod"; over: Record<string, unknown>; key: string; reason: RegExp };

const REFUSED: Case[] = [
  { name: "cache.r6gd on Redis 6.0 (data tiering needs 6.2)", stack: "prod", over: { redis: { nodeType: "cache.r6gd.xlarge", engineVersion: "6.0" } }, key: "data-tier:redis.engineVersion", reason: /data tiering, which ElastiCache offers from redis 6\.2/ },
  { name: "cache.t1.micro with snapshots", stack: "prod", over: { redis: { nodeType: "cache.t1.micro", snapshotRetentionDays: 7 } }, key: "data-tier:redis.snapshotRetentionDays", reason: /no snapshots on cache\.t1\.micro/ },
  { name: "a tag key differing only in case from a derived tag", stack: "prod", over: { tags: { project: "x" } }, key: "data-tier:tags.project", reason: /only in case from the derived tag "Project"/ },
  { name: "two user tag keys differing only in case", stack: "prod", over: { tags: { team: "a", Team: "b" } }, key: "data-tier:tags.Team", reason: /only in case from the tag "team"/ },
  { name: "a CloudWatch namespace starting with ':'", stack: "prod", over: { alarms: { customMetricNamespace: ":DataTier" } }, key: "data-tier:alarms.customMetricNamespace", reason: /cannot start with ":"/ },
  { name: "two private subnets in one zone behind the NLB", stack: "prod", over: { network: { privateSubnets: [{ id: "subnet-0a11111111111111a", availabilityZone: "us-east-1a" }, { id: "subnet-0d44444444444444d", availabilityZone: "us-east-1a" }, { id: "subnet-0b22222222222222b", availabilityZone: "us-east-1b" }] } }, key: "data-tier:network.privateSubnets", reason: /2 subnets in us-east-1a .* one subnet per availability zone/ },
  { name: "master user admin", stack: "prod", over: { postgres: { masterUsername: "admin" } }, key: "data-tier:postgres.masterUsername", reason: /refused by RDS as a master user name/ },
  { name: "master user a reserved SQL key word", stack: "prod", over: { postgres: { masterUsername: "user" } }, key: "data-tier:postgres.masterUsername", reason: /reserved SQL key word/ },
  { name: "a non-existent RDS class db.r6g.micro", stack: "prod", over: { postgres: { instanceClass: "db.r6g.micro" } }, key: "data-tier:postgres.instanceClass", reason: /not an RDS instance class for PostgreSQL 15 .* db\.r6g comes in large, xlarge/ },
  { name: "Redis engine version 5.0 (ElastiCache wants 5.0.6)", stack: "prod", over: { redis: { engineVersion: "5.0" } }, key: "data-tier:redis.engineVersion", reason: /for this line: 5\.0\.6/ },
  { name: "max_wal_size 16MB", stack: "dev", over: { postgres: { parameters: { max_wal_size: "16MB" } } }, key: "data-tier:postgres.parameters.max_wal_size", reason: /less than twice wal_segment_size \(16 MB\)/ },
  { name: "max_wal_size 100MB on RDS (64 MB segments)", stack: "prod", over: { postgres: { parameters: { max_wal_size: "100MB" } } }, key: "data-tier:postgres.parameters.max_wal_size", reason: /64 MB on RDS/ },
  { name: "maxConnections at the schema maximum", stack: "dev", over: { postgres: { maxConnections: 262143 } }, key: "data-tier:postgres.maxConnections", reason: /at most 262143 \(MAX_BACKENDS\)/ },
  { name: "PgBouncer port equal to the Postgres replica's host port on docker", stack: "dev", over: { pgbouncer: { port: 5433 } }, key: "data-tier:pgbouncer.port", reason: /host port 5433, which PostgreSQL replica 1 already publishes/ },
  { name: "an image name with upper case", stack: "prod", over: { pgbouncer: { image: "Registry.example.com/Team/PgBouncer:1.23" } }, key: "data-tier:pgbouncer.image", reason: /lower-case repository name/ },
  { name: "a base image with upper case", stack: "dev", over: { checks: { baseImage: "Node:22" } }, key: "data-tier:checks.baseImage", reason: /lower-case repository name/ },
  { name: "cluster mode on cache.t1.micro", stack: "prod", over: { redis: { nodeType: "cache.t1.micro", snapshotRetentionDays: 0, clusterMode: { enabled: true, shards: 2 } } }, key: "data-tier:redis.clusterMode.enabled", reason: /no cluster mode on cache\.t1\.micro/ },
  { name: "an unknown node type", stack: "prod", over: { redis: { nodeType: "cache.r6g.micro" } }, key: "data-tier:redis.nodeType", reason: /not an ElastiCache node type \(catalogue of/ },
  // Issue 21, second round: further one-change files.
  { name: "database name a reserved SQL key word on RDS", stack: "prod", over: { postgres: { databaseName: "select" } }, key: "data-tier:postgres.databaseName", reason: /reserved SQL key word .* RDS refuses a DBName/ },
  { name: "PgBouncer requiring TLS of PostgreSQL on docker (no certificate there)", stack: "dev", over: { pgbouncer: { tls: { server: "require" } } }, key: "data-tier:pgbouncer.tls.server", reason: /server refused SSL/ },
  { name: "max_stack_depth at the top of its pg_settings range", stack: "dev", over: { postgres: { parameters: { max_stack_depth: "2147483647" } } }, key: "data-tier:postgres.parameters.max_stack_depth", reason: /stack limit less 512 kB \(7680 kB/ },
  { name: "cache.r6g on Redis 5.0.0 (Graviton2 nodes from 5.0.6)", stack: "prod", over: { redis: { nodeType: "cache.r6g.large", engineVersion: "5.0.0" } }, key: "data-tier:redis.engineVersion", reason: /offers r6g nodes only from Redis OSS 5\.0\.6/ },
  // Issue 21, third round: PostgreSQL engine versions as RDS names them.
  { name: "PostgreSQL 15.99, a minor RDS never offered", stack: "prod", over: { postgres: { engineVersion: "15.99" } }, key: "data-tier:postgres.engineVersion", reason: /not an RDS PostgreSQL 15 version \(catalogue of .*RDS creates 15\.15, 15\.16, 15\.17/ },
  { name: "PostgreSQL 15.7, which RDS no longer creates", stack: "prod", over: { postgres: { engineVersion: "15.7" } }, key: "data-tier:postgres.engineVersion", reason: /RDS no longer creates: not creatable from 2025-10-01/ },
];

const ACCEPTED: { name: string; stack: "dev" | "prod"; over: Record<string, unknown> }[] = [
  { name: "PgBouncer preferring TLS of PostgreSQL on docker (falls back to plain)", stack: "dev", over: { pgbouncer: { tls: { server: "prefer" } } } },
  { name: "database name a reserved SQL key word on docker (the image quotes it)", stack: "dev", over: { postgres: { databaseName: "user" } } },
  { name: "a namespace with a space (API pattern [^:].*)", stack: "prod", over: { alarms: { customMetricNamespace: "Data Tier/Prod" } } },
  { name: "an upper-case replication group id (ElastiCache stores it lower-cased)", stack: "prod", over: { redis: { replicationGroupId: "Data-Tier-Prod" } } },
  { name: "a tag key named toString", stack: "prod", over: { tags: { toString: "x", constructor: "y" } } },
  { name: "TimeZone, DateStyle, IntervalStyle", stack: "dev", over: { postgres: { parameters: { TimeZone: "UTC", DateStyle: "ISO, MDY", IntervalStyle: "iso_8601" } } } },
  { name: "timezone in lower case", stack: "prod", over: { postgres: { parameters: { timezone: "Europe/Paris" } } } },
  { name: "Redis 5.0.6 as ElastiCache names it", stack: "prod", over: { redis: { engineVersion: "5.0.6" } } },
  { name: "cache.r6gd on Redis 7.1 (data tiering set by the program)", stack: "prod", over: { redis: { nodeType: "cache.r6gd.xlarge" } } },
  { name: "maxAllocatedStorageGb equal to the allocation (autoscaling off, sent as 0)", stack: "prod", over: { postgres: { maxAllocatedStorageGb: 500 } } },
  { name: "the same security group as app and admin (one Redis rule made)", stack: "prod", over: { network: { adminSecurityGroupIds: ["sg-0a1b2c3d4e5f60718"] } } },
  { name: "max_wal_size 32MB on docker", stack: "dev", over: { postgres: { parameters: { max_wal_size: "32MB" } } } },
  { name: "maxConnections as high as PostgreSQL starts with", stack: "dev", over: { postgres: { maxConnections: MAX_BACKENDS - 3 - 1 - 8 - 10 } } },
  { name: "an image with a registry port and digest", stack: "prod", over: { pgbouncer: { image: "registry.example.com:5000/team/pgbouncer@sha256:" + "a".repeat(64) } } },
  { name: "PostgreSQL 15.17 as RDS names it", stack: "prod", over: { postgres: { engineVersion: "15.17" } } },
  { name: "PostgreSQL 15 alone (RDS's default minor)", stack: "prod", over: { postgres: { engineVersion: "15" } } },
  { name: "PostgreSQL 15.99 on docker (the image's PostgreSQL 15 runs whatever is named)", stack: "dev", over: { postgres: { engineVersion: "15.99" } } },
];

describe("issue 21: what AWS or the engine refuses is refused by key", () => {
  it.each(REFUSED)("$name -> $key", ({ stack, over, key, reason }) => {
    const found = problems(stack, over);
    const hit = found.find((p) => p.key === key && reason.test(p.message));
    expect(hit, `no problem at ${key} matching ${reason}; got ${JSON.stringify(found.map((p) => `${p.key}: ${p.message}`))}`).toBeDefined();
  });
  it.each(ACCEPTED)("accepts $name", ({ stack, over }) => {
    expect(problems(stack, over)).toEqual([]);
  });
});

describe("the classes, walked whole", () => {
  it("every ElastiCache node type: its capabilities decide, and an engine version ElastiCache names is accepted on every node type that can run it", () => {
    const types = Object.keys(ELASTICACHE_CATALOGUE.nodeTypes);
    expect(types.length).toBeGreaterThan(80);
    for (const nodeType of types) {
      const caps = ELASTICACHE_CATALOGUE.nodeTypes[nodeType];
      for (const engine of ["redis", "valkey"] as const) {
        for (const engineVersion of ELASTICACHE_CATALOGUE.engineVersions[engine]) {
          const found = elasticacheCatalogueProblems({ engine, engineVersion, nodeType, snapshotRetentionDays: 1, automaticFailover: true, clusterMode: { enabled: true } });
          const expected = [
            ...(caps.snapshots ? [] : ["redis.snapshotRetentionDays"]),
            ...(caps.automaticFailover ? [] : ["redis.automaticFailover"]),
            ...(caps.clusterMode ? [] : ["redis.clusterMode.enabled"]),
            ...(caps.dataTiering === "required" && compareVersions(engineVersion, ELASTICACHE_CATALOGUE.dataTieringMinimum[engine]) < 0 ? ["redis.engineVersion"] : []),
            ...(engine === "redis" && ["m6g", "r6g", "t4g"].includes(nodeType.split(".")[1]) && compareVersions(engineVersion, "5.0.6") < 0 ? ["redis.engineVersion"] : []),
          ];
          expect(found.map((p) => p.path.join(".")).sort(), `${nodeType} ${engine} ${engineVersion}`).toEqual(expected.sort());
        }
      }
      // The same family with a size the catalogue lacks is refused.
      expect(elasticacheCatalogueProblems({ engine: "redis", engineVersion: "7.1", nodeType: `${nodeType}x`, snapshotRetentionDays: 0, automaticFailover: false, clusterMode: { enabled: false } }).map((p) => p.path.join("."))).toEqual(["redis.nodeType"]);
    }
  });

  it("every major.minor line of ElastiCache: a version ElastiCache does not name is refused with the name it takes", () => {
    for (const engine of ["redis", "valkey"] as const) {
      for (const v of ELASTICACHE_CATALOGUE.engineVersions[engine]) {
        const line = v.split(".").slice(0, 2).join(".");
        const r = elasticacheCatalogueProblems({ engine, engineVersion: line, nodeType: "cache.r7g.large", snapshotRetentionDays: 0, automaticFailover: false, clusterMode: { enabled: false } });
        if (ELASTICACHE_CATALOGUE.engineVersions[engine].includes(line)) expect(r).toEqual([]);
        else expect(r[0].message).toMatch(new RegExp(`for this line: ${line.replace(".", "\\.")}\\.\\d+`));
      }
    }
  });

  it("every RDS instance class for PostgreSQL 15 is accepted; every other size of its family is refused", () => {
    const classes = RDS_CATALOGUE.engines.postgres15.instanceClasses;
    expect(classes.length).toBeGreaterThan(150);
    const sizes = ["nano", "micro", "small", "medium", "large", "xlarge", ...Array.from({ length: 48 }, (_, i) => `${i + 1}xlarge`)];
    for (const cls of classes) expect(rdsCatalogueProblems({ engineVersion: "15", instanceClass: cls, replicas: 0 })).toEqual([]);
    for (const family of new Set(classes.map((c) => c.split(".").slice(0, 2).join(".")))) {
      for (const size of sizes) {
        const cls = `${family}.${size}`;
        expect(rdsCatalogueProblems({ engineVersion: "15.4", instanceClass: "db.r6g.large", replicaInstanceClass: cls, replicas: 1 }).length, cls).toBe(classes.includes(cls) ? 0 : 1);
      }
    }
  });

  it("every RDS PostgreSQL 15 version of the catalogue: creatable ones accepted, the rest refused by key with the ones RDS creates; every unnamed minor refused; docker takes them all", () => {
    const c = rdsEngineVersions("15")!;
    const creatable = creatableVersions(c);
    expect(c.versions.length).toBeGreaterThanOrEqual(16);
    expect(creatable.length).toBeGreaterThan(0);
    const at = (stack: "dev" | "prod", engineVersion: string) => problems(stack, { postgres: { engineVersion } }).filter((p) => p.key === "data-tier:postgres.engineVersion");
    for (const v of c.versions) {
      const found = at("prod", v);
      if (creatable.includes(v)) expect(found, v).toEqual([]);
      else expect(found.map((p) => p.message), v).toEqual([expect.stringMatching(new RegExp(`RDS no longer creates: .*RDS creates ${creatable.join(", ").replaceAll(".", "\\.")}$`))]);
    }
    const highest = Math.max(...c.versions.map((v) => Number(v.split(".")[1])));
    for (let minor = 0; minor <= highest + 3; minor++) {
      const v = `15.${minor}`;
      if (!c.versions.includes(v)) expect(at("prod", v).map((p) => p.message), v).toEqual([expect.stringMatching(/is not an RDS PostgreSQL 15 version/)]);
      expect(at("dev", v), `docker ${v}`).toEqual([]);
    }
    expect(at("prod", "15")).toEqual([]);
    expect(at("dev", "15")).toEqual([]);
  });

  it("every reserved SQL key word of PostgreSQL 15, in any case, is refused as a role; non-reserved words are not", () => {
    expect(RESERVED_KEYWORDS.size).toBe(77);
    for (const w of RESERVED_KEYWORDS) {
      expect(roleNameProblem(w, { master: true, platform: "aws" })).toMatch(/reserved SQL key word/);
      expect(roleNameProblem(w.toUpperCase(), { master: false, platform: "docker" })).toMatch(/reserved SQL key word/);
    }
    for (const ok of ["app", "dbadmin", "postgres", "datatier_owner"]) expect(roleNameProblem(ok, { master: true, platform: "aws" })).toBeUndefined();
    expect(roleNameProblem("admin", { master: false, platform: "aws" })).toBeUndefined();
  });

  it("every PgBouncer server sslmode on docker: refused exactly when it demands TLS of a PostgreSQL that has none", () => {
    const demands = ["require", "verify-ca", "verify-full"];
    for (const mode of pgbouncer.shape.tls.shape.server.options) {
      const found = problems("dev", { pgbouncer: { tls: { server: mode } } }).filter((p) => p.key === "data-tier:pgbouncer.tls.server");
      expect(found.length > 0, mode).toBe(demands.includes(mode));
    }
  });

  it("every reserved SQL key word of PostgreSQL 15 is refused as an RDS database name and accepted on docker; non-reserved words are accepted", () => {
    for (const w of RESERVED_KEYWORDS) {
      expect(databaseNameProblem(w, "aws")).toMatch(/RDS refuses a DBName/);
      expect(databaseNameProblem(w, "docker")).toBeUndefined();
    }
    for (const ok of ["app", "datatier", "postgres", "orders_2024"]) expect(databaseNameProblem(ok, "aws")).toBeUndefined();
    for (const t of ["template0", "template1", "rdsadmin"]) expect(databaseNameProblem(t, "docker")).toMatch(/reserved by PostgreSQL or RDS/);
  });

  it("every catalogue parameter is found in any case (pg_settings spells three in mixed case)", () => {
    for (const name of Object.keys(PG_CATALOGUE.parameters)) {
      for (const spelling of [name, name.toLowerCase(), name.toUpperCase()]) {
        const r = checkParameter(spelling, "1", "docker");
        if (!r.ok) expect(r.problem, `${spelling}`).not.toMatch(/not a PostgreSQL 15 parameter/);
      }
    }
  });

  it("MAX_BACKENDS: max_connections is refused exactly when the backends sum passes 262143, whatever the worker settings", () => {
    for (const workers of [0, 3, 8, 100]) {
      for (const av of [1, 3, 10]) {
        const limit = MAX_BACKENDS - av - 1 - workers - 10;
        const at = (n: number) => engineLimitProblems({ platform: "docker", maxConnections: n, walSenders: 10, parameters: { max_worker_processes: String(workers), autovacuum_max_workers: String(av) } });
        expect(at(limit)).toEqual([]);
        expect(at(limit + 1).map((p) => p.path.join("."))).toEqual(["postgres.maxConnections"]);
      }
    }
  });

  it("max_stack_depth: refused exactly above the 8 MB stack limit less PostgreSQL's 512 kB slop, in every unit", () => {
    for (const platform of ["docker", "aws"] as const) {
      for (const [value, kb] of [["7680kB", 7680], ["7681", 7681], ["7MB", 7168], ["8MB", 8192], ["100", 100], ["2147483647", 2147483647]] as const) {
        const found = engineLimitProblems({ platform, maxConnections: 100, walSenders: 10, parameters: { max_stack_depth: value } });
        expect(found.length, `${platform} max_stack_depth=${value}`).toBe(kb > 7680 ? 1 : 0);
      }
    }
  });

  it("min_wal_size and max_wal_size: refused exactly below twice the platform's segment size, in every unit", () => {
    for (const platform of ["docker", "aws"] as const) {
      const seg = platform === "aws" ? 64 : 16;
      for (const name of ["min_wal_size", "max_wal_size"]) {
        for (const [value, mb] of [[`${2 * seg}MB`, 2 * seg], [`${2 * seg - 1}MB`, 2 * seg - 1], [`${2 * seg * 1024}kB`, 2 * seg], ["1GB", 1024], [String(2 * seg - 1), 2 * seg - 1]] as const) {
          const found = engineLimitProblems({ platform, maxConnections: 100, walSenders: 10, parameters: { [name]: value } });
          expect(found.length, `${platform} ${name}=${value}`).toBe(mb < 2 * seg ? 1 : 0);
        }
      }
    }
  });

  it("docker host ports: every arrangement of two services is refused exactly when their ranges meet", () => {
    const base = { redis: { port: 6379, replicas: 2, sentinel: { port: 26379, count: 3 } }, postgres: { port: 5432, replicas: 1 }, pgbouncer: { port: 6432 } } as never;
    expect(dockerHostPortProblems(base)).toEqual([]);
    for (let port = 5420; port <= 5440; port++) {
      const s = { ...(base as object), pgbouncer: { port } } as never;
      const clash = port >= 5432 && port <= 5433;
      expect(dockerHostPortProblems(s).length, String(port)).toBe(clash ? 1 : 0);
    }
    const high = { ...(base as object), postgres: { port: 65535, replicas: 2 } } as never;
    expect(dockerHostPortProblems(high).map((p) => p.message)).toEqual([expect.stringMatching(/65536/), expect.stringMatching(/65537/)]);
    expect(dockerHostPorts(base).map((p) => p.port)).toEqual([6379, 6380, 6381, 26379, 26380, 26381, 5432, 5433, 6432]);
  });

  it("docker image references: docker's grammar, upper case only where a registry host may have it", () => {
    for (const ok of ["redis:7.2.5", "postgres:15.8", "edoburu/pgbouncer:v1.23.1-p3", "node:22.12.0-alpine3.21", "Registry.Example.com:5000/team/img:Tag_1", "localhost/x__y/z-w:1", `img@sha256:${"0".repeat(64)}`]) {
      expect(imageReferenceProblem(ok), ok).toBeUndefined();
    }
    for (const bad of ["Redis:7", "team/Img:1", "img:", "img:-tag", "img@sha256:abc", "a..b", "-x", "x/", `x:${"t".repeat(129)}`, `${"a".repeat(256)}:1`]) {
      expect(imageReferenceProblem(bad), bad).toBeDefined();
    }
  });
});
