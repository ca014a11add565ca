// The operator console in headless Chromium: a wrong password is refused in French, the right one
// opens the companies list, a search and a state filter narrow it, a company's page shows its
// facture and events, the journal and the health page answer, a new company's token is shown
// once and copied, its revocation is confirmed, a renewal link is made, a facture is refunded and
// its avoir and history line appear, the accountant's export is offered, a rejected event is
// replayed once its cause is fixed, the audit trail shows it all, logging out closes the pages
// (to a company's API token too); a revoked token is refused by the desktop API and a POST
// without its CSRF token is refused; a `lecture` operator cannot refund, and five wrong passwords
// limit the account; no console error but the refusals the test asks for (the pages keep the
// relay's CSP: no inline script or style).
// Screenshots of each page.
// Usage: node console.mjs <relay base URL> <e-mail> <password> <lecture e-mail> <lecture password>
//        <company 39's API token>
import { launch, watchedPage, check, shots } from './browser.mjs';

const [base, email, password, readerEmail, readerPassword, apiToken] = process.argv.slice(2);

/// The status of a request made from the page (same origin: the CSP allows it).
async function statusOf(page, path, init = {}) {
  return page.evaluate(async ([p, i]) => (await fetch(p, i)).status, [path, init]);
}

/// Takes out of `problems` the refusals the test provoked on purpose: loads that failed with one
/// of `codes`, and the requests to `paths` that Chromium reports aborted for a 4xx answer.
function expected(problems, codes, paths = []) {
  const rest = problems.filter((p) => !codes.some((c) => p.includes(`status of ${c}`))
    && !paths.some((path) => p.startsWith(`request failed: ${base}${path} (net::ERR_ABORTED)`)));
  problems.length = 0;
  problems.push(...rest);
}
const browser = await launch();
try {
  const { page, problems } = await watchedPage(browser);
  await page.goto(`${base}/admin`);
  check(page.url() === `${base}/admin/login`, `signed out, /admin leads to the login form (${page.url()})`);
  await page.screenshot({ path: `${shots}/console-login.png`, fullPage: true });

  await page.fill('#email', email);
  await page.fill('#password', 'pas-le-bon-mot-de-passe');
  await page.click('#login');
  const refused = await page.locator('#login-error').innerText();
  check(refused.includes('Adresse e-mail, mot de passe ou code incorrect'), `refusal: ${refused}`);
  check(await page.inputValue('#email') === email, 'the e-mail is kept after a refusal');
  await page.screenshot({ path: `${shots}/console-login-refused.png`, fullPage: true });
  // Chromium reports the refusal's 403 as a failed load: that one is expected.
  check(problems.length === 1 && problems[0].includes('403'), `after the refusal: ${problems.join('; ')}`);
  problems.length = 0;

  await page.fill('#password', password);
  await page.click('#login');
  await page.waitForURL(`${base}/admin`);
  const list = await page.locator('#companies').innerText();
  check(list.includes('Maçonnerie Dupont') && list.includes('actif'), `companies: ${list}`);
  check(list.includes('Charpentes Martin') && list.includes('jamais payé'), `companies: ${list}`);
  const who = await page.locator('#operator').innerText();
  check(who.includes(email), `operator shown: ${who}`);
  const css = await page.locator('.tag').first().evaluate((el) => getComputedStyle(el).borderRadius);
  check(css !== '0px', `the console's stylesheet is applied (tag radius ${css})`);
  await page.screenshot({ path: `${shots}/console-companies.png`, fullPage: true });

  await page.fill('#q', 'martin');
  await page.click('form.search button');
  const found = await page.locator('#companies').innerText();
  check(found.includes('Charpentes Martin') && !found.includes('Maçonnerie'), `search: ${found}`);
  await page.goto(`${base}/admin`);
  await page.click('#filter-actif');
  const active = await page.locator('#companies').innerText();
  check(active.includes('Maçonnerie Dupont') && !active.includes('Charpentes'), `filter: ${active}`);
  await page.screenshot({ path: `${shots}/console-filtered.png`, fullPage: true });

  await page.click('a[href="/admin/companies/39"]');
  const facts = await page.locator('#facts').innerText();
  check(facts.includes('552100554'), `company facts: ${facts}`);
  const factures = await page.locator('#factures').innerText();
  check(/FA-\d{4}-000001/.test(factures) && factures.includes('49,00'), `factures: ${factures}`);
  const history = await page.locator('#history').innerText();
  check(history.includes('Paiement ponctuel') && history.includes('payé jusqu'), `history: ${history}`);
  await page.screenshot({ path: `${shots}/console-company.png`, fullPage: true });

  const events = await page.locator('#company-events').innerText();
  check(events.includes('checkout.session.completed') && events.includes('appliqué'), `company events: ${events}`);
  await page.click('a[href="/admin/events"]');
  await page.selectOption('#resultat', 'applique');
  await page.click('form.search button');
  const journal = await page.locator('#events').innerText();
  check(journal.includes('checkout.session.completed') && journal.includes('fulfilled'), `journal: ${journal}`);
  await page.screenshot({ path: `${shots}/console-events.png`, fullPage: true });
  await page.locator('#events a.id').first().click();
  const body = await page.locator('#body').innerText();
  check(body.includes('"object": "event"'), `raw body: ${body.slice(0, 200)}`);
  await page.screenshot({ path: `${shots}/console-event.png` });

  await page.click('a[href="/admin/health"]');
  const webhooks = await page.locator('#webhooks').innerText();
  check(webhooks.includes('Dernier événement reçu') && !webhooks.includes('Aucun événement Stripe'), `health: ${webhooks}`);
  check(await page.locator('svg#per-minute rect').count() >= 1, 'the events-per-minute chart is drawn');
  await page.screenshot({ path: `${shots}/console-health.png`, fullPage: true });

  // A new company: its token shown once, copied with the button; then revoked after a confirmation.
  await page.click('a[href="/admin"]');
  await page.click('#new-company');
  await page.fill('#id', '41');
  await page.fill('#name', 'Plomberie Durand');
  await page.fill('#siren', '732 829 320');
  await page.click('#add');
  const token = await page.inputValue('#token');
  check(token.startsWith('erpbtp_'), `token shown: ${token}`);
  await page.click('#copy');
  await page.waitForFunction(() => document.querySelector('#copy').textContent !== 'Copier', null, { timeout: 5000 });
  const copied = await page.locator('#copy').innerText();
  check(copied === 'Copié' || copied.startsWith('Sélectionné'), `the copy button answers: ${copied}`);
  await page.screenshot({ path: `${shots}/console-token.png`, fullPage: true });
  await page.goto(`${base}/admin/companies/41`);
  check(!(await page.content()).includes(token), 'the token is never shown again');
  await page.click('#ask-revoke');
  await page.screenshot({ path: `${shots}/console-revoke.png`, fullPage: true });
  const bearer = { headers: { Authorization: `Bearer ${token}` } };
  check(await statusOf(page, '/api/subscription', bearer) === 200, 'the new token opens the desktop API');
  // A POST without the session's CSRF token is refused and revokes nothing.
  const forged = await statusOf(page, '/admin/companies/41/revoke', {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: '',
  });
  check(forged === 403, `a CSRF-less POST: ${forged}`);
  check(await statusOf(page, '/api/subscription', bearer) === 200, 'the CSRF-less POST revoked nothing');
  await page.click('#revoke');
  await page.waitForURL(`${base}/admin/companies/41`);
  const revoked = await page.locator('#facts').innerText();
  check(revoked.includes('jeton révoqué'), `revoked: ${revoked}`);
  check(await statusOf(page, '/api/subscription', bearer) === 401, 'the desktop API refuses the revoked token');
  expected(problems, [401, 403], ['/admin/companies/41/revoke', '/api/subscription']);
  await page.screenshot({ path: `${shots}/console-company-revoked.png`, fullPage: true });

  // A renewal link to send to the company, shown once.
  await page.goto(`${base}/admin/companies/39`);
  await page.click('#renew-link');
  const link = await page.inputValue('#link');
  check(link.includes('/renew-subscription?link=39.'), `renewal link: ${link}`);
  await page.screenshot({ path: `${shots}/console-renew-link.png`, fullPage: true });

  // Refund the facture: a confirmation page, then Stripe's answer; the avoir follows its events.
  await page.goto(`${base}/admin/companies/39`);
  await page.click('a.refund');
  const left = await page.locator('#left').innerText();
  check(left.includes('49,00'), `left to refund: ${left}`);
  await page.fill('#reason', 'geste commercial');
  await page.screenshot({ path: `${shots}/console-refund.png`, fullPage: true });
  await page.click('#refund');
  const said = await page.locator('#refund-said').innerText();
  check(said.includes('Stripe a accepté le remboursement'), `refund: ${said}`);
  let avoir = false;
  for (let i = 0; i < 50 && !avoir; i++) {
    await page.goto(`${base}/admin/companies/39`);
    avoir = /AV-\d{4}-000001/.test(await page.locator('#factures').innerText());
    if (!avoir) await page.waitForTimeout(200);
  }
  check(avoir, 'the avoir is listed once Stripe confirmed the refund');
  const state = await page.locator('#state').innerText();
  check(state !== 'actif', `access taken back: ${state}`);
  const refundLine = await page.locator('#history tbody tr').first().innerText();
  check(refundLine.includes('Remboursement'), `the refund in the history: ${refundLine}`);
  await page.screenshot({ path: `${shots}/console-company-refunded.png`, fullPage: true });

  await page.click('a[href="/admin/money"]');
  const months = await page.locator('#months').innerText();
  check(months.includes('49,00') && months.includes('0,00'), `revenue: ${months}`);
  check(await page.locator('svg.chart rect').count() >= 1, 'the revenue chart is drawn');
  check(await page.inputValue('#periode') !== '', 'the export form offers the month in progress');
  await page.screenshot({ path: `${shots}/console-money.png`, fullPage: true });

  // The payment a wrong plans file rejected, replayed once the file is restored.
  await page.goto(`${base}/admin/events?resultat=refuse`);
  const rejected = await page.locator('#events').innerText();
  check(rejected.includes('unknown plan annuel'), `rejected events: ${rejected}`);
  await page.click('a[href="/admin/events/evt_replay"]');
  await page.screenshot({ path: `${shots}/console-replay.png`, fullPage: true });
  // The replay answers with a redirect to the page already open: wait for that load.
  await Promise.all([page.waitForNavigation(), page.click('#replay-run')]);
  check((await page.content()).includes('<code>fulfilled</code>'), 'the replayed event is applied');
  await page.goto(`${base}/admin/companies/39`);
  const after = await page.locator('#state').innerText();
  check(after === 'actif', `the replayed year gives access back: ${after}`);

  await page.click('a[href="/admin/audit"]');
  const audit = await page.locator('#audit').innerText();
  check(audit.includes('connexion refusée') && audit.includes('lien de renouvellement créé') && audit.includes('rejoué'), `audit: ${audit}`);
  await page.screenshot({ path: `${shots}/console-audit.png`, fullPage: true });

  await page.click('#logout');
  await page.waitForURL(`${base}/admin/login`);
  await page.goto(`${base}/admin/audit`);
  check(page.url() === `${base}/admin/login`, `after logout the pages are closed (${page.url()})`);
  const withToken = await page.evaluate(
    async (t) => (await fetch('/admin/audit', { headers: { Authorization: `Bearer ${t}` } })).url, apiToken);
  check(withToken.endsWith('/admin/login'), `a company's API token opens nothing: ${withToken}`);

  // A `lecture` operator sees, and is refused when acting. (The fetch above set a new login
  // cookie, as a second tab would: the form is loaded again to carry it.)
  await page.goto(`${base}/admin/login`);
  await page.fill('#email', readerEmail);
  await page.fill('#password', readerPassword);
  await page.click('#login');
  await page.waitForURL(`${base}/admin`);
  await page.goto(`${base}/admin/companies/39`);
  check(await page.locator('a.refund').count() === 0 && await page.locator('#renew-link').count() === 0,
    'a reader is offered no refund and no action');
  const facture = (await page.locator('#factures').innerText()).match(/FA-\d{4}-\d{6}/)[0];
  const asked = await page.goto(`${base}/admin/factures/${facture}/refund`);
  check(asked.status() === 403, `a reader asking to refund: ${asked.status()}`);
  check((await page.locator('main').innerText()).includes("permet de consulter, pas d'agir"), 'the refusal says why');
  await page.screenshot({ path: `${shots}/console-reader-refused.png`, fullPage: true });
  await page.goto(`${base}/admin`);
  await page.click('#logout');
  await page.waitForURL(`${base}/admin/login`);

  // Five wrong passwords, then even the right one is refused for a quarter of an hour.
  for (let i = 0; i < 5; i++) {
    await page.fill('#email', readerEmail);
    await page.fill('#password', 'pas-le-bon-mot-de-passe');
    await page.click('#login');
    await page.locator('#login-error').waitFor();
  }
  await page.fill('#email', readerEmail);
  await page.fill('#password', readerPassword);
  await page.click('#login');
  const limited = await page.locator('#login-error').innerText();
  check(limited.includes('Trop de tentatives'), `limited: ${limited}`);
  await page.screenshot({ path: `${shots}/console-login-limited.png`, fullPage: true });
  expected(problems, [403, 429], ['/admin/login']);
  check(problems.length === 0, `console errors: ${problems.join('; ')}`);
  console.log('console ok');
} finally {
  await browser.close();
}
