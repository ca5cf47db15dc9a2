-- Telemetry: readings from devices over MQTT, in their own schema so they can grow
-- (and be dropped by day) apart from the business tables.
--
-- Index design (the ingest ceiling): a reading is stored as (series_id int4, ts, value)
-- where a series is one (device, metric), so the unique key that dedupes redelivered
-- readings is a btree on (int4, timestamptz), 16 bytes a key, instead of (uuid, text,
-- timestamptz). A BRIN on ts lets the hourly rollup read one hour of a daily partition.
CREATE SCHEMA telemetry;

-- One row per (device, metric): the small key readings use, and the latest value.
CREATE TABLE telemetry.series (
    id         integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id  uuid NOT NULL REFERENCES public.devices (id) ON DELETE CASCADE,
    metric     text NOT NULL CHECK (metric ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    last_ts    timestamptz,
    last_value double precision,
    UNIQUE (device_id, metric)
) WITH (fillfactor = 20); -- every batch updates the latest values: room for HOT updates

-- Readings, partitioned by day (telemetry::partitions creates them ahead and drops
-- them after the retention period). No foreign key: a per-row check would halve ingest.
CREATE TABLE telemetry.readings (
    series_id integer NOT NULL,
    ts        timestamptz NOT NULL,
    value     double precision NOT NULL
) PARTITION BY RANGE (ts);
CREATE UNIQUE INDEX readings_key ON telemetry.readings (series_id, ts);
CREATE INDEX readings_ts ON telemetry.readings USING brin (ts);

-- Per device: sequence tracking (gaps are reported) and online/offline from the status
-- topic and the Last Will.
CREATE TABLE telemetry.device_state (
    device_id uuid PRIMARY KEY REFERENCES public.devices (id) ON DELETE CASCADE,
    last_seq  bigint,
    seq_gaps  bigint NOT NULL DEFAULT 0,
    online    boolean,
    status_at timestamptz
) WITH (fillfactor = 20);

-- Hourly rollups, kept longer than raw readings.
CREATE TABLE telemetry.rollups_hourly (
    series_id integer NOT NULL REFERENCES telemetry.series (id) ON DELETE CASCADE,
    hour      timestamptz NOT NULL,
    min       double precision NOT NULL,
    max       double precision NOT NULL,
    sum       double precision NOT NULL,
    count     bigint NOT NULL,
    PRIMARY KEY (series_id, hour)
);
-- rollups arrive in hour order: a BRIN finds the expired ones cheaply
CREATE INDEX rollups_hourly_hour ON telemetry.rollups_hourly USING brin (hour);
-- Hours already rolled up that received late readings: rolled up again.
CREATE TABLE telemetry.rollup_dirty (
    series_id integer NOT NULL,
    hour      timestamptz NOT NULL,
    PRIMARY KEY (series_id, hour)
);
-- Every hour before done_until has been rolled up.
CREATE TABLE telemetry.rollup_state (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    done_until timestamptz
);
INSERT INTO telemetry.rollup_state (id, done_until) VALUES (true, NULL);

-- Bad input, kept (bounded: the oldest rows go first) to be listed and replayed.
CREATE TABLE telemetry.dead_letters (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at       timestamptz NOT NULL,
    topic             text NOT NULL,
    device_id         text,
    reason            text NOT NULL CHECK (reason IN (
        'malformed_json', 'bad_message', 'bad_value', 'unknown_device', 'inactive_device',
        'timestamp_out_of_window', 'oversized', 'bad_topic', 'bad_status')),
    detail            text NOT NULL,
    payload           bytea NOT NULL,
    payload_truncated boolean NOT NULL DEFAULT false
);
CREATE INDEX dead_letters_reason ON telemetry.dead_letters (reason, id);
CREATE INDEX dead_letters_device ON telemetry.dead_letters (device_id, id);
