// The customer portal as the admin uses it from « Gérer le paiement »: stop renewal at the
// period's end, resume it, replace the card, and go back to the relay's return page.
// Usage: node portal.mjs <portal session url>
import { launch, watchedPage, check, shots } from './browser.mjs';

const [url] = process.argv.slice(2);
const browser = await launch();
try {
  const { page, problems } = await watchedPage(browser);
  await page.goto(url);
  check((await page.innerText('#state')).includes('Prochain prélèvement de 49,00'), 'next charge shown');
  await page.screenshot({ path: `${shots}/portal.png`, fullPage: true });
  await Promise.all([page.waitForURL(/done=cancel/), page.click('#cancel')]);
  check((await page.innerText('#state')).includes("Renouvellement arrêté : l'abonnement prend fin le"), 'cancelled at period end');
  await page.screenshot({ path: `${shots}/portal-cancelled.png`, fullPage: true });
  await Promise.all([page.waitForURL(/done=resume/), page.click('#resume')]);
  check((await page.innerText('#message')).includes('reprend'), 'resumed');
  await page.fill('#card_number', '4000 0000 0000 0341');
  await Promise.all([page.waitForURL(/done=card/), page.click('#update-card')]);
  check((await page.innerText('body')).includes('•••• 0341'), 'new card on file');
  await Promise.all([page.waitForURL(/portal-return/), page.click('#back')]);
  check((await page.innerText('#result')).includes("Vous pouvez revenir à l'application"), 'return page');
  await page.screenshot({ path: `${shots}/portal-return.png`, fullPage: true });
  check(problems.length === 0, `console errors: ${problems.join('; ')}`);
  console.log('portal ok');
} finally {
  await browser.close();
}
