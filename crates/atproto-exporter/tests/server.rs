//! The exporter's own HTTP server against slow clients, and `?debug=true`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start() -> (Proc, u16) {
    start_with(&[])
}

fn start_with(extra: &[&str]) -> (Proc, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_atproto-exporter"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let proc = Proc(child);
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "exporter did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    (proc, port)
}

fn get(port: u16, path: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn half_sent_requests_neither_block_nor_linger() {
    let (_exporter, port) = start();
    let mut half: Vec<TcpStream> = (0..300)
        .map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.write_all(b"GET /metrics HTTP/1.1\r\nhost: x\r\n")
                .unwrap();
            s
        })
        .collect();
    let t = Instant::now();
    let answer = get(port, "/metrics");
    assert!(
        answer.contains("atproto_exporter_probes_in_flight"),
        "{answer}"
    );
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "/metrics took {:?}",
        t.elapsed()
    );
    // The header-read timeout (5 s) closes every half-sent request.
    for s in &mut half {
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
    }
    let waited = t.elapsed();
    assert!(
        waited < Duration::from_secs(9),
        "half-sent requests held for {waited:?}"
    );
}

#[test]
fn debug_shows_the_log_and_metrics() {
    let (_exporter, port) = start();
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let answer = get(
        port,
        &format!("/probe?module=jetstream&target=ws://127.0.0.1:{closed}&debug=true"),
    );
    assert!(answer.contains("text/plain"), "{answer}");
    assert!(answer.contains("Logs for the probe:"), "{answer}");
    assert!(answer.contains("step=connect status=failed"), "{answer}");
    assert!(
        answer.contains("Metrics that would have been returned:"),
        "{answer}"
    );
    assert!(answer.contains("probe_success 0"), "{answer}");
    assert!(answer.contains("Module configuration:"), "{answer}");
    // Without debug: OpenMetrics.
    let answer = get(
        port,
        &format!("/probe?module=jetstream&target=ws://127.0.0.1:{closed}"),
    );
    assert!(answer.contains("application/openmetrics-text"), "{answer}");
    let metrics = get(port, "/metrics");
    assert!(
        metrics.contains("atproto_exporter_probe_panics_total{module=\"jetstream\"} 0"),
        "{metrics}"
    );
}

#[test]
fn scrapes_beyond_the_queue_get_503_and_metrics_still_answer() {
    // One probe slot: 4 scrapes may wait or run, the rest are turned away at once.
    let (_exporter, port) = start_with(&["--max-concurrent-probes", "1"]);
    // A target that accepts connections and never answers: every admitted probe runs until
    // its timeout.
    let slow = TcpListener::bind("127.0.0.1:0").unwrap();
    let slow_port = slow.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in slow.incoming().flatten() {
            held.push(s);
        }
    });
    let scrapes: Vec<_> = (0..12)
        .map(|_| {
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
                write!(
                    s,
                    "GET /probe?module=pds&target=http://127.0.0.1:{slow_port} HTTP/1.1\r\n\
                     host: x\r\nx-prometheus-scrape-timeout-seconds: 2.5\r\nconnection: close\r\n\r\n"
                )
                .unwrap();
                let mut out = String::new();
                let _ = s.read_to_string(&mut out);
                out
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let t = Instant::now();
    let metrics = get(port, "/metrics");
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "/metrics took {:?}",
        t.elapsed()
    );
    assert!(
        metrics.contains("atproto_exporter_probes_in_flight"),
        "{metrics}"
    );
    let answers: Vec<String> = scrapes.into_iter().map(|h| h.join().unwrap()).collect();
    let rejected = answers
        .iter()
        .filter(|a| a.starts_with("HTTP/1.1 503"))
        .count();
    let answered = answers
        .iter()
        .filter(|a| a.starts_with("HTTP/1.1 200") && a.contains("probe_success 0"))
        .count();
    assert_eq!((answered, rejected), (4, 8), "{answers:#?}");
    assert!(
        answers
            .iter()
            .any(|a| a.contains("too many scrapes waiting")),
        "{answers:#?}"
    );
    let metrics = get(port, "/metrics");
    assert!(
        metrics.contains("\natproto_exporter_scrapes_rejected_total 8\n"),
        "{metrics}"
    );
}
