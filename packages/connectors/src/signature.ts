import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook authentication, in constant time. GitHub signs the raw body with HMAC-SHA256 under the
 * webhook secret (`X-Hub-Signature-256: sha256=<hex>`); Jira Cloud admin webhooks with a secret do the
 * same in `X-Hub-Signature` (WebSub); GitLab sends the secret token itself (`X-Gitlab-Token`).
 * The signature covers the bytes received, never re-serialised JSON.
 */
export function hmacSha256Hex(secret: string, body: Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** `sha256=<hex>` over `body` under `secret`. A missing, malformed or other-algorithm header is false. */
export function verifyHubSignature(secret: string, body: Buffer, header: string | undefined): boolean {
  const m = /^sha256=([0-9a-f]{64})$/i.exec(header?.trim() ?? '');
  const expected = Buffer.from(hmacSha256Hex(secret, body), 'hex');
  // Compared even when the header is malformed, so the time taken says nothing about the header.
  const given = m ? Buffer.from((m[1] as string).toLowerCase(), 'hex') : Buffer.alloc(32);
  return timingSafeEqual(expected, given) && m !== null;
}

/** A shared token, compared as SHA-256 digests so neither its length nor its content leaks by timing. */
export function verifyToken(expected: string, given: string | undefined): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256')
    .update(given ?? '')
    .digest();
  return timingSafeEqual(a, b) && given !== undefined;
}

/** The header value a tool would send, for tests and for replaying a captured delivery. */
export const signHub = (secret: string, body: Buffer | string) =>
  `sha256=${hmacSha256Hex(secret, Buffer.isBuffer(body) ? body : Buffer.from(body))}`;
