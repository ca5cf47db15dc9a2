//! Preventive maintenance as a service company runs it: per-model plans that cover
//! every asset of the model (monthly inspections, quarterly services by cron, weekly
//! lubrication rounds, runtime-hour services alone or with a half-yearly calendar,
//! cycle-count overhauls), per-asset plans (customer audits on a floating six-week
//! interval, statutory yearly inspections), parts kits from the parts that fit the
//! model, and meter readings from telemetry so meter plans project. `b_plans` and
//! `b_pairs` also describe the calendars in SQL terms for the ticket history.

use diesel::connection::SimpleConnection;
use diesel::PgConnection;

pub fn seed(conn: &mut PgConnection) -> anyhow::Result<()> {
    conn.batch_execute(PLANS)?;
    conn.batch_execute(KITS_AND_PAIRS)?;
    conn.batch_execute(READINGS)?;
    Ok(())
}

/// The scheduler's progress rows, written last: every calendar occurrence up to now
/// has its ticket in the history, so a scheduler run opens only what the lead times
/// ask for now; meter counters are left for that run to count.
pub fn progress(conn: &mut PgConnection) -> anyhow::Result<()> {
    conn.batch_execute(
        "INSERT INTO maintenance_schedule (plan_id, asset_id, covered_since, checked_through)
         SELECT plan_id, asset_id, covered_since, now() FROM b_pairs;",
    )?;
    Ok(())
}

const PLANS: &str = "
CREATE TEMP TABLE b_plans (
    n serial, id uuid, title text NOT NULL, description text, model_id uuid, asset_id uuid,
    kit_model_id uuid NOT NULL, kit_size int NOT NULL,
    cron text, interval_every int, interval_unit text, interval_anchor date, interval_at time,
    interval_mode text, meter text, meter_every float8, lead_days int NOT NULL,
    checklist text[] NOT NULL, estimated_minutes int, skills text[] NOT NULL DEFAULT '{}',
    priority text NOT NULL DEFAULT 'normal', starts_at timestamptz NOT NULL,
    -- a fixed calendar in SQL terms: local time, and ISO weekday or day of month and months
    cal_at time, cal_dow int, cal_day int, cal_months int[],
    -- a floating interval's step
    float_step interval
);

INSERT INTO b_plans (title, description, model_id, kit_model_id, kit_size, interval_every, interval_unit,
                     interval_anchor, interval_at, interval_mode, lead_days, checklist, estimated_minutes,
                     starts_at, cal_at, cal_day, cal_months)
SELECT 'Monthly inspection', 'Visual inspection, leak check and the lubrication chart.', id, id, 1 + n % 2,
       1, 'months', make_date(2024, 1, 1 + n % 28), '08:00', 'fixed', 7,
       '{Check for leaks,Check guards and emergency stops,Lubricate per chart,Record meter readings}', 45,
       now() - interval '2 years' + n * interval '1 hour', '08:00', 1 + n % 28, '{1,2,3,4,5,6,7,8,9,10,11,12}'
FROM b_models;

INSERT INTO b_plans (title, description, model_id, kit_model_id, kit_size, cron, lead_days, checklist,
                     estimated_minutes, skills, starts_at, cal_at, cal_day, cal_months)
SELECT 'Quarterly service', 'Filters, seals and wear parts per the service manual.', id, id, 3,
       '0 7 ' || (1 + n * 3 % 28) || ' 1,4,7,10 *', 14,
       '{Replace filters,Inspect seals,Check belt tension,Test safety devices,Clean and document}', 180,
       '{mechanical}', now() - interval '2 years' + n * interval '2 hours', '07:00', 1 + n * 3 % 28, '{1,4,7,10}'
FROM b_models WHERE n % 2 = 0;

-- runtime services: alone, with a floating half-year, or with a fixed half-yearly cron
INSERT INTO b_plans (title, description, model_id, kit_model_id, kit_size, meter, meter_every,
                     cron, interval_every, interval_unit, interval_anchor, interval_at, interval_mode,
                     lead_days, checklist, estimated_minutes, starts_at, cal_at, cal_day, cal_months, float_step)
