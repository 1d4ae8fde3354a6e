import { describe, expect, it } from "vitest";
import { sampleOutputs } from "../testing/fixtures/outputs";
import { MIN_REDACTED_LENGTH, REDACTED, redactorFor, redactorForOutputs, redactUrlCredentials } from "./redact";

describe("redaction bounds (issue 9: a short common word redacted ordinary text)", () => {
  it("does not search for values shorter than the minimum: ordinary words stay readable", () => {
    const r = redactorFor(["the", "pass", "a".repeat(MIN_REDACTED_LENGTH - 1)]);
    expect(r("the passage of the replica")).toBe("the passage of the replica");
  });

  it("removes every value of the minimum length or more, plain and URL-encoded", () => {
    const secret = "s3cr/t p@ss";
    const r = redactorFor([secret]);
    expect(r(`a ${secret} b ${encodeURIComponent(secret)} c`)).toBe(`a ${REDACTED} b ${REDACTED} c`);
  });

  it("removes the password of any URL's userinfo, known or not", () => {
    expect(redactUrlCredentials("redis://default:hunter2@10.0.0.1:6379/0 and postgres://u:x@h/db")).toBe(`redis://default:${REDACTED}@10.0.0.1:6379/0 and postgres://u:${REDACTED}@h/db`);
    // No userinfo password: nothing to remove.
    expect(redactUrlCredentials("https://docs.example/x@y and user@host")).toBe("https://docs.example/x@y and user@host");
    // The case: a host given as a URL with a password, printed in a message.
    const r = redactorFor([]);
    expect(r('cannot reach "rediss://admin:Tr0ub4dor@cache.internal:6379"')).not.toContain("Tr0ub4dor");
  });

  it("covers every secret of the outputs, the application's too", () => {
    const o = sampleOutputs();
    const r = redactorForOutputs(o);
    expect(r(`${o.credentials.postgresMonitoringPassword} ${o.applicationCredentials.readWrite.password}`)).toBe(`${REDACTED} ${REDACTED}`);
  });
});
