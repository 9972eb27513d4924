/**
 * A real browser for the web view's tests: Debian's `chromium` (installed by .ci/run with apt), driven by
 * playwright-core through `executablePath` — never a browser download. Every page records its console
 * errors, failed requests and any request that leaves the server under test, and saves a screenshot
 * under test/artifacts/ (git-ignored) for a person to look at.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

export const ARTIFACTS = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'test', 'artifacts');

export function chromiumPath(): string {
  for (const candidate of ['/usr/bin/chromium', '/usr/bin/chromium-browser'])
    if (existsSync(candidate)) return candidate;
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('chromium is not installed (apt-get install -y chromium; .ci/run does it)');
  }
}

export function launchBrowser(): Promise<Browser> {
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu'],
  });
}

export interface VisitedPage {
  page: Page;
  status: number;
  consoleErrors: string[];
  failedRequests: string[];
  /** Requests to anything but the server under test (must stay empty). */
  foreignRequests: string[];
  requests: string[];
}

/**
 * Opens `url` in a fresh page (JavaScript on or off) and watches every request it makes. `origin` is the
 * server under test; `file:` URLs (a pack opened from disk) may make no request at all beyond themselves.
 */
export async function visit(
  browser: Browser,
  url: string,
  options: { origin?: string; javaScript?: boolean; headers?: Record<string, string> } = {},
): Promise<VisitedPage> {
  const context = await browser.newContext({
    javaScriptEnabled: options.javaScript ?? true,
    viewport: { width: 1280, height: 900 },
    ...(options.headers ? { extraHTTPHeaders: options.headers } : {}),
  });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  const failedRequests: string[] = [];
  const foreignRequests: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  page.on('requestfailed', (r) => failedRequests.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on('request', (r) => {
    requests.push(r.url());
    const u = r.url();
    const local = options.origin ? u.startsWith(options.origin) : u === url;
    if (!local && !u.startsWith('data:')) foreignRequests.push(u);
  });
  const response = await page.goto(url, { waitUntil: 'load' });
  return { page, status: response?.status() ?? 0, consoleErrors, failedRequests, foreignRequests, requests };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}
