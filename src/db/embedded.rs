//! A PostgreSQL cluster managed by Mainspring itself, from the system's binaries.
//!
//! Used by `serve` when `DATABASE_URL` is unset (a persistent cluster in the data
//! directory), and by `demo` and the test suite (throwaway clusters removed afterwards).
//! PostgreSQL refuses to run as root, so as root every PostgreSQL command runs as the
//! `postgres` user through `runuser`, and the cluster's folders belong to that user.
//! Nothing here is used on a request path.

use std::fs;
use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context};

const SUPERUSER: &str = "postgres";
const OS_USER: &str = "postgres";

/// A running cluster. Stopped on drop; an ephemeral one is also deleted.
pub struct Cluster {
    root: PathBuf,
    bin_dir: PathBuf,
    port: u16,
    password: String,
    ephemeral: bool,
}

impl Cluster {
    /// Start (creating it on first use) the persistent cluster kept under `root`.
    pub fn start_persistent(root: &Path) -> anyhow::Result<Self> {
        Self::start(root, false, true, &[])
    }

    /// Start a throwaway cluster in a new folder under the system's temporary folder.
    /// A watchdog process removes it if this process dies without dropping it.
    pub fn start_ephemeral(label: &str) -> anyhow::Result<Self> {
        let root = std::env::temp_dir().join(format!(
            "mainspring-{label}-{}-{}",
            std::process::id(),
            uuid::Uuid::now_v7().simple()
        ));
        let cluster = Self::start(&root, true, false, &[])?;
        cluster.spawn_watchdog();
        Ok(cluster)
    }

    /// A throwaway cluster that is nevertheless as durable as a production one (fsync,
    /// synchronous commit and full-page writes on), with further `name=value` settings:
    /// for benchmarks, whose figures must not come from skipped flushes.
    pub fn start_ephemeral_durable(label: &str, settings: &[String]) -> anyhow::Result<Self> {
        let root = std::env::temp_dir().join(format!(
            "mainspring-{label}-{}-{}",
            std::process::id(),
            uuid::Uuid::now_v7().simple()
        ));
        let cluster = Self::start(&root, true, true, settings)?;
        cluster.spawn_watchdog();
        Ok(cluster)
    }

    fn start(
        root: &Path,
        ephemeral: bool,
        durable: bool,
        settings: &[String],
    ) -> anyhow::Result<Self> {
        let bin_dir = ensure_binaries()?;
        let as_root = running_as_root();
        fs::create_dir_all(root).with_context(|| format!("cannot create {}", root.display()))?;
        // the unprivileged PostgreSQL user must be able to reach the folder
        fs::set_permissions(root, fs::Permissions::from_mode(0o755))?;
        let data = root.join("pgdata");
        let password_file = root.join("superuser-password");
        let password = match fs::read_to_string(&password_file) {
            Ok(p) => p.trim().to_owned(),
            Err(_) => {
                let p = crate::auth::keys::random_token(24);
                let mut f = fs::File::create(&password_file)?;
                f.write_all(p.as_bytes())?;
                fs::set_permissions(&password_file, fs::Permissions::from_mode(0o600))?;
                if as_root {
                    chown_to_postgres(&password_file)?;
                }
                p
            }
        };
        if !data.join("PG_VERSION").exists() {
            fs::create_dir_all(&data)?;
            fs::set_permissions(&data, fs::Permissions::from_mode(0o700))?;
            if as_root {
                chown_to_postgres(&data)?;
            }
            let status = pg_command(&bin_dir, "initdb")
                .arg("-D")
                .arg(&data)
                .args([
                    "-U",
                    SUPERUSER,
                    "-E",
                    "UTF8",
                    "--no-locale",
                    "--auth=scram-sha-256",
                ])
                .arg(format!("--pwfile={}", password_file.display()))
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .output()
                .context("cannot run initdb")?;
            if !status.status.success() {
                bail!(
                    "initdb failed: {}",
                    String::from_utf8_lossy(&status.stderr).trim()
                );
            }
        }
        let log = root.join("postgresql.log");
        if as_root && !log.exists() {
            fs::File::create(&log)?;
            chown_to_postgres(&log)?;
        }
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port()?;
            let mut options = format!(
                "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' \
                 -c max_connections=300"
            );
            if !durable {
                options.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
            }
            for setting in settings {
                options.push_str(&format!(" -c {setting}"));
            }
            let out = pg_command(&bin_dir, "pg_ctl")
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(&log)
                .args(["-w", "-t", "60", "-o", &options, "start"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .output()
                .context("cannot run pg_ctl")?;
            if out.status.success() {
                return Ok(Self {
                    root: root.to_owned(),
                    bin_dir,
                    port,
                    password,
                    ephemeral,
                });
            }
            last_error = format!(
                "{}; log: {}",
                String::from_utf8_lossy(&out.stderr).trim(),
                tail(&log, 5)
            );
        }
        bail!(
            "PostgreSQL did not start in {}: {last_error}",
            data.display()
        )
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A connection URL for `database` on this cluster.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}:{}@127.0.0.1:{}/{database}",
            self.password, self.port
        )
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn stop(&self) {
        let _ = pg_command(&self.bin_dir, "pg_ctl")
            .arg("-D")
            .arg(self.root.join("pgdata"))
            .args([
                "-m",
                if self.ephemeral { "immediate" } else { "fast" },
                "-w",
                "stop",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if self.ephemeral {
            let _ = fs::remove_dir_all(&self.root);
        }
    }

    fn spawn_watchdog(&self) {
        let pg_ctl = pg_invocation(&self.bin_dir, "pg_ctl");
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
             {pg_ctl} -D '{data}' -m immediate stop >/dev/null 2>&1; rm -rf '{root}'",
            pid = std::process::id(),
            data = self.root.join("pgdata").display(),
            root = self.root.display(),
        );
        let _ = Command::new("setsid")
            .args(["sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join(" | ")
}

/// Whether this process runs as root (uid 0), read from /proc.
pub fn running_as_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|euid| euid == "0"))
        })
        .unwrap_or(false)
}

