//! atproto-exporter: a blackbox-style Prometheus exporter for ATProto services.
//!
//! `GET /probe?target=URL&module=NAME` runs one probe and answers 200 with OpenMetrics text
//! (`probe_success`, `probe_duration_seconds` and module metrics); `GET /metrics` gives the
//! exporter's own metrics.

mod metrics;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use atnix_probe::{Config, ProbeParams, Prober};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use clap::Parser;
use serde::Deserialize;
use tokio::sync::Semaphore;

/// Default listen address: loopback, port 9197 (blackbox_exporter uses 9115).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9197";

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Parser, Debug)]
#[command(
    version,
    about = "Prometheus exporter probing ATProto services (PDS, relay, jetstream, PLC, labeler, feed generator, handle)"
)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = DEFAULT_LISTEN, env = "ATPROTO_EXPORTER_LISTEN")]
    listen: SocketAddr,
    /// TOML file with module options (`[modules.<name>] prober = "pds" ...`).
    #[arg(long, env = "ATPROTO_EXPORTER_CONFIG")]
    config: Option<PathBuf>,
    /// Probe timeout when Prometheus sends no X-Prometheus-Scrape-Timeout-Seconds.
    #[arg(long, default_value_t = 10.0)]
    default_timeout: f64,
    /// Seconds subtracted from the scrape timeout so the answer arrives in time.
    #[arg(long, default_value_t = 0.5)]
    timeout_offset: f64,
    /// Probes running at once at most; more wait (bounded memory under load).
    #[arg(long, default_value_t = 16)]
    max_concurrent_probes: usize,
}

/// Scrapes waiting or running at once, per probe slot; beyond this a scrape gets 503, so a
/// burst of requests cannot grow the queue (and memory) without bound.
const QUEUED_PER_SLOT: usize = 4;

struct AppState {
    config: Config,
    prober: Prober,
    metrics: metrics::SelfMetrics,
    limit: Semaphore,
    /// Scrapes admitted (waiting for `limit` or running): `QUEUED_PER_SLOT` per probe slot.
    admitted: Semaphore,
    default_timeout: f64,
    timeout_offset: f64,
}

#[derive(Deserialize)]
struct ProbeQuery {
    target: Option<String>,
    module: Option<String>,
    host: Option<String>,
    /// blackbox_exporter's `debug=true`: the probe's log, metrics and module, as text.
    debug: Option<String>,
}

fn main() -> anyhow::Result<()> {
    // Every client gets atnix-http's config; this covers any code that asks rustls for the
    // process default instead.
    atnix_http::install_default_provider();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ATPROTO_EXPORTER_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            Config::from_toml(&text).with_context(|| format!("in {}", path.display()))?
        }
        None => Config::default(),
    };
    anyhow::ensure!(
        args.default_timeout.is_finite() && args.default_timeout > 0.0,
        "--default-timeout must be positive"
    );
    anyhow::ensure!(
        args.timeout_offset.is_finite() && args.timeout_offset >= 0.0,
        "--timeout-offset must not be negative"
    );
    anyhow::ensure!(
        args.max_concurrent_probes > 0,
        "--max-concurrent-probes must be at least 1"
    );
    // Two worker threads are plenty for I/O-bound probes and keep memory small.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    rt.block_on(serve(args, config))
}

async fn serve(args: Args, config: Config) -> anyhow::Result<()> {
    let state = Arc::new(AppState {
        prober: Prober::new().context("building the HTTP client")?,
        metrics: metrics::SelfMetrics::new(&config.module_names()),
        config,
        limit: Semaphore::new(args.max_concurrent_probes),
        admitted: Semaphore::new(args.max_concurrent_probes.saturating_mul(QUEUED_PER_SLOT)),
        default_timeout: args.default_timeout,
        timeout_offset: args.timeout_offset,
    });
    let app = Router::new()
        .route("/", get(index))
        .route("/probe", get(probe))
        .route("/metrics", get(self_metrics))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    tracing::info!(listen = %listener.local_addr()?, "atproto-exporter listening");
    let stop = shutdown();
    tokio::pin!(stop);
    loop {
        let (sock, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of descriptors and the like: wait instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => return Ok(()),
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(hyper_util::rt::TokioIo::new(sock), service);
            // Handlers read no request body; a connection still ends after the longest probe
            // could have finished, so a client trickling a body cannot hold it forever.
            let _ = tokio::time::timeout(CONNECTION_LIFETIME, conn).await;
        });
    }
}

/// A client must send its request headers within this time.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Longest a connection lives: the longest probe timeout (300 s) and some margin.
const CONNECTION_LIFETIME: Duration = Duration::from_secs(330);

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return ctrl_c.await.unwrap_or(()),
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await.unwrap_or(());
}

