//! `jetstream`: connect to `/subscribe`, wait for the first event, report `now - time_us`.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;

use crate::config::JetstreamOptions;
use crate::firehose;
use crate::{Ctx, StepStatus};

pub(super) async fn run(ctx: &mut Ctx, o: &JetstreamOptions, target: &str) {
    let Some(base) = super::target_base(ctx, target) else {
        return;
    };
    // Keep an explicit path from the target (e.g. /subscribe behind a prefix); default /subscribe.
    let path = url::Url::parse(if target.contains("://") {
        target
    } else {
        "https://x/"
    })
    .ok()
    .map(|u| u.path().to_string())
    .filter(|p| p != "/" && !p.is_empty())
    .unwrap_or_else(|| "/subscribe".into());
    let mut url = crate::http::ws_url(&base, &path);
    for c in &o.wanted_collections {
        url.query_pairs_mut().append_pair("wantedCollections", c);
    }
    let client = firehose::WsClient {
        tls: ctx.tls.clone(),
        max_message: firehose::JETSTREAM_MAX_MESSAGE,
        budget: ctx.ws_budget.clone(),
    };
    let (mut ws, connect) = match firehose::connect(&client, &url, ctx.remaining()).await {
        Ok(x) => x,
        Err(e) => {
            ctx.rec.step("connect", StepStatus::Failed, true, e);
            return;
        }
    };
    ctx.rec.gauge(
        "atproto_jetstream_connect_seconds",
        "Time to open the jetstream WebSocket",
        connect.as_secs_f64(),
    );
    ctx.rec.step(
        "connect",
        StepStatus::Ok,
        true,
        format!("connected in {:.1} ms", connect.as_secs_f64() * 1e3),
    );
    let start = Instant::now();
    let limit =
        Duration::from_secs_f64(o.first_event_timeout_seconds.max(0.0)).min(ctx.remaining());
    let deadline = start + limit;
    let result = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        // A peer that never stops sending keeps `next()` ready; the deadline still holds.
        if left.is_zero() {
            break Err(format!("no event within {:.1} s", limit.as_secs_f64()));
        }
        match tokio::time::timeout(left, ws.next()).await {
            Err(_) => break Err(format!("no event within {:.1} s", limit.as_secs_f64())),
            Ok(None) | Ok(Some(Ok(Message::Close(_)))) => {
                break Err("stream closed before the first event".into());
            }
            Ok(Some(Err(e))) => break Err(format!("websocket error: {e}")),
            Ok(Some(Ok(Message::Text(t)))) => {
                match serde_json::from_str::<serde_json::Value>(t.as_str()) {
                    Ok(v) => match v.get("time_us").and_then(|x| x.as_i64()) {
                        Some(us) => break Ok(us),
                        None => break Err("event has no time_us".into()),
                    },
                    Err(e) => break Err(format!("event is not JSON: {e}")),
                }
            }
            Ok(Some(Ok(_))) => {}
        }
    };
    firehose::close(&mut ws).await;
    match result {
        Ok(us) => {
            let first = start.elapsed().as_secs_f64();
            let now_us = chrono::Utc::now().timestamp_micros();
            let lag = match super::plausible_lag(now_us, us) {
                Ok(lag) => lag,
                Err(why) => {
                    super::impossible(ctx, "jetstream_time", why.clone());
                    ctx.rec.step("first_event", StepStatus::Failed, true, why);
                    return;
                }
            };
            ctx.rec.gauge(
                "atproto_jetstream_first_event_seconds",
                "Time from connect to the first event",
                first,
            );
            ctx.rec.gauge(
                "atproto_jetstream_last_event_age_seconds",
                "now minus time_us of the first event received",
                lag,
            );
            ctx.rec.step(
                "first_event",
                StepStatus::Ok,
                true,
                format!("first event after {:.1} ms, lag {lag:.3} s", first * 1e3),
            );
        }
        Err(e) => {
            ctx.rec.step("first_event", StepStatus::Failed, true, e);
        }
    }
}
