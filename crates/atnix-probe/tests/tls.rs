//! wss:// probes against local TLS servers signed by a CA made at test time: healthy endpoints
//! succeed with their metrics, closed or non-TLS ones fail with a reason, nothing panics.

mod support;

use std::time::Duration;

use atnix_probe::{ProbeParams, StepStatus};
use futures_util::{SinkExt, StreamExt};
use support::*;
use tokio_tungstenite::tungstenite::Message;

const T: Duration = Duration::from_secs(5);

async fn jetstream(ws: tokio_tungstenite::WebSocketStream<Box<dyn Io>>) {
    let mut ws = ws;
    let us = chrono::Utc::now().timestamp_micros() - 2_000_000;
    let ev = format!(r#"{{"did":"did:plc:x","time_us":{us},"kind":"commit"}}"#);
    let _ = ws.send(Message::Text(ev.into())).await;
    while let Some(Ok(_)) = ws.next().await {}
}

/// A subscribeRepos stream whose head is `head`, answering FutureCursor past it.
pub async fn firehose(
    mut ws: tokio_tungstenite::WebSocketStream<Box<dyn Io>>,
    path: String,
    head: i64,
) {
    if let Some(c) = cursor(&path) {
        if c > head {
            let _ = ws
                .send(Message::Binary(error_frame("FutureCursor").into()))
                .await;
            let _ = ws.close(None).await;
            return;
        }
        for s in c.max(1)..=head {
            let _ = ws
                .send(Message::Binary(commit_frame(s, &now_rfc3339()).into()))
                .await;
        }
    }
    while let Some(Ok(_)) = ws.next().await {}
}

#[tokio::test]
async fn jetstream_over_tls() {
    let ca = test_ca();
    let addr = ws_server(Some(ca.server.clone()), |ws, _| jetstream(ws)).await;
    let prober = prober_trusting(&ca);
    let target = format!("wss://localhost:{}", addr.port());
    let r = run_with(&prober, "jetstream", "", &target, ProbeParams::default(), T).await;
    assert!(r.success, "{r:#?}");
    assert!(value(&r, "atproto_jetstream_connect_seconds", &[]).is_some());
    let lag = value(&r, "atproto_jetstream_last_event_age_seconds", &[]).unwrap();
    assert!((1.5..10.0).contains(&lag), "lag {lag}");

    // A CA the prober does not trust: a certificate error, not a panic.
    let other = test_ca();
    let r = run_with(
        &prober_trusting(&other),
        "jetstream",
        "",
        &target,
        ProbeParams::default(),
        T,
    )
    .await;
    assert!(!r.success);
    failed_with(&r, "connect", "certificate");

    // Closed port.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let r = run_with(
        &prober,
        "jetstream",
        "",
        &format!("wss://localhost:{closed}"),
        ProbeParams::default(),
        T,
    )
    .await;
    assert!(!r.success);
    failed_with(&r, "connect", "websocket connect failed");

    // A plain ws:// server asked for TLS.
    let plain = ws_server(None, |ws, _| jetstream(ws)).await;
    let r = run_with(
        &prober,
        "jetstream",
        "",
        &format!("wss://localhost:{}", plain.port()),
        ProbeParams::default(),
        T,
    )
    .await;
    assert!(!r.success);
    failed_with(&r, "connect", "websocket connect failed");
}

fn relay_for(pds_host: String) -> impl Fn(&str) -> (u16, String, Vec<u8>) + Send + Sync + 'static {
    move |path: &str| {
        let body = if path.starts_with("/xrpc/_health") {
            r#"{"status":"ok"}"#.to_string()
        } else if path.starts_with("/xrpc/com.atproto.sync.getHostStatus") {
            assert!(path.contains(&pds_host.replace(':', "%3A")), "{path}");
            r#"{"seq":5,"status":"active"}"#.to_string()
        } else {
            return (
                501,
                String::new(),
                br#"{"error":"MethodNotImplemented"}"#.to_vec(),
            );
        };
        (200, String::new(), body.into_bytes())
    }
}

#[tokio::test]
async fn firehose_over_tls() {
    let ca = test_ca();
    let pds = ws_server(Some(ca.server.clone()), |ws, path| firehose(ws, path, 7)).await;
    let host = format!("localhost:{}", pds.port());
    let relay = http_server(relay_for(host.clone())).await;
    let prober = prober_trusting(&ca);
    let toml = format!(
        "[modules.r]\nprober = \"relay\"\npds_host = \"wss://{host}\"\nfirehose_quiet_ms = 100\n"
    );
    let r = run_with(
        &prober,
        "r",
        &toml,
        &format!("http://{relay}"),
        ProbeParams::default(),
        T,
    )
    .await;
    assert!(r.success, "{r:#?}");
    assert_eq!(step(&r, "firehose").status, StepStatus::Ok, "{r:#?}");
    assert_eq!(value(&r, "atproto_firehose_up", &[]), Some(1.0));
    assert_eq!(value(&r, "atproto_firehose_head_seq", &[]), Some(7.0));
    assert_eq!(value(&r, "atproto_firehose_head_seq_exact", &[]), Some(1.0));
    assert_eq!(value(&r, "atproto_relay_host_seq_lag", &[]), Some(2.0));
    assert!(value(&r, "atproto_firehose_last_event_age_seconds", &[]).is_some());

    // Closed port and a non-TLS server: the firehose step fails with a reason.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let plain = ws_server(None, |ws, path| firehose(ws, path, 7)).await;
    for port in [closed, plain.port()] {
        let host = format!("localhost:{port}");
        let relay = http_server(relay_for(host.clone())).await;
        let toml = format!("[modules.r]\nprober = \"relay\"\npds_host = \"wss://{host}\"\n");
        let r = run_with(
            &prober,
            "r",
            &toml,
            &format!("http://{relay}"),
            ProbeParams::default(),
            T,
        )
        .await;
        failed_with(&r, "firehose", "websocket connect failed");
        assert_eq!(value(&r, "atproto_firehose_up", &[]), Some(0.0));
    }
}
