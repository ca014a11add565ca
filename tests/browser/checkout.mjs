// A renewal as a company admin does it: open the renew link, choose a plan, type the test card
// on the sandbox's checkout page, pay, land on the success page with the new expiry.
// Usage: node checkout.mjs <renew link> <card number> <expected text on the final page> <auto|once>
import { launch, watchedPage, check, shots } from './browser.mjs';

const [link, card, expected, mode] = process.argv.slice(2);
const browser = await launch();
try {
  const { page, problems } = await watchedPage(browser);
  await page.goto(link);
  await page.screenshot({ path: `${shots}/renew.png`, fullPage: true });
  check(await page.isChecked('#auto-mensuel'), 'automatic renewal is preselected');
  if (mode === 'once') await page.check('#once-mensuel');
  await Promise.all([page.waitForURL(/\/c\/pay\/cs_test_/), page.click('#choose-mensuel')]);
  check((await page.locator('#amount').innerText()).includes('49,00'), 'amount shown on checkout');
  await page.fill('#card_number', card);
  await page.fill('#expiry', '12/34');
  await page.fill('#cvc', '123');
  await page.screenshot({ path: `${shots}/checkout.png`, fullPage: true });
  await page.click('#pay');
  if (card.replace(/\s/g, '') === '4000002500003155') {
    await page.waitForSelector('#confirm');
    await page.screenshot({ path: `${shots}/checkout-3ds.png`, fullPage: true });
    await page.click('#confirm');
  }
  await page.waitForLoadState('load');
  const text = await page.locator('body').innerText();
  await page.screenshot({ path: `${shots}/after-pay-${card.slice(-4)}-${mode}.png`, fullPage: true });
  check(text.includes(expected), `expected "${expected}" in: ${text}`);
  check(problems.length === 0, `console errors: ${problems.join('; ')}`);
  console.log(`checkout ok: ${page.url()}`);
} finally {
  await browser.close();
}
