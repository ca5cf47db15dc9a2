ALTER TABLE public.devices RESET (fillfactor);
ALTER TABLE telemetry.series SET (fillfactor = 20);
ALTER TABLE telemetry.series ADD COLUMN last_ts timestamptz, ADD COLUMN last_value double precision;
UPDATE telemetry.series s SET last_ts = r.ts, last_value = r.value
FROM LATERAL (
    SELECT ts, value FROM telemetry.readings WHERE series_id = s.id ORDER BY ts DESC LIMIT 1
) r;
