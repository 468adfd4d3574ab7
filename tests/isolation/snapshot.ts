import { sql } from "drizzle-orm";
import { selectRows } from "@/db/client";

/**
 * Everything one tenant owns, as JSON text: the tenant row, its account with members, their users and invitations, items, orders, the ledger
 * (payments, refunds, disputes, refund requests), webhook events, problems, license activations, the publishable key, API tokens, audit trail and the
 * merchant's own webhooks (outbound events, endpoints, deliveries, attempts). Equal snapshots before and after a request mean the request
 * neither changed nor added anything of that tenant's.
 */
export async function tenantSnapshot(tenantId: string): Promise<string> {
  const [row] = await selectRows<{ dump: string }>(sql`
    select json_build_object(
      'tenant', (select row_to_json(t) from tenants t where t.id = ${tenantId}),
      'account', (select row_to_json(ac) from accounts ac where ac.id = (select account_id from tenants where id = ${tenantId})),
      'members', (select coalesce(json_agg(m order by m.user_id), '[]') from account_members m where m.account_id = (select account_id from tenants where id = ${tenantId})),
      'users', (select coalesce(json_agg(u order by u.id), '[]') from users u where u.id in (select user_id from account_members where account_id = (select account_id from tenants where id = ${tenantId}))),
      'invitations', (select coalesce(json_agg(iv order by iv.id), '[]') from invitations iv where iv.account_id = (select account_id from tenants where id = ${tenantId})),
      'items', (select coalesce(json_agg(i order by i.id), '[]') from items i where i.tenant_id = ${tenantId}),
      'orders', (select coalesce(json_agg(o order by o.id), '[]') from orders o where o.tenant_id = ${tenantId}),
      'ledger_payments', (select coalesce(json_agg(lp order by lp.id), '[]') from ledger_payments lp where lp.tenant_id = ${tenantId}),
      'ledger_refunds', (select coalesce(json_agg(lr order by lr.id), '[]') from ledger_refunds lr where lr.tenant_id = ${tenantId}),
      'ledger_disputes', (select coalesce(json_agg(ld order by ld.id), '[]') from ledger_disputes ld where ld.tenant_id = ${tenantId}),
      'refund_requests', (select coalesce(json_agg(rr order by rr.id), '[]') from refund_requests rr where rr.tenant_id = ${tenantId}),
      'events', (select coalesce(json_agg(e order by e.id), '[]') from webhook_events e where e.tenant_id = ${tenantId}),
      'problems', (select coalesce(json_agg(p order by p.kind), '[]') from problems p where p.tenant_id = ${tenantId}),
      'license_activations', (select coalesce(json_agg(la order by la.id), '[]') from license_activations la where la.tenant_id = ${tenantId}),
      'publishable_keys', (select coalesce(json_agg(pk order by pk.key), '[]') from publishable_keys pk where pk.tenant_id = ${tenantId}),
      'api_tokens', (select coalesce(json_agg(k order by k.id), '[]') from api_tokens k where k.tenant_id = ${tenantId}),
      'audit', (select coalesce(json_agg(a order by a.id), '[]') from audit_log a where a.tenant_id = ${tenantId}),
      'outbound_events', (select coalesce(json_agg(oe order by oe.id), '[]') from outbound_events oe where oe.tenant_id = ${tenantId}),
      'webhook_endpoints', (select coalesce(json_agg(we order by we.id), '[]') from webhook_endpoints we where we.tenant_id = ${tenantId}),
      'webhook_deliveries', (select coalesce(json_agg(wd order by wd.id), '[]') from webhook_deliveries wd where wd.tenant_id = ${tenantId}),
      'webhook_delivery_attempts', (select coalesce(json_agg(wa order by wa.id), '[]') from webhook_delivery_attempts wa where wa.tenant_id = ${tenantId})
    )::text as dump`);
  if (!row) throw new Error(`no snapshot for ${tenantId}`);
  return row.dump;
}
