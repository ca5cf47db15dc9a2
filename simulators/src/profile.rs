//! Equipment-model profiles: which metrics a kind of machine reports and how each
//! behaves (running and resting levels, daily swing, inertia, noise, duty cycle).
//! Pure data; the device turns a profile into readings.

/// One analogue signal of a profile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SignalSpec {
    pub metric: &'static str,
    /// Level while the machine runs, fully warmed up.
    pub running: f64,
    /// Level while it rests, fully cooled down.
    pub resting: f64,
    /// Amplitude of the daily (ambient) swing, peaking mid-afternoon.
    pub daily_amplitude: f64,
    /// Standard deviation of the measurement noise.
    pub noise: f64,
    /// Thermal time constant in seconds (0: follows the duty cycle at once).
    pub tau_s: f64,
    /// Decimals the sensor reports.
    pub decimals: i32,
}

/// A kind of machine: the equipment model it registers as and its signals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Profile {
    pub key: &'static str,
    pub manufacturer: &'static str,
    pub model_number: &'static str,
    pub name: &'static str,
    pub signals: &'static [SignalSpec],
    /// Seconds running, then seconds resting (0: runs continuously).
    pub on_s: f64,
    pub off_s: f64,
    /// New devices start with runtime hours uniformly in `[0, max_initial_runtime_h)`.
    pub max_initial_runtime_h: f64,
}

/// Extra synthetic metrics a device can report (noise around 50) to carry more
/// readings per message, for load tests.
pub const AUX_METRICS: [&str; 32] = [
    "aux_01", "aux_02", "aux_03", "aux_04", "aux_05", "aux_06", "aux_07", "aux_08", "aux_09",
    "aux_10", "aux_11", "aux_12", "aux_13", "aux_14", "aux_15", "aux_16", "aux_17", "aux_18",
    "aux_19", "aux_20", "aux_21", "aux_22", "aux_23", "aux_24", "aux_25", "aux_26", "aux_27",
    "aux_28", "aux_29", "aux_30", "aux_31", "aux_32",
];

/// The counters every profile reports besides its analogue signals.
pub const RUNTIME_METRIC: &str = "runtime_h";
pub const CYCLES_METRIC: &str = "cycles";

impl Profile {
    /// Every metric this profile reports, analogue signals first, then the counters.
    pub fn metrics(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.signals
            .iter()
            .map(|s| s.metric)
            .chain([RUNTIME_METRIC, CYCLES_METRIC])
    }

    pub fn has_metric(&self, metric: &str) -> bool {
        self.metrics().any(|m| m == metric)
    }

    pub fn is_counter(metric: &str) -> bool {
        metric == RUNTIME_METRIC || metric == CYCLES_METRIC
    }
}

const fn sig(
    metric: &'static str,
    running: f64,
    resting: f64,
    daily_amplitude: f64,
    noise: f64,
    tau_s: f64,
    decimals: i32,
) -> SignalSpec {
    SignalSpec {
        metric,
        running,
        resting,
        daily_amplitude,
        noise,
        tau_s,
        decimals,
    }
}

/// The built-in profiles. Names and figures are plausible, the makers fictional.
pub const PROFILES: &[Profile] = &[
    Profile {
        key: "compressor",
        manufacturer: "Nordwind Kompressoren",
        model_number: "NK-37",
        name: "Screw compressor 37 kW",
        signals: &[
            sig("temperature_c", 78.0, 32.0, 3.0, 0.4, 300.0, 1),
            sig("vibration_mm_s", 2.2, 0.1, 0.0, 0.15, 0.0, 2),
            sig("pressure_bar", 7.5, 6.2, 0.0, 0.05, 30.0, 2),
        ],
        on_s: 900.0,
        off_s: 180.0,
        max_initial_runtime_h: 20_000.0,
    },
    Profile {
        key: "chiller",
        manufacturer: "Polar Systems",
        model_number: "PX-200",
        name: "Process chiller 200 kW",
        signals: &[
            sig("temperature_c", 38.0, 24.0, 5.0, 0.3, 600.0, 1),
            sig("vibration_mm_s", 1.4, 0.05, 0.0, 0.1, 0.0, 2),
            sig("pressure_bar", 12.5, 8.0, 0.8, 0.1, 120.0, 2),
        ],
        on_s: 1800.0,
        off_s: 600.0,
        max_initial_runtime_h: 30_000.0,
    },
    Profile {
        key: "pump",
        manufacturer: "Aqua Dynamics",
        model_number: "CP-80",
        name: "Centrifugal pump 80 m³/h",
        signals: &[
            sig("temperature_c", 52.0, 22.0, 2.0, 0.3, 400.0, 1),
            sig("vibration_mm_s", 3.1, 0.1, 0.0, 0.25, 0.0, 2),
            sig("pressure_bar", 4.2, 0.3, 0.0, 0.04, 10.0, 2),
        ],
        on_s: 3600.0,
        off_s: 0.0,
        max_initial_runtime_h: 40_000.0,
    },
    Profile {
        key: "filler",
        manufacturer: "Linea Packaging",
        model_number: "FL-24",
        name: "Rotary bottle filler, 24 valves",
        signals: &[
            sig("temperature_c", 31.0, 22.0, 3.0, 0.3, 900.0, 1),
            sig("vibration_mm_s", 1.1, 0.05, 0.0, 0.08, 0.0, 2),
            sig("pressure_bar", 2.6, 1.0, 0.0, 0.03, 20.0, 2),
        ],
        on_s: 3600.0,
        off_s: 900.0,
        max_initial_runtime_h: 15_000.0,
    },
];

pub fn find(key: &str) -> Option<&'static Profile> {
    PROFILES.iter().find(|p| p.key == key)
}

pub fn keys() -> Vec<&'static str> {
    PROFILES.iter().map(|p| p.key).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_reports_the_contract_metrics_and_counters() {
        for p in PROFILES {
            for m in [
                "temperature_c",
                "vibration_mm_s",
                "pressure_bar",
                RUNTIME_METRIC,
                CYCLES_METRIC,
            ] {
                assert!(p.has_metric(m), "{} lacks {m}", p.key);
            }
        }
    }

    #[test]
    fn profile_keys_and_models_are_unique() {
        let mut keys: Vec<_> = PROFILES.iter().map(|p| p.key).collect();
        let mut models: Vec<_> = PROFILES
            .iter()
            .map(|p| (p.manufacturer, p.model_number))
            .collect();
        keys.sort();
        keys.dedup();
        models.sort();
        models.dedup();
        assert_eq!(keys.len(), PROFILES.len());
        assert_eq!(models.len(), PROFILES.len());
    }

    #[test]
    fn metric_names_follow_the_contract_charset() {
        for p in PROFILES {
            for m in p.metrics() {
                assert!(crate::ids::is_valid_name(m), "{m}");
            }
        }
    }

    #[test]
    fn aux_metric_names_follow_the_contract_and_differ_from_profile_metrics() {
        for m in AUX_METRICS {
            assert!(crate::ids::is_valid_name(m));
            assert!(PROFILES.iter().all(|p| !p.has_metric(m)));
        }
    }

    #[test]
    fn unknown_profile_is_not_found() {
        assert!(find("compressor").is_some());
        assert!(find("toaster").is_none());
    }
}
