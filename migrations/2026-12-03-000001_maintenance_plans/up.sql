-- Preventive maintenance: plans (for one asset or every asset of a model), their parts
-- kits, the scheduler's progress per (plan, asset), PM tickets tied to the occurrence
-- that opened them, and the read-only tokens of subscribed calendar feeds.

CREATE TABLE maintenance_plans (
    id                uuid PRIMARY KEY,
    title             text NOT NULL CHECK (btrim(title) <> '' AND length(title) <= 300),
    description       text CHECK (length(description) <= 20000),
    -- scope: one asset, or every asset of a model (assets added later included)
    asset_id          uuid REFERENCES assets (id),
    model_id          uuid REFERENCES equipment_models (id),
    -- calendar trigger: a 5-field cron expression, or an interval
    cron              text CHECK (length(cron) <= 200),
    interval_every    integer CHECK (interval_every > 0),
    interval_unit     text CHECK (interval_unit IN ('days', 'weeks', 'months')),
    interval_anchor   date,
    interval_at       time,
    interval_mode     text CHECK (interval_mode IN ('fixed', 'floating')),
    -- meter trigger: every `meter_every` units of the asset meter `meter`
    meter             text CHECK (meter ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    meter_every       double precision CHECK (meter_every > 0 AND meter_every < 'Infinity'),
    meter_start       double precision CHECK (meter_start >= 0 AND meter_start < 'Infinity'),
    lead_days         integer NOT NULL DEFAULT 0 CHECK (lead_days BETWEEN 0 AND 365),
    checklist         text[] NOT NULL DEFAULT '{}',
    estimated_minutes integer CHECK (estimated_minutes > 0),
    skills            text[] NOT NULL DEFAULT '{}',
    priority          text NOT NULL DEFAULT 'normal' CHECK (priority IN ('normal', 'urgent', 'critical')),
    active            boolean NOT NULL DEFAULT true,
    -- occurrences before this are never scheduled
    starts_at         timestamptz NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    version           integer NOT NULL DEFAULT 1,
    CONSTRAINT maintenance_plans_scope CHECK ((asset_id IS NULL) <> (model_id IS NULL)),
    CONSTRAINT maintenance_plans_one_calendar CHECK (cron IS NULL OR interval_every IS NULL),
    CONSTRAINT maintenance_plans_interval_complete CHECK (
        (interval_every IS NULL) = (interval_unit IS NULL)
        AND (interval_every IS NULL) = (interval_anchor IS NULL)
        AND (interval_every IS NULL) = (interval_at IS NULL)
        AND (interval_every IS NULL) = (interval_mode IS NULL)),
    CONSTRAINT maintenance_plans_meter_complete CHECK ((meter IS NULL) = (meter_every IS NULL)),
    CONSTRAINT maintenance_plans_has_trigger CHECK (cron IS NOT NULL OR interval_every IS NOT NULL OR meter IS NOT NULL)
);
CREATE INDEX maintenance_plans_asset ON maintenance_plans (asset_id) WHERE asset_id IS NOT NULL;
CREATE INDEX maintenance_plans_model ON maintenance_plans (model_id) WHERE model_id IS NOT NULL;

-- The parts kit a plan's ticket needs.
CREATE TABLE maintenance_plan_parts (
    plan_id  uuid NOT NULL REFERENCES maintenance_plans (id) ON DELETE CASCADE,
    part_id  uuid NOT NULL REFERENCES parts (id),
    quantity numeric(16, 3) NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (plan_id, part_id)
);
CREATE INDEX maintenance_plan_parts_part ON maintenance_plan_parts (part_id);

-- The scheduler's progress per (plan, asset), from when the plan began covering the
-- asset: calendar occurrences due at or before `checked_through` have been handled; a
-- meter trigger's usage counted from `meter_counted_from` (the previous resolution)
-- through the reading at `meter_through`, whose value was `meter_last`.
CREATE TABLE maintenance_schedule (
    plan_id            uuid NOT NULL REFERENCES maintenance_plans (id) ON DELETE CASCADE,
    asset_id           uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    covered_since      timestamptz NOT NULL,
    checked_through    timestamptz NOT NULL,
    meter_counted_from timestamptz,
    meter_through      timestamptz,
    meter_last         double precision,
    meter_usage        double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (plan_id, asset_id)
);

-- A PM ticket names its plan and the occurrence it is for: a calendar due time, or for a
-- meter trigger the time its usage was counted from (the previous resolution). One
-- ticket per (plan, asset, occurrence), however many schedulers run.
ALTER TABLE tickets
    ADD COLUMN plan_id            uuid REFERENCES maintenance_plans (id),
    ADD COLUMN pm_trigger         text CHECK (pm_trigger IN ('calendar', 'meter')),
    ADD COLUMN pm_due_at          timestamptz,
    ADD COLUMN pm_counted_from    timestamptz,
    ADD COLUMN missed_occurrences integer NOT NULL DEFAULT 0 CHECK (missed_occurrences >= 0),
    ADD COLUMN skills             text[] NOT NULL DEFAULT '{}',
    ADD CONSTRAINT tickets_pm_origin CHECK (
        (plan_id IS NULL) = (pm_trigger IS NULL)
        AND (pm_trigger IS DISTINCT FROM 'calendar' OR pm_due_at IS NOT NULL)
        AND (pm_trigger IS DISTINCT FROM 'meter' OR pm_counted_from IS NOT NULL));
CREATE UNIQUE INDEX tickets_pm_calendar_once ON tickets (plan_id, asset_id, pm_due_at)
    WHERE pm_trigger = 'calendar';
CREATE UNIQUE INDEX tickets_pm_meter_once ON tickets (plan_id, asset_id, pm_counted_from)
    WHERE pm_trigger = 'meter';
CREATE INDEX tickets_plan ON tickets (plan_id, asset_id) WHERE plan_id IS NOT NULL;

-- Read-only tokens for the iCalendar feed (calendar applications cannot send headers).
CREATE TABLE calendar_feeds (
    id         uuid PRIMARY KEY,
    name       text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    token_hash bytea NOT NULL UNIQUE,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
