ALTER TABLE public.devices RESET (fillfactor);
ALTER TABLE telemetry.series SET (fillfactor = 20);
ALTER TABLE telemetry.series ADD COLUMN last_ts timestamptz, ADD COLUMN last_value double precision;
-- (an UPDATE's FROM cannot refer to its target, so a row subquery per series)
UPDATE telemetry.series s SET (last_ts, last_value) = (
    SELECT ts, value FROM telemetry.readings WHERE series_id = s.id ORDER BY ts DESC LIMIT 1
);
