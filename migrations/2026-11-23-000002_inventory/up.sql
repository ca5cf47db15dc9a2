-- Spare-parts inventory: warehouses, the parts catalog, balances, the append-only stock
-- ledger, reservations against tickets, and stocktakes.
--
-- Invariants held here rather than only in code:
--  * stock_balances.on_hand is the sum of the balance's movements: only the trigger on
--    stock_movements changes it, and movements are never updated or deleted;
--  * stock_balances.reserved is the sum of the balance's open reservations: only the
--    trigger on stock_reservations changes it;
--  * 0 <= reserved <= on_hand, so stock never goes negative and nothing reserved for one
--    ticket can be issued to another.
-- Quantities are exact decimals with three places (litres, metres, kilograms); money
-- has four.

CREATE TABLE warehouses (
    id         uuid PRIMARY KEY,
    code       text NOT NULL CHECK (code ~ '^[A-Za-z0-9_.-]{1,32}$'),
    name       text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    kind       text NOT NULL CHECK (kind IN ('central', 'van', 'cabinet')),
    site_id    uuid REFERENCES sites (id),
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version    integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX warehouses_code ON warehouses (lower(code));
CREATE INDEX warehouses_site ON warehouses (site_id);

ALTER TABLE sites ADD COLUMN serving_warehouse_id uuid REFERENCES warehouses (id);
CREATE INDEX sites_serving_warehouse ON sites (serving_warehouse_id);
ALTER TABLE technicians ADD COLUMN van_warehouse_id uuid REFERENCES warehouses (id);
-- a van is one technician's
CREATE UNIQUE INDEX technicians_van ON technicians (van_warehouse_id);

CREATE TABLE parts (
    id          uuid PRIMARY KEY,
    sku         text NOT NULL CHECK (sku ~ '^[A-Za-z0-9_./-]{1,64}$'),
    name        text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    description text,
    unit        text NOT NULL DEFAULT 'each' CHECK (unit ~ '^[a-z0-9_]{1,16}$'),
    category    text CHECK (category ~ '^[a-z0-9_-]{1,32}$'),
    criticality text NOT NULL DEFAULT 'essential' CHECK (criticality IN ('vital', 'essential', 'desirable')),
    -- moving-average cost of one unit, moved by every receipt
    unit_cost   numeric(18, 4) NOT NULL DEFAULT 0 CHECK (unit_cost >= 0),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    version     integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX parts_sku ON parts (lower(sku));
CREATE INDEX parts_name_trgm ON parts USING gin (lower(name) gin_trgm_ops);
CREATE INDEX parts_category ON parts (category, id);

-- Where-used: the models a part fits and the parts of a model.
CREATE TABLE part_models (
    part_id  uuid NOT NULL REFERENCES parts (id) ON DELETE CASCADE,
    model_id uuid NOT NULL REFERENCES equipment_models (id),
    PRIMARY KEY (part_id, model_id)
);
CREATE INDEX part_models_model ON part_models (model_id, part_id);

-- Suppliers of a part, in order of preference (position 0 is the preferred one).
CREATE TABLE part_suppliers (
    part_id        uuid NOT NULL REFERENCES parts (id) ON DELETE CASCADE,
    position       smallint NOT NULL CHECK (position >= 0),
    supplier       text NOT NULL CHECK (btrim(supplier) <> '' AND length(supplier) <= 200),
    supplier_sku   text CHECK (length(supplier_sku) <= 64),
    lead_time_days integer NOT NULL DEFAULT 0 CHECK (lead_time_days BETWEEN 0 AND 3650),
    price          numeric(18, 4) CHECK (price >= 0),
    min_order_qty  numeric(16, 3) NOT NULL DEFAULT 1 CHECK (min_order_qty > 0),
    PRIMARY KEY (part_id, position)
);

CREATE TABLE stock_balances (
    part_id          uuid NOT NULL REFERENCES parts (id),
    warehouse_id     uuid NOT NULL REFERENCES warehouses (id),
    bin              text CHECK (btrim(bin) <> '' AND length(bin) <= 64),
    on_hand          numeric(16, 3) NOT NULL DEFAULT 0,
    reserved         numeric(16, 3) NOT NULL DEFAULT 0,
    -- stays 0 until purchasing exists; part of the reorder position already
    on_order         numeric(16, 3) NOT NULL DEFAULT 0 CHECK (on_order >= 0),
    reorder_point    numeric(16, 3) CHECK (reorder_point >= 0),
    reorder_quantity numeric(16, 3) CHECK (reorder_quantity > 0),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    version          integer NOT NULL DEFAULT 1,
    PRIMARY KEY (part_id, warehouse_id),
    CONSTRAINT stock_balances_on_hand_not_negative CHECK (on_hand >= 0),
    CONSTRAINT stock_balances_reserved_not_negative CHECK (reserved >= 0),
    CONSTRAINT stock_balances_reserved_within_on_hand CHECK (reserved <= on_hand)
);
CREATE INDEX stock_balances_warehouse ON stock_balances (warehouse_id, part_id);
CREATE INDEX stock_balances_reorder ON stock_balances (part_id, warehouse_id)
    WHERE reorder_point IS NOT NULL;

CREATE TABLE stocktakes (
    id           uuid PRIMARY KEY,
    warehouse_id uuid NOT NULL REFERENCES warehouses (id),
    counted_at   timestamptz NOT NULL,
    posted_at    timestamptz NOT NULL DEFAULT now(),
    posted_by    text NOT NULL,
    note         text
);
CREATE INDEX stocktakes_warehouse ON stocktakes (warehouse_id, id);

CREATE TABLE stock_movements (
    id           uuid PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('receipt', 'issue', 'return', 'transfer', 'adjustment')),
    part_id      uuid NOT NULL,
    warehouse_id uuid NOT NULL,
    -- signed change of on_hand
    quantity     numeric(16, 3) NOT NULL CHECK (quantity <> 0),
    unit_cost    numeric(18, 4) CHECK (unit_cost >= 0),
    supplier     text CHECK (length(supplier) <= 200),
    reference    text CHECK (length(reference) <= 200),
    ticket_id    uuid,
    -- the two legs of a transfer share it
    transfer_id  uuid,
    reason       text CHECK (reason ~ '^[a-z0-9_-]{1,32}$'),
    note         text CHECK (length(note) <= 2000),
    reverses_id  uuid REFERENCES stock_movements (id),
    stocktake_id uuid REFERENCES stocktakes (id),
    -- when the stock moved: the time of recording, or a stocktake's time of counting
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    recorded_by  text NOT NULL,
    FOREIGN KEY (part_id, warehouse_id) REFERENCES stock_balances (part_id, warehouse_id),
    CONSTRAINT stock_movements_receipt_cost CHECK (kind <> 'receipt' OR unit_cost IS NOT NULL),
    CONSTRAINT stock_movements_ticket CHECK ((kind IN ('issue', 'return')) = (ticket_id IS NOT NULL)),
    CONSTRAINT stock_movements_transfer CHECK ((kind = 'transfer') = (transfer_id IS NOT NULL)),
    CONSTRAINT stock_movements_reason CHECK (kind <> 'adjustment' OR reason IS NOT NULL),
    -- originals move stock their kind's way, reversals the other way
    CONSTRAINT stock_movements_direction CHECK (CASE kind
        WHEN 'receipt' THEN (quantity > 0) = (reverses_id IS NULL)
        WHEN 'return' THEN (quantity > 0) = (reverses_id IS NULL)
        WHEN 'issue' THEN (quantity < 0) = (reverses_id IS NULL)
        ELSE true END)
);
-- a movement is reversed at most once
CREATE UNIQUE INDEX stock_movements_reversed_once ON stock_movements (reverses_id);
CREATE INDEX stock_movements_part ON stock_movements (part_id, id);
CREATE INDEX stock_movements_warehouse ON stock_movements (warehouse_id, id);
CREATE INDEX stock_movements_ticket ON stock_movements (ticket_id, id) WHERE ticket_id IS NOT NULL;
CREATE INDEX stock_movements_transfer ON stock_movements (transfer_id) WHERE transfer_id IS NOT NULL;
CREATE INDEX stock_movements_kind ON stock_movements (kind, id);
CREATE INDEX stock_movements_balance_time ON stock_movements (part_id, warehouse_id, occurred_at);
CREATE INDEX stock_movements_stocktake ON stock_movements (stocktake_id) WHERE stocktake_id IS NOT NULL;

-- What a stocktake found per part: the ledger as of the count, the count, the adjustment.
CREATE TABLE stocktake_lines (
    stocktake_id uuid NOT NULL REFERENCES stocktakes (id),
    part_id      uuid NOT NULL REFERENCES parts (id),
    expected     numeric(16, 3) NOT NULL,
    counted      numeric(16, 3) NOT NULL CHECK (counted >= 0),
    movement_id  uuid REFERENCES stock_movements (id),
    PRIMARY KEY (stocktake_id, part_id)
);

-- Quantities held at a warehouse for a ticket. `quantity` is held now (counted in the
-- balance's `reserved`), `shortage` is wanted but was not available, `issued` has been
-- issued to the ticket against it.
CREATE TABLE stock_reservations (
    id             uuid PRIMARY KEY,
    ticket_id      uuid NOT NULL,
    part_id        uuid NOT NULL,
    warehouse_id   uuid NOT NULL,
    quantity       numeric(16, 3) NOT NULL CHECK (quantity >= 0),
    shortage       numeric(16, 3) NOT NULL DEFAULT 0 CHECK (shortage >= 0),
    issued         numeric(16, 3) NOT NULL DEFAULT 0 CHECK (issued >= 0),
    status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'fulfilled', 'released')),
    release_reason text CHECK (release_reason ~ '^[a-z0-9_-]{1,32}$'),
    note           text CHECK (length(note) <= 2000),
    created_by     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    closed_at      timestamptz,
    FOREIGN KEY (part_id, warehouse_id) REFERENCES stock_balances (part_id, warehouse_id),
    CHECK ((status = 'released') = (release_reason IS NOT NULL))
);
-- one open reservation per (ticket, part, warehouse): reserving again adds to it
CREATE UNIQUE INDEX stock_reservations_open ON stock_reservations (ticket_id, part_id, warehouse_id)
    WHERE status = 'open';
