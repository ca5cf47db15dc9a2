//! Results into `BENCHMARKS.md`: each benchmark owns one section, delimited by
//! `<!-- bench:NAME -->` … `<!-- /bench:NAME -->`, replaced on every run; the machine,
//! date and exact command come first so figures are never read without them.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The workspace's BENCHMARKS.md (this crate lives in `bench/`).
pub fn default_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("BENCHMARKS.md")
}

/// Machine, date and command, as a Markdown list.
pub fn preamble(postgres_version: &str) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    let mosquitto = std::process::Command::new(
        mainspring::mqtt::broker::find_binary().unwrap_or_else(|| "mosquitto".into()),
    )
    .arg("-h")
    .output()
    .ok()
    .and_then(|o| {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .next()
            .map(str::to_owned)
    })
    .unwrap_or_else(|| "unknown".into());
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "- Date: {}",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    );
    let _ = writeln!(
        s,
        "- Machine: {cpu}, {cores} cores, {mem_gib:.0} GiB RAM, {}",
        os()
    );
    let _ = writeln!(
        s,
        "- PostgreSQL: {postgres_version}, durable (fsync, synchronous_commit and full_page_writes on), defaults otherwise"
    );
    let _ = writeln!(s, "- Broker: {mosquitto}");
    let _ = writeln!(
        s,
        "- Command: `cargo run --release -p mainspring-bench -- {}`",
        args.join(" ")
    );
    s
}

fn os() -> String {
    std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| "Linux".into())
}

/// Replace (or append) the section `name` of the file at `path` with `body`.
pub fn write_section(path: &Path, name: &str, body: &str) -> anyhow::Result<()> {
    let open = format!("<!-- bench:{name} -->");
    let close = format!("<!-- /bench:{name} -->");
    let text = std::fs::read_to_string(path).unwrap_or_else(|_| HEADER.to_owned());
    let block = format!("{open}\n{}\n{close}", body.trim_end());
    let out = match (text.find(&open), text.find(&close)) {
        (Some(a), Some(b)) if b > a => {
            format!("{}{block}{}", &text[..a], &text[b + close.len()..])
        }
        _ => format!("{}\n{block}\n", text.trim_end()),
    };
    std::fs::write(path, out)?;
    eprintln!("bench: wrote the `{name}` section of {}", path.display());
    Ok(())
}

const HEADER: &str =
    "# Benchmarks\n\nWritten by `mainspring-bench` (see the README's Benchmarks section); each \
section is replaced when its benchmark runs again.\n";

/// The PostgreSQL server's version string, e.g. `PostgreSQL 15.19`.
pub fn postgres_version(conn: &mut diesel::PgConnection) -> String {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct V {
        #[diesel(sql_type = diesel::sql_types::Text)]
        v: String,
    }
    diesel::sql_query("SELECT current_setting('server_version') AS v")
        .get_result::<V>(conn)
        .map(|r| format!("PostgreSQL {}", r.v))
        .unwrap_or_else(|_| "PostgreSQL (unknown version)".into())
}

/// Percentile (0–100) of sorted samples.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_are_replaced_in_place_and_appended_when_new() {
        let dir = std::env::temp_dir().join(format!("bench-report-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("B.md");
        write_section(&path, "a", "one").unwrap();
        write_section(&path, "b", "two").unwrap();
        write_section(&path, "a", "three").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# Benchmarks"));
        assert!(text.contains("<!-- bench:a -->\nthree\n<!-- /bench:a -->"));
        assert!(!text.contains("one"));
        assert!(text.find("bench:a").unwrap() < text.find("bench:b").unwrap());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn percentiles_pick_the_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 51.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert!(percentile(&[], 50.0).is_nan());
    }
}
