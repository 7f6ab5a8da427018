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
 *   (payload: the last RESPONSE / SIGNATURE / STOPPED event's bytes, read at eventPtr();
 *   held / released: the STOP tail hold-back; see layout.ts)
 *
 * Events returned by next(): NEED_INPUT (feed more), RESPONSE (code + payload), NACK,
 * DATA (a run of random bytes at eventPtr()/eventLength(), valid until the next feed),
 * SIGNATURE (64 bytes after a signed read's data), STOPPED (the ACK+status ending a stream,
 * reported by stopQuiet()), PROTOCOL_ERROR (eventCode() is the unexpected byte).
 *
 * After STOP in continuous mode the device sends data still in flight, then 11 + status. Only
 * silence marks the end, so while stopping the decoder holds back the last 6 bytes seen; when
 * the host has seen the line quiet it calls stopQuiet(), which checks those 6 bytes. A host
 * that sends a command with a known answer right behind STOP (decoderExpectMarker) learns of
 * the end as soon as that answer has arrived, without the wait for quiet.
 */

export { checksum8, commandPayloadBytes } from "./layout";
export * from "./decode";
export * from "./encode";
import { INPUT_BYTES, MARKER_BYTES, chunk, command, input, marker } from "./layout";

/** Address of the input buffer (INPUT_BYTES long). */
export function inputPtr(): usize { return input; }
/** Size of the input buffer in bytes. */
export function inputBytes(): i32 { return INPUT_BYTES; }
/** Address of the encoded command. */
export function commandPtr(): usize { return command; }
/** Address of the expected marker answer (decoderExpectMarker). */
export function markerPtr(): usize { return marker; }
/** The longest marker answer in bytes. */
export function markerBytes(): i32 { return MARKER_BYTES; }
/** Address of the chunk staging buffer (1024 bytes). */
export function chunkPtr(): usize { return chunk; }
