// The window: login form, subscription status, renewal with a wait on the relay. All text French.
import './style.css';
import { api, errorOf } from './api';
import { afterWait, badge, daysText, since, warning } from './format';
import type { RenewalChoice } from './generated/RenewalChoice';
import type { StatusView } from './generated/StatusView';
import type { Tone } from './generated/Tone';

const app = document.getElementById('app')!;
let current: StatusView | null = null;

function h(tag: string, attrs: Record<string, string> = {}, ...children: (Node | string | null)[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) if (c !== null) el.append(c);
  return el;
}

function alert(text: string, tone: Tone, id = 'message'): HTMLElement {
  return h('div', { class: `alert ${tone}`, id, role: 'alert' }, text);
}

function showLogin(message: string | null = null) {
  current = null;
  const url = h('input', { id: 'relay-url', type: 'url', required: '', placeholder: 'https://abonnements.mon-entreprise.fr' }) as HTMLInputElement;
  const token = h('input', { id: 'token', type: 'password', required: '', autocomplete: 'off', placeholder: 'erpbtp_…' }) as HTMLInputElement;
  const button = h('button', { type: 'submit', id: 'login' }, 'Se connecter') as HTMLButtonElement;
  const form = h('form', { class: 'card', id: 'login-form' },
    h('h1', {}, 'Connexion'),
    h('p', { class: 'muted' }, "Saisissez l'adresse du relais et le jeton d'API de votre entreprise. Le jeton est gardé dans le trousseau sécurisé de l'ordinateur."),
    message ? alert(message, 'bad') : null,
    h('label', { for: 'relay-url' }, 'Adresse du relais'), url,
    h('label', { for: 'token' }, "Jeton d'API"), token,
    button);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    button.textContent = 'Vérification…';
    try {
      showStatus(await api.login(url.value, token.value));
    } catch (e) {
      showLogin(errorOf(e).message);
    }
  });
  app.replaceChildren(form);
}

function fact(label: string, value: string, id: string): HTMLElement[] {
  return [h('dt', {}, label), h('dd', { id }, value)];
}

function showStatus(view: StatusView, note: HTMLElement | null = null) {
  current = view;
  const now = Math.floor(Date.now() / 1000);
  const syncText = `Dernière synchronisation ${since(view.last_sync, now)}${view.offline ? ' — hors ligne, données en cache' : ''}`;
  const warn = warning(view);
  const status = h('section', { class: 'card', id: 'status-card' },
    h('h1', {}, 'Votre abonnement', view.test_mode ? h('span', { class: 'test-mode', id: 'test-mode', title: 'Le relais utilise Stripe en mode test : aucun paiement réel.' }, 'Mode test') : null),
    h('dl', { class: 'facts' },
      ...fact('Formule', view.plan ?? 'Aucune', 'plan'),
      h('dt', {}, 'Statut'), h('dd', {}, h('span', { class: `badge ${badge(view.status)}`, id: 'status' }, view.status_label)),
      ...fact('Échéance', view.expires_on ?? '—', 'expiry'),
      ...fact('Jours restants', daysText(view), 'days'),
      ...fact('SIREN', view.offline ? '—' : '…', 'siren')),
    view.renewal ? alert(view.renewal.text, view.renewal.tone, 'renewal') : null,
    view.money_back ? alert(view.money_back.text, view.money_back.tone, 'money-back') : null,
    warn ? alert(warn, view.status === 'expired' ? 'bad' : 'warn', 'warning') : null,
    view.notice ? alert(view.notice, 'warn', 'notice') : null,
    h('p', { class: `muted${view.offline ? ' offline' : ''}`, id: 'sync' }, syncText),
    h('div', { class: 'row' }, button('Actualiser', 'refresh', 'secondary', refresh), button('Se déconnecter', 'logout', 'secondary', logout)));
  const factures = h('section', { class: 'card', id: 'invoices-card' }, h('h2', {}, 'Factures'), h('p', { class: 'muted' }, 'Chargement…'));
  const renew = renewCard(view);
  app.replaceChildren(status, renew, factures, ...(note ? [note] : []));
  if (!view.offline) {
    fillCompany(renew);
    fillInvoices(factures);
  }
  else factures.replaceChildren(h('h2', {}, 'Factures'), h('p', { class: 'muted', id: 'invoices-offline' }, 'Les factures se consultent quand le relais est joignable.'));
}

/** The company's SIREN; while none is on file, asked for in place of the renewal card (the
 * relay opens no payment before: every facture names the company by it). */
