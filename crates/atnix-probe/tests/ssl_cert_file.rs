//! `SSL_CERT_FILE` names the trust store of the default prober, for HTTP and wss alike
//! (one test in its own process: it sets the environment).

mod support;

use std::time::Duration;

use atnix_probe::{ProbeParams, Prober};
use futures_util::{SinkExt, StreamExt};
use support::*;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn ssl_cert_file_is_the_trust_store() {
    let ca = test_ca();
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("ca.pem");
    std::fs::write(&pem, &ca.ca_pem).unwrap();
    // SAFETY: the only test in this binary, set before any thread reads the environment.
    unsafe {
        std::env::set_var("SSL_CERT_FILE", &pem);
        std::env::remove_var("SSL_CERT_DIR");
    }
    let js = ws_server(Some(ca.server.clone()), |mut ws, _| async move {
        let us = chrono::Utc::now().timestamp_micros() - 1_000_000;
        let _ = ws
            .send(Message::Text(format!(r#"{{"time_us":{us}}}"#).into()))
            .await;
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
    let health = serve(Some(ca.server.clone()), |mut io| async move {
        use tokio::io::AsyncWriteExt;
        if read_head(&mut io).await.is_some() {
            let body = r#"{"version":"0.4.0"}"#;
            let _ = io
                .write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    )
                    .as_bytes(),
                )
                .await;
        }
    })
    .await;
    let prober = Prober::new().unwrap();
    let t = Duration::from_secs(5);
    let r = run_with(
        &prober,
        "jetstream",
        "",
        &format!("wss://localhost:{}", js.port()),
        ProbeParams::default(),
        t,
    )
    .await;
    assert!(r.success, "{r:#?}");
    let toml = "[modules.p]\nprober = \"plc\"\nexport_max_pages = 0\n";
    let r = run_with(
        &prober,
        "p",
        toml,
        &format!("https://localhost:{}", health.port()),
        ProbeParams::default(),
        t,
    )
    .await;
    assert_eq!(
        step(&r, "health").status,
        atnix_probe::StepStatus::Ok,
        "{r:#?}"
    );
}
