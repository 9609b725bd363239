//! Hostile targets on 127.0.0.1: each scenario ends in time, fails with a reason (or reports
//! only what is true), and never panics. Memory is measured by bench/exporter-hostile.sh.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use atnix_probe::{ProbeParams, Prober, StepStatus};
use futures_util::{SinkExt, StreamExt};
use support::*;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

fn prober() -> Prober {
    Prober::new().unwrap()
}

/// The probe's answer came within its timeout (and the exporter's small margin).
fn in_time(start: Instant, timeout: Duration) {
    let took = start.elapsed();
    assert!(
        took <= timeout + Duration::from_millis(300),
        "answered after {took:?} with a {timeout:?} timeout"
    );
}

#[tokio::test]
async fn ping_flood_that_never_reads() {
    let addr = ws_server(None, |mut ws, _| async move {
        // Pings as fast as the socket takes them; nothing is ever read.
        let payload = vec![0u8; 125];
        while ws.send(Message::Ping(payload.clone().into())).await.is_ok() {}
    })
    .await;
    let t = Duration::from_secs(2);
    let start = Instant::now();
    let toml = "[modules.j]\nprober = \"jetstream\"\nfirst_event_timeout_seconds = 10\n";
    let r = run_with(
        &prober(),
        "j",
        toml,
        &format!("ws://{addr}"),
        ProbeParams::default(),
        t,
    )
    .await;
    in_time(start, t);
    assert!(!r.success, "{r:#?}");
    assert_eq!(step(&r, "first_event").status, StepStatus::Failed);
}

/// A jetstream probe of `js` fails in time because a message is too long.
async fn jetstream_rejects_as_too_long(js: std::net::SocketAddr) {
    let t = Duration::from_secs(5);
    let start = Instant::now();
    let r = run_with(
        &prober(),
        "jetstream",
        "",
        &format!("ws://{js}"),
        ProbeParams::default(),
        t,
    )
    .await;
    in_time(start, t);
    failed_with(&r, "first_event", "too long");
}

