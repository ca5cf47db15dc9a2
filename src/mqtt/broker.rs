//! A private Mosquitto broker managed by Mainspring itself, for `mainspring demo` and
//! the test suite when `MQTT_URL` is unset (as `db::embedded` does for PostgreSQL):
//! started from the system's `mosquitto` on a free loopback port with a generated
//! configuration sized for ingest (persistence on, deep queues), restartable on the
//! same port with its persisted sessions, and removed on drop; a watchdog process
//! removes it if this process dies first. Nothing here is used on a request path.

use std::fs;
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::db::embedded::{free_port, install_debian_packages, running_as_root};

/// The settings ingest needs (see the README): persistence, queues deep enough for one
/// minute at 50,000 readings/s, and an inflight window that lets batches fill.
pub fn config_text(port: u16, dir: &Path) -> String {
    let mut text = format!(
        "listener {port} 127.0.0.1\n\
         allow_anonymous true\n\
         persistence true\n\
         persistence_location {dir}/\n\
         autosave_interval 1\n\
         persistent_client_expiration 1d\n\
         max_queued_messages 3000000\n\
         max_queued_bytes 0\n\
         max_inflight_messages 10000\n\
         max_packet_size 1048576\n\
         sys_interval 1\n\
         set_tcp_nodelay true\n\
         pid_file {dir}/mosquitto.pid\n\
         log_dest file {dir}/mosquitto.log\n\
         log_type error\n\
         log_type warning\n",
        dir = dir.display()
    );
    if running_as_root() {
        // mosquitto would otherwise switch to its own user, which cannot write `dir`
        text.push_str("user root\n");
    }
    text
}

/// A running private broker. Stopped and deleted on drop.
pub struct Broker {
    dir: PathBuf,
    exe: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl Broker {
    /// Start a throwaway broker in a new folder under the temporary folder.
    pub fn start_ephemeral(label: &str) -> anyhow::Result<Self> {
        let exe = ensure_binary()?;
        let dir = std::env::temp_dir().join(format!(
            "mainspring-mqtt-{label}-{}-{}",
            std::process::id(),
            uuid::Uuid::now_v7().simple()
        ));
        fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port()?;
            let mut broker = Self {
                dir: dir.clone(),
                exe: exe.clone(),
                port,
                child: None,
            };
            match broker.launch() {
                Ok(()) => {
                    broker.spawn_watchdog();
                    return Ok(broker);
                }
                Err(e) => last_error = format!("{e:#}"),
            }
        }
        let _ = fs::remove_dir_all(&dir);
        bail!("Mosquitto did not start: {last_error}")
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `mqtt://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// Stop the broker gracefully (it saves its sessions and queued messages) and start
    /// it again on the same port.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.stop();
        self.launch()
    }

    /// Stop gracefully (SIGTERM: mosquitto writes its persistence file) without removing
    /// anything; [`Broker::start_again`] brings it back.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                match child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) if Instant::now() > deadline => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        }
    }

    pub fn start_again(&mut self) -> anyhow::Result<()> {
        if self.child.is_some() {
            return Ok(());
        }
        self.launch()
    }

    fn launch(&mut self) -> anyhow::Result<()> {
        let conf = self.dir.join("mosquitto.conf");
        fs::write(&conf, config_text(self.port, &self.dir))?;
        // its own process group: a Ctrl-C in the terminal reaches us, and we stop the
        // broker after what still needs it (a demo's fleet saying goodbye)
        let mut child = Command::new(&self.exe)
            .process_group(0)
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot run {}", self.exe.display()))?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                self.child = Some(child);
                return Ok(());
            }
            if let Ok(Some(status)) = child.try_wait() {
                bail!(
                    "mosquitto exited ({status}) on port {}: {}",
                    self.port,
                    fs::read_to_string(self.dir.join("mosquitto.log")).unwrap_or_default()
                );
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                bail!("mosquitto did not listen on port {} in time", self.port);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stop the broker's current process (named by its pid file, as restarts change it)
    /// and remove the folder once this process is gone, even if it was killed.
    fn spawn_watchdog(&self) {
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
             [ -f '{dir}/mosquitto.pid' ] && kill -TERM \"$(cat '{dir}/mosquitto.pid')\"; \
             sleep 1; rm -rf '{dir}'",
            pid = std::process::id(),
            dir = self.dir.display(),
        );
        let _ = Command::new("setsid")
            .args(["sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// `/usr/sbin/mosquitto` or `mosquitto` on PATH.
pub fn find_binary() -> Option<PathBuf> {
    let sbin = PathBuf::from("/usr/sbin/mosquitto");
    if sbin.exists() {
        return Some(sbin);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("mosquitto"))
            .find(|p| p.exists())
    })
}

/// Find Mosquitto, installing Debian's package as root when missing.
pub fn ensure_binary() -> anyhow::Result<PathBuf> {
    if let Some(exe) = find_binary() {
        return Ok(exe);
    }
    install_debian_packages(&["mosquitto"])?;
    find_binary().context(
        "the MQTT broker `mosquitto` was not found: install the Debian package `mosquitto`",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_configuration_persists_and_queues_a_minute_of_ingest() {
        let text = config_text(1884, Path::new("/tmp/x"));
        assert!(text.contains("listener 1884 127.0.0.1\n"));
        assert!(text.contains("persistence true\n"));
        assert!(text.contains("persistence_location /tmp/x/\n"));
        // 60 s at 50,000 readings/s, one reading a message at worst
        assert!(text.contains("max_queued_messages 3000000\n"));
    }
}
