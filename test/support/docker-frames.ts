/** One frame of the Docker Engine's multiplexed stream: stream byte, 3 zero bytes, big-endian length, payload. */
export function frame(stream: 1 | 2, text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const head = Buffer.alloc(8);
  head.writeUInt8(stream, 0);
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}
