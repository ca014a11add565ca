-- The PaymentIntent that paid a one-off session (`pi_…`), stored when the payment is claimed:
-- refunds and disputes name the payment by it.
ALTER TABLE checkout_sessions ADD COLUMN payment_intent TEXT;
