import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signature } from './payload.js';

/**
 * A webhook receiver as the documentation asks one to be written: it verifies `X-Shewhart-Signature`
 * over the raw bytes (constant-time) before parsing them, and drops repeats by `X-Shewhart-Delivery`
 * (delivery is at-least-once). `shewhart receiver` runs it for the demo; tests and the benchmark use it
 * as their local receiver.
 */

export interface ReceivedMessage {
  deliveryId: string;
  /** null when the receiver has no key to check with. */
  signatureOk: boolean | null;
  /** A delivery id this receiver had already accepted (a re-send after a crash or a lost answer). */
  repeat: boolean;
  path: string;
  raw: string;
  // biome-ignore lint/suspicious/noExplicitAny: a message's body is whatever JSON the sender built
  body: any;
  at: Date;
}

export interface ReceiverOptions {
  host?: string;
  port?: number;
  /** The route's signing key; messages whose signature does not match are refused with 401. */
  secret?: string;
  /**
   * The status to answer a correctly signed message with (default 204). A test makes a receiver fail
   * or stall with it; a promise that never settles leaves the request hanging.
   */
  respond?: (message: ReceivedMessage) => number | Promise<number>;
  /** Called for every message, accepted or not. */
  onMessage?: (message: ReceivedMessage, status: number) => void;
}

export interface Receiver {
  url: string;
  /** Every message received, in arrival order (repeats and refused ones included). */
  messages: ReceivedMessage[];
  close(): Promise<void>;
}

export function signatureMatches(raw: string, header: string | undefined, secret: string): boolean {
  const expected = Buffer.from(signature(raw, secret));
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const messages: ReceivedMessage[] = [];
  const accepted = new Set<string>();
  const handle = async (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const deliveryId = String(req.headers['x-shewhart-delivery'] ?? '');
    const header = req.headers['x-shewhart-signature'];
    const signatureOk =
      options.secret === undefined
        ? null
        : signatureMatches(raw, Array.isArray(header) ? header[0] : header, options.secret);
    let body: unknown = null;
    if (signatureOk !== false) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = null;
      }
    }
    const message: ReceivedMessage = {
      deliveryId,
      signatureOk,
      repeat: accepted.has(deliveryId),
      path: req.url ?? '/',
      raw,
      body,
      at: new Date(),
    };
    messages.push(message);
    let status: number;
    if (req.method !== 'POST') status = 405;
    else if (signatureOk === false) status = 401;
    else if (body === null) status = 400;
    else if (message.repeat) status = 204;
    else status = options.respond ? await options.respond(message) : 204;
    if (status >= 200 && status < 300 && deliveryId) accepted.add(deliveryId);
    options.onMessage?.(message, status);
    res.writeHead(status).end();
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    messages,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