async fn index(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let modules = state.config.module_names().join(", ");
    format!(
        "atproto-exporter {}\n\nGET /probe?target=<url or handle>&module=<name>[&host=<pds host, relay module>]\nGET /metrics\n\nmodules: {modules}\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// The probe timeout: the scrape timeout minus the offset, capped by the module's own timeout.
fn probe_timeout(
    headers: &HeaderMap,
    module_timeout: Option<f64>,
    default: f64,
    offset: f64,
) -> Duration {
    let scrape = headers
        .get("x-prometheus-scrape-timeout-seconds")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v > 0.0);
    let mut t = match scrape {
        Some(s) => (s - offset).max(0.1),
        None => default,
    };
    if let Some(m) = module_timeout {
        t = t.min(m);
    }
    Duration::from_secs_f64(t.clamp(0.1, 300.0))
}

async fn probe(
    State(state): State<Arc<AppState>>,
    Query(q): Query<ProbeQuery>,
    headers: HeaderMap,
) -> Response {
    let Some(target) = q.target else {
        return (StatusCode::BAD_REQUEST, "target parameter is missing\n").into_response();
    };
    let module_name = q.module.unwrap_or_else(|| "pds".into());
    let Some(module) = state.config.module(&module_name) else {
        return (
            StatusCode::BAD_REQUEST,
            format!(
                "unknown module {module_name:?}; known: {}\n",
                state.config.module_names().join(", ")
            ),
        )
            .into_response();
    };
    let timeout = probe_timeout(
        &headers,
        module.timeout_seconds(),
        state.default_timeout,
        state.timeout_offset,
    );
    let params = ProbeParams { host: q.host };

    let Ok(_admitted) = state.admitted.try_acquire() else {
        state.metrics.rejected.inc();
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "too many scrapes waiting; try again later\n",
        )
            .into_response();
    };

    // Waiting for a slot counts against the probe's time; a probe that never got one fails.
    let start = std::time::Instant::now();
    let permit = tokio::time::timeout(timeout, state.limit.acquire()).await;
    let remaining = timeout.saturating_sub(start.elapsed());
    state.metrics.in_flight.inc();
    let mut panicked = false;
    let report = match permit {
        Ok(Ok(_permit)) => {
            // Run in its own task so that a panic inside a probe is caught here.
            let st = state.clone();
            let (m, t, n) = (module.clone(), target.clone(), module_name.clone());
            let handle = tokio::spawn(async move {
                // Tests make a probe task panic through this target; nothing else can.
                #[cfg(test)]
                if t == tests::PANICKING_TARGET {
                    panic!("probe panic injected by a test");
                }
                st.prober.probe(&n, &m, &t, &params, remaining).await
            });
            match handle.await {
                Ok(r) => Some(r),
                Err(e) => {
                    // A panic is a bug in the exporter, not the target being down: say so
                    // loudly and count it, apart from probe failures.
                    panicked = true;
                    let why = match e.try_into_panic() {
                        Ok(p) => panic_message(p.as_ref()),
                        Err(e) => e.to_string(),
                    };
                    tracing::error!(
                        module = %module_name,
                        target = %target,
                        panic = %why,
                        "BUG: probe task panicked; reported as atproto_exporter_probe_panics_total, not as the target being down"
                    );
                    state.metrics.panic(&module_name);
                    None
                }
            }
        }
        _ => None,
    };
    state.metrics.in_flight.dec();
    let elapsed = start.elapsed();
    let body = match &report {
        Some(r) => metrics::encode_report(r),
        None => metrics::encode_failure(elapsed, panicked),
    };
    let ok = report.as_ref().is_some_and(|r| r.success);
    state.metrics.observe(&module_name, ok, elapsed);
    if let Some(r) = &report {
        for s in r
            .steps
            .iter()
            .filter(|s| s.status == atnix_probe::StepStatus::Failed)
        {
            tracing::debug!(module = %module_name, step = s.name, detail = %s.detail, "probe step failed");
        }
    }
    if q.debug.as_deref() == Some("true") {
        let text = debug_text(
            &module_name,
            &module,
            &target,
            timeout,
            report.as_ref(),
            panicked,
            &body,
        );
        return ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response();
    }
    ([(header::CONTENT_TYPE, OPENMETRICS)], body).into_response()
}

/// The text of a panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".into())
}

