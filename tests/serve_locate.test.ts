/**
 * The serve tests' locator (tests/_support/serve_daemon.ts), which places each consumer's
 * output in the emulators' streams to prove no byte went out twice: a boundary between two
 * takes must not look like a shared byte when the stream happens to go on as the next take does.
 */
import { Buffer } from "node:buffer";
import { expect, it } from "vitest";
import { emulatorStream, locate, placeFragments } from "./_support/serve_daemon.ts";

it("places a take whose stream goes on as the next take begins without a byte shared with its neighbour", () => {
  const stream = emulatorStream(7, 1 << 16);
  // A take ending at `end` whose next stream byte equals the first byte of a later take.
  const end = 1000;
  const next = stream.indexOf(stream[end], end + 100);
  const output = Buffer.concat([stream.subarray(0, end), stream.subarray(next, next + 500)]);

  const { pieces, fragments } = locate(output, [stream]);

  expect(fragments).toEqual([]);
  expect(pieces).toEqual([
    { stream: 0, start: 0, length: end },
    { stream: 0, start: next, length: 500 },
  ]);
});

it("places a short fragment where no consumer's piece already is, not on the first spot its bytes match", () => {
  const stream = emulatorStream(7, 1 << 16);
  const fragment = stream.subarray(400, 401);
  // Piece A ends at x, where the stream's byte is the fragment's by chance, and piece B starts
  // there; piece C ends at 400, the fragment's real place.
  const x = [...stream.keys()].find((i) =>
    i > 10 && i < 250 && stream[i] === fragment[0] && stream[i + 50] !== fragment[0] &&
    stream[299] !== fragment[0]
  )!;
  const pieces = [
    { stream: 0, start: 0, length: x },
    { stream: 0, start: x, length: 50 },
    { stream: 0, start: 300, length: 100 },
  ];

  expect(placeFragments([fragment], [stream], pieces)).toEqual({
    placed: [{ stream: 0, start: 400, length: 1 }],
    unplaced: [],
  });
});