fn chown_to_postgres(path: &Path) -> anyhow::Result<()> {
    let status = Command::new("chown")
        .arg("-R")
        .arg(format!("{OS_USER}:"))
        .arg(path)
        .status()
        .context("cannot run chown")?;
    if !status.success() {
        bail!("cannot give {} to the {OS_USER} user", path.display());
    }
    Ok(())
}

fn pg_invocation(bin_dir: &Path, program: &str) -> String {
    let exe = bin_dir.join(program);
    if running_as_root() {
        format!("runuser -u {OS_USER} -- '{}'", exe.display())
    } else {
        format!("'{}'", exe.display())
    }
}

/// A PostgreSQL command, in its own process group: the server it starts must not get
/// the terminal's Ctrl-C (we stop it ourselves, after what still uses it).
fn pg_command(bin_dir: &Path, program: &str) -> Command {
    let exe = bin_dir.join(program);
    let mut c = if running_as_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", OS_USER, "--"]).arg(exe);
        c
    } else {
        Command::new(exe)
    };
    c.process_group(0);
    c
}

/// Pick a TCP port that is free right now on the loopback interface.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The folder holding `initdb` and `pg_ctl`: under /usr/lib/postgresql (newest version
/// first), else on PATH.
pub fn find_binaries() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("pg_ctl").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|p| p.join("pg_ctl").exists() && p.join("initdb").exists())
    })
}

/// Find the PostgreSQL server binaries, installing Debian's package as root when missing.
pub fn ensure_binaries() -> anyhow::Result<PathBuf> {
    if let Some(bin) = find_binaries() {
        return Ok(bin);
    }
    install_debian_packages(&["postgresql"])?;
    find_binaries().context(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: install the Debian package `postgresql`",
    )
}

/// Install Debian packages when running as root on a system with apt-get; otherwise
/// fail with an error naming them.
pub fn install_debian_packages(packages: &[&str]) -> anyhow::Result<()> {
    let names = packages.join(" ");
    if !running_as_root() || !Path::new("/usr/bin/apt-get").exists() {
        bail!("missing system packages: install the Debian package(s) `{names}` (apt-get install {names})");
    }
    tracing::warn!(packages = %names, "installing missing system packages with apt-get");
    let ok = Command::new("sh")
        .args([
            "-c",
            &format!(
                "export DEBIAN_FRONTEND=noninteractive; (apt-get install -y -q {names} || \
                 (apt-get update -q && apt-get install -y -q {names})) >/dev/null"
            ),
        ])
        .status()
        .context("cannot run apt-get")?
        .success();
    if !ok {
        bail!("apt-get could not install `{names}`; install it by hand");
    }
    Ok(())
}
