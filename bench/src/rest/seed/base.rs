//! The installed base and the inventory, in set-based SQL: customers with plants and
//! the areas inside them in four regions (each with its own time zones and central
//! stores), service vans and technicians, equipment models in ten families, assets
//! skewed towards the popular models, their meters, spare parts that fit the models,
//! their stock balances, and (once the plans exist) opening stock posted as receipts,
//! so the ledger triggers set `on_hand`.
//! The `b_*` temporary tables keep ordinals for the later steps to pick from.

use diesel::connection::SimpleConnection;
use diesel::PgConnection;

use super::Sizes;

/// UUIDv7 from a timestamp, so ids sort by creation as the application's do.
const UUID7: &str = "
CREATE FUNCTION pg_temp.uuid7(ts timestamptz) RETURNS uuid LANGUAGE sql VOLATILE AS $$
    SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
        PLACING substring(int8send(floor(extract(epoch FROM ts) * 1000)::bigint) FROM 3)
        FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
$$;";

pub fn seed(conn: &mut PgConnection, sizes: &Sizes) -> anyhow::Result<()> {
    conn.batch_execute(&format!("SELECT setseed(0.2027); {UUID7}"))?;
    conn.batch_execute(&customers_and_sites(sizes.customers))?;
    conn.batch_execute(MODELS)?;
    conn.batch_execute(&assets(sizes.assets))?;
    conn.batch_execute(TECHNICIANS)?;
    conn.batch_execute(&parts(sizes.parts))?;
    conn.batch_execute(BALANCES)?;
    Ok(())
}

