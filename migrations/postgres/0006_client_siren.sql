-- The company's SIREN (9 digits, Luhn-checked by `relay clients add|set --siren`), for its factures.
ALTER TABLE clients ADD COLUMN siren TEXT;
