// Typed calls to the Rust commands (src-tauri/src/commands). Types come from generated/.
import { invoke } from '@tauri-apps/api/core';
import type { CompanyView } from './generated/CompanyView';
import type { ErrorBody } from './generated/ErrorBody';
import type { InvoiceView } from './generated/InvoiceView';
import type { RenewalChoice } from './generated/RenewalChoice';
import type { RenewalStarted } from './generated/RenewalStarted';
import type { StatusView } from './generated/StatusView';
import type { WaitOutcome } from './generated/WaitOutcome';

export const api = {
  login: (relayUrl: string, token: string) => invoke<StatusView>('login', { relayUrl, token }),
  logout: () => invoke<void>('logout'),
  status: () => invoke<StatusView>('status'),
  startRenewal: (plan: string, renewal: RenewalChoice) => invoke<RenewalStarted>('start_renewal', { plan, renewal }),
  waitForPayment: (sinceVersion: number) => invoke<WaitOutcome>('wait_for_payment', { sinceVersion }),
  cancelWait: () => invoke<void>('cancel_wait'),
  openWebRenewal: () => invoke<void>('open_web_renewal'),
  openBillingPortal: () => invoke<void>('open_billing_portal'),
  listInvoices: () => invoke<InvoiceView[]>('list_invoices'),
  openInvoice: (number: string) => invoke<void>('open_invoice', { number }),
  saveInvoice: (number: string) => invoke<string>('save_invoice', { number }),
  company: () => invoke<CompanyView>('company'),
  setSiren: (siren: string) => invoke<CompanyView>('set_siren', { siren }),
};

/** The French sentence of an error from a command (or of anything unexpected). */
export function errorOf(e: unknown): ErrorBody {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) return e as ErrorBody;
  return { code: 'unknown', message: `Erreur inattendue : ${String(e)}` };
}
