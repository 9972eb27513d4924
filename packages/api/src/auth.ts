import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Bearer-token check. Tokens are compared as SHA-256 digests with a constant-time comparison, so
 * neither the length nor the content of a configured token leaks through timing.
 */
export class TokenSet {
  readonly #digests: Buffer[];
  constructor(tokens: readonly string[]) {
    this.#digests = tokens.map(digest);
  }
  get enabled(): boolean {
    return this.#digests.length > 0;
  }
  /** 'missing' → 401, 'unknown' → 403. */
  check(authorization: string | undefined): 'ok' | 'missing' | 'unknown' {
    if (!this.enabled) return 'ok';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) return 'missing';
    const candidate = digest(match[1] as string);
    let ok = false;
    for (const d of this.#digests) ok = timingSafeEqual(d, candidate) || ok;
    return ok ? 'ok' : 'unknown';
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
