//! Pure signal shapes: the on/off duty cycle with its counters (runtime hours, starts),
//! the daily temperature swing, thermal inertia and Gaussian noise.
//! Nothing here knows about devices, faults or MQTT.

use chrono::{DateTime, Timelike, Utc};
use rand::Rng;

/// A machine that runs `on_s` seconds then rests `off_s` seconds, forever, shifted by
/// `phase_s` so a fleet does not start and stop in step. `off_s == 0` runs continuously.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Duty {
    pub on_s: f64,
    pub off_s: f64,
    pub phase_s: f64,
}

impl Duty {
    fn period(&self) -> f64 {
        self.on_s + self.off_s
    }

    /// Position inside the current period at simulated second `t`.
    fn position(&self, t: f64) -> f64 {
        (t + self.phase_s).rem_euclid(self.period())
    }

    pub fn running(&self, t: f64) -> bool {
        self.off_s <= 0.0 || self.position(t) < self.on_s
    }

    /// Seconds since the last start (while running) or the last stop (while resting);
    /// a machine that never rests has been running for ever.
    pub fn since_change(&self, t: f64) -> f64 {
        if self.off_s <= 0.0 {
            return f64::INFINITY;
        }
        let p = self.position(t);
        if p < self.on_s {
            p
        } else {
            p - self.on_s
        }
    }

    /// Seconds spent running in `[0, t]`.
    pub fn running_seconds(&self, t: f64) -> f64 {
        if self.off_s <= 0.0 {
            return t.max(0.0);
        }
        let cumulative = |x: f64| {
            let full = (x / self.period()).floor();
            full * self.on_s + (x - full * self.period()).min(self.on_s)
        };
        (cumulative(t + self.phase_s) - cumulative(self.phase_s)).max(0.0)
    }

    /// Starts (rest → run transitions) in `(0, t]`.
    pub fn starts(&self, t: f64) -> u64 {
        if self.off_s <= 0.0 || t <= 0.0 {
            return 0;
        }
        let k = |x: f64| (x / self.period()).floor();
        (k(t + self.phase_s) - k(self.phase_s)).max(0.0) as u64
    }
}

/// The daily swing of an ambient-driven signal: `amplitude · sin`, peaking at
/// `peak_hour` local time (`utc_offset_h` from UTC) and lowest twelve hours later.
pub fn daily_cycle(ts: DateTime<Utc>, utc_offset_h: f64, amplitude: f64, peak_hour: f64) -> f64 {
    let hour = ts.num_seconds_from_midnight() as f64 / 3600.0 + utc_offset_h;
    let angle = (hour - peak_hour + 6.0) / 24.0 * std::f64::consts::TAU;
    amplitude * angle.sin()
}

/// Thermal inertia: the fraction of the way from the resting level to the running
/// level after `since_change` seconds, for a time constant `tau_s` (0: instant).
pub fn warmed_fraction(running: bool, since_change: f64, tau_s: f64) -> f64 {
    let approach = if tau_s <= 0.0 {
        1.0
    } else {
        1.0 - (-since_change.max(0.0) / tau_s).exp()
    };
    if running {
        approach
    } else {
        1.0 - approach
    }
}

/// One standard-normal draw (Box–Muller), so noise needs no distribution crate.
pub fn gaussian(rng: &mut impl Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Rounds to `decimals` places, as a sensor with finite resolution reports.
pub fn round_to(value: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (value * f).round() / f
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rand::{rngs::SmallRng, SeedableRng};

    const DUTY: Duty = Duty {
        on_s: 600.0,
        off_s: 200.0,
        phase_s: 0.0,
    };

    #[test]
    fn duty_runs_for_on_seconds_then_rests() {
        assert!(DUTY.running(0.0));
        assert!(DUTY.running(599.0));
        assert!(!DUTY.running(600.0));
        assert!(!DUTY.running(799.0));
        assert!(DUTY.running(800.0));
    }

    #[test]
    fn runtime_advances_only_while_running() {
        assert_eq!(DUTY.running_seconds(300.0), 300.0);
        assert_eq!(DUTY.running_seconds(700.0), 600.0);
        assert_eq!(DUTY.running_seconds(800.0), 600.0);
        assert_eq!(DUTY.running_seconds(8000.0), 6000.0);
    }

    #[test]
    fn runtime_is_monotonic_whatever_the_phase() {
        let d = Duty {
            phase_s: 333.0,
            ..DUTY
        };
        let mut last = 0.0;
        for i in 0..5000 {
            let r = d.running_seconds(i as f64);
            assert!(r >= last, "runtime went back at {i}");
            assert!(r - last <= 1.0 + 1e-9);
            last = r;
        }
    }

    #[test]
    fn starts_count_each_rest_to_run_transition() {
        assert_eq!(DUTY.starts(0.0), 0);
        assert_eq!(DUTY.starts(799.0), 0);
        assert_eq!(DUTY.starts(800.0), 1);
        assert_eq!(DUTY.starts(8000.0), 10);
    }

    #[test]
    fn continuous_duty_never_rests_nor_restarts() {
        let d = Duty {
            on_s: 1.0,
            off_s: 0.0,
            phase_s: 50.0,
        };
        assert!(d.running(1e6));
        assert_eq!(d.starts(1e6), 0);
        assert_eq!(d.running_seconds(3600.0), 3600.0);
        assert_eq!(warmed_fraction(true, d.since_change(0.0), 400.0), 1.0);
    }

    #[test]
    fn daily_cycle_peaks_at_peak_hour_local_time() {
        let at = |h| Utc.with_ymd_and_hms(2026, 11, 23, h, 0, 0).unwrap();
        assert!((daily_cycle(at(15), 0.0, 4.0, 15.0) - 4.0).abs() < 1e-9);
        assert!((daily_cycle(at(3), 0.0, 4.0, 15.0) + 4.0).abs() < 1e-9);
        // 14:00 UTC is 15:00 at UTC+1.
        assert!((daily_cycle(at(14), 1.0, 4.0, 15.0) - 4.0).abs() < 1e-9);
    }

    #[test]
    fn warming_approaches_running_level_and_cooling_the_resting_one() {
        assert_eq!(warmed_fraction(true, 0.0, 100.0), 0.0);
        assert!(warmed_fraction(true, 1000.0, 100.0) > 0.99);
        assert_eq!(warmed_fraction(false, 0.0, 100.0), 1.0);
        assert!(warmed_fraction(false, 1000.0, 100.0) < 0.01);
        assert_eq!(warmed_fraction(true, 0.0, 0.0), 1.0);
    }

    #[test]
    fn gaussian_noise_has_zero_mean_and_unit_spread() {
        let mut rng = SmallRng::seed_from_u64(7);
        let n = 20_000;
        let draws: Vec<f64> = (0..n).map(|_| gaussian(&mut rng)).collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.05, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "variance {var}");
        assert!(draws.iter().all(|x| x.is_finite()));
    }

    #[test]
    fn rounding_keeps_the_sensor_resolution() {
        assert_eq!(round_to(71.456, 1), 71.5);
        assert_eq!(round_to(-0.004, 2), -0.0);
    }
}
