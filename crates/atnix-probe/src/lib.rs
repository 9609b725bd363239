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

use std::time::{Duration, Instant};

pub use config::{Config, ConfigError, ModuleConfig};
pub use report::{Metric, MetricKind, ProbeReport, Step, StepStatus};

use report::Recorder;

/// Shared clients for many probes (connection pools, DNS resolver).
#[derive(Clone)]
pub struct Prober {
    http: reqwest::Client,
}

/// Why a prober could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ProberError {
    #[error("cannot build the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    #[error("cannot set up TLS: {0}")]
    Tls(String),
}

/// Extra per-probe parameters (e.g. `&host=` on the exporter's /probe).
#[derive(Debug, Clone, Default)]
pub struct ProbeParams {
    /// relay: the PDS host to check, overriding the module's `pds_host`.
    pub host: Option<String>,
}

impl Prober {
    pub fn new() -> Result<Self, ProberError> {
        let builder = || {
            reqwest::Client::builder()
                .user_agent(concat!("atproto-exporter/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(Duration::from_secs(5))
                .redirect(reqwest::redirect::Policy::limited(3))
                .pool_idle_timeout(Duration::from_secs(30))
        };
        // The system trust store first (operators' own CAs count); a host without one
        // (a minimal container) still gets Mozilla's roots instead of no exporter at all.
        let http = match builder().build() {
            Ok(client) => client,
            Err(err) => {
                tracing::warn!(
                    error = %http::error_chain(&err),
                    "no usable system CA certificates; verifying TLS with the bundled webpki-roots"
                );
                let mut roots = rustls::RootCertStore::empty();
                roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
                let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
                let tls = rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .map_err(|e| ProberError::Tls(e.to_string()))?
                    .with_root_certificates(roots)
                    .with_no_client_auth();
                builder().tls_backend_preconfigured(tls).build()?
            }
        };
        Ok(Self { http })
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
    pub deadline: Instant,
    pub rec: Recorder,
}

impl Ctx {
    /// Time left before the deadline (zero when past it).
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }
}
