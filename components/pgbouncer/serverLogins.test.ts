/** The pools' server logins from the users (docker, issue 20: no bypass), and the arguments refused. */
import { describe, expect, it } from "vitest";
import { loadStackSettings } from "../settings/stackFile";
import { checkPgBouncerArgs, serverLoginsFor, type PgBouncerArgs } from "./index";

const settings = loadStackSettings("dev").pgbouncer;
const SERVER_RW = "serverRw0123456789abcdef";
const SERVER_RO = "serverRo0123456789abcdef";

describe("serverLoginsFor", () => {
  it("gives each pool the server password of the user tied to it; monitoring (both pools) keeps its own login", () => {
    expect(
      serverLoginsFor([
        { name: "app", pools: "read-write", serverPassword: SERVER_RW },
        { name: "app_readonly", pools: "read-only", serverPassword: SERVER_RO },
        { name: "datatier_monitor", pools: "both" },
      ]),
    ).toEqual({ readWrite: { user: "app", password: SERVER_RW }, readOnly: { user: "app_readonly", password: SERVER_RO } });
  });

  it("is empty when no user carries a server password (pass-through logins)", () => {
    expect(serverLoginsFor([{ name: "app", pools: "read-write" }])).toEqual({});
  });
});

describe("checkPgBouncerArgs and server passwords", () => {
  const base = (users: PgBouncerArgs["users"], aws = false): PgBouncerArgs => ({
    settings,
    primaryHost: "p",
    port: 5432,
    database: "app",
    users,
    ...(aws ? { aws: { region: "eu-west-1", vpcId: "vpc-1", subnetIds: ["subnet-1"], securityGroupId: "sg-1" } } : { docker: { networkName: "net" } }),
  });

  it("accepts one server login per pool on docker", () => {
    expect(() => checkPgBouncerArgs("pb", base([{ name: "app", password: "x", serverPassword: SERVER_RW, pools: "read-write" }]))).not.toThrow();
  });

  it("refuses a server password on AWS, on a user of both pools, and two on one pool, never echoing the password", () => {
    const cases = [
      base([{ name: "app", password: "x", serverPassword: SERVER_RW, pools: "read-write" }], true),
      base([{ name: "m", password: "x", serverPassword: SERVER_RW, pools: "both" }]),
      base([
        { name: "a", password: "x", serverPassword: SERVER_RW, pools: "read-write" },
        { name: "b", password: "x", serverPassword: SERVER_RO, pools: "read-write" },
      ]),
    ];
    const messages = cases.map((c) => {
      try {
        checkPgBouncerArgs("pb", c);
        return "accepted";
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(messages[0]).toMatch(/serverPassword is for docker/);
    expect(messages[1]).toMatch(/needs pools "read-write" or "read-only".*got "both"/);
    expect(messages[2]).toMatch(/more than one user with a serverPassword on the read-write pool/);
    for (const m of messages) expect(m).not.toContain(SERVER_RW);
  });
});
