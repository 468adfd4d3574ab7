DROP INDEX "orders_tenant_created_idx";--> statement-breakpoint
DROP INDEX "webhook_events_tenant_received_idx";--> statement-breakpoint
CREATE INDEX "orders_tenant_created_idx" ON "orders" USING btree ("tenant_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "webhook_events_tenant_received_idx" ON "webhook_events" USING btree ("tenant_id","received_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);