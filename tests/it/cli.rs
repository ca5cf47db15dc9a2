//! The `mainspring` binary: `keys create` prints a working key alone on its last line,
//! `keys list`/`revoke` manage it, and a malformed setting stops start-up with one line
//! naming it.

use std::process::Command;

use reqwest::Method;

use crate::support::{assert_problem, TestApp};

fn mainspring(database_url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mainspring"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("MAINSPRING_LOG", "warn")
        .output()
        .expect("run mainspring")
}

#[actix_web::test]
async fn keys_created_on_the_command_line_work_until_revoked() {
    let app = TestApp::start().await;
    let out = mainspring(
        &app.database_url,
        &[
            "keys",
            "create",
            "--role",
            "planner",
            "--name",
            "planning office",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let key = stdout.lines().last().unwrap().trim().to_owned();
    assert!(key.starts_with("msk_"), "{stdout}");
    let (s, _) = app
        .call_as(
            &key,
            Method::POST,
            "/api/v1/customers",
            Some(serde_json::json!({"name": "From CLI"})),
        )
        .await;
    assert_eq!(s, 201);

    let out = mainspring(&app.database_url, &["keys", "list"]);
    let listing = String::from_utf8(out.stdout).unwrap();
    let line = listing
        .lines()
        .find(|l| l.ends_with("planning office"))
        .expect("listed");
    assert!(!listing.contains(&key), "the key itself is never listed");
    let id = line.split_whitespace().next().unwrap();

    let out = mainspring(&app.database_url, &["keys", "revoke", id]);
    assert!(out.status.success());
    let (s, v) = app
        .call_as(&key, Method::GET, "/api/v1/customers", None)
        .await;
    assert_problem(s, &v, 401);

    let out = mainspring(
        &app.database_url,
        &["keys", "create", "--role", "wizard", "--name", "x"],
    );
    assert!(!out.status.success());
}

#[test]
fn a_malformed_setting_stops_start_up_with_one_line_naming_it() {
    let out = Command::new(env!("CARGO_BIN_EXE_mainspring"))
        .arg("serve")
        .env("HTTP_ADDR", "localhost")
        .env("DATABASE_URL", "postgres://127.0.0.1:1/none")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("mainspring: invalid setting HTTP_ADDR:"),
        "{stderr}"
    );
}

#[test]
fn the_openapi_command_prints_the_committed_document() {
    let out = Command::new(env!("CARGO_BIN_EXE_mainspring"))
        .arg("openapi")
        .output()
        .unwrap();
    assert!(out.status.success());
    let committed =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json")).unwrap();
    assert!(
        out.stdout == committed,
        "regenerate with `cargo run -q -- openapi > openapi/openapi.json`"
    );
}
