//! `mainspring demo`, the README's first command, as a newcomer runs it: with nothing
//! configured it starts its private services, seeds the installed base and runs the
//! simulated fleet; failure tickets, PM tickets and dead letters appear through the API
//! within two minutes; Ctrl-C stops everything and removes the private services.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const KEY: &str = "demo-test-key-0123456789";

async fn count(http: &reqwest::Client, base: &str, path: &str) -> usize {
    let Ok(res) = http
        .get(format!("{base}{path}"))
        .bearer_auth(KEY)
        .send()
        .await
    else {
        return 0;
    };
    let Ok(v) = res.json::<Value>().await else {
        return 0;
    };
    v["items"].as_array().map_or(0, Vec::len)
}

#[actix_web::test]
async fn the_demo_shows_automatic_tickets_within_two_minutes_and_cleans_up_on_ctrl_c() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let tmp = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mainspring"))
        .arg("demo")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TMPDIR", tmp.path())
        .env("HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env("MAINSPRING_ADMIN_KEY", KEY)
        .env("MAINSPRING_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run mainspring demo");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen = (0, 0, 0);
    while Instant::now() < deadline {
        seen = (
            count(&http, &base, "/api/v1/tickets?source=threshold").await,
            count(&http, &base, "/api/v1/tickets?source=schedule").await,
            count(&http, &base, "/api/v1/dead-letters").await,
        );
        if seen.0 >= 3 && seen.1 >= 1 && seen.2 >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let stopped = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(
        seen.0 >= 3 && seen.1 >= 1 && seen.2 >= 1,
        "threshold tickets, PM tickets, dead letters after 2 minutes: {seen:?}"
    );
    assert!(status.success(), "{status}");
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "private services left behind: {left:?}");
}
