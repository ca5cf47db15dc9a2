-- Maintenance tickets (work orders): lifecycle, SLA clocks, assignment, the work record,
-- customer follow-up, and the timeline of every change.

-- SLA targets in calendar hours per (customer service tier, priority); tier '*' is the
-- default for tiers without their own row. A NULL response target means none.
CREATE TABLE sla_targets (
    tier             text NOT NULL CHECK (tier = '*' OR tier ~ '^[a-z0-9_-]{1,32}$'),
    priority         text NOT NULL CHECK (priority IN ('normal', 'urgent', 'critical')),
    response_hours   integer CHECK (response_hours > 0),
    resolution_hours integer NOT NULL CHECK (resolution_hours > 0),
    PRIMARY KEY (tier, priority)
);
INSERT INTO sla_targets (tier, priority, response_hours, resolution_hours) VALUES
    ('*', 'critical', 2, 8),
    ('*', 'urgent', 4, 24),
    ('*', 'normal', 8, 72);

CREATE SEQUENCE ticket_numbers;

CREATE TABLE tickets (
    id                    uuid PRIMARY KEY,
    number                bigint NOT NULL DEFAULT nextval('ticket_numbers') UNIQUE,
    kind                  text NOT NULL CHECK (kind IN ('preventive', 'corrective', 'inspection', 'request')),
    category              text CHECK (category ~ '^[a-z0-9_-]{1,32}$'),
    source                text NOT NULL CHECK (source IN ('schedule', 'threshold', 'offline', 'manual')),
    priority              text NOT NULL CHECK (priority IN ('normal', 'urgent', 'critical')),
    status                text NOT NULL DEFAULT 'open'
                          CHECK (status IN ('open', 'assigned', 'in_progress', 'on_hold', 'resolved', 'closed', 'cancelled')),
    hold_reason           text CHECK (hold_reason IN ('waiting_for_parts', 'waiting_for_customer')),
    asset_id              uuid NOT NULL REFERENCES assets (id),
    -- the asset's site and customer when the ticket was opened (filters, SLA tier)
    site_id               uuid NOT NULL REFERENCES sites (id),
    customer_id           uuid REFERENCES customers (id),
    title                 text NOT NULL CHECK (btrim(title) <> '' AND length(title) <= 300),
    description           text CHECK (length(description) <= 20000),
    reporter              text CHECK (length(reporter) <= 200),
    channel               text CHECK (channel IN ('phone', 'email', 'portal', 'device', 'schedule')),
    assignee_id           uuid REFERENCES technicians (id),
    -- SLA: due times, when the clocks stopped, and the time on hold waiting for the customer
    response_due_at       timestamptz,
    resolution_due_at     timestamptz NOT NULL,
    responded_at          timestamptz,
    resolved_at           timestamptz,
    closed_at             timestamptz,
    customer_hold_seconds bigint NOT NULL DEFAULT 0 CHECK (customer_hold_seconds >= 0),
    hold_started_at       timestamptz,
    -- the work record
    failure_problem       text CHECK (failure_problem ~ '^[a-z0-9_-]{1,32}$'),
    failure_cause         text CHECK (failure_cause ~ '^[a-z0-9_-]{1,32}$'),
    failure_remedy        text CHECK (failure_remedy ~ '^[a-z0-9_-]{1,32}$'),
    resolution            text CHECK (length(resolution) <= 20000),
    downtime_minutes      integer CHECK (downtime_minutes >= 0),
    signed_off_by         text CHECK (length(signed_off_by) <= 200),
    signed_off_at         timestamptz,
    created_by            text NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    version               integer NOT NULL DEFAULT 1,
    CONSTRAINT tickets_hold_reason CHECK ((status = 'on_hold') = (hold_reason IS NOT NULL)),
    CONSTRAINT tickets_assigned_has_assignee CHECK (status NOT IN ('assigned', 'in_progress') OR assignee_id IS NOT NULL),
    CONSTRAINT tickets_closed_has_resolution CHECK (status <> 'closed' OR resolution IS NOT NULL)
);
CREATE INDEX tickets_status ON tickets (status, id);
CREATE INDEX tickets_asset ON tickets (asset_id, id);
CREATE INDEX tickets_site ON tickets (site_id, id);
CREATE INDEX tickets_customer ON tickets (customer_id, id);
CREATE INDEX tickets_assignee ON tickets (assignee_id, status, id);
CREATE INDEX tickets_resolution_due ON tickets (resolution_due_at, id);
CREATE INDEX tickets_open_due ON tickets (resolution_due_at, id) WHERE status NOT IN ('resolved', 'closed', 'cancelled');
CREATE INDEX tickets_priority ON tickets (priority, id);
CREATE INDEX tickets_title_trgm ON tickets USING gin (lower(title) gin_trgm_ops);

-- The timeline: who changed what, when, with the values before and after.
CREATE TABLE ticket_events (
    id        uuid PRIMARY KEY,
    ticket_id uuid NOT NULL REFERENCES tickets (id),
    at        timestamptz NOT NULL DEFAULT now(),
    actor     text NOT NULL,
    kind      text NOT NULL CHECK (kind ~ '^[a-z_]{1,32}$'),
    before    jsonb,
    after     jsonb,
    note      text CHECK (length(note) <= 2000)
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);

-- Customer follow-up, one per ticket.
CREATE TABLE ticket_feedback (
    ticket_id    uuid PRIMARY KEY REFERENCES tickets (id),
    satisfaction smallint NOT NULL CHECK (satisfaction BETWEEN 1 AND 5),
    comment      text CHECK (length(comment) <= 5000),
    channel      text CHECK (channel IN ('phone', 'email', 'portal', 'visit')),
    recorded_by  text NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);

-- A ticket's checklist, in order.
CREATE TABLE ticket_checklist_items (
    ticket_id uuid NOT NULL REFERENCES tickets (id),
    position  smallint NOT NULL CHECK (position >= 0),
    text      text NOT NULL CHECK (btrim(text) <> '' AND length(text) <= 500),
    done      boolean NOT NULL DEFAULT false,
    reading   text CHECK (length(reading) <= 200),
    done_by   text,
    done_at   timestamptz,
    PRIMARY KEY (ticket_id, position)
);

-- Labour booked on a ticket.
CREATE TABLE ticket_labour (
    id            uuid PRIMARY KEY,
    ticket_id     uuid NOT NULL REFERENCES tickets (id),
    technician_id uuid NOT NULL REFERENCES technicians (id),
    minutes       integer NOT NULL CHECK (minutes > 0 AND minutes <= 1440),
    note          text CHECK (length(note) <= 2000),
    recorded_by   text NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_labour_ticket ON ticket_labour (ticket_id, id);

-- The configurable failure-code catalogue: problems, causes and remedies.
CREATE TABLE failure_codes (
    kind        text NOT NULL CHECK (kind IN ('problem', 'cause', 'remedy')),
    code        text NOT NULL CHECK (code ~ '^[a-z0-9_-]{1,32}$'),
    description text NOT NULL CHECK (btrim(description) <> '' AND length(description) <= 200),
    PRIMARY KEY (kind, code)
);

-- Stock moved for a ticket now refers to a real ticket.
ALTER TABLE stock_reservations ADD CONSTRAINT stock_reservations_ticket
    FOREIGN KEY (ticket_id) REFERENCES tickets (id);
ALTER TABLE stock_movements ADD CONSTRAINT stock_movements_ticket_fk
    FOREIGN KEY (ticket_id) REFERENCES tickets (id);
