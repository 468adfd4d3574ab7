CREATE TABLE "overview_days" (
	"tenant_id" text NOT NULL,
	"day" date NOT NULL,
	"currency" text NOT NULL,
	"paid_orders" integer DEFAULT 0 NOT NULL,
	"paid_minor" bigint DEFAULT 0 NOT NULL,
	"paying_orders" integer DEFAULT 0 NOT NULL,
	"renewals" integer DEFAULT 0 NOT NULL,
	"renewal_minor" bigint DEFAULT 0 NOT NULL,
	"refunded_minor" bigint DEFAULT 0 NOT NULL,
	"lost_minor" bigint DEFAULT 0 NOT NULL,
	"churned" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "overview_days_tenant_id_day_currency_pk" PRIMARY KEY("tenant_id","day","currency")
);
--> statement-breakpoint
CREATE TABLE "subscription_totals" (
	"tenant_id" text NOT NULL,
	"currency" text NOT NULL,
	"billing_period_days" integer NOT NULL,
	"state" "subscription_state" NOT NULL,
	"subscriptions" integer DEFAULT 0 NOT NULL,
	"amount_minor" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "subscription_totals_tenant_id_currency_billing_period_days_state_pk" PRIMARY KEY("tenant_id","currency","billing_period_days","state")
);
--> statement-breakpoint
ALTER TABLE "overview_days" ADD CONSTRAINT "overview_days_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscription_totals" ADD CONSTRAINT "subscription_totals_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ledger_refunds_tenant_migrated_idx" ON "ledger_refunds" USING btree ("tenant_id","payment_id") WHERE migrated;--> statement-breakpoint
-- Hand-written: the triggers that keep overview_days and subscription_totals, and their backfill.
-- Each changed row takes its old contribution away (−1) and adds its new one (+1), as upserts with
-- increments, so concurrent transactions add up and a replayed event, which leaves the row as it
-- was, nets to nothing. Updates that touch none of the figures' columns fire nothing (WHEN). A
-- cascade from a deleted tenant writes nothing for it. Days are UTC whatever the session's zone.
CREATE FUNCTION overview_order_add(o orders, s integer) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = o.tenant_id) THEN RETURN; END IF;
  -- The chart: settled orders (paid, refunded, disputed…) on the day they were paid.
  IF o.paid_at IS NOT NULL AND o.status IN ('paid', 'partially_refunded', 'refunded', 'disputed', 'dispute_lost') THEN
    INSERT INTO overview_days AS d (tenant_id, day, currency, paid_orders) VALUES (o.tenant_id, (o.paid_at AT TIME ZONE 'UTC')::date, o.currency, s)
    ON CONFLICT (tenant_id, day, currency) DO UPDATE SET paid_orders = d.paid_orders + excluded.paid_orders;
  END IF;
  IF o.billing_period_days IS NOT NULL AND o.subscription_ended_at IS NOT NULL THEN
    INSERT INTO overview_days AS d (tenant_id, day, currency, churned) VALUES (o.tenant_id, (o.subscription_ended_at AT TIME ZONE 'UTC')::date, o.currency, s)
    ON CONFLICT (tenant_id, day, currency) DO UPDATE SET churned = d.churned + excluded.churned;
  END IF;
  IF o.billing_period_days IS NOT NULL AND o.subscription_state IS NOT NULL THEN
    INSERT INTO subscription_totals AS t (tenant_id, currency, billing_period_days, state, subscriptions, amount_minor)
    VALUES (o.tenant_id, o.currency, o.billing_period_days, o.subscription_state, s, s * o.amount_minor)
    ON CONFLICT (tenant_id, currency, billing_period_days, state) DO UPDATE
      SET subscriptions = t.subscriptions + excluded.subscriptions, amount_minor = t.amount_minor + excluded.amount_minor;
  END IF;