/// Customers; central stores per region; plants (1–3 per customer) in the region's
/// time zones, served by one of its stores (a few by none); 2–4 areas per plant.
fn customers_and_sites(customers: usize) -> String {
    format!(
        "
CREATE TEMP TABLE b_customers AS
SELECT n, n % 4 AS region, created_at, pg_temp.uuid7(created_at) AS id
FROM (SELECT n, now() - interval '6 years' + n * interval '5 hours' AS created_at
      FROM generate_series(1, {customers}) n) x;
INSERT INTO customers (id, name, service_tier, contacts, contact_search, created_at, updated_at)
SELECT id, name, tier,
       jsonb_build_array(jsonb_build_object('name', contact, 'email', email, 'role', 'maintenance manager')),
       lower(contact || ' ' || email), created_at, created_at
FROM (SELECT id, created_at,
             (ARRAY['Nord', 'Hanse', 'Alpen', 'Rhein', 'Atlantic', 'Pacific', 'Lakeside', 'Summit',
                    'Harbour', 'Meridian', 'Northstar', 'Riverside'])[1 + n % 12]
             || ' ' || (ARRAY['Brewing', 'Dairy', 'Pharma', 'Logistics', 'Foods', 'Plastics',
                    'Metalworks', 'Bottling', 'Chemicals', 'Paper', 'Packaging', 'Beverages'])[1 + (n / 12) % 12]
             || (ARRAY[' GmbH', ' Ltd', ' Inc.', ' Pte. Ltd'])[1 + region]
             || CASE WHEN n > 144 THEN ' ' || (n / 144 + 1) ELSE '' END AS name,
             (ARRAY['standard', 'standard', 'standard', 'gold', 'platinum'])[1 + n % 5] AS tier,
             (ARRAY['Maria', 'James', 'Aisha', 'Chen', 'Lukas', 'Sofia', 'Ravi', 'Emma'])[1 + n % 8] || ' '
             || (ARRAY['Keller', 'Walsh', 'Tan', 'Novak', 'Garcia', 'Brandt', 'Okafor'])[1 + n % 7] AS contact,
             'maintenance@customer' || n || '.example' AS email
      FROM b_customers) c;

CREATE TEMP TABLE b_central AS
SELECT n, (n - 1) % 4 AS region, pg_temp.uuid7(now() - interval '6 years' + n * interval '1 hour') AS id
FROM generate_series(1, 12) n;
INSERT INTO warehouses (id, code, name, kind, created_at, updated_at)
SELECT id, 'CW-' || lpad(n::text, 2, '0'),
       (ARRAY['Central store Munich', 'Central store Manchester', 'Central store Chicago',
              'Central store Singapore', 'Store Hamburg', 'Store Leeds', 'Store Atlanta',
              'Store Jakarta', 'Store Vienna', 'Store Dublin', 'Store Denver', 'Store Penang'])[n],
       'central', now() - interval '6 years', now() - interval '6 years'
FROM b_central;

CREATE TEMP TABLE b_top AS
SELECT n, customer_id, region, k, created_at, pg_temp.uuid7(created_at) AS id,
       (ARRAY[ARRAY['Europe/Berlin', 'Europe/Vienna', 'Europe/Zurich'],
              ARRAY['Europe/London', 'Europe/Dublin', 'Europe/Lisbon'],
              ARRAY['America/Chicago', 'America/New_York', 'America/Denver'],
              ARRAY['Asia/Singapore', 'Asia/Jakarta', 'Asia/Kuala_Lumpur']])[1 + region][1 + n % 3] AS tz,
       (ARRAY[ARRAY['Munich', 'Vienna', 'Zurich'], ARRAY['Manchester', 'Dublin', 'Lisbon'],
              ARRAY['Milwaukee', 'Boston', 'Denver'], ARRAY['Singapore', 'Jakarta', 'Kuala Lumpur']])[1 + region][1 + n % 3] AS city,
       CASE WHEN n % 25 <> 0 THEN
           (SELECT w.id FROM b_central w WHERE w.region = t.region ORDER BY w.n OFFSET t.n % 3 LIMIT 1)
       END AS warehouse_id
FROM (SELECT row_number() OVER (ORDER BY c.n, k) AS n, c.id AS customer_id, c.region, k,
             c.created_at + k * interval '3 days' AS created_at
      FROM b_customers c, generate_series(1, 1 + c.n % 3) k) t;

CREATE TEMP TABLE b_areas AS
SELECT row_number() OVER (ORDER BY t.n, a.k) AS n, t.id AS parent_id, t.customer_id, t.tz, t.warehouse_id,
       a.k, t.created_at + a.k * interval '1 hour' AS created_at
FROM b_top t, generate_series(1, 2 + t.n % 3) a(k);
ALTER TABLE b_areas ADD COLUMN id uuid;
UPDATE b_areas SET id = pg_temp.uuid7(created_at);

INSERT INTO sites (id, customer_id, name, kind, time_zone, address, serving_warehouse_id, created_at, updated_at)
SELECT id, customer_id, city || ' plant' || CASE WHEN k > 1 THEN ' ' || k ELSE '' END, 'site', tz,
       (10 + n % 180) || ' Industrial Road, ' || city, warehouse_id, created_at, created_at
FROM b_top;
INSERT INTO sites (id, customer_id, parent_id, name, kind, time_zone, serving_warehouse_id, created_at, updated_at)
SELECT id, customer_id, parent_id,
       (ARRAY['Hall A', 'Hall B', 'Filling line 1', 'Filling line 2', 'Utilities', 'Packaging',
              'Boiler house', 'Cold store'])[1 + (n + k) % 8],
       (ARRAY['area', 'area', 'line', 'line', 'area', 'line', 'area', 'area'])[1 + (n + k) % 8],
       tz, warehouse_id, created_at, created_at
FROM b_areas;

-- where assets go: most in areas, some directly in a plant
CREATE TEMP TABLE b_sites AS
SELECT row_number() OVER (ORDER BY id) AS n, id, customer_id
FROM (SELECT id, customer_id FROM b_areas UNION ALL SELECT id, customer_id FROM b_top) s;
"
    )
}

/// Ten families of equipment, five models each.
const MODELS: &str = "
CREATE TEMP TABLE b_models AS
SELECT n, (n - 1) % 10 AS family, pg_temp.uuid7(now() - interval '6 years' + n * interval '1 day') AS id
FROM generate_series(1, 50) n;
INSERT INTO equipment_models (id, manufacturer, model_number, name, skills, created_at, updated_at)
SELECT id,
       (ARRAY['Krones', 'KHS', 'Atlas Copco', 'Kaeser', 'Grundfos', 'KSB', 'Carrier', 'KUKA',
              'Alfa Laval', 'Interroll'])[1 + family],
       (ARRAY['MF', 'IL', 'GA', 'ASD', 'CR', 'ETN', '30XA', 'KR', 'LAPX', 'RM'])[1 + family] || '-' || (100 + n * 7),
       (ARRAY['Rotary filler', 'Labeller', 'Oil-injected compressor', 'Screw compressor',
              'Multistage pump', 'Process pump', 'Air-cooled chiller', 'Palletising robot',
              'Disc separator', 'Roller conveyor'])[1 + family],
       (ARRAY['{mechanical,hygiene}', '{mechanical}', '{pneumatics,mechanical}', '{pneumatics}',
              '{hydraulics}', '{hydraulics,mechanical}', '{refrigeration,electrical}',
              '{robotics,electrical}', '{mechanical,hygiene}', '{mechanical,electrical}'])[1 + family]::text[],
       now() - interval '6 years', now() - interval '6 years'
