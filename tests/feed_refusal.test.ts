/**
 * `qrng feed` refusing clearly, under Deno, Bun and the compiled binary: as an unprivileged user
 * (setpriv, when the tests run as root) it names the capability it needs before touching the
 * device; with that one capability and nothing else (what docs/qrng-feed.service grants) it
 * feeds; flags that would credit what cannot be claimed are usage errors; Node, Windows and
 * macOS, which cannot make the ioctl, say so.
 */
import { spawnSync } from "node:child_process";
import { chmodSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { runApp } from "../cli/app.ts";
import type { Kernel32, Libc } from "../cli/runtime/libc.ts";
import { openKernelRandom } from "../cli/runtime/kernel_random.ts";
import { nodePlatform } from "../cli/runtime/node_platform.ts";
import { binaryBuilt, runCli, type Runner, RUNNERS } from "./_support/cli.ts";
import { suiteTempDir } from "./_support/temp_dir.ts";

const NOBODY = "65534";

/** Why setpriv cannot switch to an unprivileged user here, or undefined. */
function setprivUnavailable(): string | undefined {
  if (process.platform !== "linux") return "RNDADDENTROPY is Linux's";
  if (process.getuid?.() !== 0) return "not root, so no user to switch from";
  if (spawnSync("setpriv", ["--version"]).status !== 0) return "setpriv is not installed";
  return undefined;
}
const skipped = setprivUnavailable();
if (skipped) console.warn(`tests/feed_refusal.test.ts: skipping the unprivileged runs: ${skipped}`);

/** A home (and Deno cache) the unprivileged user may write. */
const home = suiteTempDir("qrng-feed-nobody");
beforeAll(() => chmodSync(home.path, 0o777));
const nobodyEnv = () => ({ HOME: home.path, DENO_DIR: home.path });

/** `runner` as user and group nobody, with `setprivFlags` deciding its capabilities. */
function asNobody(runner: Runner, setprivFlags: readonly string[] = []): Runner {
  const setpriv = [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", ...setprivFlags];
  return { ...runner, command: "setpriv", prefix: [...setpriv, runner.command, ...runner.prefix] };
}

describe.each(RUNNERS.filter((r) => r.name !== "binary" || binaryBuilt))(
  "qrng feed refusals under $name",
  (runner) => {
    it.skipIf(skipped !== undefined)(
      "refuses as an unprivileged user, naming CAP_SYS_ADMIN, before opening the device",
      async () => {
        const r = await runCli(asNobody(runner), ["feed", "--device", "sim:qcicada", "--bytes", "4K"], {
          env: nobodyEnv(),
        });
        expect(r.status).toBe(1);
        // One line, and not the emulator warning that opening the device prints.
        expect(r.stderr).toBe(
          "qrng: Cannot feed the kernel: RNDADDENTROPY on /dev/random needs CAP_SYS_ADMIN " +
            "(run qrng feed as root, or give it that capability as docs/qrng-feed.service does)\n",
        );
        expect(r.stdout.length).toBe(0);
      },
    );

    it.skipIf(skipped !== undefined)(
      "feeds as an unprivileged user holding CAP_SYS_ADMIN alone, as the systemd unit runs it",
      async () => {
        const onlySysAdmin = [
          "--inh-caps=+sys_admin",
          "--ambient-caps=+sys_admin",
          "--bounding-set=-all,+sys_admin",
        ];
        const args = ["feed", "--device", "sim:qcicada", "--bytes", "4K", "--json"];
        const r = await runCli(asNobody(runner, onlySysAdmin), args, { env: nobodyEnv() });
        expect(r.status).toBe(0);
        expect(JSON.parse(r.stdout.toString())).toMatchObject({ bytes: 4096, bits: 32768 });
      },
    );

    it("refuses von Neumann debiasing, a bad --min-rate, --bytes 0 and --h 9 as one-line usage errors", async () => {
      const cases: [string[], RegExp][] = [
        [["--debias", "von-neumann"], /^qrng feed: --debias von-neumann bounds no min-entropy/],
        [["--min-rate", "fast"], /^qrng feed: --min-rate needs bytes per second .*not 'fast'/],
        [["--bytes", "0"], /^qrng feed: --bytes must be at least 1/],
        [["--h", "9"], /^qrng feed: --h needs a claimed min-entropy from 0.0625 to 8/],
      ];
      for (const [flags, message] of cases) {
        const r = await runCli(runner, ["feed", "--device", "sim:qcicada", ...flags]);
        expect(r.status, flags.join(" ")).toBe(2);
        expect(r.stderr, flags.join(" ")).toMatch(message);
        expect(r.stderr.trimEnd().split("\n"), flags.join(" ")).toHaveLength(1);
      }
    });
  },
);

describe("qrng feed where the ioctl does not exist", () => {
  it("refuses under Node (no FFI) in one line, before opening the device", async () => {
    const stderr: string[] = [];
    const platform = {
      ...nodePlatform("node", ["feed", "--device", "sim:qcicada", "--bytes", "4K"]),
      writeStderr: (text: string) => void stderr.push(text),
    };
    expect(await runApp(platform)).toBe(1);
    expect(stderr).toEqual([
      "qrng: Cannot feed the kernel under Node: RNDADDENTROPY needs FFI; run qrng with Deno or Bun\n",
    ]);
  });

  it("refuses on Windows and macOS, naming the ioctl as Linux's", () => {
    // Only the system library's `os` is looked at before refusing.
    expect(() => openKernelRandom({ os: "windows" } as Kernel32)).toThrow(
      "Cannot feed the kernel (RNDADDENTROPY is Linux's): not available on Windows",
    );
    expect(() => openKernelRandom({ os: "darwin" } as Libc)).toThrow(
      "Cannot feed the kernel: not available on macOS (RNDADDENTROPY is Linux's; macOS seeds its own pool)",
    );
  });
});
