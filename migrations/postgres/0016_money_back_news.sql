-- What the company is told about money that went back (core::money_news): the latest refund or
-- dispute of its payments, stored by the writer with the access it folds, read with the status.
ALTER TABLE subscriptions ADD COLUMN money_back_kind TEXT;
ALTER TABLE subscriptions ADD COLUMN money_back_amount BIGINT;
ALTER TABLE subscriptions ADD COLUMN money_back_at BIGINT;
