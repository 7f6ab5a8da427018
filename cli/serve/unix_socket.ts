/**
 * The daemon's Unix socket file: bound under a temporary name, given its permissions (0600, or
 * 0660 and a group), then renamed into place, so it is never reachable with looser ones.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import { userInfo } from "node:os";
import { describeError, QrngError, usageError } from "../errors.ts";

/** How long to try a connection to an existing socket file before calling it stale. */
const STALE_CHECK_MS = 1000;

/** Whether a daemon answers on the socket at `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ path });
    const done = (alive: boolean) => (clearTimeout(timer), socket.destroy(), resolve(alive));
    const timer = setTimeout(() => done(false), STALE_CHECK_MS);
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** The id of group `name` (a name in /etc/group, or a number). */
export function groupId(name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  let groups = "";
  try {
    groups = fs.readFileSync("/etc/group", "utf8");
  } catch (error) {
    throw usageError(`qrng serve: cannot look up group '${name}': ${describeError(error)}`);
  }
  for (const line of groups.split("\n")) {
    const [group, , gid] = line.split(":");
    if (group === name && /^\d+$/.test(gid ?? "")) return Number(gid);
  }
  throw usageError(`qrng serve: no group '${name}' (in /etc/group)`);
}

/**
 * Binds a server at `path` as the module comment says: `bindAt` makes it listen at a temporary
 * path and resolves how to close it again. Resolves `path`.
 */
export async function bindUnixSocket(
  path: string,
  gid: number | undefined,
  bindAt: (temporary: string) => Promise<() => void>,
): Promise<string> {
  if (fs.existsSync(path)) {
    if (!fs.statSync(path).isSocket()) throw usageError(`qrng serve: ${path} exists and is not a socket`);
    if (await answers(path)) throw usageError(`qrng serve: another daemon is listening on ${path}`);
    fs.rmSync(path, { force: true });
  }
  const temporary = `${path}.${Math.random().toString(36).slice(2, 10)}.tmp`;
  const close = await bindAt(temporary);
  try {
    fs.chmodSync(temporary, gid === undefined ? 0o600 : 0o660);
    if (gid !== undefined) fs.chownSync(temporary, userInfo().uid, gid);
    fs.renameSync(temporary, path);
  } catch (error) {
    close();
    fs.rmSync(temporary, { force: true });
    throw new QrngError("usage", `Cannot set up the socket ${path}: ${describeError(error)}`);
  }
  return path;
}

/** Removes the socket file at `path` (the daemon stopped); a missing one is fine. */
export function removeSocketFile(path: string): void {
  fs.rmSync(path, { force: true });
}