CREATE INDEX stock_reservations_balance ON stock_reservations (part_id, warehouse_id, id)
    WHERE status = 'open';
CREATE INDEX stock_reservations_ticket ON stock_reservations (ticket_id, id);

-- on_hand follows the ledger.
CREATE FUNCTION stock_movements_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE stock_balances
       SET on_hand = on_hand + NEW.quantity, updated_at = now(), version = version + 1
     WHERE part_id = NEW.part_id AND warehouse_id = NEW.warehouse_id;
    RETURN NULL;
END $$;
CREATE TRIGGER stock_movements_apply AFTER INSERT ON stock_movements
    FOR EACH ROW EXECUTE FUNCTION stock_movements_apply();

-- The ledger is append-only.
CREATE FUNCTION stock_movements_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'stock movements are append-only: correct a mistake with a reversing movement'
        USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER stock_movements_append_only BEFORE UPDATE OR DELETE ON stock_movements
    FOR EACH ROW EXECUTE FUNCTION stock_movements_append_only();
CREATE TRIGGER stock_movements_no_truncate BEFORE TRUNCATE ON stock_movements
    FOR EACH STATEMENT EXECUTE FUNCTION stock_movements_append_only();

-- reserved follows the open reservations.
CREATE FUNCTION stock_reservations_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta numeric := 0;
BEGIN
    IF TG_OP = 'UPDATE' AND (NEW.part_id, NEW.warehouse_id, NEW.ticket_id)
                            IS DISTINCT FROM (OLD.part_id, OLD.warehouse_id, OLD.ticket_id) THEN
        RAISE EXCEPTION 'a reservation''s ticket, part and warehouse cannot change'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'open' THEN
        delta := delta + NEW.quantity;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'open' THEN
        delta := delta - OLD.quantity;
    END IF;
    IF delta <> 0 THEN
        UPDATE stock_balances
           SET reserved = reserved + delta, updated_at = now(), version = version + 1
         WHERE part_id = COALESCE(NEW.part_id, OLD.part_id)
           AND warehouse_id = COALESCE(NEW.warehouse_id, OLD.warehouse_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER stock_reservations_apply AFTER INSERT OR UPDATE OR DELETE ON stock_reservations
    FOR EACH ROW EXECUTE FUNCTION stock_reservations_apply();

-- on_hand and reserved are derived: only the triggers above write them.
CREATE FUNCTION stock_balances_derived() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF pg_trigger_depth() = 1 AND (
        (TG_OP = 'INSERT' AND (NEW.on_hand <> 0 OR NEW.reserved <> 0)) OR
        (TG_OP = 'UPDATE' AND (NEW.on_hand <> OLD.on_hand OR NEW.reserved <> OLD.reserved))) THEN
        RAISE EXCEPTION 'on_hand changes only through stock movements and reserved only through reservations'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER stock_balances_derived BEFORE INSERT OR UPDATE ON stock_balances
    FOR EACH ROW EXECUTE FUNCTION stock_balances_derived();
