// The relay's public pages in headless Chromium: /pricing shows both plans with French prices and
// no console error (CSP included), on desktop and phone widths; /payment-cancelled reads right.
// Usage: node pages.mjs <relay base URL>
import { launch, watchedPage, check, shots } from './browser.mjs';

const base = process.argv[2];
const browser = await launch();
try {
  for (const [name, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]]) {
    const { page, problems } = await watchedPage(browser, viewport);
    const resp = await page.goto(`${base}/pricing`);
    check(resp.status() === 200, `pricing status ${resp.status()}`);
    const monthly = await page.locator('#plan-mensuel').innerText();
    const annual = await page.locator('#plan-annuel').innerText();
    check(monthly.includes('49\u00a0€ / mois'), `monthly price: ${monthly}`);
    check(annual.includes('499\u00a0€ / an') && annual.includes('2 mois offerts'), `annual: ${annual}`);
    const css = await page.locator('.plan').first().evaluate((el) => getComputedStyle(el).borderRadius);
    check(css === '12px', `stylesheet applied (border-radius ${css})`);
    await page.screenshot({ path: `${shots}/pricing-${name}.png`, fullPage: true });
    check(problems.length === 0, `console errors on /pricing: ${problems.join('; ')}`);
    await page.close();
  }
  const { page, problems } = await watchedPage(browser);
  await page.goto(`${base}/payment-cancelled`);
  const text = await page.locator('main').innerText();
  check(text.includes("aucun montant n'a été débité"), `cancelled page: ${text}`);
  await page.screenshot({ path: `${shots}/payment-cancelled.png`, fullPage: true });
  check(problems.length === 0, `console errors on /payment-cancelled: ${problems.join('; ')}`);
  console.log('pages ok');
} finally {
  await browser.close();
}
