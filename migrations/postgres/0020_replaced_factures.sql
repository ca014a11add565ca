-- A facture rejected by an approved platform (status 213) counts as never issued; its number
-- stays in the series (never deleted, never reused) and a new facture, numbered after the
-- year's last, bills the same payment once the cause is corrected. The replacement names the
-- facture it replaces; the rejected one's `source` is prefixed `rejected:`, so that the payment
-- has one facture (access, refunds and avoirs follow the replacement).
ALTER TABLE factures ADD COLUMN replaces BIGINT;