async function fillCompany(renew: HTMLElement) {
  const shown = document.getElementById('siren');
  try {
    const company = await api.company();
    if (shown) shown.textContent = company.siren ?? 'À renseigner';
    if (company.siren === null) renew.replaceWith(sirenCard());
  } catch {
    if (shown) shown.textContent = '—';
  }
}

function sirenCard(message: HTMLElement | null = null, typed = ''): HTMLElement {
  const input = h('input', { id: 'siren-input', inputmode: 'numeric', autocomplete: 'off', required: '', maxlength: '20', placeholder: '552 100 554' }) as HTMLInputElement;
  input.value = typed;
  const form = h('form', { class: 'card', id: 'siren-card' },
    h('h2', {}, 'SIREN de votre entreprise'),
    h('p', { class: 'muted' }, "Chaque facture électronique doit nommer votre entreprise par son SIREN, le numéro à 9 chiffres de l'extrait Kbis. Renseignez-le une fois pour pouvoir payer ; pour le corriger ensuite, contactez l'éditeur de votre logiciel."),
    message,
    h('label', { for: 'siren-input' }, 'SIREN'), input,
    h('div', { class: 'row' }, h('button', { type: 'submit', id: 'save-siren', class: 'primary' }, 'Enregistrer le SIREN')),
    h('p', { class: 'muted' }, "Entreprise sans SIREN français : l'abonnement n'est pas encore ouvert aux entreprises établies hors de France."));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api.setSiren(input.value);
      await refresh();
    } catch (e) {
      form.replaceWith(sirenCard(alert(errorOf(e).message, 'bad', 'siren-error'), input.value));
    }
  });
  return form;
}

/** The factures the relay issued: one row each, opened in the browser or saved as PDF. */
async function fillInvoices(card: HTMLElement) {
  const title = h('h2', {}, 'Factures');
  try {
    const list = await api.listInvoices();
    if (list.length === 0) {
      card.replaceChildren(title, h('p', { class: 'muted', id: 'no-invoices' }, 'Aucune facture pour le moment : chaque paiement en produit une, au format Factur-X.'));
      return;
    }
    const result = h('p', { class: 'muted', id: 'invoice-result' });
    const rows = list.map((f) => h('tr', {},
      h('td', {}, h('b', {}, f.number), h('br'), h('span', { class: 'muted' }, `${f.label} · ${f.issued_on}`)),
      h('td', {}, f.period, h('br'), h('span', { class: 'muted' }, f.amounts),
        ...(f.transmission ? [h('br'), h('span', { class: 'muted', id: `transmission-${f.number}` }, f.transmission)] : [])),
      h('td', { class: 'actions' },
        button('Ouvrir', `open-${f.number}`, 'secondary small', async () => {
          try { await api.openInvoice(f.number); result.textContent = f.opened; } catch (e) { result.textContent = errorOf(e).message; }
        }),
        button('Enregistrer', `save-${f.number}`, 'secondary small', async () => {
          try { result.textContent = `Fichier enregistré : ${await api.saveInvoice(f.number)}`; } catch (e) { result.textContent = errorOf(e).message; }
        }))));
    card.replaceChildren(title,
      h('p', { class: 'muted' }, 'Factures électroniques Factur-X (PDF lisible par votre logiciel comptable), une par paiement ; un avoir pour chaque remboursement.'),
      h('table', { class: 'invoices', id: 'invoices' }, h('tbody', {}, ...rows)), result);
  } catch (e) {
    card.replaceChildren(title, alert(errorOf(e).message, 'bad', 'invoices-error'));
  }
}

function button(text: string, id: string, cls: string, onClick: () => void): HTMLElement {
  const b = h('button', { type: 'button', id, class: cls }, text);
  b.addEventListener('click', onClick);
  return b;
}

function autoNote(tone: Tone): string {
  if (tone === 'bad') return "Stripe réessaiera le prélèvement dans les prochains jours. Remplacez la carte avec « Gérer le paiement » pour garder l'accès sans interruption.";
  if (tone === 'warn') return "Le renouvellement est arrêté : l'accès continue jusqu'à l'échéance. Vous pouvez le reprendre avec « Gérer le paiement », ou vous réabonner ensuite.";
  return "Stripe débite la carte enregistrée à chaque échéance : vous n'avez rien à faire. Pour changer de carte ou arrêter le renouvellement : « Gérer le paiement ».";
}

