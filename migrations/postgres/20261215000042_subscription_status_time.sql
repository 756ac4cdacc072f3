-- When Stripe set the status a subscription has (its event's `created`): Stripe sends events
-- in no set order, and one older than the status changes nothing.
ALTER TABLE subscriptions ADD COLUMN stripe_status_at BIGINT;
