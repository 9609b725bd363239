//! One file per prober.

mod feedgen;
mod handle;
mod jetstream;
mod labeler;
mod pds;
mod plc;
mod relay;

use std::time::Duration;

use crate::config::ModuleConfig;
use crate::firehose::{self, FrameStats};
use crate::http::{self, Fetch};
use crate::{Ctx, ProbeParams, StepStatus};

pub(crate) async fn run(ctx: &mut Ctx, module: &ModuleConfig, target: &str, params: &ProbeParams) {
    match module {
        ModuleConfig::Pds(o) => pds::run(ctx, o, target).await,
        ModuleConfig::Relay(o) => relay::run(ctx, o, target, params).await,
        ModuleConfig::Jetstream(o) => jetstream::run(ctx, o, target).await,
        ModuleConfig::Plc(o) => plc::run(ctx, o, target).await,
        ModuleConfig::Labeler(o) => labeler::run(ctx, o, target).await,
        ModuleConfig::Feedgen(o) => feedgen::run(ctx, o, target).await,
        ModuleConfig::Handle(o) => handle::run(ctx, o, target).await,
    }
}

/// Parse the target into a base URL, or record a failed `target` step.
fn target_base(ctx: &mut Ctx, target: &str) -> Option<url::Url> {
    match http::base_url(target) {
        Ok(u) => Some(u),
        Err(e) => {
            ctx.rec.step("target", StepStatus::Failed, true, e);
            None
        }
    }
}

/// GET an endpoint expecting JSON; records the step and returns the JSON on success.
async fn json_step(
    ctx: &mut Ctx,
    step: &'static str,
    required: bool,
    url: url::Url,
) -> (StepStatus, Option<serde_json::Value>) {
    match http::get(ctx, step, url, None).await {
        Fetch::Ok(resp) => match resp.json() {
            Ok(v) => (
                ctx.rec.step(
                    step,
                    StepStatus::Ok,
                    required,
                    format!("HTTP {}", resp.status),
                ),
                Some(v),
            ),
            Err(e) => (ctx.rec.step(step, StepStatus::Failed, required, e), None),
        },
        Fetch::Unsupported(why) => (
            ctx.rec.step(step, StepStatus::Unsupported, required, why),
            None,
        ),
        Fetch::Failed(why) => (ctx.rec.step(step, StepStatus::Failed, required, why), None),
    }
}

/// `_health`-style endpoints: 200 `{version}` (PDS, PLC, Ozone) or `{status: "ok"}` (relay).
/// Records `atproto_service_info{kind,version}`.
async fn health_step(
    ctx: &mut Ctx,
    kind: &'static str,
    required: bool,
    url: url::Url,
) -> StepStatus {
    let (status, body) = json_step(ctx, "health", required, url).await;
    if let Some(body) = body {
        let version = body
            .get("version")
            .and_then(|v| v.as_str())
            .map(crate::report::label_value)
            .unwrap_or_default();
        ctx.rec.info(
            "atproto_service",
            "Service kind and the version its health endpoint reports",
            vec![("kind", kind.to_string()), ("version", version)],
        );
    }
    status
}