END
$fn$;
--> statement-breakpoint
CREATE FUNCTION overview_order_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP <> 'INSERT' THEN PERFORM overview_order_add(OLD, -1); END IF;
  IF TG_OP <> 'DELETE' THEN PERFORM overview_order_add(NEW, 1); END IF;
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
CREATE FUNCTION overview_payment_add(p ledger_payments, s integer) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  IF p.paid_at IS NULL OR NOT (p.status = 'succeeded' OR p.renewal) OR NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = p.tenant_id) THEN RETURN; END IF;
  INSERT INTO overview_days AS d (tenant_id, day, currency, paid_minor, renewals, renewal_minor)
  VALUES (p.tenant_id, (p.paid_at AT TIME ZONE 'UTC')::date, coalesce(p.currency, 'usd'),
          CASE WHEN p.status = 'succeeded' THEN s * coalesce(p.amount_minor, 0) ELSE 0 END,
          CASE WHEN p.renewal THEN s ELSE 0 END,
          CASE WHEN p.renewal THEN s * coalesce(p.amount_minor, 0) ELSE 0 END)
  ON CONFLICT (tenant_id, day, currency) DO UPDATE
    SET paid_minor = d.paid_minor + excluded.paid_minor, renewals = d.renewals + excluded.renewals, renewal_minor = d.renewal_minor + excluded.renewal_minor;
END
$fn$;
--> statement-breakpoint
-- paying_orders counts an order once per window: +1 on the day of its latest succeeded payment in
-- a currency, moved when a later one arrives. That needs the order's other payments as they stand
-- before this row changes, which a BEFORE row trigger sees (with the rows of the same statement
-- already processed, so a statement inserting several payments of one order moves it step by
-- step); the ledger locks the order first, so two transactions never race on one order's
-- payments. ledger_payments is never written with ON CONFLICT, whose BEFORE INSERT would fire for
-- a row that is then not inserted.
CREATE FUNCTION overview_paying_move(tenant text, order_of text, currency_of text, row_id text, before_at timestamptz, after_at timestamptz) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  others timestamptz;
  before_day date;
  after_day date;
BEGIN
  SELECT max(p.paid_at) INTO others FROM ledger_payments p
  WHERE p.tenant_id = tenant AND p.order_id = order_of AND coalesce(p.currency, 'usd') = currency_of
    AND p.status = 'succeeded' AND p.paid_at IS NOT NULL AND p.id <> row_id;
  before_day := (greatest(others, before_at) AT TIME ZONE 'UTC')::date;
  after_day := (greatest(others, after_at) AT TIME ZONE 'UTC')::date;
  IF before_day IS NOT DISTINCT FROM after_day OR NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = tenant) THEN RETURN; END IF;
  INSERT INTO overview_days AS d (tenant_id, day, currency, paying_orders)
  SELECT tenant, v.day, currency_of, v.delta FROM (VALUES (before_day, -1), (after_day, 1)) v(day, delta) WHERE v.day IS NOT NULL ORDER BY v.day
  ON CONFLICT (tenant_id, day, currency) DO UPDATE SET paying_orders = d.paying_orders + excluded.paying_orders;
END
$fn$;
--> statement-breakpoint
CREATE FUNCTION overview_payment_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  old_at timestamptz;
  new_at timestamptz;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM overview_payment_add(OLD, -1);
    old_at := CASE WHEN OLD.status = 'succeeded' THEN OLD.paid_at END;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM overview_payment_add(NEW, 1);
    new_at := CASE WHEN NEW.status = 'succeeded' THEN NEW.paid_at END;
  END IF;
  IF TG_OP = 'INSERT' THEN
    PERFORM overview_paying_move(NEW.tenant_id, NEW.order_id, coalesce(NEW.currency, 'usd'), NEW.id, NULL, new_at);
    RETURN NEW;
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM overview_paying_move(OLD.tenant_id, OLD.order_id, coalesce(OLD.currency, 'usd'), OLD.id, old_at, NULL);
    RETURN OLD;
  ELSIF OLD.tenant_id = NEW.tenant_id AND OLD.order_id = NEW.order_id AND coalesce(OLD.currency, 'usd') = coalesce(NEW.currency, 'usd') THEN
    PERFORM overview_paying_move(NEW.tenant_id, NEW.order_id, coalesce(NEW.currency, 'usd'), OLD.id, old_at, new_at);
  ELSE
    PERFORM overview_paying_move(OLD.tenant_id, OLD.order_id, coalesce(OLD.currency, 'usd'), OLD.id, old_at, NULL);
    PERFORM overview_paying_move(NEW.tenant_id, NEW.order_id, coalesce(NEW.currency, 'usd'), OLD.id, NULL, new_at);
  END IF;
  RETURN NEW;
