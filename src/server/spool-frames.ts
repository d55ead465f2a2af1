import { crc32 } from 'node:zlib';

/**
 * The spool's record framing: magic (4 bytes), payload length (uint32 BE), CRC-32 of the length and the
 * payload (uint32 BE), payload. The magic starts with 0xFF, a byte UTF-8 never holds, so a JSON payload cannot
 * contain it and the next record after a damaged one is found again by searching for it.
 */
export const FRAME_MAGIC = Buffer.from([0xff, 0x53, 0x50, 0x31]);

const HEADER_BYTES = 12;

/** One record as it is appended. */
export function encodeFrame(payload: Buffer): Buffer {
  const frame = Buffer.alloc(HEADER_BYTES + payload.length);
  FRAME_MAGIC.copy(frame, 0);
  frame.writeUInt32BE(payload.length, 4);
  payload.copy(frame, HEADER_BYTES);
  frame.writeUInt32BE(checksum(frame), 8);
  return frame;
}

/** What a spool's bytes hold: the intact records, in order, and how many bytes were torn or damaged. */
export interface DecodedFrames {
  payloads: Buffer[];
  skippedBytes: number;
}

/**
 * Reads every intact record. A torn record (a crash during its append: never answered 202) or a damaged one
 * is skipped up to the next magic, so the records after it are still read.
 */
export function decodeFrames(bytes: Buffer): DecodedFrames {
  const payloads: Buffer[] = [];
  let skippedBytes = 0;
  let pos = 0;
  while (pos < bytes.length) {
    const end = intactFrameEnd(bytes, pos);
    if (end !== undefined) {
      payloads.push(bytes.subarray(pos + HEADER_BYTES, end));
      pos = end;
      continue;
    }
    const next = bytes.indexOf(FRAME_MAGIC, pos + 1);
    const resume = next < 0 ? bytes.length : next;
    skippedBytes += resume - pos;
    pos = resume;
  }
  return { payloads, skippedBytes };
}

// Where the record starting at `pos` ends, or undefined when it is not a whole record with a matching CRC.
function intactFrameEnd(bytes: Buffer, pos: number): number | undefined {
  if (pos + HEADER_BYTES > bytes.length) return undefined;
  if (!bytes.subarray(pos, pos + FRAME_MAGIC.length).equals(FRAME_MAGIC)) return undefined;
  const end = pos + HEADER_BYTES + bytes.readUInt32BE(pos + 4);
  if (end > bytes.length) return undefined;
  const frame = bytes.subarray(pos, end);
  return frame.readUInt32BE(8) === checksum(frame) ? end : undefined;
}

// The CRC of a frame's length field and payload (the CRC field itself left out).
function checksum(frame: Buffer): number {
  return crc32(frame.subarray(HEADER_BYTES), crc32(frame.subarray(4, 8)));
}
