import { describe, expect, it } from "vitest";
import { classifyLoginError, directLoginVerdict } from "./poolAccess";

describe("login refusals are told from an unreachable server", () => {
  it.each([
    'cannot connect to PgBouncer pool "app" at 127.0.0.1:6432/app as app_readonly: no authentication method is found',
    "cannot connect to Postgres primary directly at 127.0.0.1:5432/app as app: password authentication failed for user \"app\"",
    "cannot connect to x as app: SASL authentication failed",
    'cannot connect to x as app: no pg_hba.conf entry for host "10.0.0.9", user "app", database "app", no encryption',
    "cannot connect to PgBouncer console as app: not allowed",
  ])("refused: %s", (m) => expect(classifyLoginError(m)?.outcome).toBe("refused"));

  it.each(["cannot connect to x as app: connection refused (nothing listening)", "timed out after 2000 ms connecting to Postgres primary directly at 10.0.0.1:5432/app", "cannot connect to x as app: getaddrinfo ENOTFOUND db.internal"])(
    "unreachable: %s",
    (m) => expect(classifyLoginError(m)?.outcome).toBe("unreachable"),
  );

  it("anything else is neither (the check fails with it)", () => {
    expect(classifyLoginError("x: self-signed certificate in certificate chain")).toBeNull();
    expect(classifyLoginError("x: server closed the connection unexpectedly")).toBeNull();
  });
});

describe("the verdict on the application's credentials at Postgres directly", () => {
  it("refused everywhere passes, naming what was refused", () => {
    const v = directLoginVerdict("docker", [], ["app at primary refused"]);
    expect(v).toEqual({ status: "PASS", message: "app at primary refused" });
  });

  it.each(["docker", "sandbox"] as const)("admitted on %s fails (its pools log in with server passwords the application never gets)", (platform) => {
    const v = directLoginVerdict(platform, ["app at primary"], ["app_readonly at primary refused"]);
    expect(v.status).toBe("FAIL");
    expect(v.message).toContain("app at primary");
    expect(v.message).toContain("bypassing the pools");
  });

  it("admitted on AWS is a SKIP with its reason (security groups the suite cannot see)", () => {
    const v = directLoginVerdict("aws", ["app at primary"], []);
    expect(v.status).toBe("SKIP");
    expect(v.message).toMatch(/security group/);
  });
});