FROM b_models;
";

/// Assets spread over the sites, skewed towards the first models; every asset has a
/// runtime meter, fillers, labellers and robots a cycle counter too.
fn assets(assets: usize) -> String {
    format!(
        "
CREATE TEMP TABLE b_assets AS
SELECT x.n, pg_temp.uuid7(x.created_at) AS id, m.id AS model_id, m.n AS model_n, m.family,
       s.id AS site_id, s.customer_id, x.created_at, x.status,
       CASE WHEN x.n % 5 < 2 THEN
           (ARRAY['Filler', 'Labeller', 'Compressor', 'Compressor', 'Pump', 'Pump', 'Chiller', 'Robot',
                  'Separator', 'Conveyor'])[1 + m.family] || ' ' || (1 + x.n % 40)
       END AS name,
       (ARRAY['KRO', 'KHS', 'ACO', 'KAE', 'GRU', 'KSB', 'CAR', 'KUK', 'ALF', 'INT'])[1 + m.family] || '-'
           || lpad(x.n::text, 7, '0') AS serial,
       -- telemetry reports the meters of about seven in ten assets
       x.n % 10 < 7 AS connected,
       6 + (x.n * 7) % 19 AS hours_per_day,
       2000 + (x.n * 13) % 9 * 1000 AS cycles_per_day
FROM (SELECT n, 1 + floor(50 * power(random(), 1.6))::int AS model_n,
             1 + floor(random() * (SELECT count(*) FROM b_sites))::int AS site_n,
             now() - interval '4 years' * random() - interval '1 day' AS created_at,
             CASE WHEN n % 50 = 7 THEN 'retired' WHEN n % 20 = 3 THEN 'degraded'
                  WHEN n % 40 = 9 THEN 'down' ELSE 'operational' END AS status
      FROM generate_series(1, {assets}) n) x
JOIN b_models m ON m.n = x.model_n
JOIN b_sites s ON s.n = x.site_n;
CREATE UNIQUE INDEX ON b_assets (n);

INSERT INTO assets (id, model_id, serial_number, site_id, name, install_date, warranty_end, status,
                    created_at, updated_at)
SELECT id, model_id, serial, site_id, name, (created_at - interval '1 day' * (n % 60))::date,
       (created_at - interval '1 day' * (n % 60) + interval '2 years')::date, status, created_at, created_at
FROM b_assets;

INSERT INTO asset_meters (asset_id, name, unit) SELECT id, 'runtime_h', 'h' FROM b_assets;
INSERT INTO asset_meters (asset_id, name, unit) SELECT id, 'cycles', '' FROM b_assets WHERE family IN (0, 1, 7);
"
    )
}

/// Service vans and the technicians who drive them (80 of 120 have one).
const TECHNICIANS: &str = "
CREATE TEMP TABLE b_techs AS
SELECT n, pg_temp.uuid7(now() - interval '5 years' + n * interval '9 days') AS id,
       CASE WHEN n <= 80 THEN pg_temp.uuid7(now() - interval '5 years' + n * interval '9 days') END AS van_id
FROM generate_series(1, 120) n;
INSERT INTO warehouses (id, code, name, kind, created_at, updated_at)
SELECT van_id, 'VAN-' || lpad(n::text, 3, '0'), 'Service van ' || n, 'van',
       now() - interval '5 years', now() - interval '5 years'
FROM b_techs WHERE van_id IS NOT NULL;
INSERT INTO technicians (id, name, email, phone, skills, home_site_id, availability, van_warehouse_id,
                         created_at, updated_at)
