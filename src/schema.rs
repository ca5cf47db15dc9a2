// @generated automatically by Diesel CLI.

diesel::table! {
    api_keys (id) {
        id -> Uuid,
        name -> Text,
        role -> Text,
        technician_id -> Nullable<Uuid>,
        key_hash -> Bytea,
        key_prefix -> Text,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        last_used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    asset_meters (asset_id, name) {
        asset_id -> Uuid,
        name -> Text,
        unit -> Text,
        value -> Float8,
        read_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    assets (id) {
        id -> Uuid,
        model_id -> Uuid,
        serial_number -> Text,
        site_id -> Uuid,
        parent_asset_id -> Nullable<Uuid>,
        name -> Nullable<Text>,
        install_date -> Nullable<Date>,
        warranty_end -> Nullable<Date>,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
    }
}

diesel::table! {
    calendar_feeds (id) {
        id -> Uuid,
        name -> Text,
        token_hash -> Bytea,
        created_by -> Text,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    customers (id) {
        id -> Uuid,
        name -> Text,
        service_tier -> Text,
        contacts -> Jsonb,
        contact_search -> Text,
        notes -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
    }
}

diesel::table! {
    devices (id) {
        id -> Uuid,
        device_id -> Text,
        asset_id -> Uuid,
        name -> Nullable<Text>,
        active -> Bool,
        last_seen_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
    }
}

diesel::table! {
    equipment_models (id) {
        id -> Uuid,
        manufacturer -> Text,
        model_number -> Text,
        name -> Nullable<Text>,
        description -> Nullable<Text>,
        skills -> Array<Nullable<Text>>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
    }
}

diesel::table! {
    failure_codes (kind, code) {
        kind -> Text,
        code -> Text,
        description -> Text,
    }
}

diesel::table! {
    idempotency_records (principal, key) {
        principal -> Text,
        key -> Text,
        request_hash -> Bytea,
        state -> Text,
        response_status -> Nullable<Int2>,
        response_type -> Nullable<Text>,
        response_body -> Nullable<Bytea>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    maintenance_plan_parts (plan_id, part_id) {
        plan_id -> Uuid,
        part_id -> Uuid,
        quantity -> Numeric,
    }
}

diesel::table! {
    maintenance_plans (id) {
        id -> Uuid,
        title -> Text,
        description -> Nullable<Text>,
        asset_id -> Nullable<Uuid>,
        model_id -> Nullable<Uuid>,
        cron -> Nullable<Text>,
        interval_every -> Nullable<Int4>,
        interval_unit -> Nullable<Text>,
        interval_anchor -> Nullable<Date>,
        interval_at -> Nullable<Time>,
        interval_mode -> Nullable<Text>,
        meter -> Nullable<Text>,
        meter_every -> Nullable<Float8>,
        meter_start -> Nullable<Float8>,
        lead_days -> Int4,
        checklist -> Array<Nullable<Text>>,
        estimated_minutes -> Nullable<Int4>,
        skills -> Array<Nullable<Text>>,
        priority -> Text,
        active -> Bool,
        starts_at -> Timestamptz,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
    }
}

diesel::table! {
    maintenance_schedule (plan_id, asset_id) {
        plan_id -> Uuid,
        asset_id -> Uuid,
        covered_since -> Timestamptz,
        checked_through -> Timestamptz,
        meter_counted_from -> Nullable<Timestamptz>,
        meter_through -> Nullable<Timestamptz>,
        meter_last -> Nullable<Float8>,
        meter_usage -> Float8,
    }
}

diesel::table! {
    meter_readings (asset_id, meter, read_at) {
        asset_id -> Uuid,
        meter -> Text,
        read_at -> Timestamptz,
        value -> Float8,
        source -> Text,
        recorded_by -> Text,
        recorded_at -> Timestamptz,
    }
}

diesel::table! {
    part_models (part_id, model_id) {
        part_id -> Uuid,
        model_id -> Uuid,
    }
}

diesel::table! {
    part_suppliers (part_id, position) {
        part_id -> Uuid,
        position -> Int2,
        supplier -> Text,
        supplier_sku -> Nullable<Text>,
        lead_time_days -> Int4,
        price -> Nullable<Numeric>,
        min_order_qty -> Numeric,
    }
}

diesel::table! {
    parts (id) {
        id -> Uuid,
        sku -> Text,
        name -> Text,
        description -> Nullable<Text>,
        unit -> Text,
        category -> Nullable<Text>,
        criticality -> Text,
        unit_cost -> Numeric,
        active -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
    }
}

diesel::table! {
    rule_device_states (rule_id, device_id) {
        rule_id -> Uuid,
        device_id -> Uuid,
        offline -> Bool,
        status_at -> Nullable<Timestamptz>,
        silent_seen -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    rule_states (rule_id, asset_id) {
        rule_id -> Uuid,
        asset_id -> Uuid,
        phase -> Text,
        phase_since -> Nullable<Timestamptz>,
        newest_at -> Nullable<Timestamptz>,
        applied_through -> Nullable<Timestamptz>,
        buffer -> Bytea,
        flush_due_at -> Nullable<Timestamptz>,
        held_status -> Nullable<Text>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    rules (id) {
        id -> Uuid,
        name -> Text,
        kind -> Text,
        asset_id -> Nullable<Uuid>,
        model_id -> Nullable<Uuid>,
        metric -> Nullable<Text>,
        operator -> Nullable<Text>,
        threshold -> Nullable<Float8>,
        low -> Nullable<Float8>,
        high -> Nullable<Float8>,
        hysteresis -> Float8,
        duration_s -> Int4,
        allowed_lateness_s -> Int4,
        silence_s -> Nullable<Int4>,
        offline_status -> Bool,
        severity -> Text,
        title_template -> Text,
        asset_status -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
    }
}

diesel::table! {
    sites (id) {
        id -> Uuid,
        customer_id -> Nullable<Uuid>,
        parent_id -> Nullable<Uuid>,
        name -> Text,
        kind -> Text,
        time_zone -> Text,
        address -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
        serving_warehouse_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    sla_targets (tier, priority) {
        tier -> Text,
        priority -> Text,
        response_hours -> Nullable<Int4>,
        resolution_hours -> Int4,
    }
}

diesel::table! {
    stock_balances (part_id, warehouse_id) {
        part_id -> Uuid,
        warehouse_id -> Uuid,
        bin -> Nullable<Text>,
        on_hand -> Numeric,
        reserved -> Numeric,
        on_order -> Numeric,
        reorder_point -> Nullable<Numeric>,
        reorder_quantity -> Nullable<Numeric>,
        updated_at -> Timestamptz,
        version -> Int4,
    }
}

diesel::table! {
    stock_movements (id) {
        id -> Uuid,
        kind -> Text,
        part_id -> Uuid,
        warehouse_id -> Uuid,
        quantity -> Numeric,
        unit_cost -> Nullable<Numeric>,
        supplier -> Nullable<Text>,
        reference -> Nullable<Text>,
        ticket_id -> Nullable<Uuid>,
        transfer_id -> Nullable<Uuid>,
        reason -> Nullable<Text>,
        note -> Nullable<Text>,
        reverses_id -> Nullable<Uuid>,
        stocktake_id -> Nullable<Uuid>,
        occurred_at -> Timestamptz,
        recorded_at -> Timestamptz,
        recorded_by -> Text,
    }
}

diesel::table! {
    stock_reservations (id) {
        id -> Uuid,
        ticket_id -> Uuid,
        part_id -> Uuid,
        warehouse_id -> Uuid,
        quantity -> Numeric,
        shortage -> Numeric,
        issued -> Numeric,
        status -> Text,
        release_reason -> Nullable<Text>,
        note -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        closed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    stocktake_lines (stocktake_id, part_id) {
        stocktake_id -> Uuid,
        part_id -> Uuid,
        expected -> Numeric,
        counted -> Numeric,
        movement_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    stocktakes (id) {
        id -> Uuid,
        warehouse_id -> Uuid,
        counted_at -> Timestamptz,
        posted_at -> Timestamptz,
        posted_by -> Text,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    technicians (id) {
        id -> Uuid,
        name -> Text,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        skills -> Array<Nullable<Text>>,
        home_site_id -> Nullable<Uuid>,
        active -> Bool,
        availability -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
        van_warehouse_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    ticket_checklist_items (ticket_id, position) {
        ticket_id -> Uuid,
        position -> Int2,
        text -> Text,
        done -> Bool,
        reading -> Nullable<Text>,
        done_by -> Nullable<Text>,
        done_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    ticket_events (id) {
        id -> Uuid,
        ticket_id -> Uuid,
        at -> Timestamptz,
        actor -> Text,
        kind -> Text,
        before -> Nullable<Jsonb>,
        after -> Nullable<Jsonb>,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    ticket_feedback (ticket_id) {
        ticket_id -> Uuid,
        satisfaction -> Int2,
        comment -> Nullable<Text>,
        channel -> Nullable<Text>,
        recorded_by -> Text,
        recorded_at -> Timestamptz,
    }
}

diesel::table! {
    ticket_labour (id) {
        id -> Uuid,
        ticket_id -> Uuid,
        technician_id -> Uuid,
        minutes -> Int4,
        note -> Nullable<Text>,
        recorded_by -> Text,
        recorded_at -> Timestamptz,
    }
}

diesel::table! {
    tickets (id) {
        id -> Uuid,
        number -> Int8,
        kind -> Text,
        category -> Nullable<Text>,
        source -> Text,
        priority -> Text,
        status -> Text,
        hold_reason -> Nullable<Text>,
        asset_id -> Uuid,
        site_id -> Uuid,
        customer_id -> Nullable<Uuid>,
        title -> Text,
        description -> Nullable<Text>,
        reporter -> Nullable<Text>,
        channel -> Nullable<Text>,
        assignee_id -> Nullable<Uuid>,
        response_due_at -> Nullable<Timestamptz>,
        resolution_due_at -> Timestamptz,
        responded_at -> Nullable<Timestamptz>,
        resolved_at -> Nullable<Timestamptz>,
        closed_at -> Nullable<Timestamptz>,
        customer_hold_seconds -> Int8,
        hold_started_at -> Nullable<Timestamptz>,
        failure_problem -> Nullable<Text>,
        failure_cause -> Nullable<Text>,
        failure_remedy -> Nullable<Text>,
        resolution -> Nullable<Text>,
        downtime_minutes -> Nullable<Int4>,
        signed_off_by -> Nullable<Text>,
        signed_off_at -> Nullable<Timestamptz>,
        created_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
        plan_id -> Nullable<Uuid>,
        pm_trigger -> Nullable<Text>,
        pm_due_at -> Nullable<Timestamptz>,
        pm_counted_from -> Nullable<Timestamptz>,
        missed_occurrences -> Int4,
        skills -> Array<Nullable<Text>>,
        rule_id -> Nullable<Uuid>,
        occurrences -> Int4,
        last_occurred_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    warehouses (id) {
        id -> Uuid,
        code -> Text,
        name -> Text,
        kind -> Text,
        site_id -> Nullable<Uuid>,
        active -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
    }
}

diesel::joinable!(api_keys -> technicians (technician_id));
diesel::joinable!(asset_meters -> assets (asset_id));
diesel::joinable!(assets -> equipment_models (model_id));
diesel::joinable!(assets -> sites (site_id));
diesel::joinable!(devices -> assets (asset_id));
diesel::joinable!(maintenance_plan_parts -> maintenance_plans (plan_id));
diesel::joinable!(maintenance_plan_parts -> parts (part_id));
diesel::joinable!(maintenance_plans -> assets (asset_id));
diesel::joinable!(maintenance_plans -> equipment_models (model_id));
diesel::joinable!(maintenance_schedule -> assets (asset_id));
diesel::joinable!(maintenance_schedule -> maintenance_plans (plan_id));
diesel::joinable!(part_models -> equipment_models (model_id));
diesel::joinable!(part_models -> parts (part_id));
diesel::joinable!(part_suppliers -> parts (part_id));
diesel::joinable!(rule_device_states -> devices (device_id));
diesel::joinable!(rule_device_states -> rules (rule_id));
diesel::joinable!(rule_states -> assets (asset_id));
diesel::joinable!(rule_states -> rules (rule_id));
diesel::joinable!(rules -> assets (asset_id));
diesel::joinable!(rules -> equipment_models (model_id));
diesel::joinable!(sites -> customers (customer_id));
diesel::joinable!(stock_balances -> parts (part_id));
diesel::joinable!(stock_balances -> warehouses (warehouse_id));
diesel::joinable!(stock_movements -> stocktakes (stocktake_id));
diesel::joinable!(stock_movements -> tickets (ticket_id));
diesel::joinable!(stock_reservations -> tickets (ticket_id));
diesel::joinable!(stocktake_lines -> parts (part_id));
diesel::joinable!(stocktake_lines -> stock_movements (movement_id));
diesel::joinable!(stocktake_lines -> stocktakes (stocktake_id));
diesel::joinable!(stocktakes -> warehouses (warehouse_id));
diesel::joinable!(technicians -> sites (home_site_id));
diesel::joinable!(technicians -> warehouses (van_warehouse_id));
diesel::joinable!(ticket_checklist_items -> tickets (ticket_id));
diesel::joinable!(ticket_events -> tickets (ticket_id));
diesel::joinable!(ticket_feedback -> tickets (ticket_id));
diesel::joinable!(ticket_labour -> technicians (technician_id));
diesel::joinable!(ticket_labour -> tickets (ticket_id));
diesel::joinable!(tickets -> assets (asset_id));
diesel::joinable!(tickets -> customers (customer_id));
diesel::joinable!(tickets -> maintenance_plans (plan_id));
diesel::joinable!(tickets -> rules (rule_id));
diesel::joinable!(tickets -> sites (site_id));
diesel::joinable!(tickets -> technicians (assignee_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_keys,
    asset_meters,
    assets,
    calendar_feeds,
    customers,
    devices,
    equipment_models,
    failure_codes,
    idempotency_records,
    maintenance_plan_parts,
    maintenance_plans,
    maintenance_schedule,
    meter_readings,
    part_models,
    part_suppliers,
    parts,
    rule_device_states,
    rule_states,
    rules,
    sites,
    sla_targets,
    stock_balances,
    stock_movements,
    stock_reservations,
    stocktake_lines,
    stocktakes,
    technicians,
    ticket_checklist_items,
    ticket_events,
    ticket_feedback,
    ticket_labour,
    tickets,
    warehouses,
);
