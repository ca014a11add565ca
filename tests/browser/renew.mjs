// The relay's renew page as the company sees it after something happened to its money.
// Usage: node renew.mjs <renew link> <expected text> <screenshot name>
import { launch, watchedPage, check, shots } from './browser.mjs';

const [link, expected, name] = process.argv.slice(2);
const browser = await launch();
try {
  const { page, problems } = await watchedPage(browser);
  await page.goto(link);
  await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
  const text = await page.locator('body').innerText();
  check(text.includes(expected), `expected "${expected}" in: ${text}`);
  check(problems.length === 0, `console errors: ${problems.join('; ')}`);
  console.log(`renew page ok: ${name}`);
} finally {
  await browser.close();
}