SELECT t.id,
       (ARRAY['Ana', 'Ben', 'Chloe', 'Dmitri', 'Elif', 'Farid', 'Greta', 'Hiro', 'Ines', 'Jonas',
              'Kemal', 'Lena'])[1 + n % 12] || ' '
       || (ARRAY['Schmidt', 'Murphy', 'Lee', 'Kowalski', 'Silva', 'Becker', 'Nguyen', 'Moreau',
                 'Rossi', 'Berg'])[1 + (n / 12) % 10],
       'tech' || n || '@mainspring.example', '+49 170 ' || lpad((n * 7919 % 10000000)::text, 7, '0'),
       (ARRAY['{mechanical,hygiene}', '{pneumatics,mechanical}', '{hydraulics}', '{refrigeration,electrical}',
              '{robotics,electrical}', '{mechanical,electrical}'])[1 + n % 6]::text[],
       (SELECT id FROM b_top WHERE b_top.n = 1 + (t.n * 37) % (SELECT count(*) FROM b_top)),
       (ARRAY['available', 'available', 'busy', 'available', 'off_duty'])[1 + n % 5],
       van_id, now() - interval '5 years', now() - interval '5 years'
FROM b_techs t;
INSERT INTO failure_codes (kind, code, description) VALUES
    ('problem', 'leak', 'Leak'), ('problem', 'vibration', 'Abnormal vibration'),
    ('problem', 'overheat', 'Overheating'), ('problem', 'no_start', 'Does not start'),
    ('problem', 'pressure', 'Pressure out of range'), ('problem', 'jam', 'Jam'),
    ('cause', 'wear', 'Wear'), ('cause', 'contamination', 'Contamination'),
    ('cause', 'misuse', 'Operating error'), ('cause', 'electrical', 'Electrical fault'),
    ('cause', 'lubrication', 'Lack of lubrication'),
    ('remedy', 'replace', 'Part replaced'), ('remedy', 'adjust', 'Adjusted'),
    ('remedy', 'clean', 'Cleaned'), ('remedy', 'repair', 'Repaired'), ('remedy', 'reset', 'Reset')
ON CONFLICT DO NOTHING;
";

/// Spare parts in eight categories, each fitting two or three models, with a supplier.
fn parts(parts: usize) -> String {
    format!(
        "
CREATE TEMP TABLE b_parts AS
SELECT n, n % 8 AS cat, pg_temp.uuid7(now() - interval '5 years' + n * interval '1 hour') AS id
FROM generate_series(1, {parts}) n;
INSERT INTO parts (id, sku, name, unit, category, criticality, unit_cost, created_at, updated_at)
SELECT id,
       (ARRAY['FLT', 'BRG', 'SEAL', 'BELT', 'VLV', 'SNS', 'LUB', 'GSK'])[1 + cat] || '-' || lpad(n::text, 5, '0'),
       CASE cat
           WHEN 0 THEN (ARRAY['Oil filter', 'Air filter element', 'Hydraulic filter', 'Water filter cartridge'])[1 + (n / 8) % 4]
                       || ' ' || (5 + n % 60) || ' µm'
           WHEN 1 THEN 'Deep groove ball bearing 6' || (200 + n % 120) || '-2RS'
           WHEN 2 THEN 'Mechanical seal ' || (20 + n % 80) || ' mm'
           WHEN 3 THEN 'V-belt SPA ' || (800 + (n % 60) * 25)
           WHEN 4 THEN 'Solenoid valve DN' || (8 + n % 40)
           WHEN 5 THEN (ARRAY['Pressure transmitter', 'Temperature probe PT100', 'Proximity switch'])[1 + (n / 8) % 3]
                       || ' type ' || (100 + n % 400)
           WHEN 6 THEN (ARRAY['Gear oil ISO VG ', 'Compressor oil ISO VG ', 'Food-grade grease NLGI '])[1 + (n / 8) % 3]
                       || (ARRAY['68', '100', '150', '220', '2'])[1 + n % 5]
           ELSE 'Gasket set ' || (ARRAY['DN25', 'DN40', 'DN50', 'DN80', 'DN100'])[1 + n % 5]
       END,
       CASE WHEN cat = 6 THEN (ARRAY['l', 'l', 'kg'])[1 + (n / 8) % 3] ELSE 'each' END,
       (ARRAY['filters', 'bearings', 'seals', 'belts', 'valves', 'sensors', 'lubricants', 'gaskets'])[1 + cat],
       (ARRAY['vital', 'essential', 'essential', 'essential', 'desirable'])[1 + n % 5],
       round((ARRAY[18, 12, 140, 15, 95, 230, 9, 35])[1 + cat] * (0.5 + random())::numeric, 2),
       now() - interval '5 years', now() - interval '5 years'
FROM b_parts;
INSERT INTO part_models (part_id, model_id)
SELECT p.id, m.id FROM b_parts p
JOIN b_models m ON m.n IN (1 + p.n % 50, 1 + (p.n * 7 + 3) % 50,
                          CASE WHEN p.n % 3 = 0 THEN 1 + (p.n * 13 + 5) % 50 END)
ON CONFLICT DO NOTHING;
INSERT INTO part_suppliers (part_id, position, supplier, supplier_sku, lead_time_days, price, min_order_qty)
SELECT p.id, 0,
       (ARRAY['MANN+HUMMEL', 'SKF', 'EagleBurgmann', 'Gates', 'Bürkert', 'WIKA', 'Klüber', 'Freudenberg'])[1 + p.cat],
       'S' || (100000 + p.n * 37), 2 + p.n % 44, round(parts.unit_cost * 0.95, 4),
       (ARRAY[1, 1, 5, 10])[1 + p.n % 4]
FROM b_parts p JOIN parts ON parts.id = p.id;
"
    )
}

