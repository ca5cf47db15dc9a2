-- Indexes the PM forecast (`GET /schedule`) needs at scale (a million tickets, years of
-- PM history), found by the REST benchmark.

-- The history of meter and floating plans per (plan, asset) — the latest end and
-- whether a ticket is in work — read from the index alone (an index-only scan instead
-- of one heap page per closed ticket). The scheduler's survey reads the same columns.
DROP INDEX tickets_plan;
CREATE INDEX tickets_plan ON tickets (plan_id, asset_id) INCLUDE (status, resolved_at, closed_at)
    WHERE plan_id IS NOT NULL;

-- Calendar PM tickets already opened for occurrences due in a forecast's window.
CREATE INDEX tickets_pm_due ON tickets (pm_due_at) WHERE pm_trigger = 'calendar';
