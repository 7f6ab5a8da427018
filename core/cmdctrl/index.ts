/**
 * Crypta Labs "Cmd&Ctrl" codec: command encoders and an incremental response decoder.
 *
 * The protocol has no framing: a response is a code byte plus a payload whose size the code
 * fixes, and random data is unframed. So the decoder must know what was asked: every encoder
 * arms the decoder for the answer to the command it encoded (call `decoderArm` again to re-arm
 * after a command the host did not send).
 *
 * Memory (all static, addresses exported as functions ending in Ptr):
 *
 *   inputPtr    [INPUT_BYTES]   host stores received bytes here, then calls feed(len)
 *   commandPtr  [COMMAND_BYTES] the last encoded command (encoders return its length)
 *   chunkPtr    [CHUNK_BYTES]   host stores update / hash-test chunk data here before encoding
 *   payloadPtr  [PAYLOAD_BYTES] payload of the last RESPONSE / SIGNATURE / STOPPED event
 *   heldPtr     [HELD_BYTES]    DATA released from the STOP tail hold-back (see below)
 *
 * Events returned by next(): NEED_INPUT (feed more), RESPONSE (code + payload), NACK,
 * DATA (a run of random bytes at eventPtr()/eventLength(), valid until the next feed),
 * SIGNATURE (64 bytes after a signed read's data), STOPPED (the ACK+status ending a stream,
 * reported by stopQuiet()), PROTOCOL_ERROR (eventCode() is the unexpected byte).
 *
 * After STOP in continuous mode the device sends data still in flight, then 11 + status. Only
 * silence marks the end, so while stopping the decoder holds back the last 6 bytes seen; when
 * the host has seen the line quiet it calls stopQuiet(), which checks those 6 bytes.
 */

const INPUT_BYTES: i32 = 512 * 1024;
const COMMAND_BYTES: i32 = 1040;
const CHUNK_BYTES: i32 = 1024;
const PAYLOAD_BYTES: i32 = 64;
const HELD_BYTES: i32 = 8;
const STOP_TAIL_BYTES: i32 = 6;
const SIGNATURE_BYTES: i32 = 64;

const input = memory.data(INPUT_BYTES, 16);
const command = memory.data(COMMAND_BYTES, 16);
const chunk = memory.data(CHUNK_BYTES, 16);
const payload = memory.data(PAYLOAD_BYTES, 16);
const held = memory.data(HELD_BYTES, 16);
const released = memory.data(HELD_BYTES, 16);

// Event codes.
export const EVENT_NEED_INPUT: i32 = 0;
export const EVENT_RESPONSE: i32 = 1;
export const EVENT_NACK: i32 = 2;
export const EVENT_DATA: i32 = 3;
export const EVENT_SIGNATURE: i32 = 4;
export const EVENT_STOPPED: i32 = 5;
export const EVENT_PROTOCOL_ERROR: i32 = 6;

// Decoder states.
const IDLE: i32 = 0; // nothing expected: any byte is a protocol error
const AWAIT_CODE: i32 = 1; // expecting response code `expectedCode`
const PAYLOAD: i32 = 2; // collecting `payloadWant` payload bytes
const DATA_RUN: i32 = 3; // `dataLeft` random bytes follow
const STREAMING: i32 = 4; // continuous data until STOP
const STOPPING: i32 = 5; // data in flight, then 11 + status: hold back the last 6 bytes
const SIGNATURE: i32 = 6; // collecting the 64-byte signature

let state: i32 = IDLE;
let expectedCode: i32 = 0;
let afterResponse: i32 = IDLE; // state after the expected response: IDLE, DATA_RUN or STREAMING
let afterLength: i32 = 0; // data length for DATA_RUN after the response
let signedRead: bool = false;
let responseCode: i32 = 0;
let payloadWant: i32 = 0;
let payloadHave: i32 = 0;
let dataLeft: i32 = 0;
let heldLength: i32 = 0;
let pos: i32 = 0;
let end: i32 = 0;
let evCode: i32 = 0;
let evPtr: usize = 0;
let evLength: i32 = 0;

/** Address of the input buffer (INPUT_BYTES long). */
export function inputPtr(): usize { return input; }
/** Size of the input buffer in bytes. */
export function inputBytes(): i32 { return INPUT_BYTES; }
/** Address of the encoded command. */
export function commandPtr(): usize { return command; }
/** Address of the chunk staging buffer (1024 bytes). */
export function chunkPtr(): usize { return chunk; }
/** Address of the last event's payload. */
export function payloadPtr(): usize { return payload; }
/** Response code (RESPONSE) or offending byte (PROTOCOL_ERROR) of the last event. */
export function eventCode(): i32 { return evCode; }
/** Address of the last event's bytes (DATA: the run; others: payloadPtr). */
export function eventPtr(): usize { return evPtr; }
/** Length of the last event's bytes. */
export function eventLength(): i32 { return evLength; }
/** The decoder state, for diagnostics and to tell whether a stream is running. */
export function decoderState(): i32 { return state; }

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

/** checksum8: ones' complement of the 8-bit sum of `length` bytes at `ptr`. */
export function checksum8(ptr: usize, length: i32): i32 {
  let sum: u32 = 0;
  for (let i = 0; i < length; i++) sum += load<u8>(ptr + <usize>i);
  return <i32>(~sum & 0xFF);
}