/// Every part at every central store (reorder points for the vital and essential
/// ones) and a van stock of small parts, empty until [`stock`] receives into them.
const BALANCES: &str = "
INSERT INTO stock_balances (part_id, warehouse_id, bin, reorder_point, reorder_quantity)
SELECT p.id, w.id, 'R' || (1 + p.n % 40) || '-' || (1 + p.n % 12),
       CASE WHEN parts.criticality <> 'desirable' THEN 2 + p.n % 6 END,
       CASE WHEN parts.criticality <> 'desirable' THEN 10 + p.n % 20 END
FROM b_parts p JOIN parts ON parts.id = p.id CROSS JOIN b_central w;
INSERT INTO stock_balances (part_id, warehouse_id)
SELECT p.id, t.van_id FROM b_techs t JOIN b_parts p ON p.cat IN (0, 6, 7) AND (p.n + t.n) % 20 = 0
WHERE t.van_id IS NOT NULL;
";

/// Opening stock as receipts in the last three months, after the plans exist: a store
/// holds 0.6 to 1.6 times the kits its sites' plans will take in 90 days (so some
/// parts run short late in the window, as in any store), other parts a few dozen or
/// none; vans a handful.
pub fn stock(conn: &mut PgConnection) -> anyhow::Result<()> {
    conn.batch_execute(RECEIPTS)?;
    Ok(())
}

const RECEIPTS: &str = "
CREATE TEMP TABLE b_demand AS
SELECT k.part_id, s.serving_warehouse_id AS warehouse_id, sum(k.quantity * o.per_90) AS qty
FROM b_pairs pr
JOIN b_plans p ON p.id = pr.plan_id
JOIN maintenance_plan_parts k ON k.plan_id = pr.plan_id
JOIN assets a ON a.id = pr.asset_id
JOIN sites s ON s.id = a.site_id
CROSS JOIN LATERAL (SELECT CASE
    WHEN p.meter IS NOT NULL AND pr.connected THEN 90 * pr.per_day / p.meter_every
    WHEN p.cal_dow IS NOT NULL THEN 13
    WHEN p.float_step = interval '6 weeks' THEN 2
    WHEN p.float_step IS NOT NULL THEN 0.5
    WHEN p.cal_months IS NOT NULL THEN 3.0 * array_length(p.cal_months, 1) / 12
    ELSE 0 END AS per_90) o
WHERE s.serving_warehouse_id IS NOT NULL
GROUP BY 1, 2;
INSERT INTO stock_movements (id, kind, part_id, warehouse_id, quantity, unit_cost, supplier, reference,
                             occurred_at, recorded_at, recorded_by)
SELECT pg_temp.uuid7(at), 'receipt', part_id, warehouse_id, quantity, unit_cost, 'Opening supplier',
       'DN-' || lpad((row_number() OVER (ORDER BY at))::text, 7, '0'), at, at, 'goods-in'
FROM (SELECT b.part_id, b.warehouse_id, parts.unit_cost,
             CASE WHEN w.kind = 'van' THEN 1 + floor(random() * 6)
                  WHEN d.qty > 0 THEN ceil(d.qty * (0.6 + random()))
                  WHEN random() < 0.1 THEN 0
                  ELSE floor(random() * 48) END AS quantity,
             now() - interval '90 days' * random() AS at
      FROM stock_balances b JOIN parts ON parts.id = b.part_id JOIN warehouses w ON w.id = b.warehouse_id
      LEFT JOIN b_demand d ON d.part_id = b.part_id AND d.warehouse_id = b.warehouse_id) r
WHERE quantity > 0;
";
