// The desktop app's front end (built ui/dist) in headless Chromium, with Tauri's IPC replaced by
// a scripted backend: login refused then accepted, status, renewal waiting (paid, then
// cancelled), offline view and the 7-day warning. Usage: node desktop-ui.mjs <ui/dist folder>
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { launch, watchedPage, check, shots } from './browser.mjs';

const dist = process.argv[2];
const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
const server = createServer(async (req, res) => {
  const path = join(dist, req.url === '/' ? 'index.html' : req.url.split('?')[0]);
  try {
    res.writeHead(200, { 'content-type': types[extname(path)] || 'application/octet-stream' });
    res.end(await readFile(path));
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const base = `http://127.0.0.1:${server.address().port}/`;

// Runs in the page before the app: a fake of the Rust commands, driven by the test.
function fakeBackend() {
  const plans = [{ id: 'mensuel', name: 'Mensuel', price: '49\u00a0€', duration: '30 jours', renewable: true },
    { id: 'annuel', name: 'Annuel', price: '499\u00a0€', duration: '365 jours', renewable: true }];
  const view = { client_id: '39', plan: 'Mensuel', status: 'active', status_label: 'Actif', expires_on: '21 février 2026',
    days_remaining: 12, expiring_soon: false, version: 3, last_sync: Math.floor(Date.now() / 1000) - 120, offline: false, notice: null, plans };
  const s = { loggedIn: false, offline: false, view, wait: null, calls: [] };
  window.__fake = s;
  window.__pay = (changes) => s.wait && s.wait({ outcome: 'changed', status: { ...s.view, ...changes } });
  const fail = (code, message) => Promise.reject({ code, message });
  window.__TAURI_INTERNALS__ = {
    transformCallback: () => 0,
    invoke: (cmd, args) => {
      s.calls.push(cmd);
      switch (cmd) {
        case 'status':
          if (!s.loggedIn) return fail('not_logged_in', "Connectez-vous avec l'adresse du relais et le jeton d'API de votre entreprise.");
          return Promise.resolve(s.offline ? { ...s.view, offline: true, notice: 'Relais injoignable : affichage des dernières données vérifiées.' } : s.view);
        case 'login':
          if (args.token !== 'erpbtp_bon') return fail('token_refused', "Le relais refuse ce jeton d'API : il est erroné ou a été révoqué. Demandez un nouveau jeton à votre administrateur.");
          s.loggedIn = true;
          return Promise.resolve(s.view);
        case 'open_billing_portal':
          s.portalOpened = true;
          return Promise.resolve(null);
        case 'start_renewal':
          s.renewals = [...(s.renewals || []), args.renewal];
          return Promise.resolve({ session_id: 'cs_test_1', checkout_url: 'https://checkout.stripe.com/c/pay/cs_test_1', since_version: s.view.version });
        case 'wait_for_payment':
          return new Promise((resolve) => { s.wait = (r) => { s.wait = null; s.view = r.status; resolve(r); }; });
        case 'cancel_wait':
          if (s.wait) s.wait({ outcome: 'cancelled', status: s.view });
          return Promise.resolve(null);
        case 'list_invoices':
          return Promise.resolve(s.invoices || []);
        case 'open_invoice':
          s.openedInvoice = args.number;
          return Promise.resolve(null);
        case 'save_invoice':
          return Promise.resolve(`/home/admin/Téléchargements/${args.number}.pdf`);
        case 'logout':
          s.loggedIn = false;
          return Promise.resolve(null);
        default:
          return fail('unknown', cmd);
      }
    },
  };
}

const browser = await launch();
try {
  const { page, problems } = await watchedPage(browser, { width: 900, height: 680 });
  await page.addInitScript(fakeBackend);
  await page.goto(base);
  await page.waitForSelector('#login-form');
  await page.screenshot({ path: `${shots}/desktop-login.png` });

  await page.fill('#relay-url', 'https://abonnements.exemple.fr');
  await page.fill('#token', 'erpbtp_faux');
  await page.click('#login');
  await page.waitForSelector('#message');
  check((await page.innerText('#message')).includes('refuse ce jeton'), 'refused token message');

  await page.fill('#relay-url', 'https://abonnements.exemple.fr');
  await page.fill('#token', 'erpbtp_bon');
  await page.click('#login');
  await page.waitForSelector('#status-card');
  check(await page.innerText('#status') === 'Actif', 'status label');
  check(await page.innerText('#expiry') === '21 février 2026', 'expiry in French');
  check(await page.innerText('#days') === '12 jours', 'days remaining');
  check((await page.innerText('#sync')).includes('Dernière synchronisation il y a 2 minutes'), `sync: ${await page.innerText('#sync')}`);
  check(await page.locator('#warning').count() === 0, 'no warning at 12 days');
  await page.screenshot({ path: `${shots}/desktop-status.png` });

  check(await page.isChecked('#renewal-auto'), 'automatic renewal is preselected');
  await page.check('#plan-annuel');
  await page.check('#renewal-once');
  await page.click('#pay');
  await page.waitForSelector('#waiting');
  await page.screenshot({ path: `${shots}/desktop-waiting.png` });
  await page.evaluate(() => window.__pay({ expires_on: '21 février 2027', days_remaining: 377, version: 4 }));
  await page.waitForSelector('#status-card');
  check((await page.innerText('#message')).includes("prolongé jusqu'au 21 février 2027"), 'renewed message');
  check(await page.innerText('#expiry') === '21 février 2027', 'new expiry shown');
  check((await page.evaluate(() => window.__fake.renewals)).join() === 'once', 'the one-off choice reached the command');

  await page.click('#pay');
  await page.waitForSelector('#waiting');
  await page.click('#cancel-wait');
  await page.waitForSelector('#status-card');
  check((await page.innerText('#message')).includes("rien n'a changé"), 'cancelled message');

  await page.evaluate(() => { window.__fake.offline = true; window.__fake.view = { ...window.__fake.view, days_remaining: 5, expiring_soon: true }; });
  await page.click('#refresh');
  await page.waitForSelector('#notice');
  check((await page.innerText('#sync')).includes('hors ligne, données en cache'), 'offline marker');
  check((await page.innerText('#warning')).includes('dans 5 jours'), '7-day warning');
  await page.screenshot({ path: `${shots}/desktop-offline.png` });

  // Automatic renewal: its sentence, no pay button, « Gérer le paiement » opens the portal and
  // coming back to the window refreshes the status.
  await page.evaluate(() => {
    window.__fake.offline = false;
    window.__fake.view = { ...window.__fake.view, days_remaining: 30, expiring_soon: false,
      renewal: { text: 'Renouvellement automatique le 24 mars 2026 — carte •••• 4242', tone: 'ok', live: true } };
  });
  await page.click('#refresh');
  await page.waitForSelector('#portal');
  check((await page.innerText('#renewal')).includes('carte •••• 4242'), 'renewal sentence');
  check(await page.locator('#pay').count() === 0, 'no checkout while the subscription is live');
  await page.screenshot({ path: `${shots}/desktop-renewal.png` });
  await page.click('#portal');
  await page.waitForSelector('#message');
  check(await page.evaluate(() => window.__fake.portalOpened === true), 'portal command called');

  // A chargeback: access suspended, said in French in the status card.
  await page.evaluate(() => {
    window.__fake.view = { ...window.__fake.view, status: 'expired', status_label: 'Expiré', days_remaining: 0,
      money_back: { text: 'Paiement contesté auprès de votre banque : accès suspendu.', tone: 'bad' } };
  });
  await page.click('#refresh');
  await page.waitForSelector('#money-back');
  check((await page.innerText('#money-back')).includes('accès suspendu'), 'the chargeback is said');
  check(await page.locator('#money-back.bad').count() === 1, 'as something to fix');
  await page.screenshot({ path: `${shots}/desktop-disputed.png` });
  await page.evaluate(() => { const { money_back, ...rest } = window.__fake.view; window.__fake.view = { ...rest, status: 'active', status_label: 'Actif', days_remaining: 30 }; });
  const before = await page.evaluate(() => window.__fake.calls.filter((c) => c === 'status').length);
  await page.evaluate(() => window.dispatchEvent(new Event('focus')));
  await page.waitForFunction((n) => window.__fake.calls.filter((c) => c === 'status').length > n, before);

  // « Factures »: none at first, then one per payment and an avoir per refund, opened or saved.
  check((await page.innerText('#no-invoices')).includes('Aucune facture'), 'no facture yet');
  await page.evaluate(() => {
    window.__fake.invoices = [
      { number: 'AV-2026-000001', label: 'Avoir sur la facture FA-2026-000002', opened: "L'avoir AV-2026-000001 s'est ouvert dans le navigateur.", issued_on: '26 février 2026', period: 'du 24 février 2026 au 24 mars 2026', amounts: '10\u00a0€ TTC remboursés (8,33\u00a0€ HT + 1,67\u00a0€ TVA)', transmission: 'Déposée sur la plateforme agréée le 26 février 2026' },
      { number: 'FA-2026-000002', label: 'Facture', opened: "La facture FA-2026-000002 s'est ouverte dans le navigateur.", issued_on: '24 février 2026', period: 'du 24 février 2026 au 24 mars 2026', amounts: '49\u00a0€ TTC (40,83\u00a0€ HT + 8,17\u00a0€ TVA)', transmission: 'Reçue par votre plateforme agréée le 24 février 2026' },
      { number: 'FA-2026-000001', label: 'Facture', opened: "La facture FA-2026-000001 s'est ouverte dans le navigateur.", issued_on: '21 janvier 2026', period: 'du 21 janvier 2026 au 21 février 2026', amounts: '49\u00a0€ TTC (40,83\u00a0€ HT + 8,17\u00a0€ TVA)', transmission: '' },
    ];
  });
  await page.click('#refresh');
  await page.waitForSelector('#invoices');
  check(await page.locator('#invoices tr').count() === 3, 'two factures and an avoir listed');
  check((await page.innerText('#invoices')).includes('Avoir sur la facture FA-2026-000002 · 26 février 2026'), 'the avoir says which facture it corrects');
  check((await page.innerText('#transmission-FA-2026-000002')).includes('Reçue par votre plateforme agréée'), 'where a facture stands with the platforms');
  check(await page.locator('#transmission-FA-2026-000001').count() === 0, 'nothing said of a facture not transmitted');
  await page.locator('#invoices-card').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${shots}/desktop-invoices.png`, fullPage: true });
  await page.click('#open-FA-2026-000001');
  await page.waitForFunction(() => window.__fake.openedInvoice === 'FA-2026-000001');
  check((await page.innerText('#invoice-result')).includes("La facture FA-2026-000001 s'est ouverte"), 'opened, said in French');
  await page.click('#save-FA-2026-000002');
  await page.waitForFunction(() => document.getElementById('invoice-result').innerText.includes('Téléchargements/FA-2026-000002.pdf'));

  await page.click('#logout');
  await page.waitForSelector('#login-form');
  check(problems.length === 0, `console errors: ${problems.join('; ')}`);
  console.log('desktop ui ok');
} finally {
  await browser.close();
  server.close();
}