function renewCard(view: StatusView): HTMLElement {
  if (view.renewal?.live) {
    return h('section', { class: 'card', id: 'renew-card' },
      h('h2', {}, 'Renouvellement'),
      h('p', { class: 'muted', id: 'auto-note' }, autoNote(view.renewal.tone)),
      h('div', { class: 'row' }, button('Gérer le paiement', 'portal', view.renewal.tone === 'bad' ? 'primary' : 'secondary', async () => {
        try {
          await api.openBillingPortal();
          showStatus(view, alert("Le portail de paiement Stripe s'est ouvert dans le navigateur. Revenez ici ensuite : l'abonnement s'actualisera.", 'ok'));
        } catch (e) { showStatus(view, alert(errorOf(e).message, 'bad')); }
      })));
  }
  const renewable = view.plans.some((p) => p.renewable);
  const modes = renewable ? h('div', { class: 'modes', id: 'renewal-modes' },
    h('label', { class: 'plan' }, h('input', { type: 'radio', name: 'renewal', value: 'auto', id: 'renewal-auto', checked: '' }),
      h('span', {}, h('b', {}, 'Renouvellement automatique (recommandé)'), ' — la carte est débitée à chaque échéance, sans coupure.')),
    h('label', { class: 'plan' }, h('input', { type: 'radio', name: 'renewal', value: 'once', id: 'renewal-once' }),
      h('span', {}, h('b', {}, 'Paiement unique'), ' — à renouveler vous-même avant l\'échéance.'))) : null;
  const choices = view.plans.map((p, i) => h('label', { class: 'plan' },
    h('input', { type: 'radio', name: 'plan', value: p.id, id: `plan-${p.id}`, ...(i === 0 ? { checked: '' } : {}) }),
    h('span', {}, h('b', {}, p.name), ` — ${p.price} pour ${p.duration}`)));
  const card = h('section', { class: 'card', id: 'renew-card' },
    h('h2', {}, 'Renouveler'),
    h('p', { class: 'muted' }, "Le paiement se fait sur la page sécurisée de Stripe, dans votre navigateur. Un renouvellement anticipé s'ajoute à l'échéance actuelle."),
    ...choices,
    modes,
    h('div', { class: 'row' },
      button('Payer avec Stripe', 'pay', 'primary', () => {
        const chosen = (card.querySelector('input[name=plan]:checked') as HTMLInputElement | null)?.value;
        const mode: RenewalChoice = (card.querySelector('input[name=renewal]:checked') as HTMLInputElement | null)?.value === 'auto' ? 'auto' : 'once';
        if (chosen) renew(chosen, mode);
      }),
      button('Renouveler sur le web', 'web', 'secondary', async () => {
        try { await api.openWebRenewal(); } catch (e) { showStatus(view, alert(errorOf(e).message, 'bad')); }
      })));
  return card;
}

async function renew(plan: string, mode: RenewalChoice) {
  const before = current!;
  try {
    const started = await api.startRenewal(plan, mode);
    await waitFor(before, started.since_version);
  } catch (e) {
    showStatus(before, alert(errorOf(e).message, 'bad'));
  }
}

async function waitFor(before: StatusView, sinceVersion: number) {
  const panel = h('section', { class: 'card waiting', id: 'waiting' },
    h('h2', {}, 'Paiement en attente…'),
    h('p', {}, "Terminez le paiement dans la fenêtre du navigateur. L'échéance se mettra à jour ici dès que Stripe aura confirmé le paiement."),
    button("Annuler l'attente", 'cancel-wait', 'secondary', () => api.cancelWait()));
  app.replaceChildren(panel);
  const result = await api.waitForPayment(sinceVersion);
  const next = afterWait(before, result);
  showStatus(result.status, alert(next.message, next.tone));
  if (next.keepWaiting) await waitFor(before, result.status.version);
}

async function refresh() {
  try {
    showStatus(await api.status());
  } catch (e) {
    const err = errorOf(e);
    if (err.code === 'not_logged_in' || err.code === 'token_refused') showLogin(err.code === 'token_refused' ? err.message : null);
    else if (current) showStatus(current, alert(err.message, 'bad'));
    else app.replaceChildren(h('section', { class: 'card' }, alert(err.message, 'bad', 'error'), button('Réessayer', 'retry', 'primary', refresh), button('Se déconnecter', 'logout', 'secondary', logout)));
  }
}

async function logout() {
  try { await api.logout(); } finally { showLogin(); }
}

// An app left open on the site laptop refreshes every half hour: the relay's news, and the
// system notifications of an expiry or a failed renewal, reach the admin without a click.
setInterval(() => {
  if (current && !document.getElementById('waiting')) refresh();
}, 30 * 60 * 1000);

// Back from the browser (Checkout, the portal): show what changed meanwhile.
window.addEventListener('focus', () => {
  if (current && !document.getElementById('waiting')) refresh();
});

refresh();
