/**
 * The incremental response decoder: fed arbitrary chunks at `input`, it yields one event per
 * next() call (see index.ts for the event list). Encoders arm it for the answer they expect.
 */
import {
  HELD_BYTES, SIGNATURE_BYTES, STOP_TAIL_BYTES, held, input, payload, released, responsePayloadBytes, successResponse,
} from "./layout";

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


/** Response code (RESPONSE) or offending byte (PROTOCOL_ERROR) of the last event. */
export function eventCode(): i32 { return evCode; }
/** Address of the last event's bytes (DATA: the run; others: payloadPtr). */
export function eventPtr(): usize { return evPtr; }
/** Length of the last event's bytes. */
export function eventLength(): i32 { return evLength; }
/** The decoder state, for diagnostics and to tell whether a stream is running. */
export function decoderState(): i32 { return state; }

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
