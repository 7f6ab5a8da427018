/** Command encoders: each writes one command at `command`, arms the decoder, returns its length. */
import { CHUNK_BYTES, checksum8, chunk, command } from "./layout";
import { decoderArm } from "./decode";

function put(code: i32): i32 {
  store<u8>(command, <u8>code);
  decoderArm(code, 0, 0);
  return 1;
}

/** Encodes a command without payload (GET_STATUS, STOP, GET_CONFIG, ...); returns its length. */
export function encodeSimple(code: i32): i32 { return put(code); }

/** Encodes START: mode 0 continuous (length 0), 1 one-shot of `length` bytes. */
export function encodeStart(mode: i32, length: i32): i32 {
  store<u8>(command, 0x04);
  store<u8>(command + 1, <u8>mode);
  store<u16>(command + 2, <u16>length);
  decoderArm(0x04, mode, length);
  return 4;
}

/** Encodes SET_CONFIG from its fields (layout in spec §3). */
export function encodeSetConfig(
  postprocess: i32, level: f32, flags: i32, lsbits: i32, hashInput: i32, blockSize: i32, target: i32,
): i32 {
  store<u8>(command, 0x08);
  store<u8>(command + 1, <u8>postprocess);
  store<f32>(command + 2, level);
  store<u8>(command + 6, <u8>flags);
  store<u8>(command + 7, <u8>lsbits);
  store<u8>(command + 8, <u8>hashInput);
  store<u16>(command + 9, <u16>blockSize);
  store<u16>(command + 11, <u16>target);
  decoderArm(0x08, 0, 0);
  return 13;
}

/** Encodes ENABLE_INSTANCE. */
export function encodeEnableInstance(instance: i32, enable: i32): i32 {
  store<u8>(command, 0x30);
  store<u8>(command + 1, <u8>instance);
  store<u8>(command + 2, <u8>enable);
  decoderArm(0x30, 0, 0);
  return 3;
}

/** Encodes UPDATE_INIT for an image of `totalLength` bytes. */
export function encodeUpdateInit(totalLength: u32): i32 {
  store<u8>(command, 0x40);
  store<u32>(command + 1, totalLength);
  decoderArm(0x40, 0, 0);
  return 5;
}

function encodeChunk(code: i32, length: i32, withChecksum: bool): i32 {
  store<u8>(command, <u8>code);
  store<u16>(command + 1, <u16>length);
  memory.copy(command + 3, chunk, <usize>length);
  memory.fill(command + 3 + <usize>length, 0, <usize>(CHUNK_BYTES - length));
  decoderArm(code, 0, 0);
  if (!withChecksum) return 3 + CHUNK_BYTES;
  store<u8>(command + 3 + <usize>CHUNK_BYTES, <u8>checksum8(chunk, length));
  return 4 + CHUNK_BYTES;
}

/** Encodes UPDATE_CHUNK from `length` (≤ 1024) bytes at chunkPtr: 1027 bytes with checksum8. */
export function encodeUpdateChunk(length: i32): i32 { return encodeChunk(0x41, length, true); }

/** Encodes HASH_TEST_ACCUMULATE from `length` (≤ 1024) bytes at chunkPtr: 1026 bytes. */
export function encodeHashChunk(length: i32): i32 { return encodeChunk(0x22, length, false); }

/** Encodes SIGNED_READ of `length` bytes. */
export function encodeSignedRead(length: i32): i32 {
  store<u8>(command, 0x51);
  store<u16>(command + 1, <u16>length);
  decoderArm(0x51, 0, length);
  return 3;
}

/** Encodes REBOOT with its magic `A1 25`. */
export function encodeReboot(): i32 {
  store<u8>(command, 0xF8);
  store<u8>(command + 1, 0xA1);
  store<u8>(command + 2, 0x25);
  decoderArm(0xF8, 0, 0);
  return 3;
}