/// A relay probe whose PDS firehose is `fh` fails in time because a message is too long.
async fn relay_rejects_firehose_as_too_long(fh: std::net::SocketAddr) {
    let t = Duration::from_secs(5);
    let relay = http_server(|path: &str| {
        if path.starts_with("/xrpc/_health") {
            (200, String::new(), br#"{"status":"ok"}"#.to_vec())
        } else if path.starts_with("/xrpc/com.atproto.sync.getHostStatus") {
            (
                200,
                String::new(),
                br#"{"seq":5,"status":"active"}"#.to_vec(),
            )
        } else {
            (
                501,
                String::new(),
                br#"{"error":"MethodNotImplemented"}"#.to_vec(),
            )
        }
    })
    .await;
    let toml = format!("[modules.r]\nprober = \"relay\"\npds_host = \"ws://{fh}\"\n");
    let start = Instant::now();
    let r = run_with(
        &prober(),
        "r",
        &toml,
        &format!("http://{relay}"),
        ProbeParams::default(),
        t,
    )
    .await;
    in_time(start, t);
    failed_with(&r, "firehose", "too long");
}

#[tokio::test]
async fn one_huge_message() {
    // 60 MiB in one message, to jetstream (text) and to the firehose (binary).
    let js = ws_server(None, |mut ws, _| async move {
        let _ = ws.send(Message::Text("x".repeat(60 << 20).into())).await;
    })
    .await;
    jetstream_rejects_as_too_long(js).await;

    let fh = ws_server(None, |mut ws, _| async move {
        let _ = ws.send(Message::Binary(vec![0xa1; 60 << 20].into())).await;
    })
    .await;
    relay_rejects_firehose_as_too_long(fh).await;
}

/// What [`ws_server`] runs for each connection.
type WsHandler = Box<
    dyn Fn(
            tokio_tungstenite::WebSocketStream<Box<dyn Io>>,
            String,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
        + Send
        + Sync,
>;

/// A server handler sending one 60 MiB message as 240 fragments of 256 KiB, each under the
/// frame limit, counting the bytes the socket accepted.
fn fragmented_60_mib(opcode: Data, sent: Arc<AtomicUsize>) -> WsHandler {
    Box::new(move |mut ws, _| {
        let sent = sent.clone();
        Box::pin(async move {
            let chunk = vec![b'x'; 256 << 10];
            for i in 0..240 {
                let op = if i == 0 { opcode } else { Data::Continue };
                let frame = Frame::message(chunk.clone(), OpCode::Data(op), i == 239);
                if ws.send(Message::Frame(frame)).await.is_err() {
                    return;
                }
                sent.fetch_add(chunk.len(), Ordering::Relaxed);
            }
        })
    })
}

/// The reader gave up long before the whole message: what the server got rid of fits in a
/// few socket buffers past the limit, nowhere near 60 MiB.
async fn stopped_early(sent: &AtomicUsize) {
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = sent.load(Ordering::Relaxed);
    assert!(
        sent < 20 << 20,
        "the peer sent {sent} bytes before being cut off"
    );
}

#[tokio::test]
async fn one_huge_fragmented_message() {
    // Each fragment passes the frame limit; the message limit must stop the sum.
    let sent = Arc::new(AtomicUsize::new(0));
    let js = ws_server(None, fragmented_60_mib(Data::Text, sent.clone())).await;
    jetstream_rejects_as_too_long(js).await;
    stopped_early(&sent).await;

    let sent = Arc::new(AtomicUsize::new(0));
    let fh = ws_server(None, fragmented_60_mib(Data::Binary, sent.clone())).await;
    relay_rejects_firehose_as_too_long(fh).await;
    stopped_early(&sent).await;
}

#[tokio::test]
async fn bodies_over_the_endpoint_limit() {
    // A 3 MiB "health" answer (valid JSON), with and without a content-length.
    let big = format!(r#"{{"version":"{}"}}"#, "x".repeat(3 << 20)).into_bytes();
    let relay = http_server(move |_: &str| (200, String::new(), big.clone())).await;
    let toml = "[modules.r]\nprober = \"relay\"\nlist_hosts_max_pages = 0\n";
    let r = run_with(
        &prober(),
        "r",
        toml,
        &format!("http://{relay}"),
        ProbeParams::default(),
        Duration::from_secs(5),
    )
    .await;
    assert!(!r.success);
    failed_with(&r, "health", "larger than");
}

#[tokio::test]
async fn redirects_to_another_origin_fail() {
    let elsewhere =
        http_server(|_: &str| (200, String::new(), br#"{"status":"ok"}"#.to_vec())).await;
    let relay = http_server(move |path: &str| {
        if path == "/xrpc/_health" {
            // Same origin: followed.
            (302, "location: /_health\r\n".into(), Vec::new())
        } else {
            // Another origin (another port): refused.
            (
                302,
                format!("location: http://{elsewhere}/xrpc/_health\r\n"),
                Vec::new(),
            )
        }
    })
    .await;
    let toml = "[modules.r]\nprober = \"relay\"\nlist_hosts_max_pages = 0\n";
    let r = run_with(
        &prober(),
        "r",
        toml,
        &format!("http://{relay}"),
        ProbeParams::default(),
        Duration::from_secs(5),
    )
    .await;
    assert!(!r.success, "{r:#?}");
    failed_with(&r, "health", "another origin");
}

#[tokio::test]
async fn handle_answers_that_are_not_dids() {
    for bad in [
        "did:plc:../../admin/secret?x=",
        "did:web:evil.example%3A8443",
        "did:web:a.example:admin",
    ] {
        let site = http_server(move |_: &str| (200, String::new(), bad.as_bytes().to_vec())).await;
        let toml = format!(
            "[modules.h]\nprober = \"handle\"\ndns = false\nhttp_base = \"http://{site}\"\n"
        );
        let r = run_with(
            &prober(),
            "h",
            &toml,
            "alice.example.com",
            ProbeParams::default(),
            Duration::from_secs(5),
        )
        .await;
        assert!(!r.success, "{r:#?}");
        failed_with(&r, "http", "not a valid did");
        // No second request shaped by the answer.
        assert!(r.steps.iter().all(|s| s.name != "did_doc"), "{r:#?}");
    }
}

#[tokio::test]
async fn firehose_of_garbage_is_down() {
    let fh = ws_server(None, |mut ws, _| async move {
        loop {
            if ws
                .send(Message::Binary(vec![0xff, 0x00, 0x13, 0x37].into()))
                .await
                .is_err()
            {
                return;
            }
            // Reading answers the prober's pings.
            if let Ok(None | Some(Err(_))) =
                tokio::time::timeout(Duration::from_millis(5), ws.next()).await
            {
                return;
            }
        }
    })
    .await;
    let relay = http_server(|path: &str| {
        if path.starts_with("/xrpc/com.atproto.sync.getHostStatus") {
            (
                200,
                String::new(),
                br#"{"seq":5,"status":"active"}"#.to_vec(),
            )
        } else if path.starts_with("/xrpc/_health") {
            (200, String::new(), br#"{"status":"ok"}"#.to_vec())
        } else {
            (
                501,
                String::new(),
                br#"{"error":"MethodNotImplemented"}"#.to_vec(),
            )
        }
    })
    .await;
    let toml = format!("[modules.r]\nprober = \"relay\"\npds_host = \"ws://{fh}\"\n");
    let r = run_with(
        &prober(),
        "r",
        &toml,
        &format!("http://{relay}"),
        ProbeParams::default(),
        Duration::from_secs(5),
    )
    .await;
    failed_with(&r, "firehose", "valid");
    assert_eq!(value(&r, "atproto_firehose_up", &[]), Some(0.0));
    assert_eq!(value(&r, "atproto_firehose_head_seq", &[]), None, "{r:#?}");
    assert_eq!(value(&r, "atproto_relay_host_seq_lag", &[]), None);
}

#[tokio::test]
async fn times_and_seqs_at_the_ends_of_i64() {
    for us in [i64::MAX, i64::MIN, 0] {
        let js = ws_server(None, move |mut ws, _| async move {
            let _ = ws
                .send(Message::Text(format!(r#"{{"time_us":{us}}}"#).into()))
                .await;
            while let Some(Ok(_)) = ws.next().await {}
        })
        .await;
        let r = run_with(
            &prober(),
            "jetstream",
            "",
            &format!("ws://{js}"),
            ProbeParams::default(),
            Duration::from_secs(5),
        )
        .await;
        assert!(!r.success, "{r:#?}");
        assert_eq!(
            value(&r, "atproto_jetstream_last_event_age_seconds", &[]),
            None
        );
        assert_eq!(
            value(
                &r,
                "atproto_probe_impossible_values",
                &[("value", "jetstream_time")]
            ),
            Some(1.0)
        );
    }

    // A relay claiming seq i64::MIN for the host, and a PDS whose frames carry i64::MAX.
    let fh = ws_server(None, |mut ws, path| async move {
        if cursor(&path).is_some_and(|c| c > 0) {
            let _ = ws
                .send(Message::Binary(error_frame("FutureCursor").into()))
                .await;
            return;
        }
        let _ = ws
            .send(Message::Binary(
                commit_frame(i64::MAX, &now_rfc3339()).into(),
            ))
            .await;
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
    for relay_seq in [i64::MIN, 5] {
        let relay = http_server(move |path: &str| {
            if path.starts_with("/xrpc/com.atproto.sync.getHostStatus") {
                let body = format!(r#"{{"seq":{relay_seq},"status":"active"}}"#);
                (200, String::new(), body.into_bytes())
            } else if path.starts_with("/xrpc/_health") {
                (200, String::new(), br#"{"status":"ok"}"#.to_vec())
            } else {
                let body = br#"{"error":"MethodNotImplemented"}"#.to_vec();
                (501, String::new(), body)
            }
        })
        .await;
        let toml = format!(
            "[modules.r]\nprober = \"relay\"\npds_host = \"ws://{fh}\"\nfirehose_quiet_ms = 100\n"
        );
        let r = run_with(
            &prober(),
            "r",
            &toml,
            &format!("http://{relay}"),
            ProbeParams::default(),
            Duration::from_secs(5),
        )
        .await;
        assert_eq!(value(&r, "atproto_relay_host_seq_lag", &[]), None, "{r:#?}");
        assert_eq!(value(&r, "atproto_firehose_head_seq", &[]), None, "{r:#?}");
        // The relay's own impossible seq is caught first; a believable one leads to the
        // PDS's impossible head.
        let caught = if relay_seq < 0 {
            "relay_seq"
        } else {
            "firehose_seq"
        };
        assert_eq!(
            value(&r, "atproto_probe_impossible_values", &[("value", caught)]),
            Some(1.0),
            "{r:#?}"
        );
    }
}

#[tokio::test]
async fn websocket_buffers_share_one_byte_budget() {
    // A jetstream that accepts and then sends nothing: each probe holds its connection (and
    // its share of the budget) until its deadline.
    let addr = ws_server(None, |ws, _| async move {
        tokio::time::sleep(Duration::from_secs(10)).await;
        drop(ws);
    })
    .await;
    let p = prober().with_ws_budget(atnix_probe::firehose::JETSTREAM_MAX_MESSAGE);
    let target = format!("ws://{addr}");
    // The first probe holds the only share for 3 s; the second, started meanwhile with a
    // 1 s deadline, never gets it.
    let (long, short) = (Duration::from_secs(3), Duration::from_secs(1));
    let start = Instant::now();
    let (held, starved) = tokio::join!(
        run_with(&p, "jetstream", "", &target, ProbeParams::default(), long),
        async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let start = Instant::now();
            let r = run_with(&p, "jetstream", "", &target, ProbeParams::default(), short).await;
            in_time(start, short);
            r
        },
    );
    in_time(start, long);
    assert_eq!(step(&held, "connect").status, StepStatus::Ok, "{held:#?}");
    failed_with(&starved, "connect", "buffer budget");
    // Dropped connections give their share back.
    let again = run_with(&p, "jetstream", "", &target, ProbeParams::default(), short).await;
    assert_eq!(step(&again, "connect").status, StepStatus::Ok, "{again:#?}");
}
