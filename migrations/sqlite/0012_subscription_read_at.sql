-- When the relay had Stripe's answer for the subscription last applied (Unix microseconds, the
-- relay's system clock): two notifications each read the subscription before the writer applies
-- them, and a read older than the stored one must never be applied over it.
ALTER TABLE subscriptions ADD COLUMN subscription_read_at BIGINT;
