/**
 * NATS credential files against a real nats-server: a JWT `.creds` file on an operator-mode
 * server (operator, account and user JWTs made by @nats-io/jwt, the accounts preloaded into a
 * memory resolver), and a missing, unreadable (a directory) or garbled NKey seed or credentials file named
 * in one line before any connection is tried. (User/password, token and NKey seeds that work
 * are in fleet_publish.test.ts.)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createAccount,
  createOperator,
  createUser,
  encodeAccount,
  encodeOperator,
  encodeUser,
  fmtCreds,
} from "@nats-io/jwt";
import { runCli, RUNNERS } from "./_support/cli.ts";
import { type NatsNode, natsServerInstalled, startNatsServer, stopAll } from "./_support/nats_server.ts";
import { suiteTempDir } from "./_support/temp_dir.ts";

const bun = RUNNERS.find((r) => r.name === "bun")!;
const deno = RUNNERS.find((r) => r.name === "deno")!;
/** No limit, in a JWT's limits. */
const UNLIMITED = -1;

/**
 * An operator-mode server's configuration (a system account and one account with JetStream,
 * both preloaded) and a `.creds` file for a user of that account.
 */
async function operatorMode(): Promise<{ config: string; creds: Uint8Array }> {
  const operator = createOperator();
  const system = createAccount();
  const account = createAccount();
  const user = createUser();
  const accountJwt = await encodeAccount("QRNG", account, {
    limits: {
      ...{ conn: UNLIMITED, subs: UNLIMITED, data: UNLIMITED, payload: UNLIMITED },
      ...{ imports: UNLIMITED, exports: UNLIMITED, wildcards: true },
      ...{ mem_storage: UNLIMITED, disk_storage: UNLIMITED, streams: UNLIMITED, consumer: UNLIMITED },
    },
  }, { signer: operator });
  const systemJwt = await encodeAccount("SYS", system, {}, { signer: operator });
  const config = [
    `operator: ${await encodeOperator("qrng-test", operator)}`,
    `system_account: ${system.getPublicKey()}`,
    "resolver: MEMORY",
    `resolver_preload: { ${account.getPublicKey()}: ${accountJwt}, ${system.getPublicKey()}: ${systemJwt} }`,
  ].join("\n");
  return { config, creds: fmtCreds(await encodeUser("publisher", user, account), user) };
}

describe.skipIf(!natsServerInstalled)("NATS credential files", () => {
  const temp = suiteTempDir("qrng-fleet-creds");
  const file = (name: string) => join(temp.path, name);
  let server: NatsNode;

  beforeAll(async () => {
    const { config, creds } = await operatorMode();
    writeFileSync(file("operator.conf"), config + "\n");
    writeFileSync(file("user.creds"), creds, { mode: 0o600 });
    writeFileSync(file("garbled.creds"), "-----BEGIN NATS USER JWT-----\nnot a jwt\n", { mode: 0o600 });
    writeFileSync(file("garbled.nk"), "SUNOTASEED\n", { mode: 0o600 });
    mkdirSync(file("directory.nk"));
    server = await startNatsServer(["-c", file("operator.conf")]);
  }, 60_000);
  afterAll(stopAll);

  it.each([bun, deno])(
    "publishes and reads with a JWT credentials file on an operator-mode server under $name",
    async (runner) => {
      const stream = `CREDS_${runner.name}`;
      const creds = file("user.creds");
      const published = await runCli(runner, [
        ...["publish", "--device", "sim:qcicada?seed=12", "--to", server.url, "--stream", stream],
        ...["--bytes", "16K", "--creds-file", creds],
      ]);
      expect(published.status).toBe(0);
      expect(published.stderr).toMatch(/publisher \S+: 4 blocks/);
      const read = await runCli(runner, ["read", "4K", "--device", `${server.url}/${stream}?creds=${creds}`]);
      expect(read.status).toBe(0);
      expect(read.stdout.length).toBe(4096);
      // Without the file the server refuses the connection.
      const refused = await runCli(runner, ["read", "4K", "--device", `${server.url}/${stream}`]);
      expect(refused.status).toBe(1);
      expect(refused.stderr.trim()).toMatch(
        new RegExp(`^qrng: Cannot connect to NATS at ${server.url}: .*[Aa]uthori[sz]ation`),
      );
    },
  );

  it.each([
    [
      "--creds-file",
      "missing.creds",
      /^qrng: Cannot read the NATS credentials file \S+missing\.creds: .*no such file/i,
    ],
    [
      "--creds-file",
      "garbled.creds",
      /^qrng: The NATS credentials file \S+garbled\.creds holds no valid credentials/,
    ],
    ["--nkey", "missing.nk", /^qrng: Cannot read the NATS NKey seed file \S+missing\.nk: .*no such file/i],
    ["--nkey", "garbled.nk", /^qrng: The NATS NKey seed file \S+garbled\.nk holds no valid NKey seed/],
    ["--nkey", "directory.nk", /^qrng: Cannot read the NATS NKey seed file \S+directory\.nk: /],
  ])("names a bad %s file (%s) in one line", async (flag, name, message) => {
    const path = file(name);
    const publish = await runCli(bun, ["publish", "--device", "sim:qcicada", "--to", server.url, flag, path]);
    expect(publish.status).toBe(1);
    expect(publish.stderr.trim()).toMatch(message);
    expect(publish.stderr.trim().split("\n").length).toBe(1);
    const parameter = flag === "--nkey" ? "nkey" : "creds";
    const read = await runCli(bun, ["read", "1K", "--device", `${server.url}/QRNG?${parameter}=${path}`]);
    expect(read.status).toBe(1);
    expect(read.stderr.trim()).toMatch(message);
    expect(read.stderr.trim().split("\n").length).toBe(1);
  });
});
