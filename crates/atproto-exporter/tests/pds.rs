//! End-to-end: the exporter probing a real `@atproto/pds` 0.4.x on Node, bound to 127.0.0.1.
//!
//! The test starts the PDS itself through `tests/pds/launcher.js` (with its in-process PLC
//! stand-in) on free loopback ports, creates an account and a post, probes it through the
//! exporter binary, stops the PDS and probes again. Prerequisites (the test FAILS without
//! them): `node` (20.x) on PATH and `npm ci --prefix tests/pds` run beforehand.

use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn pds_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/pds")
}

/// Fail (never skip) with a clear message when the harness cannot run.
fn check_prerequisites() {
    let node = Command::new("node").arg("--version").output();
    let version = match node {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        _ => panic!("`node` is not on PATH: install Node.js 20 to run the PDS integration test"),
    };
    assert!(
        version.starts_with("v20."),
        "@atproto/pds 0.4.x is pinned for Node 20; found node {version}"
    );
    let pkg = pds_dir().join("node_modules/@atproto/pds/package.json");
    assert!(
        pkg.exists(),
        "{} is missing: run `npm ci --prefix tests/pds` first",
        pkg.display()
    );
}

async fn wait_http(client: &reqwest::Client, url: &str, limit: Duration) {
    let start = Instant::now();
    loop {
        if let Ok(r) = client.get(url).send().await
            && r.status().is_success()
        {
            return;
        }
        assert!(
            start.elapsed() < limit,
            "{url} did not answer within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The value of a sample line `name{labels} value` (exact name+labels prefix match).
fn sample(body: &str, series: &str) -> Option<f64> {
    body.lines()
        .find_map(|l| {
            l.strip_prefix(series)
                .and_then(|rest| rest.strip_prefix(' '))
        })
        .and_then(|v| v.trim().parse().ok())
}

async fn probe(client: &reqwest::Client, exporter: &str, query: &str) -> String {
    let resp = client
        .get(format!("{exporter}/probe?{query}"))
        .header("X-Prometheus-Scrape-Timeout-Seconds", "8")
        .send()
        .await
        .expect("exporter answers");
    assert_eq!(resp.status(), 200, "probe {query}");
    let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("application/openmetrics-text"), "{ct}");
    let body = resp.text().await.unwrap();
    assert!(body.ends_with("# EOF\n"), "not OpenMetrics: {body}");
    assert!(sample(&body, "probe_duration_seconds").is_some(), "{body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_a_real_pds() {
    check_prerequisites();
    let data = tempfile::tempdir().unwrap();
    let (pds_port, plc_port, exporter_port) = (free_port(), free_port(), free_port());
    let mut pds = Proc(
        Command::new("node")
            .arg("launcher.js")
            .current_dir(pds_dir())
            .env("PDS_DATA_DIRECTORY", data.path().join("pds"))
            .env("PDS_PORT", pds_port.to_string())
            .env("FAKE_PLC_PORT", plc_port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawning node launcher.js"),
    );
    let pds_url = format!("http://127.0.0.1:{pds_port}");
    let plc_url = format!("http://127.0.0.1:{plc_port}");
    // Loopback HTTP only; the workspace compiles no default crypto provider, so the client
    // gets the shared TLS config like every other one.
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(atnix_http::system_client_config().unwrap())
        .build()
        .unwrap();
    wait_http(
        &client,
        &format!("{pds_url}/xrpc/_health"),
        Duration::from_secs(60),
    )
    .await;

    // The PDS listens on loopback only.
    let ss = Command::new("ss").args(["-ltn"]).output();
    if let Ok(out) = ss {
        let text = String::from_utf8_lossy(&out.stdout);
        let ours: Vec<&str> = text
            .lines()
            .filter(|l| l.contains(&format!(":{pds_port} ")))
            .collect();
        assert!(!ours.is_empty(), "ss does not list port {pds_port}");
        assert!(
            ours.iter()
                .all(|l| l.contains(&format!("127.0.0.1:{pds_port}"))),
            "{ours:?}"
        );
    }

    // An account and a post, so listRepos and the firehose carry data.
    let account: serde_json::Value = client
        .post(format!("{pds_url}/xrpc/com.atproto.server.createAccount"))
        .json(&serde_json::json!({"email": "alice@example.test", "handle": "alice.test", "password": "hunter2hunter2"}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .expect("createAccount")
        .json()
        .await
        .unwrap();
    let jwt = account["accessJwt"].as_str().unwrap();
    let did = account["did"].as_str().unwrap();
    client
        .post(format!("{pds_url}/xrpc/com.atproto.repo.createRecord"))
        .bearer_auth(jwt)
        .json(&serde_json::json!({
            "repo": did,
            "collection": "app.bsky.feed.post",
            "record": {"$type": "app.bsky.feed.post", "text": "hello from atnix", "createdAt": "2026-01-01T00:00:00.000Z"}
        }))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .expect("createRecord");

    let mut config = tempfile::NamedTempFile::new().unwrap();
    write!(
        config,
        "[modules.handle_local]\nprober = \"handle\"\ndns = false\nhttp_base = \"{pds_url}\"\nplc_url = \"{plc_url}\"\nexpect_pds = \"http://localhost:{pds_port}\"\n\n[modules.pds_quick]\nprober = \"pds\"\nfirehose = false\n"
    )
    .unwrap();
    let exporter_url = format!("http://127.0.0.1:{exporter_port}");
    let _exporter = Proc(
        Command::new(env!("CARGO_BIN_EXE_atproto-exporter"))
            .args([
                "--listen",
                &format!("127.0.0.1:{exporter_port}"),
                "--config",
            ])
            .arg(config.path())
            .spawn()
            .expect("spawning atproto-exporter"),
    );
    wait_http(
        &client,
        &format!("{exporter_url}/metrics"),
        Duration::from_secs(10),
    )
    .await;

    // Healthy PDS: 1, with accounts, version and firehose head.
    let target = format!("target={pds_url}&module=pds");
    let body = probe(&client, &exporter_url, &target).await;
    assert_eq!(sample(&body, "probe_success"), Some(1.0), "{body}");
    assert_eq!(
        sample(&body, "atproto_pds_accounts{status=\"active\"}"),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        sample(&body, "atproto_pds_accounts_complete"),
        Some(1.0),
        "{body}"
    );
    assert!(
        body.contains("atproto_service_info{kind=\"pds\",version=\"0.4.217\"} 1"),
        "{body}"
    );
    assert_eq!(sample(&body, "atproto_firehose_up"), Some(1.0), "{body}");
    assert_eq!(
        sample(&body, "atproto_firehose_head_seq_exact"),
        Some(1.0),
        "{body}"
    );
    // identity, account, commit (repo init), sync, commit (post): seq 5 on PDS 0.4.217.
    assert!(
        sample(&body, "atproto_firehose_head_seq").unwrap() >= 5.0,
        "{body}"
    );
    assert!(
        sample(&body, "atproto_firehose_frames{type=\"commit\"}").unwrap() >= 1.0,
        "{body}"
    );
    assert_eq!(
        sample(&body, "atproto_firehose_decode_errors"),
        Some(0.0),
        "{body}"
    );
    assert!(!body.contains(did), "a DID leaked into the metrics: {body}");

    let body = probe(
        &client,
        &exporter_url,
        &format!("target={pds_url}&module=pds_quick"),
    )
    .await;
    assert_eq!(sample(&body, "probe_success"), Some(1.0), "{body}");
    assert!(!body.contains("atproto_firehose_up"), "{body}");

    // Handle: the PDS's well-known answer and the (stand-in) PLC document agree.
    let body = probe(
        &client,
        &exporter_url,
        "target=alice.test&module=handle_local",
    )
    .await;
    assert_eq!(sample(&body, "probe_success"), Some(1.0), "{body}");
    assert_eq!(
        sample(&body, "atproto_handle_did_doc_match"),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        sample(&body, "atproto_did_doc_pds_match"),
        Some(1.0),
        "{body}"
    );
    assert!(
        !body.contains("alice"),
        "a handle leaked into the metrics: {body}"
    );
    let body = probe(
        &client,
        &exporter_url,
        "target=bob.test&module=handle_local",
    )
    .await;
    assert_eq!(sample(&body, "probe_success"), Some(0.0), "{body}");

    // PLC stand-in: health and export freshness.
    let body = probe(
        &client,
        &exporter_url,
        &format!("target={plc_url}&module=plc"),
    )
    .await;
    assert_eq!(sample(&body, "probe_success"), Some(1.0), "{body}");
    assert!(
        sample(&body, "atproto_plc_export_ops").unwrap() >= 1.0,
        "{body}"
    );

    // Relay methods on a PDS are unsupported, which is not down.
    let body = probe(
        &client,
        &exporter_url,
        &format!("target={pds_url}&module=relay&host=127.0.0.1:{pds_port}"),
    )
    .await;
    assert_eq!(sample(&body, "probe_success"), Some(1.0), "{body}");
    assert_eq!(
        sample(
            &body,
            "atproto_probe_step_status{step=\"list_hosts\",status=\"unsupported\"}"
        ),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        sample(
            &body,
            "atproto_probe_step_status{step=\"host_status\",status=\"unsupported\"}"
        ),
        Some(1.0),
        "{body}"
    );

    // Garbage targets: 0, and the exporter stays up.
    for garbage in [
        "%00%ff",
        "http://",
        "ftp://x",
        "http://[::1",
        "http://127.0.0.1:1",
        "a%20b%20c",
    ] {
        let body = probe(
            &client,
            &exporter_url,
            &format!("target={garbage}&module=pds"),
        )
        .await;
        assert_eq!(
            sample(&body, "probe_success"),
            Some(0.0),
            "{garbage}: {body}"
        );
    }
    for garbage in ["%00", "..", "jetstream.invalid"] {
        for module in ["relay", "jetstream", "plc", "labeler", "feedgen", "handle"] {
            let body = probe(
                &client,
                &exporter_url,
                &format!("target={garbage}&module={module}"),
            )
            .await;
            assert_eq!(
                sample(&body, "probe_success"),
                Some(0.0),
                "{module} {garbage}: {body}"
            );
        }
    }
    // Bad parameters are the caller's error, not the target's.
    let r = client
        .get(format!("{exporter_url}/probe?module=pds"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = client
        .get(format!("{exporter_url}/probe?target=x&module=nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // A target that accepts connections and never answers: the scrape timeout is honoured.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    let start = Instant::now();
    let resp = client
        .get(format!(
            "{exporter_url}/probe?target={silent_url}&module=pds"
        ))
        .header("X-Prometheus-Scrape-Timeout-Seconds", "1.5")
        .send()
        .await
        .unwrap();
    let body = resp.text().await.unwrap();
    let took = start.elapsed();
    assert_eq!(sample(&body, "probe_success"), Some(0.0), "{body}");
    assert!(
        took < Duration::from_millis(1500),
        "answered after {took:?}, past the scrape timeout"
    );
    drop(silent);

    // Stopped PDS: 0.
    let _ = pds.0.kill();
    let _ = pds.0.wait();
    let body = probe(&client, &exporter_url, &target).await;
    assert_eq!(sample(&body, "probe_success"), Some(0.0), "{body}");
    assert_eq!(
        sample(
            &body,
            "atproto_probe_step_status{step=\"health\",status=\"failed\"}"
        ),
        Some(1.0),
        "{body}"
    );

    // Still serving its own metrics, with the probes counted.
    let own = client
        .get(format!("{exporter_url}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        sample(
            &own,
            "atproto_exporter_probes_total{module=\"pds\",result=\"success\"}"
        )
        .unwrap()
            >= 1.0,
        "{own}"
    );
    assert!(
        sample(
            &own,
            "atproto_exporter_probes_total{module=\"pds\",result=\"failure\"}"
        )
        .unwrap()
            >= 7.0,
        "{own}"
    );
    assert!(
        sample(&own, "process_resident_memory_bytes").unwrap() > 0.0,
        "{own}"
    );
}
