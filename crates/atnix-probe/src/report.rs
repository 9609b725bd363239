//! What a probe found: steps for people, metrics for Prometheus.

use std::time::Duration;

/// How one step of a probe ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    Ok,
    /// The server does not implement the method (404, 501, `MethodNotImplemented`, or a PDS
    /// refusing to proxy an unknown NSID). Never counts as down.
    Unsupported,
    Failed,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Ok => "ok",
            StepStatus::Unsupported => "unsupported",
            StepStatus::Failed => "failed",
        }
    }
}

/// One step of a probe, e.g. `health` or `list_repos`.
#[derive(Debug, Clone)]
pub struct Step {
    pub name: &'static str,
    pub status: StepStatus,
    /// Whether a failure of this step makes the whole probe fail.
    pub required: bool,
    pub detail: String,
}

/// The kind of a metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Gauge,
    /// An info family: the exporter appends `_info` to the name and the value is 1.
    Info,
}

/// One sample. Label values are bounded sets (endpoints, statuses, versions), never DIDs or handles.
#[derive(Debug, Clone)]
pub struct Metric {
    pub name: &'static str,
    pub help: &'static str,
    pub kind: MetricKind,
    pub labels: Vec<(&'static str, String)>,
    pub value: f64,
}

/// The result of one probe.
#[derive(Debug, Clone)]
pub struct ProbeReport {
    pub module: String,
    pub prober: &'static str,
    pub success: bool,
    pub duration: Duration,
    pub steps: Vec<Step>,
    pub metrics: Vec<Metric>,
}

/// Collects steps and metrics while a probe runs.
#[derive(Debug, Default)]
pub struct Recorder {
    pub steps: Vec<Step>,
    pub metrics: Vec<Metric>,
}

impl Recorder {
    pub fn gauge(&mut self, name: &'static str, help: &'static str, value: f64) {
        self.gauge_l(name, help, Vec::new(), value);
    }

    /// Set a sample; a sample with the same name and labels is replaced.
    pub fn gauge_l(
        &mut self,
        name: &'static str,
        help: &'static str,
        labels: Vec<(&'static str, String)>,
        value: f64,
    ) {
        if let Some(m) = self
            .metrics
            .iter_mut()
            .find(|m| m.name == name && m.labels == labels)
        {
            m.value = value;
            return;
        }
        self.metrics.push(Metric {
            name,
            help,
            kind: MetricKind::Gauge,
            labels,
            value,
        });
    }

    /// Add to a sample (created at 0), e.g. time spent on an endpoint over several pages.
    pub fn add_l(
        &mut self,
        name: &'static str,
        help: &'static str,
        labels: Vec<(&'static str, String)>,
        value: f64,
    ) {
        let current = self
            .metrics
            .iter()
            .find(|m| m.name == name && m.labels == labels)
            .map_or(0.0, |m| m.value);
        self.gauge_l(name, help, labels, current + value);
    }

    pub fn info(
        &mut self,
        name: &'static str,
        help: &'static str,
        labels: Vec<(&'static str, String)>,
    ) {
        self.metrics.push(Metric {
            name,
            help,
            kind: MetricKind::Info,
            labels,
            value: 1.0,
        });
    }

    /// A state set: one sample per state, 1 for `current`, 0 for the others.
    pub fn stateset(
        &mut self,
        name: &'static str,
        help: &'static str,
        label: &'static str,
        states: &[&'static str],
        current: &str,
    ) {
        for state in states {
            self.gauge_l(
                name,
                help,
                vec![(label, (*state).to_string())],
                if *state == current { 1.0 } else { 0.0 },
            );
        }
    }

    pub fn step(
        &mut self,
        name: &'static str,
        status: StepStatus,
        required: bool,
        detail: impl Into<String>,
    ) -> StepStatus {
        let detail = detail.into();
        tracing::debug!(step = name, status = status.as_str(), %detail, "probe step");
        for state in ["ok", "unsupported", "failed"] {
            self.gauge_l(
                "atproto_probe_step_status",
                "Outcome of each probe step (ok, unsupported or failed)",
                vec![("step", name.to_string()), ("status", state.to_string())],
                if state == status.as_str() { 1.0 } else { 0.0 },
            );
        }
        self.steps.push(Step {
            name,
            status,
            required,
            detail,
        });
        status
    }

    /// True when no required step failed.
    pub fn success(&self) -> bool {
        !self.steps.is_empty()
            && self
                .steps
                .iter()
                .all(|s| !(s.required && s.status == StepStatus::Failed))
    }
}

/// Cut a server-provided string to a bounded, printable label value.
pub fn label_value(raw: &str) -> String {
    raw.chars().filter(|c| !c.is_control()).take(64).collect()
}
