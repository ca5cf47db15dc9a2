//! The system under test, started privately for one benchmark run: a throwaway but
//! durable PostgreSQL (fsync and synchronous commit on, default settings otherwise), optionally a private Mosquitto (configured as the README asks for ingest),
//! and the Mainspring server as a child process of this binary (`mainspring-bench
//! serve`), so its resident memory is its own. Everything is removed on drop.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use mainspring::db::embedded::Cluster;
use mainspring::http::server::create_database;
use mainspring::mqtt::broker::Broker;

/// What to start.
#[derive(Default)]
pub struct StackOptions {
    /// Start a private Mosquitto and run ingest in the server.
    pub mqtt: bool,
    /// Further server settings (environment variables).
    pub env: Vec<(String, String)>,
    /// Further PostgreSQL settings (`name=value`), e.g. for profiling.
    pub pg_settings: Vec<String>,
}

pub struct Stack {
    pub base: String,
    pub key: String,
    pub database_url: String,
    pub mqtt_url: Option<String>,
    /// The server's MQTT topic prefix.
    pub prefix: String,
    server: Option<Server>,
    _broker: Option<Broker>,
    _cluster: Cluster,
}

impl Stack {
    pub async fn start(opts: StackOptions) -> anyhow::Result<Stack> {
        eprintln!("bench: starting a private PostgreSQL …");
        // durable, as in production: no figure may come from skipped flushes
        let cluster = Cluster::start_ephemeral_durable("bench", &opts.pg_settings)
            .context("cannot start PostgreSQL")?;
        create_database(&cluster.url("postgres"), "mainspring")?;
        let database_url = cluster.url("mainspring");
        let broker = if opts.mqtt {
            eprintln!("bench: starting a private Mosquitto …");
            Some(Broker::start_ephemeral("bench").context("cannot start Mosquitto")?)
        } else {
            None
        };
        let mqtt_url = broker.as_ref().map(Broker::url);
        let key = format!("bench-{}", mainspring::auth::keys::random_token(24));
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let base = format!("http://127.0.0.1:{port}");
        let prefix = "mainspring".to_owned();
        let mut env: Vec<(String, String)> = vec![
            ("DATABASE_URL".into(), database_url.clone()),
            ("MAINSPRING_ADMIN_KEY".into(), key.clone()),
            ("HTTP_ADDR".into(), format!("127.0.0.1:{port}")),
            ("MAINSPRING_LOG".into(), "warn".into()),
        ];
        if let Some(url) = &mqtt_url {
            env.push(("MQTT_URL".into(), url.clone()));
            env.push(("MQTT_TOPIC_PREFIX".into(), prefix.clone()));
        }
        env.extend(opts.env);
        let server = Server::spawn(&env)?;
        let stack = Stack {
            base,
            key,
            database_url,
            mqtt_url,
            prefix,
            server: Some(server),
            _broker: broker,
            _cluster: cluster,
        };
        stack.wait_ready().await?;
        Ok(stack)
    }

    async fn wait_ready(&self) -> anyhow::Result<()> {
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(r) = http.get(format!("{}/ready", self.base)).send().await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                bail!("the server was not ready after 2 minutes");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The server's peak resident memory so far, in MiB (VmHWM).
    pub fn server_peak_rss_mib(&self) -> anyhow::Result<f64> {
        self.server
            .as_ref()
            .context("the server is stopped")?
            .peak_rss_mib()
    }

    /// The server's process id (0 once stopped).
    pub fn server_pid(&self) -> u32 {
        self.server.as_ref().map_or(0, |s| s.child.id())
    }

    /// Stop the server (SIGTERM, then SIGKILL after 10 s), so a baseline measured next
    /// has the database to itself.
    pub fn stop_server(&mut self) {
        self.server = None;
    }

    /// A synchronous connection to the benchmark database (for seeding and baselines).
    pub fn connect(&self) -> anyhow::Result<diesel::PgConnection> {
        use diesel::Connection;
        Ok(diesel::PgConnection::establish(&self.database_url)?)
    }
}

/// The server, run as `mainspring-bench serve` in its own process.
struct Server {
    child: Child,
}

impl Server {
    fn spawn(env: &[(String, String)]) -> anyhow::Result<Server> {
        let exe = std::env::current_exe()?;
        let child = Command::new(exe)
            .arg("serve")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .spawn()
            .context("cannot start the server")?;
        Ok(Server { child })
    }

    fn peak_rss_mib(&self) -> anyhow::Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .context("no VmHWM in /proc/PID/status")?;
        Ok(kib / 1024.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM first, so the server drains and closes its connections
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
