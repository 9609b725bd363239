//! OpenMetrics encoding with prometheus-client: a fresh registry per probe, one for /metrics.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use atnix_probe::{MetricKind, ProbeReport};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, String)>;
type FGauge = Gauge<f64, AtomicU64>;

fn render(registry: &Registry) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    encode(&mut out, registry).expect("encoding into a String");
    out
}

/// Encode one probe's report.
pub fn encode_report(report: &ProbeReport) -> String {
    let mut registry = Registry::default();
    let success = FGauge::default();
    success.set(if report.success { 1.0 } else { 0.0 });
    registry.register("probe_success", "Whether the probe succeeded", success);
    let duration = FGauge::default();
    duration.set(report.duration.as_secs_f64());
    registry.register(
        "probe_duration_seconds",
        "How long the probe took",
        duration,
    );

    let mut gauges: BTreeMap<&'static str, (&'static str, Family<Labels, FGauge>)> =
        BTreeMap::new();
    let mut infos: Vec<(&'static str, &'static str, Labels)> = Vec::new();
    for m in &report.metrics {
        match m.kind {
            MetricKind::Gauge => {
                let (_, family) = gauges
                    .entry(m.name)
                    .or_insert_with(|| (m.help, Family::default()));
                family.get_or_create(&m.labels).set(m.value);
            }
            MetricKind::Info => infos.push((m.name, m.help, m.labels.clone())),
        }
    }
    for (name, (help, family)) in gauges {
        registry.register(name, help, family);
    }
    // An info family can hold one label set; later duplicates of a name are dropped.
    let mut seen = Vec::new();
    for (name, help, labels) in infos {
        if !seen.contains(&name) {
            seen.push(name);
            registry.register(name, help, Info::new(labels));
        }
    }
    render(&registry)
}

/// The answer when no report could be produced (no probe slot in time, or a probe task died).
pub fn encode_failure(elapsed: Duration, panicked: bool) -> String {
    let mut registry = Registry::default();
    if panicked {
        let p = FGauge::default();
        p.set(1.0);
        registry.register(
            "atproto_probe_panicked",
            "Whether the probe task panicked (an exporter bug, not the target being down)",
            p,
        );
    }
    let success = FGauge::default();
    registry.register("probe_success", "Whether the probe succeeded", success);
    let duration = FGauge::default();
    duration.set(elapsed.as_secs_f64());
    registry.register(
        "probe_duration_seconds",
        "How long the probe took",
        duration,
    );
    render(&registry)
}

/// The exporter's own metrics.
pub struct SelfMetrics {
    registry: Registry,
    probes: Family<Vec<(&'static str, String)>, Counter>,
    durations: Family<Vec<(&'static str, String)>, Histogram>,
    pub in_flight: Gauge,
    /// Scrapes answered 503 because too many were waiting already.
    pub rejected: Counter,
    panics: Family<Vec<(&'static str, String)>, Counter>,
    rss: Gauge,
    known_modules: Vec<String>,
}

impl SelfMetrics {
    pub fn new(modules: &[String]) -> Self {
        let mut registry = Registry::default();
        let probes = Family::<Vec<(&'static str, String)>, Counter>::default();
        let durations =
            Family::<Vec<(&'static str, String)>, Histogram>::new_with_constructor(|| {
                Histogram::new([
                    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ])
            });
        let in_flight = Gauge::default();
        let rejected = Counter::default();
        let panics = Family::<Vec<(&'static str, String)>, Counter>::default();
        // Present at 0 from the start, so an alert on any increase works from the first panic.
        for m in modules {
            let _ = panics.get_or_create(&vec![("module", m.clone())]);
        }
        let rss = Gauge::default();
        let start = Gauge::<f64, AtomicU64>::default();
        start.set(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64()),
        );
        registry.register(
            "atproto_exporter_probes",
            "Probes run, by module and result",
            probes.clone(),
        );
        registry.register(
            "atproto_exporter_probe_duration_seconds",
            "Probe durations, by module",
            durations.clone(),
        );
        registry.register(
            "atproto_exporter_probes_in_flight",
            "Probes running now",
            in_flight.clone(),
        );
        registry.register(
            "atproto_exporter_scrapes_rejected",
            "Scrapes answered 503 because too many were waiting or running already",
            rejected.clone(),
        );
        registry.register(
            "atproto_exporter_probe_panics",
            "Probe tasks that panicked (exporter bugs), by module",
            panics.clone(),
        );
        registry.register(
            "process_resident_memory_bytes",
            "Resident memory of the exporter",
            rss.clone(),
        );
        registry.register(
            "process_start_time_seconds",
            "Start time of the exporter since the Unix epoch",
            start,
        );
        registry.register(
            "atproto_exporter_build",
            "Exporter version",
            Info::new(vec![("version", env!("CARGO_PKG_VERSION").to_string())]),
        );
        Self {
            registry,
            probes,
            durations,
            in_flight,
            rejected,
            panics,
            rss,
            known_modules: modules.to_vec(),
        }
    }

    fn module_label<'a>(&self, module: &'a str) -> &'a str {
        if self.known_modules.iter().any(|m| m == module) {
            module
        } else {
            "other"
        }
    }

    pub fn panic(&self, module: &str) {
        let module = self.module_label(module).to_string();
        self.panics.get_or_create(&vec![("module", module)]).inc();
    }

    pub fn observe(&self, module: &str, success: bool, elapsed: Duration) {
        // Unknown names never reach here (they get a 400), so module labels stay bounded.
        let module = if self.known_modules.iter().any(|m| m == module) {
            module
        } else {
            "other"
        };
        self.probes
            .get_or_create(&vec![
                ("module", module.to_string()),
                (
                    "result",
                    if success { "success" } else { "failure" }.to_string(),
                ),
            ])
            .inc();
        self.durations
            .get_or_create(&vec![("module", module.to_string())])
            .observe(elapsed.as_secs_f64());
    }

    pub fn encode(&self) -> String {
        if let Some(rss) = resident_bytes() {
            self.rss.set(rss);
        }
        render(&self.registry)
    }
}

/// VmRSS of this process from /proc (Linux); None elsewhere.
fn resident_bytes() -> Option<i64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: i64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
