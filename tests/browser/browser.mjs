// Shared launcher: Debian's Chromium, headless, with the flags this offline machine needs.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

export const shots = process.env.SCREENSHOT_DIR || new URL('../../target/screenshots/', import.meta.url).pathname;
mkdirSync(shots, { recursive: true });

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

/// A page that records console errors and failed requests, so a test can assert there were none.
export async function watchedPage(browser, viewport = { width: 1280, height: 900 }) {
  const page = await browser.newPage({ viewport, locale: 'fr-FR' });
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  return { page, problems };
}

export function check(condition, message) {
  if (!condition) {
    console.error(`FAIL: ${message}`);
    process.exit(1);
  }
}
