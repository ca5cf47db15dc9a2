-- Readings of asset meters (runtime hours, cycles), from people and from telemetry.
-- A repeated (asset, meter, time) is stored once; `asset_meters` keeps the reading
-- with the latest time, whatever order readings arrive in.
CREATE TABLE meter_readings (
    asset_id    uuid NOT NULL,
    meter       text NOT NULL,
    read_at     timestamptz NOT NULL,
    value       double precision NOT NULL CHECK (value = value AND value NOT IN ('Infinity', '-Infinity')),
    source      text NOT NULL CHECK (source IN ('manual', 'telemetry')),
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (asset_id, meter, read_at),
    FOREIGN KEY (asset_id, meter) REFERENCES asset_meters (asset_id, name) ON DELETE CASCADE
);
