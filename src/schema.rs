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
    }
}

diesel::joinable!(api_keys -> technicians (technician_id));
diesel::joinable!(asset_meters -> assets (asset_id));
diesel::joinable!(assets -> equipment_models (model_id));
diesel::joinable!(assets -> sites (site_id));
diesel::joinable!(devices -> assets (asset_id));
diesel::joinable!(sites -> customers (customer_id));
diesel::joinable!(technicians -> sites (home_site_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_keys,
    asset_meters,
    assets,
    customers,
    devices,
    equipment_models,
    idempotency_records,
    sites,
    technicians,
);
