//! One simulated device: its id, profile, seeded randomness and sequence counter, and
//! the healthy readings it takes at a given moment. Faults are applied elsewhere.

use chrono::{DateTime, Utc};
use rand::{rngs::SmallRng, Rng, SeedableRng};

use crate::profile::{Profile, AUX_METRICS, CYCLES_METRIC, RUNTIME_METRIC};
use crate::signal::{daily_cycle, gaussian, round_to, warmed_fraction, Duty};

/// Local hour at which ambient-driven signals peak.
const PEAK_HOUR: f64 = 15.0;

/// One telemetry message's content before encoding: when, which sequence number,
/// and one value per metric in the profile's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub ts: DateTime<Utc>,
    pub seq: u64,
    pub values: Vec<(&'static str, f64)>,
}

impl Sample {
    pub fn get(&self, metric: &str) -> Option<f64> {
        self.values.iter().find(|(m, _)| *m == metric).map(|v| v.1)
    }

    pub fn set(&mut self, metric: &str, value: f64) {
        if let Some(v) = self.values.iter_mut().find(|(m, _)| *m == metric) {
            v.1 = value;
        }
    }
}

#[derive(Debug, Clone)]
pub struct Device {
    pub index: usize,
    pub id: String,
    pub profile: &'static Profile,
    pub utc_offset_h: f64,
    duty: Duty,
    runtime0_h: f64,
    cycles0: u64,
    rng: SmallRng,
    next_seq: u64,
    extra_metrics: usize,
}

