DROP INDEX tickets_pm_due;
DROP INDEX tickets_plan;
CREATE INDEX tickets_plan ON tickets (plan_id, asset_id) WHERE plan_id IS NOT NULL;