END
$fn$;
--> statement-breakpoint
-- Refunds and lost disputes: one amount each, on a day of its own; TG_ARGV names the rollup
-- column, the row's time and which rows count. The carried-over refund tallies (migrated rows)
-- count per payment as the larger of themselves and Whop's own refunds, which is no sum by day:
-- they stay out, and the overview adds them to a window from their own few rows
-- (ledger_refunds_tenant_migrated_idx).
CREATE FUNCTION overview_amount_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  add text := format($q$
    INSERT INTO overview_days AS d (tenant_id, day, currency, %1$I)
    SELECT r.tenant_id, (%2$s AT TIME ZONE 'UTC')::date, coalesce(r.currency, 'usd'), $2 * coalesce(r.amount_minor, 0)
    FROM (SELECT ($1).*) r
    WHERE %3$s AND r.order_id IS NOT NULL AND EXISTS (SELECT 1 FROM tenants t WHERE t.id = r.tenant_id)
    ON CONFLICT (tenant_id, day, currency) DO UPDATE SET %1$I = d.%1$I + excluded.%1$I
  $q$, TG_ARGV[0], TG_ARGV[1], TG_ARGV[2]);
BEGIN
  IF TG_OP <> 'INSERT' THEN EXECUTE add USING OLD, -1; END IF;
  IF TG_OP <> 'DELETE' THEN EXECUTE add USING NEW, 1; END IF;
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
CREATE TRIGGER overview_orders_changed AFTER INSERT OR DELETE ON orders FOR EACH ROW EXECUTE FUNCTION overview_order_changed();
--> statement-breakpoint
CREATE TRIGGER overview_orders_updated AFTER UPDATE ON orders FOR EACH ROW
  WHEN (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id OR OLD.status IS DISTINCT FROM NEW.status OR OLD.paid_at IS DISTINCT FROM NEW.paid_at
        OR OLD.currency IS DISTINCT FROM NEW.currency OR OLD.amount_minor IS DISTINCT FROM NEW.amount_minor OR OLD.billing_period_days IS DISTINCT FROM NEW.billing_period_days
        OR OLD.subscription_state IS DISTINCT FROM NEW.subscription_state OR OLD.subscription_ended_at IS DISTINCT FROM NEW.subscription_ended_at)
  EXECUTE FUNCTION overview_order_changed();
--> statement-breakpoint
CREATE TRIGGER overview_payments_changed BEFORE INSERT OR DELETE ON ledger_payments FOR EACH ROW EXECUTE FUNCTION overview_payment_changed();
--> statement-breakpoint
CREATE TRIGGER overview_payments_updated BEFORE UPDATE ON ledger_payments FOR EACH ROW
  WHEN (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id OR OLD.id IS DISTINCT FROM NEW.id OR OLD.order_id IS DISTINCT FROM NEW.order_id OR OLD.status IS DISTINCT FROM NEW.status
        OR OLD.paid_at IS DISTINCT FROM NEW.paid_at OR OLD.currency IS DISTINCT FROM NEW.currency OR OLD.amount_minor IS DISTINCT FROM NEW.amount_minor OR OLD.renewal IS DISTINCT FROM NEW.renewal)
  EXECUTE FUNCTION overview_payment_changed();
--> statement-breakpoint
CREATE TRIGGER overview_refunds_changed AFTER INSERT OR DELETE ON ledger_refunds FOR EACH ROW
  EXECUTE FUNCTION overview_amount_changed('refunded_minor', 'coalesce(r.whop_created_at, r.created_at)', 'r.status = ''succeeded'' AND NOT r.migrated');
--> statement-breakpoint
CREATE TRIGGER overview_refunds_updated AFTER UPDATE ON ledger_refunds FOR EACH ROW
  WHEN (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id OR OLD.order_id IS DISTINCT FROM NEW.order_id OR OLD.status IS DISTINCT FROM NEW.status OR OLD.amount_minor IS DISTINCT FROM NEW.amount_minor
        OR OLD.currency IS DISTINCT FROM NEW.currency OR OLD.migrated IS DISTINCT FROM NEW.migrated OR OLD.whop_created_at IS DISTINCT FROM NEW.whop_created_at OR OLD.created_at IS DISTINCT FROM NEW.created_at)
  EXECUTE FUNCTION overview_amount_changed('refunded_minor', 'coalesce(r.whop_created_at, r.created_at)', 'r.status = ''succeeded'' AND NOT r.migrated');
