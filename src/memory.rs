//! Process-wide memory settings, applied once at start by the binaries.
//!
//! glibc gives each thread that allocates concurrently its own malloc arena, up to
//! eight per core, and returns little of an arena's freed memory to the system. The
//! server's blocking pool runs queries on many threads, so short-lived allocations (a
//! 90-day forecast builds ~40 MB) left the resident size at 2–3× what is live: the REST
//! benchmark measured 408 MiB with the default and 133 MiB with two arenas.

/// Cap glibc's malloc arenas at two (unless `MALLOC_ARENA_MAX` says otherwise).
pub fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only changes allocator tuning; called before other threads start
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}
