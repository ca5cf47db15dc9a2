//! The ticket history, in one ordered INSERT so numbers follow creation: the PM tickets
//! the plans would have opened (every calendar occurrence since each asset was covered,
//! floating intervals counted from each resolution, meter cycles from each asset's
//! usage), then corrective work, inspections and requests over three years to make up
//! the total: threshold and offline tickets from the rules, the rest by phone, e-mail
//! and portal. Status follows age: old tickets are closed (a few cancelled), the last
//! weeks hold the open backlog. SLA due times follow the default targets.

use diesel::connection::SimpleConnection;
use diesel::PgConnection;

use super::Sizes;

pub fn seed(conn: &mut PgConnection, sizes: &Sizes) -> anyhow::Result<()> {
    conn.batch_execute(PM_HISTORY)?;
    // PM is at most 55% of the history: a bigger share keeps the newest (the older
    // ones predate the system), so the total stays as asked
    let cap = sizes.tickets * 55 / 100;
    conn.batch_execute(&format!(
        "DELETE FROM b_hist WHERE created_at < (
             SELECT created_at FROM b_hist ORDER BY created_at DESC OFFSET {cap} LIMIT 1);"
    ))?;
    conn.batch_execute(&insert(sizes.tickets))?;
    Ok(())
}

const PM_HISTORY: &str = "
CREATE TEMP TABLE b_hist (plan_id uuid, asset_n int, pm_trigger text, pm_due_at timestamptz,
                          pm_counted_from timestamptz, created_at timestamptz, done_at timestamptz);

-- fixed calendars: the local due times of each plan, then each asset's in its zone
CREATE TEMP TABLE b_cal AS
SELECT p.id AS plan_id, d::date + p.cal_at AS local_due
FROM b_plans p,
     generate_series(date_trunc('day', now() - interval '26 months'), now() + interval '1 day', interval '1 day') d
WHERE p.float_step IS NULL AND p.cal_at IS NOT NULL
  AND ((p.cal_dow IS NOT NULL AND extract(isodow FROM d) = p.cal_dow)
       OR (p.cal_day IS NOT NULL AND extract(day FROM d) = p.cal_day
           AND extract(month FROM d)::int = ANY (p.cal_months)));
INSERT INTO b_hist
SELECT pr.plan_id, pr.asset_n, 'calendar', x.due, NULL, x.due - p.lead_days * interval '1 day',
       x.due + interval '2 days' * random()
FROM b_pairs pr JOIN b_plans p ON p.id = pr.plan_id JOIN b_cal c ON c.plan_id = pr.plan_id
CROSS JOIN LATERAL (SELECT c.local_due AT TIME ZONE pr.tz AS due) x
WHERE x.due > pr.covered_since AND x.due <= now();

-- floating intervals: resolved a day after each due date, the next counted from there
-- (a meter that reports falls due first, so only unconnected assets see the calendar)
INSERT INTO b_hist
SELECT pr.plan_id, pr.asset_n, 'calendar', x.due, NULL, x.due - p.lead_days * interval '1 day',
       x.due + interval '1 day'
FROM b_pairs pr JOIN b_plans p ON p.id = pr.plan_id
CROSS JOIN LATERAL (
    SELECT ((p.interval_anchor + k * p.float_step + k * interval '1 day')::date + p.interval_at)
           AT TIME ZONE pr.tz AS due
    FROM generate_series(0, 400) k) x
WHERE p.float_step IS NOT NULL AND (p.meter IS NULL OR NOT pr.connected)
  AND x.due > pr.covered_since AND x.due <= now();

-- meter cycles at each asset's usage: counted from the previous resolution, opened
-- when the usage reaches the interval, resolved a day later
INSERT INTO b_hist
SELECT pr.plan_id, pr.asset_n, 'meter', NULL, x.counted_from, x.counted_from + cycle, x.counted_from + cycle + interval '1 day'
FROM b_pairs pr JOIN b_plans p ON p.id = pr.plan_id
CROSS JOIN LATERAL (SELECT p.meter_every / pr.per_day * interval '1 day' AS cycle) c
CROSS JOIN LATERAL (
    SELECT pr.covered_since + k * (c.cycle + interval '1 day') AS counted_from
    FROM generate_series(0, ceil(extract(epoch FROM now() - pr.covered_since)
                                 / extract(epoch FROM c.cycle + interval '1 day'))::int) k) x
