//! ATProto health probes: PDS, relay, jetstream, PLC, labeler, feed generator, handle.
//!
//! A probe runs once against one target and returns a [`ProbeReport`]: readable steps and
//! Prometheus samples. Probes never panic on bad input and never outlive their deadline; a
//! target that is down or malformed gives `success == false`.

pub mod config;
pub mod firehose;
pub mod frame;
mod http;
mod modules;
pub mod report;

use std::sync::Arc;
use std::time::{Duration, Instant};

pub use config::{Config, ConfigError, ModuleConfig};
pub use report::{Metric, MetricKind, ProbeReport, Step, StepStatus};

use report::Recorder;

/// Shared clients for many probes (connection pools, DNS resolver).
#[derive(Clone)]
pub struct Prober {
    http: reqwest::Client,
    tls: Arc<rustls::ClientConfig>,
    ws_budget: Arc<tokio::sync::Semaphore>,
}

/// Why a prober could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ProberError {
    #[error("cannot build the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    #[error("cannot set up TLS: {0}")]
    Tls(#[from] atnix_http::TlsError),
}

/// Extra per-probe parameters (e.g. `&host=` on the exporter's /probe).
#[derive(Debug, Clone, Default)]
pub struct ProbeParams {
    /// relay: the PDS host to check, overriding the module's `pds_host`.
    pub host: Option<String>,
}

impl Prober {
    /// A prober trusting the system's CA certificates (`SSL_CERT_FILE` and `SSL_CERT_DIR`
    /// count), or Mozilla's roots on a host without any.
    pub fn new() -> Result<Self, ProberError> {
        Self::with_tls(atnix_http::system_client_config()?)
    }

    /// A prober whose HTTP and WebSocket connections both use `tls` (tests pass a config
    /// trusting their own CA).
    pub fn with_tls(tls: rustls::ClientConfig) -> Result<Self, ProberError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("atproto-exporter/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(5))
            .redirect(http::same_origin_redirects())
            .pool_idle_timeout(Duration::from_secs(30))
            .tls_backend_preconfigured(tls.clone())
            .build()?;
        Ok(Self {
            http,
            tls: Arc::new(tls),
            ws_budget: Arc::new(tokio::sync::Semaphore::new(firehose::DEFAULT_WS_BUDGET)),
        })
    }

    /// Let this prober's WebSocket connections together buffer at most `bytes` (default
    /// [`firehose::DEFAULT_WS_BUDGET`]); a probe that cannot get its share before its
    /// deadline fails saying so. Below one message size (2.5 MiB), firehose probes always fail.
    pub fn with_ws_budget(mut self, bytes: usize) -> Self {
        self.ws_budget = Arc::new(tokio::sync::Semaphore::new(bytes));
        self
    }

    /// Run `module` against `target`, finishing within `timeout`.
    pub async fn probe(
        &self,
        module_name: &str,
        module: &ModuleConfig,
        target: &str,
        params: &ProbeParams,
        timeout: Duration,
    ) -> ProbeReport {
        let start = Instant::now();
        let deadline = start + timeout;
        let mut ctx = Ctx {
            http: self.http.clone(),
            tls: self.tls.clone(),
            ws_budget: self.ws_budget.clone(),
            deadline,
            rec: Recorder::default(),
        };
        // Leave a little room so the report itself is never late.
        let guard = timeout + Duration::from_millis(200);
        let run = modules::run(&mut ctx, module, target, params);
        if tokio::time::timeout(guard, run).await.is_err() {
            ctx.rec.step(
                "deadline",
                StepStatus::Failed,
                true,
                "probe did not finish in time",
            );
        }
        let success = ctx.rec.success();
        ProbeReport {
            module: module_name.to_string(),
            prober: module.prober(),
            success,
            duration: start.elapsed(),
            steps: ctx.rec.steps,
            metrics: ctx.rec.metrics,
        }
    }
}

/// Run one probe on a fresh current-thread runtime (for the `atnix probe` command).
pub fn probe_blocking(
    module_name: &str,
    module: &ModuleConfig,
    target: &str,
    params: &ProbeParams,
    timeout: Duration,
) -> Result<ProbeReport, ProberError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread tokio runtime can always be built");
    rt.block_on(async {
        let prober = Prober::new()?;
        Ok(prober
            .probe(module_name, module, target, params, timeout)
            .await)
    })
}

/// State of one running probe.
pub(crate) struct Ctx {
    pub http: reqwest::Client,
    pub tls: Arc<rustls::ClientConfig>,
    pub ws_budget: Arc<tokio::sync::Semaphore>,
    pub deadline: Instant,
    pub rec: Recorder,
}

impl Ctx {
    /// Time left before the deadline (zero when past it).
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }
}