/// blackbox_exporter's debug page: the probe's log, then the metrics it would have
/// answered, then the module configuration.
fn debug_text(
    module_name: &str,
    module: &atnix_probe::ModuleConfig,
    target: &str,
    timeout: Duration,
    report: Option<&atnix_probe::ProbeReport>,
    panicked: bool,
    metrics: &str,
) -> String {
    use std::fmt::Write as _;
    let mut out = String::from("Logs for the probe:\n");
    let _ = writeln!(
        out,
        "module={module_name} prober={} target={target:?} timeout={:.3}s",
        module.prober(),
        timeout.as_secs_f64()
    );
    match report {
        Some(r) => {
            for s in &r.steps {
                let _ = writeln!(
                    out,
                    "step={} status={} required={} detail={:?}",
                    s.name,
                    s.status.as_str(),
                    s.required,
                    s.detail
                );
            }
            let _ = writeln!(
                out,
                "{} after {:.3}s",
                if r.success {
                    "Probe succeeded"
                } else {
                    "Probe failed"
                },
                r.duration.as_secs_f64()
            );
        }
        None if panicked => {
            out.push_str("Probe failed: the probe task panicked (an exporter bug)\n")
        }
        None => out.push_str("Probe failed: no probe slot became free before the timeout\n"),
    }
    let _ = write!(
        out,
        "\n\nMetrics that would have been returned:\n{metrics}\n\nModule configuration:\n{module:#?}\n"
    );
    out
}

async fn self_metrics(State(state): State<Arc<AppState>>) -> Response {
    (
        [(header::CONTENT_TYPE, OPENMETRICS)],
        state.metrics.encode(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A target whose probe task panics (see `probe`).
    pub(super) const PANICKING_TARGET: &str = "https://panic.test.invalid";

    fn test_state() -> Arc<AppState> {
        let config = Config::default();
        Arc::new(AppState {
            prober: Prober::new().unwrap(),
            metrics: metrics::SelfMetrics::new(&config.module_names()),
            config,
            limit: Semaphore::new(2),
            admitted: Semaphore::new(2 * QUEUED_PER_SLOT),
            default_timeout: 5.0,
            timeout_offset: 0.5,
        })
    }

    async fn answer(state: &Arc<AppState>, query: &str) -> (StatusCode, String) {
        let Query(q) =
            Query::<ProbeQuery>::try_from_uri(&format!("/probe?{query}").parse().unwrap()).unwrap();
        let resp = probe(State(state.clone()), Query(q), HeaderMap::new()).await;
        let status = resp.status();
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn a_panicking_probe_is_counted_and_flagged_not_a_plain_failure() {
        let state = test_state();
        let target = format!("target={PANICKING_TARGET}&module=pds");
        let (status, body) = answer(&state, &target).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("\nprobe_success 0"), "{body}");
        assert!(body.contains("\natproto_probe_panicked 1"), "{body}");

        let selfm = state.metrics.encode();
        assert!(
            selfm.contains(r#"atproto_exporter_probe_panics_total{module="pds"} 1"#),
            "{selfm}"
        );
        // Each panic counts.
        let (_, _) = answer(&state, &target).await;
        assert!(
            state
                .metrics
                .encode()
                .contains(r#"atproto_exporter_probe_panics_total{module="pds"} 2"#)
        );

        let (_, debug) = answer(&state, &format!("{target}&debug=true")).await;
        assert!(debug.to_lowercase().contains("panic"), "{debug}");

        // The debug page's probe panicked too (3); an ordinary failure (nothing listens on
        // port 9) carries no panic flag and leaves the count alone.
        let (_, plain) = answer(&state, "target=http://127.0.0.1:9&module=pds").await;
        assert!(plain.contains("\nprobe_success 0"), "{plain}");
        assert!(!plain.contains("atproto_probe_panicked"), "{plain}");
        assert!(
            state
                .metrics
                .encode()
                .contains(r#"atproto_exporter_probe_panics_total{module="pds"} 3"#)
        );
    }

    #[test]
    fn timeout_from_header() {
        let mut h = HeaderMap::new();
        assert_eq!(probe_timeout(&h, None, 10.0, 0.5), Duration::from_secs(10));
        h.insert("x-prometheus-scrape-timeout-seconds", "5".parse().unwrap());
        assert_eq!(
            probe_timeout(&h, None, 10.0, 0.5),
            Duration::from_millis(4500)
        );
        assert_eq!(
            probe_timeout(&h, Some(2.0), 10.0, 0.5),
            Duration::from_secs(2)
        );
        h.insert(
            "x-prometheus-scrape-timeout-seconds",
            "garbage".parse().unwrap(),
        );
        assert_eq!(probe_timeout(&h, None, 10.0, 0.5), Duration::from_secs(10));
        h.insert(
            "x-prometheus-scrape-timeout-seconds",
            "0.2".parse().unwrap(),
        );
        assert_eq!(
            probe_timeout(&h, None, 10.0, 0.5),
            Duration::from_millis(100)
        );
    }
}
