-- The buyer's electronic address (BT-49, scheme 0225) as the approved platform's Directory gives
-- it: the SIREN, or the SIREN with a suffix when the company's directory line says so. Resolved
-- in the background when a SIREN is set (never inside a webhook), with the date it was read;
-- NULL until then, and the SIREN alone stands for it. A facture keeps the address it was issued
-- with.
ALTER TABLE clients ADD COLUMN addressing_id TEXT;
ALTER TABLE clients ADD COLUMN addressing_checked_at BIGINT;
ALTER TABLE factures ADD COLUMN buyer_address TEXT;
