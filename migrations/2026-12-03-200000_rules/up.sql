-- Threshold and "no data" rules, the state each keeps per asset (and per device), and
-- the link from the failure tickets they open: at most one open ticket per (rule,
-- asset), held by a partial unique index.

CREATE TABLE rules (
    id                 uuid PRIMARY KEY,
    name               text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    kind               text NOT NULL CHECK (kind IN ('threshold', 'no_data')),
    -- the scope: one asset, or every asset of a model (assets added later included)
    asset_id           uuid REFERENCES assets (id),
    model_id           uuid REFERENCES equipment_models (id),
    metric             text CHECK (metric ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    operator           text CHECK (operator IN ('>', '>=', '<', '<=', 'outside', 'inside')),
    threshold          double precision,
    low                double precision,
    high               double precision,
    hysteresis         double precision NOT NULL DEFAULT 0 CHECK (hysteresis >= 0),
    -- seconds of device time the condition must hold; how late a reading may arrive
    duration_s         integer NOT NULL DEFAULT 0 CHECK (duration_s BETWEEN 0 AND 604800),
    allowed_lateness_s integer NOT NULL DEFAULT 30 CHECK (allowed_lateness_s BETWEEN 0 AND 3600),
    -- "no data": silent for this many seconds, and/or a status (Last Will) `offline`
    silence_s          integer CHECK (silence_s BETWEEN 10 AND 2592000),
    offline_status     boolean NOT NULL DEFAULT false,
    severity           text NOT NULL CHECK (severity IN ('normal', 'urgent', 'critical')),
    title_template     text NOT NULL CHECK (btrim(title_template) <> '' AND length(title_template) <= 300),
    asset_status       text CHECK (asset_status IN ('degraded', 'down')),
    active             boolean NOT NULL DEFAULT true,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    version            integer NOT NULL DEFAULT 1,
    CONSTRAINT rules_one_scope CHECK ((asset_id IS NULL) <> (model_id IS NULL)),
    CONSTRAINT rules_threshold_complete CHECK (kind <> 'threshold' OR (
        metric IS NOT NULL AND operator IS NOT NULL AND silence_s IS NULL AND NOT offline_status
        AND CASE WHEN operator IN ('outside', 'inside')
                 THEN low IS NOT NULL AND high IS NOT NULL AND low < high AND threshold IS NULL
                 ELSE threshold IS NOT NULL AND low IS NULL AND high IS NULL END)),
    CONSTRAINT rules_no_data_complete CHECK (kind <> 'no_data' OR (
        metric IS NULL AND operator IS NULL AND (silence_s IS NOT NULL OR offline_status)))
);
-- the ingest path finds a batch's rules by metric (then asset or model)
CREATE INDEX rules_active_metric ON rules (metric) WHERE active;
CREATE INDEX rules_asset ON rules (asset_id);
CREATE INDEX rules_model ON rules (model_id);

-- One row per (rule, asset): the threshold state machine (src/rules/engine.rs), and the
-- asset status the rule set (restored when it clears).
CREATE TABLE rule_states (
    rule_id         uuid NOT NULL REFERENCES rules (id) ON DELETE CASCADE,
    asset_id        uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    phase           text NOT NULL DEFAULT 'normal' CHECK (phase IN ('normal', 'pending', 'breached')),
    phase_since     timestamptz,
    newest_at       timestamptz,
    applied_through timestamptz,
    -- readings within the allowed lateness, not final yet: 16 bytes each, the device
    -- time in µs since the epoch and the value, big-endian (src/rules/state.rs)
    buffer          bytea NOT NULL DEFAULT '\x',
    -- server time after which the buffer is applied if nothing newer arrives
    flush_due_at    timestamptz,
    held_status     text CHECK (held_status IN ('degraded', 'down')),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (rule_id, asset_id),
    CONSTRAINT rule_states_phase_since CHECK ((phase = 'normal') = (phase_since IS NULL))
) WITH (fillfactor = 50);
-- Deliberately no index on the columns every batch rewrites (phase, buffer,
-- flush_due_at): the ingest path's updates stay HOT. The periodic idle flush scans.
CREATE INDEX rule_states_held ON rule_states (asset_id) WHERE held_status IS NOT NULL;

-- "No data" rules per device: its last status message and, while it is silent, the
-- last sign of life it went silent after.
CREATE TABLE rule_device_states (
    rule_id     uuid NOT NULL REFERENCES rules (id) ON DELETE CASCADE,
    device_id   uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    offline     boolean NOT NULL DEFAULT false,
    status_at   timestamptz,
    silent_seen timestamptz,
    PRIMARY KEY (rule_id, device_id)
);
CREATE INDEX rule_device_states_device ON rule_device_states (device_id);

ALTER TABLE tickets
    ADD COLUMN rule_id          uuid REFERENCES rules (id) ON DELETE SET NULL,
    ADD COLUMN occurrences      integer NOT NULL DEFAULT 1 CHECK (occurrences >= 1),
    ADD COLUMN last_occurred_at timestamptz;
CREATE UNIQUE INDEX tickets_one_open_per_rule ON tickets (rule_id, asset_id)
    WHERE rule_id IS NOT NULL AND status NOT IN ('closed', 'cancelled');
