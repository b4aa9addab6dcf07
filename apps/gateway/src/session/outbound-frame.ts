import { encodeFrame, type ServerFrame } from '@herald/protocol';

const SSE_DATA = Buffer.from('data: ');
const SSE_END = Buffer.from('\n\n');
const CRLF = Buffer.from('\r\n');

/**
 * One server frame, encoded once for every transport that writes it. The hub makes one per message
 * (per presence event, per reset) and hands the same object to every subscriber; each transport asks
 * for its own bytes, built on first use and kept on the frame for the next subscriber: the WebSocket
 * frame, the SSE event chunk (per `id:` line — shared by every stream holding only this channel), the
 * JSON text for long-polling. Nothing is cached outside the frame, so nothing outlives it.
 */
export class OutboundFrame {
  private wsBytes?: Buffer;
  private sseTail?: Buffer;
  private sseChunk?: { idLine: string; chunk: Buffer };
  private textForm?: string;

  private constructor(
    readonly type: ServerFrame['type'],
    /** The frame's JSON text as bytes. */
    readonly payload: Buffer,
    /** For a `subscribed` frame: whether the subscription resumed (long-polling only answers one that did not). */
    readonly recovered = true,
  ) {}

  /** A frame built here (replies, errors, resets, `subscribed`), through the one encoder. */
  static of(frame: ServerFrame): OutboundFrame {
    return new OutboundFrame(frame.type, Buffer.from(encodeFrame(frame), 'utf8'), frame.type === 'subscribed' ? frame.recovered : true);
  }

  /** A frame as Redis carried it (a message, a presence event): already JSON text. */
  static fromText(type: ServerFrame['type'], text: string): OutboundFrame {
    return new OutboundFrame(type, Buffer.from(text, 'utf8'));
  }

  text(): string {
    return (this.textForm ??= this.payload.toString('utf8'));
  }

  /** The WebSocket frame: FIN, text opcode, unmasked (server to client), then the payload. */
  ws(): Buffer {
    if (this.wsBytes) return this.wsBytes;
    const n = this.payload.length;
    const head = n < 126 ? 2 : n < 65_536 ? 4 : 10;
    const out = Buffer.allocUnsafe(head + n);
    out[0] = 0x81;
    if (n < 126) out[1] = n;
    else if (n < 65_536) {
      out[1] = 126;
      out.writeUInt16BE(n, 2);
    } else {
      out[1] = 127;
      out.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
      out.writeUInt32BE(n >>> 0, 6);
    }
    this.payload.copy(out, head);
    return (this.wsBytes = out);
  }

  /**
   * The whole HTTP chunk of an SSE message event (size line, `id:` line, `data:` line, CRLF), for a
   * response using chunked encoding. The last id line's chunk is kept: every single-channel stream of
   * this message has the same one.
   */
  sseMessageChunk(idLine: string): Buffer {
    if (this.sseChunk?.idLine === idLine) return this.sseChunk.chunk;
    const tail = (this.sseTail ??= Buffer.concat([SSE_DATA, this.payload, SSE_END]));
    const id = Buffer.from(idLine);
    const chunk = Buffer.concat([Buffer.from(`${(id.length + tail.length).toString(16)}\r\n`), id, tail, CRLF]);
    this.sseChunk = { idLine, chunk };
    return chunk;
  }
}
