// Pure formatting and decisions of the UI, unit-tested with Vitest.
import type { StatusView } from './generated/StatusView';
import type { SubscriptionState } from './generated/SubscriptionState';
import type { Tone } from './generated/Tone';
import type { WaitOutcome } from './generated/WaitOutcome';

/** « à l'instant », « il y a 5 minutes », « il y a 2 heures », « il y a 3 jours ». */
export function since(lastSync: number | null, nowSeconds: number): string {
  if (lastSync === null) return 'jamais';
  const s = Math.max(0, nowSeconds - lastSync);
  if (s < 60) return "à l'instant";
  const plural = (n: number, word: string) => `il y a ${n} ${word}${n > 1 ? 's' : ''}`;
  if (s < 3600) return plural(Math.floor(s / 60), 'minute');
  if (s < 86400) return plural(Math.floor(s / 3600), 'heure');
  return plural(Math.floor(s / 86400), 'jour');
}

/** CSS class of the status badge: green, amber or red. */
export function badge(status: SubscriptionState): Tone {
  if (status === 'active') return 'ok';
  if (status === 'pending') return 'warn';
  return 'bad';
}

export function daysText(view: StatusView): string {
  if (view.status !== 'active') return '—';
  return `${view.days_remaining} jour${view.days_remaining > 1 ? 's' : ''}`;
}

export function warning(view: StatusView): string | null {
  if (view.status === 'expired') return 'Votre abonnement a expiré : renouvelez-le pour continuer à utiliser l\'ERP.';
  if (view.expiring_soon) {
    return view.days_remaining <= 1
      ? 'Votre abonnement expire demain : pensez à le renouveler.'
      : `Votre abonnement expire dans ${view.days_remaining} jours : pensez à le renouveler.`;
  }
  return null;
}

export type WaitNext = { message: string; tone: Tone; keepWaiting: boolean };

/** What to tell the user when a wait for payment ends, given the status before it began. */
export function afterWait(before: StatusView, result: WaitOutcome): WaitNext {
  const after = result.status;
  if (result.outcome === 'cancelled') {
    return { message: "Attente annulée : rien n'a changé. Si vous avez payé, la nouvelle échéance s'affichera à la prochaine synchronisation.", tone: 'warn', keepWaiting: false };
  }
  if (result.outcome === 'timeout') {
    return { message: "Aucun paiement reçu pour l'instant. Si vous avez payé, cliquez sur « Actualiser » dans quelques minutes.", tone: 'warn', keepWaiting: false };
  }
  if (after.status === 'pending') {
    return { message: 'Prélèvement SEPA enregistré : les fonds arrivent sous quelques jours, l\'abonnement sera prolongé automatiquement.', tone: 'warn', keepWaiting: true };
  }
  if (after.renewal?.live && !before.renewal?.live) {
    return { message: `Paiement reçu : renouvellement automatique activé. ${after.renewal.text}.`, tone: 'ok', keepWaiting: false };
  }
  if (after.status === 'active' && after.expires_on !== before.expires_on) {
    return { message: `Paiement reçu : abonnement prolongé jusqu'au ${after.expires_on}.`, tone: 'ok', keepWaiting: false };
  }
  return { message: "Le paiement n'a pas abouti : aucun montant n'a été débité. Vous pouvez réessayer.", tone: 'bad', keepWaiting: false };
}