--> statement-breakpoint
CREATE TRIGGER overview_disputes_changed AFTER INSERT OR DELETE ON ledger_disputes FOR EACH ROW
  EXECUTE FUNCTION overview_amount_changed('lost_minor', 'r.updated_at', 'r.phase = ''lost''');
--> statement-breakpoint
CREATE TRIGGER overview_disputes_updated AFTER UPDATE ON ledger_disputes FOR EACH ROW
  WHEN (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id OR OLD.order_id IS DISTINCT FROM NEW.order_id OR OLD.phase IS DISTINCT FROM NEW.phase OR OLD.amount_minor IS DISTINCT FROM NEW.amount_minor
        OR OLD.currency IS DISTINCT FROM NEW.currency OR OLD.updated_at IS DISTINCT FROM NEW.updated_at)
  EXECUTE FUNCTION overview_amount_changed('lost_minor', 'r.updated_at', 'r.phase = ''lost''');
--> statement-breakpoint
-- The backfill, under the triggers' locks (taken above, in this migration's transaction): no
-- write slips between the two.
INSERT INTO overview_days (tenant_id, day, currency, paid_orders, paid_minor, paying_orders, renewals, renewal_minor, refunded_minor, lost_minor, churned)
SELECT tenant_id, day, currency, sum(paid_orders) AS paid_orders, sum(paid_minor) AS paid_minor, sum(paying_orders) AS paying_orders, sum(renewals) AS renewals,
       sum(renewal_minor) AS renewal_minor, sum(refunded_minor) AS refunded_minor, sum(lost_minor) AS lost_minor, sum(churned) AS churned
FROM (
  SELECT tenant_id, (paid_at AT TIME ZONE 'UTC')::date AS day, currency, 1 AS paid_orders, 0::bigint AS paid_minor, 0 AS paying_orders, 0 AS renewals, 0::bigint AS renewal_minor, 0::bigint AS refunded_minor, 0::bigint AS lost_minor, 0 AS churned
    FROM orders WHERE paid_at IS NOT NULL AND status IN ('paid', 'partially_refunded', 'refunded', 'disputed', 'dispute_lost')
  UNION ALL
  SELECT tenant_id, (subscription_ended_at AT TIME ZONE 'UTC')::date, currency, 0, 0, 0, 0, 0, 0, 0, 1
    FROM orders WHERE subscription_ended_at IS NOT NULL AND billing_period_days IS NOT NULL
  UNION ALL
  SELECT tenant_id, (paid_at AT TIME ZONE 'UTC')::date, coalesce(currency, 'usd'),
         0, CASE WHEN status = 'succeeded' THEN coalesce(amount_minor, 0) ELSE 0 END, 0,
         CASE WHEN renewal THEN 1 ELSE 0 END, CASE WHEN renewal THEN coalesce(amount_minor, 0) ELSE 0 END, 0, 0, 0
    FROM ledger_payments WHERE paid_at IS NOT NULL AND (status = 'succeeded' OR renewal)
  UNION ALL
  SELECT tenant_id, (max(paid_at) AT TIME ZONE 'UTC')::date, coalesce(currency, 'usd'), 0, 0, 1, 0, 0, 0, 0, 0
    FROM ledger_payments WHERE status = 'succeeded' AND paid_at IS NOT NULL GROUP BY tenant_id, order_id, coalesce(currency, 'usd')
  UNION ALL
  SELECT tenant_id, (coalesce(whop_created_at, created_at) AT TIME ZONE 'UTC')::date, coalesce(currency, 'usd'), 0, 0, 0, 0, 0, coalesce(amount_minor, 0), 0, 0
    FROM ledger_refunds WHERE status = 'succeeded' AND order_id IS NOT NULL AND NOT migrated
  UNION ALL
  SELECT tenant_id, (updated_at AT TIME ZONE 'UTC')::date, coalesce(currency, 'usd'), 0, 0, 0, 0, 0, 0, coalesce(amount_minor, 0), 0
    FROM ledger_disputes WHERE phase = 'lost' AND order_id IS NOT NULL
) c
GROUP BY tenant_id, day, currency;
--> statement-breakpoint
INSERT INTO subscription_totals (tenant_id, currency, billing_period_days, state, subscriptions, amount_minor)
SELECT tenant_id, currency, billing_period_days, subscription_state, count(*), sum(amount_minor)
FROM orders WHERE billing_period_days IS NOT NULL AND subscription_state IS NOT NULL
GROUP BY tenant_id, currency, billing_period_days, subscription_state;
