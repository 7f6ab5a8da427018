/**
 * The incremental response decoder: fed arbitrary chunks at `input`, it yields one event per
 * next() call (see index.ts for the event list). Encoders arm it for the answer they expect.
 */
import {
  MARKER_BYTES, SIGNATURE_BYTES, STOP_TAIL_BYTES, held, input, marker, payload, released, responsePayloadBytes,
  successResponse,
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
const STOPPING: i32 = 5; // data in flight, then 11 + status (+ marker): hold back that many bytes
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
let markerLength: i32 = 0; // the known answer expected after STOP's; 0: the end is found by quiet
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

/**
 * While stopping: the host sent a command with a known answer right behind STOP and stored that
 * answer (`length` <= MARKER_BYTES bytes) at markerPtr. The stream's end is then found without
 * waiting for quiet: next() reports STOPPED as soon as the bytes received end with 11 + status
 * + marker. Until then the decoder holds back 6 + `length` bytes; stopQuiet() still works for a
 * device that never answers the marker.
 */
export function decoderExpectMarker(length: i32): void {
  markerLength = length < 0 ? 0 : length > MARKER_BYTES ? MARKER_BYTES : length;
}

/** Forgets all expectations and buffered bytes (after a drain). */
export function decoderReset(): void {
  state = IDLE;
  heldLength = 0;
  markerLength = 0;
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
  if (markerLength > 0) return nextStoppingMarked(avail);
  if (avail == 0) return EVENT_NEED_INPUT;
  const total = heldLength + avail;
  if (total <= STOP_TAIL_BYTES) {
    hold(avail);
    return EVENT_NEED_INPUT;
  }
  const excess = total - STOP_TAIL_BYTES;
  if (heldLength > 0) return releaseHeld(excess);
  return dataEvent(excess);
}

/**
 * Stopping with a marker: the end is the first place where 11, five status bytes and the
 * marker follow one another, wherever reads split the bytes (what follows it is stale input).
 * Bytes that cannot start such a place go out as DATA; the last 6 + marker bytes are held, so
 * stopQuiet() can still judge the stream's last 6 when the marker never comes.
 */
function nextStoppingMarked(avail: i32): i32 {
  if (avail == 0) return EVENT_NEED_INPUT;
  const tail = STOP_TAIL_BYTES + markerLength;
  if (heldLength > 0) {
    // Places starting in the held bytes: look at them with the next input bytes behind them.
    const look = avail < tail ? avail : tail;
    memory.copy(held + <usize>heldLength, input + <usize>pos, <usize>look);
    const joined = heldLength + look;
    for (let k = 0; k < heldLength && k + tail <= joined; k++) {
      if (!endsAt(held + <usize>k)) continue;
      if (k > 0) return releaseHeld(k);
      pos += tail - heldLength;
      return stopped(held);
    }
    if (look == tail) return releaseHeld(heldLength); // no place starts in them
    // Too few new bytes to judge every held place: keep them all, hand out the judged ones.
    heldLength = joined;
    pos = end;
    return heldLength > tail ? releaseHeld(heldLength - tail) : EVENT_NEED_INPUT;
  }
  const last = end - tail;
  for (let k = nextAck(pos, last); k <= last; k = nextAck(k + 1, last)) {
    if (!endsAt(input + <usize>k)) continue;
    if (k > pos) return dataEvent(k - pos);
    pos += tail;
    return stopped(input + <usize>k);
  }
  if (last > pos) return dataEvent(last - pos);
  hold(avail);
  return EVENT_NEED_INPUT;
}

/** Moves the `count` remaining input bytes behind the held ones. */
function hold(count: i32): void {
  memory.copy(held + <usize>heldLength, input + <usize>pos, <usize>count);
  heldLength += count;
  pos = end;
}

/**
 * The first input position from `from` to `last` holding 0x11 (where an end may start), or
 * last + 1. Eight bytes a step (a zero byte in x ^ 0x11..11, the has-zero-byte test): a
 * daemon stops its device after every burst, and its megabytes in flight are looked through
 * here; a byte at a time took ~5 % of its time.
 */
function nextAck(from: i32, last: i32): i32 {
  let k = from;
  for (; k + 8 <= last + 1; k += 8) {
    const x = load<u64>(input + <usize>k) ^ 0x1111111111111111;
    if (((x - 0x0101010101010101) & ~x & 0x8080808080808080) != 0) break;
  }
  while (k <= last && load<u8>(input + <usize>k) != 0x11) k++;
  return k;
}

/** Whether 11, five status bytes and the expected marker start at `at`. */
function endsAt(at: usize): bool {
  return load<u8>(at) == 0x11 &&
    memory.compare(at + <usize>STOP_TAIL_BYTES, marker, <usize>markerLength) == 0;
}

/** Hands out up to `count` of the oldest held bytes as DATA. */
function releaseHeld(count: i32): i32 {
  if (heldLength < count) count = heldLength;
  memory.copy(released, held, <usize>count);
  memory.copy(held, held + <usize>count, <usize>(heldLength - count));
  heldLength -= count;
  evPtr = released;
  evLength = count;
  return EVENT_DATA;
}

/** STOPPED with the status after the ACK at `answer`; the stream is over. */
function stopped(answer: usize): i32 {
  memory.copy(payload, answer + 1, <usize>(STOP_TAIL_BYTES - 1));
  heldLength = 0;
  markerLength = 0;
  state = IDLE;
  evCode = 0x11;
  evPtr = payload;
  evLength = STOP_TAIL_BYTES - 1;
  return EVENT_STOPPED;
}

/**
 * Call when the line has been quiet after STOP. While more than the 6-byte tail is held (a
 * marker was expected and never came), hands the older held bytes out as DATA first: call
 * again until the result is not DATA. Then STOPPED when the held-back bytes are 11 + status
 * (the payload then holds the status), PROTOCOL_ERROR otherwise (too few bytes or a wrong
 * code; the held bytes are then at payloadPtr, eventLength() of them).
 */
export function stopQuiet(): i32 {
  if (heldLength > STOP_TAIL_BYTES) return releaseHeld(heldLength - STOP_TAIL_BYTES);
  markerLength = 0;
  if (heldLength == STOP_TAIL_BYTES && load<u8>(held) == 0x11) return stopped(held);
  memory.copy(payload, held, <usize>heldLength);
  const count = heldLength;
  heldLength = 0;
  state = IDLE;
  evCode = count > 0 ? <i32>load<u8>(payload) : -1;
  evPtr = payload;
  evLength = count;
  return EVENT_PROTOCOL_ERROR;
}
