/**
 * Serving from the pool's own memory: Pool.takeInPlace hands a stream consumer the taken bytes
 * where they lie in the ring (two pieces where it wraps), each byte once, in order, also to a
 * consumer that waited, with free room before them for a frame's header where there is some;
 * Pool.stageFrom stages what there is room for; BunByteSocket.sendInPlace writes them as far as
 * the kernel takes them and keeps a copy of the rest, so the ring may be refilled at once.
 */
import { describe, expect, it } from "vitest";
import { Pool } from "../cli/serve/pool.ts";
import { BunByteSocket, type BunSocket } from "../cli/serve/stream_bun.ts";

/** Stages and commits `bytes` into `pool` (as the filler does, in up to two stage spaces). */
function fill(pool: Pool, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) {
    const space = pool.stageSpace();
    const run = bytes.subarray(at, at + space.length);
    space.set(run);
    pool.stage(run.length);
    at += run.length;
  }
  pool.commitStaged();
}

const counting = (from: number, length: number) => Uint8Array.from({ length }, (_, i) => (from + i) & 0xff);

describe("Pool.takeInPlace", () => {
  it("hands out each byte once, in order, as views of the ring: two pieces where it wraps", async () => {
    const pool = new Pool(100, () => "empty");
    fill(pool, counting(0, 100));
    const got: number[] = [];
    const take = (bytes: number) =>
      pool.takeInPlace(bytes, { waitMs: 1000 }, (pieces) => {
        for (const piece of pieces) got.push(...piece);
        got.push(-pieces.length); // how many pieces, between the takes
      });
    expect(await take(70)).toBe(70);
    fill(pool, counting(100, 70)); // the ring's first 70 bytes again
    expect(await take(50)).toBe(50); // 30 at the ring's end, 20 at its start
    expect(await take(1000)).toBe(50); // what is left
    expect(pool.level).toBe(0);
    const bytes = got.filter((x) => x >= 0);
    expect(bytes).toEqual([...counting(0, 170)]);
    expect(got.filter((x) => x < 0)).toEqual([-1, -2, -1]);
  });

  it("serves a waiting consumer in place once bytes are committed, before any later one", async () => {
    const pool = new Pool(64, () => "empty");
    const order: string[] = [];
    const first = pool.takeInPlace(64, { waitMs: 1000 }, ([piece]) => order.push(`first ${piece.length}`));
    const second = pool.takeInPlace(8, { waitMs: 1000 }, ([piece]) => order.push(`second ${piece.length}`));
    expect(pool.waiting).toBe(2);
    fill(pool, counting(0, 40));
    expect(await first).toBe(40);
    fill(pool, counting(40, 8));
    expect(await second).toBe(8);
    expect(order).toEqual(["first 40", "second 8"]);
  });

  it("stages only what there is room for, across the ring's end, invisible until committed", async () => {
    const pool = new Pool(100, () => "empty");
    fill(pool, counting(0, 70));
    expect(await pool.takeInPlace(60, { waitMs: 1000 }, () => {})).toBe(60);
    expect(pool.stageFrom(counting(70, 120))).toBe(90); // 30 at the ring's end, 60 at its start
    expect(pool.level).toBe(10);
    expect(pool.stageFrom(counting(0, 1))).toBe(0);
    pool.commitStaged();
    const got: number[] = [];
    expect(await pool.takeInPlace(100, { waitMs: 1000 }, (pieces) => pieces.forEach((p) => got.push(...p))))
      .toBe(100);
    expect(got).toEqual([...counting(60, 100)]);
  });

  it("offers free room right before the taken bytes for a header, never a byte staged or committed", async () => {
    const pool = new Pool(100, () => "empty");
    fill(pool, counting(0, 100));
    const headers: boolean[] = [];
    const got: number[] = [];
    const take = (bytes: number) =>
      pool.takeInPlace(bytes, { waitMs: 1000 }, (pieces, headed) => {
        headers.push(headed);
        if (headed) pieces[0].fill(0xee, 0, 5); // the header, where the pool left room for it
        pieces.forEach((piece, i) => got.push(...piece.subarray(i === 0 && headed ? 5 : 0)));
      }, 5);
    await take(10); // no room before the ring's start
    await take(10); // the 10 bytes just taken are free room now
    expect(pool.stageFrom(counting(100, 18))).toBe(18); // the ring's first 18: 2 bytes of room left
    await take(10); // too little free room: the bytes before the head are staged
    pool.commitStaged();
    expect(await take(100)).toBe(88); // the rest, both pieces, with room before the first
    expect(headers).toEqual([false, true, false, true]);
    expect(got).toEqual([...counting(0, 118)]); // every byte once, in order, no header among them
  });

  it("rejects a waiting consumer at its deadline, taking nothing", async () => {
    const pool = new Pool(64, () => "no device");
    const taken = pool.takeInPlace(8, { waitMs: 20 }, () => expect.unreachable());
    await expect(taken).rejects.toMatchObject({ kind: "timeout", message: /no device/ });
  });
});

/** A Bun socket whose kernel takes at most `room` bytes until drained; `out` is what it took. */
function fakeSocket(room: number): { raw: BunSocket; out: number[]; drain(more: number): void } {
  const out: number[] = [];
  let left = room;
  const raw: BunSocket = {
    data: undefined as unknown as BunByteSocket,
    write(data) {
      const taken = Math.min(left, data.length);
      out.push(...data.subarray(0, taken));
      left -= taken;
      return taken;
    },
    end() {},
    terminate() {},
    setNoDelay: () => true,
  };
  return { raw, out, drain: (more) => ((left = more), raw.data.drained()) };
}

describe("BunByteSocket.sendInPlace", () => {
  it("writes the parts where they lie while the kernel takes them, and a copy of the rest after a drain", async () => {
    const socket = fakeSocket(10);
    const byteSocket = socket.raw.data = new BunByteSocket(socket.raw);
    const parts = [counting(0, 4), counting(4, 8), counting(12, 6)];
    const spare = new Uint8Array(18);
    let sent: boolean | undefined;
    void byteSocket.sendInPlace(parts, spare).then((ok) => (sent = ok));
    expect(socket.out).toEqual([...counting(0, 10)]);
    for (const part of parts) part.fill(0xee); // the pool refills its ring at once
    await Promise.resolve();
    expect(sent).toBeUndefined();
    socket.drain(100);
    await Promise.resolve();
    expect(sent).toBe(true);
    expect(socket.out).toEqual([...counting(0, 18)]);
  });

  it("resolves at once when the kernel takes everything", async () => {
    const socket = fakeSocket(100);
    const byteSocket = socket.raw.data = new BunByteSocket(socket.raw);
    expect(await byteSocket.sendInPlace([counting(0, 5), counting(5, 50)], new Uint8Array(55))).toBe(true);
    expect(socket.out).toEqual([...counting(0, 55)]);
  });
});
