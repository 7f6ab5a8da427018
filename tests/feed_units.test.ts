/**
 * The systemd units in docs/: `systemd-analyze verify` accepts them (every key known, the
 * dependency between them resolved, the command executable), and they agree with each other
 * and with what `qrng feed` needs. Skipped, saying why, where systemd-analyze is missing. No
 * test starts them under a running systemd: none runs where these tests do.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { binaryBuilt, ROOT } from "./_support/cli.ts";
import { suiteTempDir } from "./_support/temp_dir.ts";

const UNITS = ["qrng-serve.service", "qrng-feed.service"];
const text = (unit: string) => readFileSync(join(ROOT, "docs", unit), "utf8");
/** The values of `key=` lines in a unit's text. */
const values = (unit: string, key: string) =>
  [...text(unit).matchAll(new RegExp(`^${key}=(.*)$`, "gm"))].map((match) => match[1]);

const analyzeMissing = spawnSync("systemd-analyze", ["--version"]).status === 0
  ? undefined
  : "systemd-analyze is not installed";
if (analyzeMissing) {
  console.warn(`tests/feed_units.test.ts: skipping systemd-analyze verify: ${analyzeMissing}`);
}

const dir = suiteTempDir("qrng-units");

describe("the systemd units in docs/", () => {
  it.skipIf(analyzeMissing !== undefined)("pass systemd-analyze verify with no warning", () => {
    // verify checks that ExecStart's program exists: point it at this checkout's qrng.
    const qrng = binaryBuilt ? join(ROOT, "dist", "qrng") : join(ROOT, "node_modules", ".bin", "bun");
    for (const unit of UNITS) {
      writeFileSync(join(dir.path, unit), text(unit).replaceAll("/usr/local/bin/qrng", qrng));
    }
    const result = spawnSync("systemd-analyze", [
      "verify",
      "--man=no",
      ...UNITS.map((u) => join(dir.path, u)),
    ], {
      encoding: "utf8",
      // The trailing ':' keeps the default search path after ours.
      env: { ...process.env, SYSTEMD_UNIT_PATH: `${dir.path}:` },
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("run feed after serve, on the socket serve listens on, with CAP_SYS_ADMIN as its only capability", () => {
    expect(values("qrng-feed.service", "Requires")).toEqual(["qrng-serve.service"]);
    expect(values("qrng-feed.service", "After")).toEqual(["qrng-serve.service"]);
    const socket = /--unix (\/run\/qrng\/\S+)/.exec(values("qrng-serve.service", "ExecStart")[0])?.[1];
    expect(socket).toBeDefined();
    expect(values("qrng-feed.service", "ExecStart")[0]).toContain(`feed --device unix:${socket}`);
    expect(values("qrng-serve.service", "RuntimeDirectory")).toEqual(["qrng"]);
    expect(values("qrng-feed.service", "CapabilityBoundingSet")).toEqual(["CAP_SYS_ADMIN"]);
    expect(values("qrng-feed.service", "AmbientCapabilities")).toEqual(["CAP_SYS_ADMIN"]);
    expect(values("qrng-serve.service", "CapabilityBoundingSet")).toEqual([""]);
    // Both run as the same dynamic user, so serve's 0600 socket lets feed in.
    expect(values("qrng-feed.service", "User")).toEqual(values("qrng-serve.service", "User"));
  });
});
