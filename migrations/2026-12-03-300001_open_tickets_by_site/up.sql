-- A site's open work (the dispatcher's list: status open/assigned/in progress/on hold,
-- site and its sub-sites, oldest first) from the few open tickets of those sites,
-- instead of intersecting every ticket of the sites with every open ticket. Measured by
-- the REST benchmark with a million tickets: 1.2 ms -> 0.2 ms per page in PostgreSQL.
CREATE INDEX tickets_open_site ON tickets (site_id, id)
    WHERE status NOT IN ('resolved', 'closed', 'cancelled');