SELECT 'Service every ' || every || ' h' || CASE n % 5 WHEN 0 THEN ' or 6 months' WHEN 1 THEN ' or half-yearly' ELSE '' END,
       'Oil and filter change, inspection of wear parts.', id, id, 2 + n % 3, 'runtime_h', every,
       CASE WHEN n % 5 = 1 THEN '30 6 1 1,7 *' END,
       CASE WHEN n % 5 = 0 THEN 6 END, CASE WHEN n % 5 = 0 THEN 'months' END,
       CASE WHEN n % 5 = 0 THEN make_date(2024, 1, 15) END, CASE WHEN n % 5 = 0 THEN time '07:00' END,
       CASE WHEN n % 5 = 0 THEN 'floating' END,
       0, '{Change oil,Replace oil filter,Inspect wear parts,Reset service counter}', 120,
       now() - interval '2 years' + n * interval '3 hours',
       CASE WHEN n % 5 = 0 THEN time '07:00' WHEN n % 5 = 1 THEN time '06:30' END,
       CASE WHEN n % 5 = 1 THEN 1 END, CASE WHEN n % 5 = 1 THEN '{1,7}'::int[] END,
       CASE WHEN n % 5 = 0 THEN interval '6 months' END
FROM (SELECT id, n, (ARRAY[250, 500, 1000])[1 + n % 3] AS every FROM b_models WHERE n % 5 IN (0, 1, 2)) m;

INSERT INTO b_plans (title, model_id, kit_model_id, kit_size, cron, lead_days, checklist, estimated_minutes,
                     starts_at, cal_at, cal_dow)
SELECT 'Weekly lubrication round', id, id, 1, '0 6 * * 1', 2, '{Grease bearings,Check oil levels}', 20,
       now() - interval '2 years' + n * interval '4 hours', '06:00', 1
FROM b_models WHERE n % 10 = 3;

INSERT INTO b_plans (title, description, model_id, kit_model_id, kit_size, meter, meter_every, lead_days,
                     checklist, estimated_minutes, skills, priority, starts_at)
SELECT 'Overhaul every 250,000 cycles', 'Replace wear kit, realign, test run.', id, id, 3, 'cycles', 250000, 0,
       '{Replace wear kit,Realign,Test run at full speed}', 240, '{mechanical}', 'urgent',
       now() - interval '2 years' + n * interval '5 hours'
FROM b_models WHERE family IN (0, 1, 7) AND n % 2 = 1;

-- per-asset plans: customer audits (floating six weeks), statutory yearly inspections
INSERT INTO b_plans (title, description, asset_id, kit_model_id, kit_size, interval_every, interval_unit,
                     interval_anchor, interval_at, interval_mode, lead_days, checklist, estimated_minutes,
                     starts_at, cal_at, float_step)
SELECT 'Customer audit inspection', 'Inspection the customer''s quality audit asks for.', id, model_id, 1,
       6, 'weeks', (starts_at + interval '1 day')::date, '09:00', 'floating', 7,
       '{Inspect hygiene points,Check calibration labels,Sign audit sheet}', 90, starts_at, '09:00',
       interval '6 weeks'
FROM (SELECT id, model_id, greatest(created_at, now() - interval '18 months') AS starts_at
      FROM b_assets WHERE n % 20 = 0 AND status <> 'retired') a;

INSERT INTO b_plans (title, asset_id, kit_model_id, kit_size, interval_every, interval_unit, interval_anchor,
                     interval_at, interval_mode, lead_days, checklist, estimated_minutes, starts_at, cal_at,
                     cal_day, cal_months)
SELECT 'Statutory pressure equipment inspection', id, model_id, 0, 12, 'months',
       make_date(2024, 1 + n % 12, 1 + n % 28), '10:00', 'fixed', 30,
       '{External inspection,Safety valve test,Update logbook}', 120,
       greatest(created_at, now() - interval '18 months'), '10:00', 1 + n % 28, ARRAY[1 + n % 12]
