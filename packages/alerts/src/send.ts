import type { ResolvedRoute } from './config.js';
import type { Delivery } from './model.js';
import { signature } from './payload.js';

export type SendResult =
  | { ok: true; status: number }
  | { ok: false; status: number; error: string; retryable: boolean };

/**
 * One HTTP attempt of a delivery. A 2xx answer delivers it; 408, 425, 429, 5xx, a timeout or a network
 * error are worth retrying; any other 4xx is the receiver refusing this message (its URL or key is
 * wrong), so further attempts would only repeat it — the delivery fails at once and stays listed.
 */
export async function sendDelivery(
  route: ResolvedRoute,
  delivery: Delivery,
  timeoutMs = 10_000,
): Promise<SendResult> {
  const url = typeof route.target === 'string' ? route.target : route.target.reveal();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'shewhart-alerts/1',
    'x-shewhart-delivery': delivery.deliveryId,
  };
  if (route.secret) headers['x-shewhart-signature'] = signature(delivery.body, route.secret.reveal());
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers,
      body: delivery.body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
    // Drain the body so the connection can be reused; its content does not matter.
    await res.arrayBuffer().catch(() => undefined);
    if (res.ok) return { ok: true, status: res.status };
    const retryable = res.status >= 500 || [408, 425, 429].includes(res.status);
    return { ok: false, status: res.status, error: `receiver answered ${res.status}`, retryable };
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    const what =
      e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message);
    return { ok: false, status: 0, error: what, retryable: true };
  }
}
