/**
 * Static memory of the Cmd&Ctrl codec (addresses exported through index.ts):
 *
 *   input    [INPUT_BYTES]   host stores received bytes here, then calls feed(len)
 *   command  [COMMAND_BYTES] the last encoded command (encoders return its length)
 *   chunk    [CHUNK_BYTES]   host stores update / hash-test chunk data here before encoding
 *   payload  [PAYLOAD_BYTES] payload of the last RESPONSE / SIGNATURE / STOPPED event
 *   held     [HELD_BYTES]    the STOP tail held back; released: held bytes handed out as DATA
 *   marker   [MARKER_BYTES]  the known answer expected right after STOP's (decoderExpectMarker)
 */

export const INPUT_BYTES: i32 = 512 * 1024;
export const COMMAND_BYTES: i32 = 1040;
export const CHUNK_BYTES: i32 = 1024;
export const PAYLOAD_BYTES: i32 = 64;
export const STOP_TAIL_BYTES: i32 = 6;
/** The longest known answer that can mark a stream's end: INFO, its code and 56 bytes. */
export const MARKER_BYTES: i32 = 57;
/** Held bytes: the tail and marker, and as many input bytes behind them to look for the end. */
export const HELD_BYTES: i32 = 2 * (STOP_TAIL_BYTES + MARKER_BYTES);
export const SIGNATURE_BYTES: i32 = 64;

export const input = memory.data(INPUT_BYTES, 16);
export const command = memory.data(COMMAND_BYTES, 16);
export const chunk = memory.data(CHUNK_BYTES, 16);
export const payload = memory.data(PAYLOAD_BYTES, 16);
export const held = memory.data(HELD_BYTES, 16);
export const released = memory.data(HELD_BYTES, 16);
export const marker = memory.data(MARKER_BYTES, 16);


/** checksum8: ones' complement of the 8-bit sum of `length` bytes at `ptr`. */
export function checksum8(ptr: usize, length: i32): i32 {
  let sum: u32 = 0;
  for (let i = 0; i < length; i++) sum += load<u8>(ptr + <usize>i);
  return <i32>(~sum & 0xFF);
}

/** Payload size of a response code, or -1 when the code is not a response. */
export function responsePayloadBytes(code: i32): i32 {
  switch (code) {
    case 0x11: return 5;
    case 0x12: return 0;
    case 0x17: return 12;
    case 0x19: return 30;
    case 0x1B: return 56;
    case 0x21: return 0;
    case 0x24: return 32;
    case 0x43: return 5;
    case 0x52: return 0;
    case 0xF8: return 0;
    case 0xF9: return 64;
    case 0xFB: return 64;
  }
  return -1;
}

/** Request payload size of a command code, or -1 when the code is not a command. */
export function commandPayloadBytes(code: i32): i32 {
  switch (code) {
    case 0x01: case 0x05: case 0x07: case 0x09: case 0x0A: case 0x0B:
    case 0x20: case 0x23: case 0xF7: case 0xF9: return 0;
    case 0x04: return 3;
    case 0x08: return 12;
    case 0x22: return 1026;
    case 0x30: return 2;
    case 0x40: return 4;
    case 0x41: return 1027;
    case 0x51: return 2;
    case 0xF8: return 2;
  }
  return -1;
}

/** The response code that answers `code` on success, or -1 for an unknown command. */
export function successResponse(code: i32): i32 {
  switch (code) {
    case 0x01: case 0x04: case 0x05: case 0x08: case 0x0A: case 0x30: return 0x11;
    case 0x07: return 0x17;
    case 0x09: return 0x19;
    case 0x0B: return 0x1B;
    case 0x20: case 0x22: return 0x21;
    case 0x23: return 0x24;
    case 0x40: case 0x41: return 0x43;
    case 0x51: return 0x52;
    case 0xF7: return 0xF9;
    case 0xF8: return 0xF8;
    case 0xF9: return 0xFB;
  }
  return -1;
}