/// Firehose liveness (connect + ping/pong) and, optionally, its head seq. Returns the head seq.
async fn firehose_steps(
    ctx: &mut Ctx,
    base: &url::Url,
    required: bool,
    want_head: bool,
    quiet_ms: u64,
    max_steps: u32,
) -> Option<i64> {
    let url = http::ws_url(base, "/xrpc/com.atproto.sync.subscribeRepos");
    let limit = ctx.remaining();
    let client = firehose::WsClient {
        tls: ctx.tls.clone(),
        max_message: firehose::FIREHOSE_MAX_MESSAGE,
        budget: ctx.ws_budget.clone(),
    };
    let client = &client;
    // Liveness (a ping on a live subscription) and the head-seq search use separate
    // connections; run them side by side.
    let live = async {
        let mut stats = FrameStats::default();
        let r = match firehose::connect(client, &url, limit).await {
            Ok((mut ws, connect)) => {
                let pong = firehose::ping(&mut ws, limit.saturating_sub(connect), &mut stats).await;
                firehose::close(&mut ws).await;
                (Some(connect), pong)
            }
            Err(e) => (None, Err(e)),
        };
        (r, stats)
    };
    let head = async {
        let mut stats = FrameStats::default();
        if !want_head {
            return (None, stats);
        }
        // Keep a margin for the rest of the report.
        let budget = limit.saturating_sub(Duration::from_millis(100));
        let r = firehose::head_seq(
            client,
            &url,
            Duration::from_millis(quiet_ms),
            max_steps,
            budget,
            &mut stats,
        )
        .await;
        (Some(r), stats)
    };
    let (((connect, live), mut stats), (head_result, head_stats)) = tokio::join!(live, head);
    stats.merge(head_stats);
    if let Some(connect) = connect {
        ctx.rec.gauge(
            "atproto_firehose_connect_seconds",
            "Time to open the firehose WebSocket",
            connect.as_secs_f64(),
        );
    }
    // A pong says the socket is open, not that it carries a firehose.
    let live = live.and_then(|pong| {
        if stats.decode_errors > 0 && stats.by_kind.is_empty() && stats.errors.is_empty() {
            Err(format!(
                "pong, but none of the {} frames received was a valid DAG-CBOR frame",
                stats.decode_errors
            ))
        } else {
            Ok(pong)
        }
    });
    let up = match live {
        Ok(pong) => {
            ctx.rec.gauge(
                "atproto_firehose_pong_seconds",
                "Round trip of a WebSocket ping on the firehose",
                pong.as_secs_f64(),
            );
            ctx.rec.step(
                "firehose",
                StepStatus::Ok,
                required,
                format!("pong in {:.1} ms", pong.as_secs_f64() * 1e3),
            );
            true
        }
        Err(e) => {
            ctx.rec.step("firehose", StepStatus::Failed, required, e);
            false
        }
    };
    ctx.rec.gauge(
        "atproto_firehose_up",
        "Whether the firehose accepted a connection and answered a ping",
        f64::from(u8::from(up)),
    );
    let mut head = None;
    if let (true, Some(result)) = (up, head_result) {
        match result {
            // Seqs are JSON integers that JavaScript services keep exactly: beyond 2^53 the
            // stream is lying, and a lag computed from it would be noise.
            Ok(h) if h.seq > MAX_SEQ => {
                impossible(
                    ctx,
                    "firehose_seq",
                    format!("head seq {} is beyond 2^53", h.seq),
                );
            }
            Ok(h) => {
                ctx.rec.gauge(
                    "atproto_firehose_head_seq",
                    "Newest firehose seq (a lower bound when not exact)",
                    h.seq as f64,
                );
                ctx.rec.gauge(
                    "atproto_firehose_head_seq_exact",
                    "Whether the head seq search converged",
                    f64::from(u8::from(h.exact)),
                );
                ctx.rec.gauge(
                    "atproto_firehose_head_seq_connections",
                    "Connections used to find the head seq",
                    f64::from(h.connections),
                );
                if let Some((seq, Some(time))) = &stats.max_seq
                    && *seq == h.seq
                    && let Ok(t) = chrono::DateTime::parse_from_rfc3339(time)
                {
                    let now_us = chrono::Utc::now().timestamp_micros();
                    match plausible_lag(now_us, t.timestamp_micros()) {
                        Ok(age) => ctx.rec.gauge(
                            "atproto_firehose_last_event_age_seconds",
                            "Age of the newest firehose event",
                            age,
                        ),
                        Err(why) => impossible(ctx, "firehose_time", why),
                    }
                }
                ctx.rec.step(
                    "firehose_head",
                    StepStatus::Ok,
                    false,
                    format!(
                        "head seq {}{} ({} connections)",
                        if h.exact { "" } else { ">= " },
                        h.seq,
                        h.connections
                    ),
                );
                head = Some(h.seq);
            }
            Err(e) => {
                ctx.rec.step("firehose_head", StepStatus::Failed, false, e);
            }
        }
    }
    for (kind, n) in &stats.by_kind {
        ctx.rec.gauge_l(
            "atproto_firehose_frames",
            "Firehose frames read during the probe, by type",
            vec![("type", (*kind).to_string())],
            *n as f64,
        );
    }
    for (error, n) in &stats.errors {
        ctx.rec.gauge_l(
            "atproto_firehose_error_frames",
            "Firehose error or info frames seen during the probe",
            vec![("error", error.clone())],
            *n as f64,
        );
    }
    ctx.rec.gauge(
        "atproto_firehose_decode_errors",
        "Firehose frames that did not decode as DAG-CBOR header and body",
        stats.decode_errors as f64,
    );
    head
}

/// Largest believable firehose seq (2^53, JavaScript's exact integers).
pub(super) const MAX_SEQ: i64 = 1 << 53;

/// Events may look this far into the future (clock skew) before their time is impossible.
const MAX_FUTURE_US: i64 = 300_000_000;

/// ATProto's first events are from 2022; an earlier time is not an event time.
const EARLIEST_EVENT_US: i64 = 1_640_995_200_000_000;

/// `now - event` in seconds, computed without overflow, or why the event time is impossible.
pub(crate) fn plausible_lag(now_us: i64, event_us: i64) -> Result<f64, String> {
    if event_us < EARLIEST_EVENT_US {
        return Err(format!("event time {event_us} µs is before 2022"));
    }
    let lag = now_us.saturating_sub(event_us);
    if lag < -MAX_FUTURE_US {
        return Err(format!(
            "event time {event_us} µs is {:.0} s in the future",
            -(lag as f64) / 1e6
        ));
    }
    Ok(lag as f64 / 1e6)
}

/// Record a value the target sent that cannot be true: a failed (not required) step and
/// `atproto_probe_impossible_values`, instead of a metric with a made-up value.
pub(crate) fn impossible(ctx: &mut Ctx, what: &'static str, why: String) {
    ctx.rec.gauge_l(
        "atproto_probe_impossible_values",
        "Values the target sent that cannot be true (not exported as metrics)",
        vec![("value", what.to_string())],
        1.0,
    );
    ctx.rec.step(what, StepStatus::Failed, false, why);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_saturates_and_flags_the_impossible() {
        let now = 1_800_000_000_000_000;
        assert_eq!(plausible_lag(now, now - 2_000_000), Ok(2.0));
        assert!(plausible_lag(now, now + 1_000_000).is_ok());
        assert!(plausible_lag(now, i64::MAX).is_err());
        assert!(plausible_lag(now, i64::MIN).is_err());
        assert!(plausible_lag(now, 0).is_err());
        assert!(plausible_lag(i64::MAX, EARLIEST_EVENT_US).is_ok());
    }
}