FROM b_assets WHERE n % 20 = 10 AND status <> 'retired';

UPDATE b_plans SET id = pg_temp.uuid7(starts_at);
CREATE UNIQUE INDEX ON b_plans (id);

INSERT INTO maintenance_plans (id, title, description, asset_id, model_id, cron, interval_every, interval_unit,
                               interval_anchor, interval_at, interval_mode, meter, meter_every, lead_days,
                               checklist, estimated_minutes, skills, priority, starts_at, created_at, updated_at)
SELECT id, title, description, asset_id, model_id, cron, interval_every, interval_unit, interval_anchor,
       interval_at, interval_mode, meter, meter_every, lead_days, checklist, estimated_minutes, skills, priority,
       starts_at, starts_at, starts_at
FROM b_plans;
";

const KITS_AND_PAIRS: &str = "
INSERT INTO maintenance_plan_parts (plan_id, part_id, quantity)
SELECT plan_id, part_id, CASE WHEN unit = 'each' THEN 1 + h % 3 ELSE 0.5 * (1 + h % 4) END
FROM (SELECT p.id AS plan_id, pm.part_id, parts.unit, p.kit_size,
             abs(hashtext(p.id::text || pm.part_id::text)) AS h,
             row_number() OVER (PARTITION BY p.id ORDER BY hashtext(p.id::text || pm.part_id::text)) AS r
      FROM b_plans p JOIN part_models pm ON pm.model_id = p.kit_model_id JOIN parts ON parts.id = pm.part_id) x
WHERE r <= kit_size;

-- every (plan, asset) a plan covers, with what the history needs
CREATE TEMP TABLE b_pairs AS
SELECT p.id AS plan_id, p.n AS plan_n, a.id AS asset_id, a.n AS asset_n, s.time_zone AS tz,
       greatest(p.starts_at, a.created_at) AS covered_since, a.connected,
       CASE p.meter WHEN 'runtime_h' THEN a.hours_per_day WHEN 'cycles' THEN a.cycles_per_day END AS per_day
FROM b_plans p
JOIN b_assets a ON a.model_id = p.model_id AND a.status <> 'retired'
JOIN sites s ON s.id = a.site_id
UNION ALL
SELECT p.id, p.n, a.id, a.n, s.time_zone, greatest(p.starts_at, a.created_at), a.connected, NULL
FROM b_plans p
JOIN b_assets a ON a.id = p.asset_id
JOIN sites s ON s.id = a.site_id;
";

/// Connected assets report their meters: daily for the last 40 days, weekly before
/// that back to 400 days (never before the asset existed); each meter's latest value
/// follows.
const READINGS: &str = "
INSERT INTO meter_readings (asset_id, meter, read_at, value, source, recorded_by, recorded_at)
SELECT a.id, m.meter, t.at,
       round((m.per_day * extract(epoch FROM t.at - a.created_at) / 86400)::numeric, 1)::float8,
       'telemetry', 'telemetry', t.at
FROM b_assets a
CROSS JOIN LATERAL (VALUES ('runtime_h', a.hours_per_day::float8), ('cycles', a.cycles_per_day::float8)) m(meter, per_day)
CROSS JOIN LATERAL (SELECT now() - k * interval '1 day' - interval '3 minutes' AS at FROM generate_series(0, 39) k
                    UNION ALL
                    SELECT now() - k * interval '1 day' FROM generate_series(42, 400, 7) k) t
WHERE a.connected AND t.at > a.created_at AND (m.meter = 'runtime_h' OR a.family IN (0, 1, 7));

UPDATE asset_meters am SET value = r.value, read_at = r.read_at
FROM (SELECT DISTINCT ON (asset_id, meter) asset_id, meter, value, read_at
      FROM meter_readings ORDER BY asset_id, meter, read_at DESC) r
WHERE am.asset_id = r.asset_id AND am.name = r.meter;
";
