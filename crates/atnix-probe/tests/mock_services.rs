//! Probers against small in-test servers standing in for a relay, jetstream, labeler and feed
//! generator (the PDS, PLC and handle probers run against a real PDS in atproto-exporter's tests).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use atnix_probe::{Config, ProbeParams, ProbeReport, Prober, StepStatus};
use futures_util::SinkExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

/// A minimal HTTP/1.1 server answering `path` (without query) from a fixed table; 404 otherwise.
async fn http_mock(routes: Vec<(&'static str, u16, String)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let routes: Arc<HashMap<&'static str, (u16, String)>> =
        Arc::new(routes.into_iter().map(|(p, s, b)| (p, (s, b))).collect());
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let routes = routes.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut n = 0;
                while !buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf[n..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => n += k,
                    }
                }
                let req = String::from_utf8_lossy(&buf[..n]);
                let path = req.split_whitespace().nth(1).unwrap_or("/");
                let path = path.split('?').next().unwrap_or("/");
                let (status, body) = routes
                    .get(path)
                    .cloned()
                    .unwrap_or((404, r#"{"error":"NotFound"}"#.into()));
                let resp = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}")
}

async fn run(module: &str, toml: &str, target: &str, params: ProbeParams) -> ProbeReport {
    let config = Config::from_toml(toml).unwrap();
    let m = config.module(module).unwrap();
    Prober::new()
        .unwrap()
        .probe(module, &m, target, &params, Duration::from_secs(5))
        .await
}

fn value(r: &ProbeReport, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    r.metrics
        .iter()
        .find(|m| {
            m.name == name
                && labels
                    .iter()
                    .all(|(k, v)| m.labels.iter().any(|(mk, mv)| mk == k && mv == v))
        })
        .map(|m| m.value)
}

fn step(r: &ProbeReport, name: &str) -> StepStatus {
    r.steps
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no step {name}: {r:?}"))
        .status
}

#[tokio::test]
async fn relay_host_status_and_unsupported_list_hosts() {
    let relay = http_mock(vec![
        ("/xrpc/_health", 200, r#"{"status":"ok"}"#.into()),
        (
            "/xrpc/com.atproto.sync.getHostStatus",
            200,
            r#"{"hostname":"pds.example","seq":42,"accountCount":7,"status":"active"}"#.into(),
        ),
        (
            "/xrpc/com.atproto.sync.listHosts",
            501,
            r#"{"error":"MethodNotImplemented"}"#.into(),
        ),
    ])
    .await;
    let toml = "[modules.r]\nprober = \"relay\"\nseq_lag = false\npds_host = \"pds.example\"\n";
    let r = run("r", toml, &relay, ProbeParams::default()).await;
    assert!(r.success, "{r:#?}");
    assert_eq!(step(&r, "list_hosts"), StepStatus::Unsupported);
    assert_eq!(value(&r, "atproto_relay_host_seq", &[]), Some(42.0));
    assert_eq!(value(&r, "atproto_relay_host_accounts", &[]), Some(7.0));
    assert_eq!(
        value(&r, "atproto_relay_host_status", &[("status", "active")]),
        Some(1.0)
    );
    assert_eq!(
        value(&r, "atproto_relay_host_status", &[("status", "offline")]),
        Some(0.0)
    );

    // Unknown host: the relay is not crawling it.
    let relay = http_mock(vec![
        ("/xrpc/_health", 200, r#"{"status":"ok"}"#.into()),
        (
            "/xrpc/com.atproto.sync.getHostStatus",
            404,
            r#"{"error":"HostNotFound","message":"host not found"}"#.into(),
        ),
        (
            "/xrpc/com.atproto.sync.listHosts",
            200,
            r#"{"hosts":[{"hostname":"a","status":"active"},{"hostname":"b","status":"offline"}]}"#
                .into(),
        ),
    ])
    .await;
    let r = run(
        "relay",
        "",
        &relay,
        ProbeParams {
            host: Some("pds.example".into()),
        },
    )
    .await;
    assert!(!r.success, "{r:#?}");
    assert_eq!(value(&r, "atproto_relay_host_known", &[]), Some(0.0));
    assert_eq!(
        value(&r, "atproto_relay_hosts", &[("status", "offline")]),
        Some(1.0)
    );
}

#[tokio::test]
async fn labeler_and_feedgen() {
    let labeler = http_mock(vec![
        ("/xrpc/com.atproto.label.queryLabels", 200, r#"{"labels":[{"src":"did:plc:x","uri":"at://x","val":"spam","cts":"2026-01-01T00:00:00Z"}]}"#.into()),
    ])
    .await;
    let r = run("labeler", "", &labeler, ProbeParams::default()).await;
    assert!(r.success, "{r:#?}");
    assert_eq!(step(&r, "health"), StepStatus::Unsupported);
    assert_eq!(value(&r, "atproto_labeler_labels_returned", &[]), Some(1.0));
    // A PDS is not a labeler: queryLabels unsupported fails the labeler probe.
    let not_labeler = http_mock(vec![]).await;
    assert!(
        !run("labeler", "", &not_labeler, ProbeParams::default())
            .await
            .success
    );

    let fg_host = "127.0.0.1";
    let feedgen = http_mock(vec![
        (
            "/.well-known/did.json",
            200,
            format!(r##"{{"id":"did:web:{fg_host}","service":[{{"id":"#bsky_fg","type":"BskyFeedGenerator","serviceEndpoint":"https://{fg_host}"}}]}}"##),
        ),
        (
            "/xrpc/app.bsky.feed.describeFeedGenerator",
            200,
            format!(r#"{{"did":"did:web:{fg_host}","feeds":[{{"uri":"at://did:plc:x/app.bsky.feed.generator/a"}}]}}"#),
        ),
        ("/xrpc/app.bsky.feed.getFeedSkeleton", 200, r#"{"feed":[{"post":"at://did:plc:x/app.bsky.feed.post/1"}]}"#.into()),
    ])
    .await;
    let r = run("feedgen", "", &feedgen, ProbeParams::default()).await;
    assert!(r.success, "{r:#?}");
    assert_eq!(value(&r, "atproto_feedgen_feeds", &[]), Some(1.0));
    assert_eq!(value(&r, "atproto_feedgen_did_match", &[]), Some(1.0));
    assert_eq!(
        value(&r, "atproto_feedgen_service_endpoint_match", &[]),
        Some(1.0)
    );
    assert_eq!(value(&r, "atproto_feedgen_skeleton_items", &[]), Some(1.0));
}

async fn jetstream_mock(send_event: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(sock).await else {
                    return;
                };
                if send_event {
                    let us = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap()
                        .as_micros()
                        - 2_000_000;
                    let ev = format!(
                        r#"{{"did":"did:plc:x","time_us":{us},"kind":"commit","commit":{{"operation":"create"}}}}"#
                    );
                    let _ = ws.send(Message::Text(ev.into())).await;
                }
                tokio::time::sleep(Duration::from_secs(5)).await;
            });
        }
    });
    format!("ws://{addr}")
}

#[tokio::test]
async fn jetstream_first_event_and_lag() {
    let js = jetstream_mock(true).await;
    let r = run("jetstream", "", &js, ProbeParams::default()).await;
    assert!(r.success, "{r:#?}");
    let lag = value(&r, "atproto_jetstream_last_event_age_seconds", &[]).unwrap();
    assert!((1.5..10.0).contains(&lag), "lag {lag}");

    let silent = jetstream_mock(false).await;
    let r = run(
        "j",
        "[modules.j]\nprober = \"jetstream\"\nfirst_event_timeout_seconds = 0.3\n",
        &silent,
        ProbeParams::default(),
    )
    .await;
    assert!(!r.success, "{r:#?}");
    assert_eq!(step(&r, "connect"), StepStatus::Ok);
    assert_eq!(step(&r, "first_event"), StepStatus::Failed);
}
