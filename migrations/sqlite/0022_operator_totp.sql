-- The console's optional second factor: an operator's TOTP secret, sealed under a key derived from
-- the relay's signing key (relay/src/sealed.rs), and the step of the last code used, so that a
-- code is never taken twice.
ALTER TABLE operators ADD COLUMN totp_sealed TEXT;
ALTER TABLE operators ADD COLUMN totp_last_step BIGINT;
