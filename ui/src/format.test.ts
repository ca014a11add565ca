import { describe, expect, it } from 'vitest';
import { afterWait, badge, daysText, since, warning } from './format';
import type { StatusView } from './generated/StatusView';

const base: StatusView = {
  client_id: '39', plan: 'Mensuel', status: 'active', status_label: 'Actif', expires_on: '21 février 2026',
  days_remaining: 12, expiring_soon: false, version: 3, last_sync: 1_000, offline: false, notice: null, test_mode: false, renewal: null, money_back: null, plans: [],
};

describe('since', () => {
  it('reads the last sync in French', () => {
    expect(since(null, 5_000)).toBe('jamais');
    expect(since(1_000, 1_030)).toBe("à l'instant");
    expect(since(1_000, 1_060)).toBe('il y a 1 minute');
    expect(since(1_000, 1_000 + 5 * 60)).toBe('il y a 5 minutes');
    expect(since(1_000, 1_000 + 2 * 3600)).toBe('il y a 2 heures');
    expect(since(1_000, 1_000 + 3 * 86400)).toBe('il y a 3 jours');
    expect(since(1_000, 900)).toBe("à l'instant");
  });
});

describe('status display', () => {
  it('colours the badge by status', () => {
    expect(badge('active')).toBe('ok');
    expect(badge('pending')).toBe('warn');
    expect(badge('expired')).toBe('bad');
    expect(badge('none')).toBe('bad');
  });

  it('counts days only while active', () => {
    expect(daysText(base)).toBe('12 jours');
    expect(daysText({ ...base, days_remaining: 1 })).toBe('1 jour');
    expect(daysText({ ...base, status: 'expired' })).toBe('—');
  });

  it('warns from seven days before expiry and once expired', () => {
    expect(warning(base)).toBeNull();
    expect(warning({ ...base, expiring_soon: true, days_remaining: 5 })).toContain('dans 5 jours');
    expect(warning({ ...base, expiring_soon: true, days_remaining: 1 })).toContain('demain');
    expect(warning({ ...base, status: 'expired' })).toContain('a expiré');
  });
});

describe('afterWait', () => {
  it('reports a renewal with the new expiry', () => {
    const next = afterWait(base, { outcome: 'changed', status: { ...base, expires_on: '23 mars 2026', version: 4 } });
    expect(next).toEqual({ message: "Paiement reçu : abonnement prolongé jusqu'au 23 mars 2026.", tone: 'ok', keepWaiting: false });
  });

  it('keeps waiting while a SEPA debit is pending', () => {
    const next = afterWait(base, { outcome: 'changed', status: { ...base, status: 'pending' } });
    expect(next.keepWaiting).toBe(true);
    expect(next.message).toContain('SEPA');
  });

  it('says nothing changed on cancel, timeout or a failed payment', () => {
    expect(afterWait(base, { outcome: 'cancelled', status: base }).message).toContain("rien n'a changé");
    expect(afterWait(base, { outcome: 'timeout', status: base }).message).toContain('Aucun paiement reçu');
    const failed = afterWait(base, { outcome: 'changed', status: { ...base, status: 'none', expires_on: null } });
    expect(failed.tone).toBe('bad');
    expect(failed.message).toContain("n'a pas abouti");
  });
});

describe('automatic renewal', () => {
  it('says the renewal is on once the subscription is live', () => {
    const after: StatusView = { ...base, version: 4, expires_on: '26 mars 2026',
      renewal: { text: 'Renouvellement automatique le 24 mars 2026 — carte •••• 4242', tone: 'ok', live: true } };
    const next = afterWait(base, { outcome: 'changed', status: after });
    expect(next.message).toBe('Paiement reçu : renouvellement automatique activé. Renouvellement automatique le 24 mars 2026 — carte •••• 4242.');
    expect(next.tone).toBe('ok');
  });
});
