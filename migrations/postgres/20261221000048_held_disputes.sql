-- A dispute about a payment not known here yet: Stripe sends events in no set order, and after
-- an outage a dispute can arrive while the payment's checkout completion is still being
-- retried. The dispute carries no metadata naming our record, so it is held here by its
-- payment and applied when the completion records that payment.
CREATE TABLE stripe_held_disputes (
    payment_intent TEXT PRIMARY KEY,
    amount_cents   BIGINT,
    reason         TEXT NOT NULL,
    -- Stripe's outcome once a `charge.dispute.closed` has come too, else NULL.
    closed_outcome TEXT,
    received_at    BIGINT NOT NULL
);