/** Arms the decoder for the answer to command `code` (`length` for START one-shot/signed). */
export function decoderArm(code: i32, mode: i32, length: i32): void {
  if (code == 0x05 && (state == STREAMING || state == STOPPING)) {
    state = STOPPING;
    return;
  }
  heldLength = 0;
  expectedCode = successResponse(code);
  state = AWAIT_CODE;
  afterResponse = IDLE;
  afterLength = 0;
  signedRead = false;
  if (code == 0x04) {
    afterResponse = mode == 0 ? STREAMING : DATA_RUN;
    afterLength = length;
  } else if (code == 0x51) {
    afterResponse = DATA_RUN;
    afterLength = length;
    signedRead = true;
  }
}

/** Forgets all expectations and buffered bytes (after a drain). */
export function decoderReset(): void {
  state = IDLE;
  heldLength = 0;
  pos = 0;
  end = 0;
}

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

/** Tells the decoder that `length` new bytes are at inputPtr; call only after NEED_INPUT. */
export function feed(length: i32): void {
  pos = 0;
  end = length;
}

function protocolError(byte: i32): i32 {
  evCode = byte;
  evPtr = input + <usize>(pos - 1);
  evLength = 1;
  state = IDLE;
  return EVENT_PROTOCOL_ERROR;
}

function dataEvent(count: i32): i32 {
  evPtr = input + <usize>pos;
  evLength = count;
  pos += count;
  return EVENT_DATA;
}

/** Decodes the next event from the fed bytes (see the event list at the top). */
export function next(): i32 {
  while (true) {
    const avail = end - pos;
    if (state == STOPPING) return nextStopping(avail);
    if (avail == 0) return EVENT_NEED_INPUT;
    if (state == STREAMING) return dataEvent(avail);
    if (state == DATA_RUN) {
      const count = avail < dataLeft ? avail : dataLeft;
      dataLeft -= count;
      if (dataLeft == 0) {
        if (signedRead) {
          state = SIGNATURE;
          payloadHave = 0;
          payloadWant = SIGNATURE_BYTES;
        } else state = IDLE;
      }
      return dataEvent(count);
    }
    if (state == PAYLOAD || state == SIGNATURE) {
      let count = payloadWant - payloadHave;
      if (avail < count) count = avail;
      memory.copy(payload + <usize>payloadHave, input + <usize>pos, <usize>count);
      payloadHave += count;
      pos += count;
      if (payloadHave < payloadWant) continue;
      evPtr = payload;
      evLength = payloadWant;
      if (state == SIGNATURE) {
        state = IDLE;
        return EVENT_SIGNATURE;
      }
      return finishResponse();
    }
    const byte = <i32>load<u8>(input + <usize>pos);
    pos++;
    if (state == IDLE) return protocolError(byte);
    // AWAIT_CODE
    if (byte == 0x12) {
      state = IDLE;
      evCode = byte;
      evPtr = payload;
      evLength = 0;
      return EVENT_NACK;
    }
    if (byte != expectedCode) return protocolError(byte);
    responseCode = byte;
    payloadWant = responsePayloadBytes(byte);
    payloadHave = 0;
    state = PAYLOAD;
    if (payloadWant == 0) {
      evPtr = payload;
      evLength = 0;
      return finishResponse();
    }
  }
}

function finishResponse(): i32 {
  evCode = responseCode;
  state = afterResponse;
  dataLeft = afterLength;
  afterResponse = IDLE;
  if (state == DATA_RUN && dataLeft == 0) state = signedRead ? SIGNATURE : IDLE;
  if (state == SIGNATURE) {
    payloadHave = 0;
    payloadWant = SIGNATURE_BYTES;
  }
  return EVENT_RESPONSE;
}

function nextStopping(avail: i32): i32 {
  if (avail == 0) return EVENT_NEED_INPUT;
  const total = heldLength + avail;
  if (total <= STOP_TAIL_BYTES) {
    memory.copy(held + <usize>heldLength, input + <usize>pos, <usize>avail);
    heldLength = total;
    pos = end;
    return EVENT_NEED_INPUT;
  }
  const excess = total - STOP_TAIL_BYTES;
  if (heldLength > 0) {
    const count = heldLength < excess ? heldLength : excess;
    memory.copy(released, held, <usize>count);
    memory.copy(held, held + <usize>count, <usize>(heldLength - count));
    heldLength -= count;
    evPtr = released;
    evLength = count;
    return EVENT_DATA;
  }
  return dataEvent(excess);
}

/**
 * Call when the line has been quiet after STOP: STOPPED when the held-back bytes are 11 +
 * status (the payload then holds the status), PROTOCOL_ERROR otherwise (too few bytes or a
 * wrong code; the held bytes are then at payloadPtr, eventLength() of them).
 */
export function stopQuiet(): i32 {
  memory.copy(payload, held, <usize>heldLength);
  const count = heldLength;
  heldLength = 0;
  state = IDLE;
  if (count == STOP_TAIL_BYTES && load<u8>(payload) == 0x11) {
    memory.copy(payload, payload + 1, 5);
    evCode = 0x11;
    evPtr = payload;
    evLength = 5;
    return EVENT_STOPPED;
  }
  evCode = count > 0 ? <i32>load<u8>(payload) : -1;
  evPtr = payload;
  evLength = count;
  return EVENT_PROTOCOL_ERROR;
}