WHERE p.meter IS NOT NULL AND pr.connected AND x.counted_from + c.cycle <= now();
";

fn insert(total: usize) -> String {
    format!(
        "
WITH pm AS (
    SELECT h.created_at, 'preventive' AS kind, NULL AS category, 'schedule' AS source, p.priority,
           CASE WHEN h.done_at > now() THEN (ARRAY['open', 'assigned', 'in_progress', 'in_progress'])[1 + floor(random() * 4)::int]
                WHEN h.done_at > now() - interval '5 days' THEN 'resolved'
                WHEN random() < 0.03 THEN 'cancelled' ELSE 'closed' END AS status,
           h.asset_n, 1 + floor(random() * 120)::int AS tech_n, random() AS r,
           p.title || ' — ' || coalesce(a.name, a.serial) AS title, p.description, NULL AS reporter,
           'schedule' AS channel, NULL::timestamptz AS response_due_at,
           coalesce(h.pm_due_at, h.created_at + CASE p.priority WHEN 'urgent' THEN 24 ELSE 72 END * interval '1 hour')
               AS resolution_due_at,
           h.done_at, p.id AS plan_id, h.pm_trigger, h.pm_due_at, h.pm_counted_from, p.skills, 'scheduler' AS created_by
    FROM b_hist h JOIN b_plans p ON p.id = h.plan_id JOIN b_assets a ON a.n = h.asset_n
),
g AS (
    SELECT now() - interval '3 years' * power(random(), 1.15) AS created_at,
           1 + floor(random() * (SELECT count(*) FROM b_assets))::int AS asset_n,
           1 + floor(random() * 120)::int AS tech_n,
           random() AS r_kind, random() AS r_src, random() AS r_prio, random() AS r_status, random() AS r
    FROM generate_series(1, {total} - (SELECT count(*) FROM b_hist))
),
k AS (
    SELECT g.*, extract(epoch FROM now() - created_at) / 86400 AS age,
           CASE WHEN r_kind < 0.72 THEN 'corrective' WHEN r_kind < 0.82 THEN 'inspection' ELSE 'request' END AS kind,
           CASE WHEN r_kind >= 0.72 OR r_src >= 0.55 THEN 'manual' WHEN r_src < 0.45 THEN 'threshold' ELSE 'offline' END AS source
    FROM g
),
rest AS (
    SELECT created_at, kind,
           CASE kind WHEN 'corrective' THEN (ARRAY['mechanical', 'electrical', 'hydraulic', 'pneumatic', 'controls'])[1 + floor(r * 5)::int]
                     WHEN 'inspection' THEN 'safety' END AS category,
           source,
           CASE WHEN source = 'offline' THEN 'urgent' WHEN r_prio < 0.08 THEN 'critical' WHEN r_prio < 0.30 THEN 'urgent'
                ELSE 'normal' END AS priority,
           CASE WHEN age > 30 THEN CASE WHEN r_status < 0.93 THEN 'closed' WHEN r_status < 0.97 THEN 'cancelled' ELSE 'resolved' END
                WHEN age > 7 THEN CASE WHEN r_status < 0.55 THEN 'closed' WHEN r_status < 0.75 THEN 'resolved'
                                       WHEN r_status < 0.80 THEN 'cancelled' WHEN r_status < 0.86 THEN 'in_progress'
                                       WHEN r_status < 0.92 THEN 'on_hold' WHEN r_status < 0.96 THEN 'assigned' ELSE 'open' END
                ELSE CASE WHEN r_status < 0.25 THEN 'open' WHEN r_status < 0.45 THEN 'assigned'
                          WHEN r_status < 0.62 THEN 'in_progress' WHEN r_status < 0.72 THEN 'on_hold'
                          WHEN r_status < 0.92 THEN 'resolved' WHEN r_status < 0.95 THEN 'cancelled' ELSE 'closed' END
           END AS status,
           asset_n, tech_n, r, source AS src, r_src
    FROM k
),
rest2 AS (
    SELECT rest.*, a.name, a.serial,
           CASE priority WHEN 'critical' THEN 2 WHEN 'urgent' THEN 4 ELSE 8 END AS resp_h,
           CASE priority WHEN 'critical' THEN 8 WHEN 'urgent' THEN 24 ELSE 72 END AS res_h
    FROM rest JOIN b_assets a ON a.n = rest.asset_n
),
shaped AS (
    SELECT created_at, kind, category, source, priority, status, asset_n, tech_n, r,
           CASE WHEN source = 'threshold' THEN
                    (ARRAY['Bearing temperature above 85 °C', 'Discharge pressure above limit', 'Vibration above 7 mm/s',
                           'Motor current above limit', 'Oil pressure below 1.5 bar'])[1 + floor(r * 5)::int]
                WHEN source = 'offline' THEN 'Device offline for more than 15 minutes'
                WHEN kind = 'corrective' THEN
                    (ARRAY['Leaking seal', 'Unusual vibration', 'Pressure drop', 'Motor overheating', 'Product jam',
                           'Sensor fault', 'Does not start', 'Noise from gearbox', 'Oil leak at coupling',
                           'Belt slipping', 'Error code on HMI', 'Valve sticking'])[1 + floor(r * 12)::int]
                WHEN kind = 'inspection' THEN
                    (ARRAY['Safety inspection', 'Leak check', 'Thermographic inspection', 'Guard and interlock test'])[1 + floor(r * 4)::int]
                ELSE (ARRAY['Operator training', 'Relocate unit', 'Quote for retrofit', 'Change setpoints',
                            'Install additional sensor'])[1 + floor(r * 5)::int]
           END || ' — ' || coalesce(name, serial) AS title,
           CASE WHEN source = 'manual' AND r_src < 0.8 THEN 'Reported by the shift lead; see photos in the portal.' END AS description,
           CASE WHEN source = 'manual' THEN (ARRAY['Shift lead', 'Maria Keller', 'James Walsh', 'Aisha Tan'])[1 + floor(r_src * 4)::int] END AS reporter,
           CASE WHEN source <> 'manual' THEN 'device' ELSE (ARRAY['phone', 'email', 'portal'])[1 + floor(r_src * 3)::int] END AS channel,
           created_at + resp_h * interval '1 hour' AS response_due_at,
           created_at + res_h * interval '1 hour' AS resolution_due_at,
           least(created_at + res_h * (0.15 + r * 1.15) * interval '1 hour', now() - interval '1 minute') AS done_at,
           NULL::uuid AS plan_id, NULL AS pm_trigger, NULL::timestamptz AS pm_due_at, NULL::timestamptz AS pm_counted_from,
           '{{}}'::text[] AS skills,
           CASE WHEN source <> 'manual' THEN 'rules' ELSE (ARRAY['planner-anna', 'dispatch-desk', 'portal', 'planner-marc'])[1 + floor(r_src * 4)::int] END AS created_by,
           resp_h
    FROM rest2
),
unioned AS (
    SELECT created_at, kind, category, source, priority, status, asset_n, tech_n, r, title, description, reporter,
           channel, response_due_at, resolution_due_at, done_at, plan_id, pm_trigger, pm_due_at, pm_counted_from,
           skills, created_by, 24 AS resp_h
    FROM pm
    UNION ALL
    SELECT created_at, kind, category, source, priority, status, asset_n, tech_n, r, title, description, reporter,
           channel, response_due_at, resolution_due_at, done_at, plan_id, pm_trigger, pm_due_at, pm_counted_from,
           skills, created_by, resp_h
    FROM shaped
),
timed AS (
    SELECT u.*, a.id AS asset_id, a.site_id, a.customer_id,
           CASE WHEN u.status = 'open' OR (u.status = 'cancelled' AND u.r < 0.5) THEN NULL ELSE t.id END AS assignee_id,
           CASE WHEN u.status NOT IN ('open', 'cancelled')
                THEN least(u.created_at + u.resp_h * (0.1 + u.r) * interval '1 hour', u.done_at, now()) END AS responded_at,
           CASE WHEN u.status IN ('resolved', 'closed') THEN u.done_at END AS resolved_at,
           CASE WHEN u.status = 'closed' THEN least(u.done_at + interval '3 days' * u.r, now())
                WHEN u.status = 'cancelled' THEN least(u.created_at + interval '2 days' * u.r, now()) END AS closed_at,
           CASE WHEN u.status = 'on_hold' THEN CASE WHEN u.r < 0.7 THEN 'waiting_for_parts' ELSE 'waiting_for_customer' END END AS hold_reason,
           CASE WHEN u.status = 'on_hold' THEN least(u.created_at + interval '1 day' * u.r, now()) END AS hold_started_at
    FROM unioned u JOIN b_assets a ON a.n = u.asset_n JOIN b_techs t ON t.n = u.tech_n
)
INSERT INTO tickets (id, kind, category, source, priority, status, hold_reason, asset_id, site_id, customer_id,
                     title, description, reporter, channel, assignee_id, response_due_at, resolution_due_at,
                     responded_at, resolved_at, closed_at, hold_started_at, failure_problem, failure_cause,
                     failure_remedy, resolution, downtime_minutes, signed_off_by, signed_off_at, created_by,
                     created_at, updated_at, version, plan_id, pm_trigger, pm_due_at, pm_counted_from, skills)
SELECT pg_temp.uuid7(created_at), kind, category, source, priority, status, hold_reason, asset_id, site_id, customer_id,
       title, description, reporter, channel, assignee_id, response_due_at, resolution_due_at,
       responded_at, resolved_at, closed_at, hold_started_at,
       CASE WHEN kind = 'corrective' AND resolved_at IS NOT NULL THEN
           (ARRAY['leak', 'vibration', 'overheat', 'no_start', 'pressure', 'jam'])[1 + floor(r * 6)::int] END,
       CASE WHEN kind = 'corrective' AND resolved_at IS NOT NULL THEN
           (ARRAY['wear', 'contamination', 'misuse', 'electrical', 'lubrication'])[1 + floor(r * 5)::int] END,
       CASE WHEN kind = 'corrective' AND resolved_at IS NOT NULL THEN
           (ARRAY['replace', 'adjust', 'clean', 'repair', 'reset'])[1 + floor(r * 5)::int] END,
       CASE WHEN resolved_at IS NOT NULL THEN
           CASE kind WHEN 'preventive' THEN 'Completed per checklist; no findings.'
                     WHEN 'corrective' THEN (ARRAY['Replaced the worn part and tested under load.',
                                                   'Adjusted and re-tested; running within limits.',
                                                   'Cleaned, reset and monitored for an hour.'])[1 + floor(r * 3)::int]
                     ELSE 'Done as requested.' END END,
       CASE WHEN kind = 'corrective' AND resolved_at IS NOT NULL THEN floor(r * 480)::int END,
       CASE WHEN status = 'closed' AND r < 0.6 THEN 'Shift lead' END,
       CASE WHEN status = 'closed' AND r < 0.6 THEN closed_at END,
       created_by, created_at,
       greatest(created_at, responded_at, resolved_at, closed_at, hold_started_at),
       1 + (responded_at IS NOT NULL)::int + (resolved_at IS NOT NULL)::int + (closed_at IS NOT NULL)::int
         + (hold_started_at IS NOT NULL)::int,
       plan_id, pm_trigger, pm_due_at, pm_counted_from, skills
FROM timed
ORDER BY created_at;
"
    )
}
