//! Test support: a private Mosquitto on a free port (never the machine's 1883), a
//! subscriber that records everything it receives, and the simulator binary.

#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::Value;

/// Debian's path, else whatever `mosquitto` is on PATH.
fn mosquitto() -> &'static str {
    if std::path::Path::new("/usr/sbin/mosquitto").exists() {
        "/usr/sbin/mosquitto"
    } else {
        "mosquitto"
    }
}

/// A throwaway Mosquitto: anonymous, no persistence, listening on 127.0.0.1 only.
pub struct Broker {
    child: Child,
    pub port: u16,
    conf: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Broker {
    pub fn start() -> Broker {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let conf = dir.path().join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n\
                 log_dest stderr\nlog_type error\nlog_type warning\nmax_queued_messages 100000\n"
            ),
        )
        .unwrap();
        let child = spawn(&conf, port);
        Broker {
            child,
            port,
            conf,
            _dir: dir,
        }
    }

    /// Kills the broker (no goodbye to its clients).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts it again on the same port.
    pub fn restart(&mut self) {
        self.kill();
        self.child = spawn(&self.conf, self.port);
    }

    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }
}

fn spawn(conf: &std::path::Path, port: u16) -> Child {
    let child = Command::new(mosquitto())
        .arg("-c")
        .arg(conf)
        .stdout(Stdio::null())
        .spawn()
        .expect("these tests need Mosquitto (apt-get install mosquitto)");
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "mosquitto did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug, Clone)]
pub struct Msg {
    pub topic: String,
    pub payload: Vec<u8>,
    pub retain: bool,
}

impl Msg {
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.payload).unwrap_or("<not utf-8>")
    }

    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.payload).ok()
    }

    /// The device id of a `{prefix}/v1/devices/{id}/{leaf}` topic, and the leaf.
    pub fn device(&self) -> Option<(&str, &str)> {
        let rest = self.topic.strip_prefix("mainspring/v1/devices/")?;
        rest.split_once('/')
    }
}

/// Records every message on `filter` (QoS 1), from the moment `subscribe` returns.
pub struct Subscriber {
    msgs: Arc<Mutex<Vec<Msg>>>,
    _client: AsyncClient,
    task: tokio::task::JoinHandle<()>,
}

impl Subscriber {
    pub async fn subscribe(port: u16, filter: &str) -> Subscriber {
        let id = format!("test-sub-{}", rand_suffix());
        let mut o = MqttOptions::new(id, "127.0.0.1", port);
        o.set_max_packet_size(4 << 20, 64 << 10);
        o.set_keep_alive(Duration::from_secs(30));
        let (client, mut eventloop) = AsyncClient::new(o, 100);
        client.subscribe(filter, QoS::AtLeastOnce).await.unwrap();
        let msgs = Arc::new(Mutex::new(Vec::new()));
        let sink = msgs.clone();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let mut ready = Some(ready_tx);
        let task = tokio::spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        if let Some(r) = ready.take() {
                            let _ = r.send(());
                        }
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => sink.lock().unwrap().push(Msg {
                        topic: p.topic.clone(),
                        payload: p.payload.to_vec(),
                        retain: p.retain,
                    }),
                    Ok(_) => {}
                    Err(e) => panic!("test subscriber: {e}"),
                }
            }
        });
        tokio::time::timeout(Duration::from_secs(5), ready_rx)
            .await
            .expect("SUBACK in time")
            .unwrap();
        Subscriber {
            msgs,
            _client: client,
            task,
        }
    }

    pub fn messages(&self) -> Vec<Msg> {
        self.msgs.lock().unwrap().clone()
    }

    /// Waits until `done` holds for what was received (or panics after `secs`).
    pub async fn wait_until(&self, secs: u64, what: &str, done: impl Fn(&[Msg]) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if done(&self.msgs.lock().unwrap()) {
                return;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

pub fn sim() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mainspring-sim"));
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

/// Runs the simulator to the end and returns its JSON summary.
pub async fn run_to_end(args: &[&str]) -> Value {
    let mut cmd = sim();
    cmd.args(args);
    let out: Output =
        tokio::task::spawn_blocking(move || cmd.output().expect("run mainspring-sim"))
            .await
            .unwrap();
    assert!(
        out.status.success(),
        "mainspring-sim {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "summary is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

pub fn scenario(name: &str) -> String {
    format!("{}/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"))
}

pub const PUMP_METRICS: [&str; 5] = [
    "temperature_c",
    "vibration_mm_s",
    "pressure_bar",
    "runtime_h",
    "cycles",
];

pub fn telemetry<'a>(msgs: &'a [Msg], device: &str) -> Vec<&'a Msg> {
    msgs.iter()
        .filter(|m| m.device() == Some((device, "telemetry")))
        .collect()
}

pub fn statuses(msgs: &[Msg], device: &str) -> Vec<String> {
    msgs.iter()
        .filter(|m| m.device() == Some((device, "status")))
        .map(|m| m.text().to_owned())
        .collect()
}

/// Asserts one contract message and returns its (ts, seq).
pub fn check_message(v: &Value) -> (DateTime<Utc>, u64) {
    let obj = v.as_object().expect("a message is an object");
    assert_eq!(obj.len(), 3, "only ts, seq and values: {v}");
    let ts = DateTime::parse_from_rfc3339(v["ts"].as_str().expect("ts is RFC 3339"))
        .unwrap()
        .with_timezone(&Utc);
    let seq = v["seq"].as_u64().expect("seq is an integer");
    let values = v["values"].as_object().expect("values is an object");
    let names: Vec<&str> = values.keys().map(String::as_str).collect();
    let mut expected = PUMP_METRICS.to_vec();
    expected.sort();
    let mut got = names.clone();
    got.sort();
    assert_eq!(got, expected);
    assert!(
        values
            .values()
            .all(|x| x.as_f64().is_some_and(f64::is_finite)),
        "{v}"
    );
    (ts, seq)
}
