/**
 * `tls://` fleets against a real nats-server with TLS: a throwaway CA, server and client
 * certificates made by openssl in a temporary directory, the CA and client files handed to
 * qrng through the environment (never on the command line). Publishing and reading work
 * under every runtime, with and without mutual TLS; a wrong CA, a missing client
 * certificate, a plain server and a missing or garbled file each fail in one line.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binaryBuilt, runCli, RUNNERS } from "./_support/cli.ts";
import { type NatsNode, natsServerInstalled, startNatsServer, stopAll } from "./_support/nats_server.ts";
import { suiteTempDir } from "./_support/temp_dir.ts";

const opensslInstalled = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const bun = RUNNERS.find((r) => r.name === "bun")!;
const deno = RUNNERS.find((r) => r.name === "deno")!;
const runners = RUNNERS.filter((r) => r.name !== "binary" || binaryBuilt);

/** Runs openssl in `dir`, failing with its stderr. */
function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

/** A P-256 key and a certificate for `subject` signed by `signer` (self-signed when absent). */
function certificate(dir: string, name: string, subject: string, signer?: string, extensions?: string): void {
  const key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`];
  if (!signer) {
    openssl(dir, ["req", "-x509", ...key, "-out", `${name}.pem`, "-days", "2", "-subj", subject]);
    return;
  }
  openssl(dir, ["req", ...key, "-out", `${name}.csr`, "-subj", subject]);
  writeFileSync(join(dir, `${name}.ext`), `${extensions}\n`);
  openssl(dir, [
    ...["x509", "-req", "-in", `${name}.csr`, "-CA", `${signer}.pem`, "-CAkey", `${signer}.key`],
    ...["-CAcreateserial", "-out", `${name}.pem`, "-days", "2", "-extfile", `${name}.ext`],
  ]);
}

describe.skipIf(!natsServerInstalled || !opensslInstalled)("NATS fleets over TLS", () => {
  const temp = suiteTempDir("qrng-fleet-tls");
  const file = (name: string) => join(temp.path, name);
  let tlsServer: NatsNode;
  let mutualServer: NatsNode;
  let plainServer: NatsNode;
  /** The environment that trusts the test CA. */
  let trusting: Record<string, string>;

  beforeAll(async () => {
    const dir = temp.path;
    certificate(dir, "ca", "/CN=qrng test CA");
    certificate(dir, "other-ca", "/CN=another CA");
    certificate(dir, "server", "/CN=localhost", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost");
    certificate(dir, "client", "/CN=qrng client", "ca", "extendedKeyUsage=clientAuth");
    const tlsBlock = (verify: boolean) =>
      `tls { cert_file: "${file("server.pem")}", key_file: "${file("server.key")}", ` +
      `ca_file: "${file("ca.pem")}", verify: ${verify} }\n`;
    writeFileSync(file("tls.conf"), tlsBlock(false));
    writeFileSync(file("mutual.conf"), tlsBlock(true));
    [tlsServer, mutualServer, plainServer] = await Promise.all([
      startNatsServer(["-c", file("tls.conf")]),
      startNatsServer(["-c", file("mutual.conf")]),
      startNatsServer(),
    ]);
    trusting = { QRNG_NATS_CA: file("ca.pem") };
  }, 60_000);
  afterAll(stopAll);

  const tlsUrl = (node: NatsNode) => `tls://127.0.0.1:${node.port}`;

  it.each(runners)(
    "publishes and reads through a TLS server under $name, trusting the CA in QRNG_NATS_CA",
    async (runner) => {
      const stream = `TLS_${runner.name}`;
      const published = await runCli(runner, [
        ...["publish", "--device", "sim:qcicada?seed=11", "--to", tlsUrl(tlsServer), "--stream", stream],
        ...["--bytes", "32K"],
      ], { env: trusting });
      expect(published.status).toBe(0);
      expect(published.stderr).toMatch(/publisher \S+: 8 blocks/);
      const read = await runCli(runner, ["read", "8K", "--device", `${tlsUrl(tlsServer)}/${stream}`], {
        env: trusting,
      });
      expect(read.status).toBe(0);
      expect(read.stdout.length).toBe(8192);
      expect(read.stderr).toMatch(new RegExp(`stream ${stream} at ${tlsUrl(tlsServer)}: took \\d+ blocks`));
    },
  );

  it.each([bun, deno])(
    "presents the client certificate from QRNG_NATS_CERT and QRNG_NATS_KEY to a server that verifies clients, under $name",
    async (runner) => {
      const stream = `MUTUAL_${runner.name}`;
      const withCertificate = {
        ...trusting,
        QRNG_NATS_CERT: file("client.pem"),
        QRNG_NATS_KEY: file("client.key"),
      };
      const args = ["--to", tlsUrl(mutualServer), "--stream", stream, "--bytes", "16K"];
      const published = await runCli(runner, ["publish", "--device", "sim:qcicada", ...args], {
        env: withCertificate,
      });
      expect(published.status).toBe(0);
      const device = `${tlsUrl(mutualServer)}/${stream}`;
      const read = await runCli(runner, ["read", "4K", "--device", device], { env: withCertificate });
      expect(read.status).toBe(0);
      expect(read.stdout.length).toBe(4096);
      // Without one the server refuses the handshake: one line naming the certificate, no stack
      // (TLS 1.3 refused it after the handshake: Bun waited out the timeout, Deno crashed).
      const refused = await runCli(runner, ["read", "4K", "--device", device], { env: trusting });
      expect(refused.status).toBe(1);
      expect(refused.stderr.trim()).toMatch(
        new RegExp(`^qrng: Cannot connect to NATS at ${tlsUrl(mutualServer)}: .*client certificate`),
      );
      expect(refused.stderr.trim().split("\n").length).toBe(1);
    },
  );

  it("refuses a server whose certificate another CA signed, in one line", async () => {
    const r = await runCli(bun, ["read", "1K", "--device", `${tlsUrl(tlsServer)}/QRNG`], {
      env: { QRNG_NATS_CA: file("other-ca.pem") },
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(
      new RegExp(
        `^qrng: Cannot connect to NATS at ${tlsUrl(tlsServer)}: .*not signed by the CA in QRNG_NATS_CA`,
      ),
    );
    expect(r.stderr.trim().split("\n").length).toBe(1);
  });

  it("refuses tls:// to a server without TLS, in one line", async () => {
    const r = await runCli(bun, ["publish", "--device", "sim:qcicada", "--to", tlsUrl(plainServer)], {
      env: trusting,
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(
      new RegExp(`^qrng: Cannot connect to NATS at ${tlsUrl(plainServer)}: .*tls`),
    );
    expect(r.stderr.trim().split("\n").length).toBe(1);
  });

  it.each([
    [
      { QRNG_NATS_CA: "missing.pem" },
      /Cannot read the NATS CA certificate file \S+missing\.pem \(QRNG_NATS_CA\)/,
    ],
    [
      { QRNG_NATS_CA: "tls.conf" },
      /The NATS CA certificate file \S+tls\.conf \(QRNG_NATS_CA\) holds no PEM certificate/,
    ],
    [
      { QRNG_NATS_CA: "ca.pem", QRNG_NATS_CERT: "client.pem", QRNG_NATS_KEY: "client.pem" },
      /The NATS client key file \S+client\.pem \(QRNG_NATS_KEY\) holds no PEM private key/,
    ],
  ])("names a missing or garbled TLS file in one line (%j)", async (files, message) => {
    const env = Object.fromEntries(Object.entries(files).map(([name, path]) => [name, file(path)]));
    const r = await runCli(bun, ["read", "1K", "--device", `${tlsUrl(tlsServer)}/QRNG`], { env });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(new RegExp(`^qrng: ${message.source}`));
    expect(r.stderr.trim().split("\n").length).toBe(1);
  });
});
