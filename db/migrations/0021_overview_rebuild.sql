-- overview_rebuild(tenant): one tenant's overview_days and subscription_totals computed again from
-- its orders and ledger rows, exactly what the row triggers of 0018 keep. For a bulk load that sets
-- the triggers aside (session_replication_role = replica: a row trigger per inserted row makes one
-- long statement update the same few rollup rows again and again), and for checking the triggers.
-- It holds SHARE locks on the four source tables until the caller's transaction ends, so no write
-- slips between the delete and the sums (writers wait; readers don't).
CREATE FUNCTION overview_rebuild(tenant text) RETURNS void LANGUAGE sql AS $fn$
LOCK TABLE orders, ledger_payments, ledger_refunds, ledger_disputes IN SHARE MODE;
DELETE FROM overview_days WHERE tenant_id = tenant;
DELETE FROM subscription_totals WHERE tenant_id = tenant;
INSERT INTO overview_days (tenant_id, day, currency, paid_orders, paid_minor, paying_orders, renewals, renewal_minor, refunded_minor, lost_minor, churned)
SELECT tenant, day, currency, sum(paid_orders), sum(paid_minor), sum(paying_orders), sum(renewals), sum(renewal_minor), sum(refunded_minor), sum(lost_minor), sum(churned)
FROM (
  SELECT (paid_at AT TIME ZONE 'UTC')::date AS day, currency, 1 AS paid_orders, 0::bigint AS paid_minor, 0 AS paying_orders, 0 AS renewals, 0::bigint AS renewal_minor, 0::bigint AS refunded_minor, 0::bigint AS lost_minor, 0 AS churned
    FROM orders WHERE tenant_id = tenant AND paid_at IS NOT NULL AND status IN ('paid', 'partially_refunded', 'refunded', 'disputed', 'dispute_lost')
  UNION ALL
  SELECT (subscription_ended_at AT TIME ZONE 'UTC')::date, currency, 0, 0, 0, 0, 0, 0, 0, 1
    FROM orders WHERE tenant_id = tenant AND subscription_ended_at IS NOT NULL AND billing_period_days IS NOT NULL
  UNION ALL
  SELECT (paid_at AT TIME ZONE 'UTC')::date, coalesce(currency, 'usd'),
         0, CASE WHEN status = 'succeeded' THEN coalesce(amount_minor, 0) ELSE 0 END, 0,
         CASE WHEN renewal THEN 1 ELSE 0 END, CASE WHEN renewal THEN coalesce(amount_minor, 0) ELSE 0 END, 0, 0, 0
    FROM ledger_payments WHERE tenant_id = tenant AND paid_at IS NOT NULL AND (status = 'succeeded' OR renewal)
  UNION ALL
  SELECT (max(paid_at) AT TIME ZONE 'UTC')::date, coalesce(currency, 'usd'), 0, 0, 1, 0, 0, 0, 0, 0
    FROM ledger_payments WHERE tenant_id = tenant AND status = 'succeeded' AND paid_at IS NOT NULL GROUP BY order_id, coalesce(currency, 'usd')
  UNION ALL
  SELECT (coalesce(whop_created_at, created_at) AT TIME ZONE 'UTC')::date, coalesce(currency, 'usd'), 0, 0, 0, 0, 0, coalesce(amount_minor, 0), 0, 0
    FROM ledger_refunds WHERE tenant_id = tenant AND status = 'succeeded' AND order_id IS NOT NULL AND NOT migrated
  UNION ALL
  SELECT (updated_at AT TIME ZONE 'UTC')::date, coalesce(currency, 'usd'), 0, 0, 0, 0, 0, 0, coalesce(amount_minor, 0), 0
    FROM ledger_disputes WHERE tenant_id = tenant AND phase = 'lost' AND order_id IS NOT NULL
) c
GROUP BY day, currency;
INSERT INTO subscription_totals (tenant_id, currency, billing_period_days, state, subscriptions, amount_minor)
SELECT tenant, currency, billing_period_days, subscription_state, count(*), sum(amount_minor)
FROM orders WHERE tenant_id = tenant AND billing_period_days IS NOT NULL AND subscription_state IS NOT NULL
GROUP BY currency, billing_period_days, subscription_state;
$fn$;