/// SplitMix64: spreads (seed, index) into independent per-device seeds.
fn mix(seed: u64, index: usize) -> u64 {
    let mut z = seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Device {
    /// The same (seed, index, profile) always gives the same device: duty phase,
    /// starting counters and noise.
    pub fn new(
        index: usize,
        id: String,
        profile: &'static Profile,
        utc_offset_h: f64,
        seed: u64,
    ) -> Self {
        let mut rng = SmallRng::seed_from_u64(mix(seed, index));
        let period = profile.on_s + profile.off_s;
        let duty = Duty {
            on_s: profile.on_s,
            off_s: profile.off_s,
            phase_s: rng.random::<f64>() * period,
        };
        let runtime0_h = round_to(rng.random::<f64>() * profile.max_initial_runtime_h, 1);
        // A cycling machine started once per period; one that runs continuously is
        // stopped now and then for service, say every 500 hours.
        let cycles0 = if profile.off_s > 0.0 {
            (runtime0_h * 3600.0 / period) as u64
        } else {
            (runtime0_h / 500.0) as u64
        };
        Self {
            index,
            id,
            profile,
            utc_offset_h,
            duty,
            runtime0_h,
            cycles0,
            rng,
            next_seq: 1,
            extra_metrics: 0,
        }
    }

    /// Also report the first `n` of `AUX_METRICS` (at most all of them).
    pub fn with_extra_metrics(mut self, n: usize) -> Self {
        self.extra_metrics = n.min(AUX_METRICS.len());
        self
    }

    /// Runtime hours and starts at the simulator's start (an asset's initial meters).
    pub fn initial_counters(&self) -> (f64, f64) {
        (self.runtime0_h, self.cycles0 as f64)
    }

    pub fn running(&self, t: f64) -> bool {
        self.duty.running(t)
    }

    /// The readings at `t` seconds after the simulator started, stamped `ts`. Each call
    /// takes the next sequence number.
    pub fn sample(&mut self, t: f64, ts: DateTime<Utc>) -> Sample {
        let running = self.duty.running(t);
        let since = self.duty.since_change(t);
        let mut values = Vec::with_capacity(self.profile.signals.len() + 2);
        for s in self.profile.signals {
            let warm = warmed_fraction(running, since, s.tau_s);
            let level = s.resting + (s.running - s.resting) * warm;
            let ambient = daily_cycle(ts, self.utc_offset_h, s.daily_amplitude, PEAK_HOUR);
            let noise = s.noise * gaussian(&mut self.rng);
            let v = (level + ambient + noise).max(0.0);
            values.push((s.metric, round_to(v, s.decimals)));
        }
        let runtime = self.runtime0_h + self.duty.running_seconds(t) / 3600.0;
        values.push((RUNTIME_METRIC, round_to(runtime, 3)));
        values.push((CYCLES_METRIC, (self.cycles0 + self.duty.starts(t)) as f64));
        for name in &AUX_METRICS[..self.extra_metrics] {
            let v = 50.0 + 5.0 * gaussian(&mut self.rng);
            values.push((name, round_to(v, 2)));
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        Sample { ts, seq, values }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::find;
    use chrono::{Duration, TimeZone};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
    }

    fn device(seed: u64, index: usize, profile: &str) -> Device {
        Device::new(
            index,
            format!("d{index}"),
            find(profile).unwrap(),
            0.0,
            seed,
        )
    }

    #[test]
    fn same_seed_gives_the_same_readings() {
        let (mut a, mut b) = (device(42, 3, "compressor"), device(42, 3, "compressor"));
        for i in 0..50 {
            let ts = t0() + Duration::seconds(i);
            assert_eq!(a.sample(i as f64, ts), b.sample(i as f64, ts));
        }
    }

    #[test]
    fn different_seeds_or_indices_give_different_devices() {
        let ts = t0();
        let a = device(42, 3, "compressor").sample(0.0, ts);
        assert_ne!(a, device(43, 3, "compressor").sample(0.0, ts));
        assert_ne!(a, device(42, 4, "compressor").sample(0.0, ts));
    }

    #[test]
    fn extra_metrics_add_readings_after_the_profile_ones() {
        let mut d = device(1, 0, "pump").with_extra_metrics(3);
        let s = d.sample(0.0, t0());
        assert_eq!(s.values.len(), 8);
        assert_eq!(s.values[5].0, "aux_01");
        assert_eq!(s.values[7].0, "aux_03");
        assert_eq!(
            device(1, 0, "pump")
                .with_extra_metrics(99)
                .sample(0.0, t0())
                .values
                .len(),
            37
        );
    }

    #[test]
    fn sequence_numbers_increase_by_one_from_one() {
        let mut d = device(1, 0, "pump");
        let seqs: Vec<u64> = (0..4).map(|i| d.sample(i as f64, t0()).seq).collect();
        assert_eq!(seqs, vec![1, 2, 3, 4]);
    }

    #[test]
    fn every_profile_metric_is_reported_finite_and_non_negative() {
        for p in crate::profile::PROFILES {
            let mut d = device(9, 0, p.key);
            let s = d.sample(10.0, t0());
            let metrics: Vec<_> = s.values.iter().map(|v| v.0).collect();
            assert_eq!(metrics, p.metrics().collect::<Vec<_>>());
            assert!(s.values.iter().all(|(_, v)| v.is_finite() && *v >= 0.0));
        }
    }

    #[test]
    fn running_pump_stays_near_its_running_levels() {
        // A pump runs continuously; after warming up its readings hover around the
        // profile's running level within the daily swing and a few sigma of noise.
        let mut d = device(5, 0, "pump");
        let spec = d.profile.signals[0];
        for i in 0..200 {
            let t = 10_000.0 + i as f64;
            let v = d.sample(t, t0()).get("temperature_c").unwrap();
            assert!((v - spec.running).abs() <= spec.daily_amplitude + 5.0 * spec.noise + 0.1);
        }
    }

    #[test]
    fn runtime_counter_never_goes_back_and_advances_at_most_real_time() {
        let mut d = device(11, 2, "compressor");
        let mut last = d.sample(0.0, t0()).get("runtime_h").unwrap();
        for i in 1..4000 {
            let r = d.sample(i as f64, t0()).get("runtime_h").unwrap();
            assert!(r >= last);
            assert!(r - last <= 1.0 / 3600.0 + 0.001);
            last = r;
        }
    }

    #[test]
    fn cycles_counter_counts_starts_of_a_cycling_machine() {
        let mut d = device(11, 2, "compressor");
        let period = d.profile.on_s + d.profile.off_s;
        let first = d.sample(0.0, t0()).get("cycles").unwrap();
        let later = d.sample(10.0 * period, t0()).get("cycles").unwrap();
        assert_eq!(later - first, 10.0);
    }

    #[test]
    fn resting_compressor_vibrates_far_less_than_a_running_one() {
        let mut d = device(3, 0, "compressor");
        let period = d.profile.on_s + d.profile.off_s;
        let (mut running, mut resting) = (vec![], vec![]);
        for i in 0..(period as usize) {
            let t = i as f64;
            let v = d.sample(t, t0()).get("vibration_mm_s").unwrap();
            if d.running(t) {
                running.push(v)
            } else {
                resting.push(v)
            }
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        assert!(mean(&running) > 1.5 && mean(&resting) < 0.5);
    }
}
