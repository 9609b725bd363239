//! Local servers for the TLS and hostile-target tests: a test CA, plain or TLS listeners on
//! 127.0.0.1, and firehose frames.

#![allow(dead_code)]
// tungstenite's handshake callback returns its large ErrorResponse by value.
#![allow(clippy::result_large_err)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use atnix_probe::{Config, ProbeParams, ProbeReport, Prober, StepStatus};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A CA made for this test run and a server certificate for `localhost` and 127.0.0.1.
pub struct TestCa {
    pub ca_der: CertificateDer<'static>,
    pub ca_pem: String,
    pub server: Arc<rustls::ServerConfig>,
}

pub fn test_ca() -> TestCa {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let params = CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let cert = params.signed_by(&key, &ca).unwrap();
    let server = rustls::ServerConfig::builder_with_provider(atnix_http::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone(), ca.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    TestCa {
        ca_der: ca.der().clone(),
        ca_pem: ca.pem(),
        server: Arc::new(server),
    }
}

/// A prober trusting only `ca`.
pub fn prober_trusting(ca: &TestCa) -> Prober {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.ca_der.clone()).unwrap();
    Prober::with_tls(atnix_http::client_config(roots).unwrap()).unwrap()
}

/// Listen on 127.0.0.1 (with TLS when `tls` is given) and run `handler` per connection.
pub async fn serve<F, Fut>(tls: Option<Arc<rustls::ServerConfig>>, handler: F) -> SocketAddr
where
    F: Fn(Box<dyn Io>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handler = Arc::new(handler);
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let handler = handler.clone();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let io: Box<dyn Io> = match acceptor {
                    Some(a) => match a.accept(sock).await {
                        Ok(s) => Box::new(s),
                        Err(_) => return,
                    },
                    None => Box::new(sock),
                };
                handler(io).await;
            });
        }
    });
    addr
}

/// Read a request head; returns its path (with query).
pub async fn read_head(io: &mut Box<dyn Io>) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = io.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() > 64 << 10 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf);
    head.split_whitespace().nth(1).map(str::to_string)
}

/// An HTTP server answering from `route(path)`: (status, extra headers, body).
pub async fn http_server<R>(route: R) -> SocketAddr
where
    R: Fn(&str) -> (u16, String, Vec<u8>) + Send + Sync + 'static,
{
    let route = Arc::new(route);
    serve(None, move |mut io| {
        let route = route.clone();
        async move {
            let Some(path) = read_head(&mut io).await else {
                return;
            };
            let (status, headers, body) = route(&path);
            let head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n{headers}\r\n",
                body.len()
            );
            let _ = io.write_all(head.as_bytes()).await;
            let _ = io.write_all(&body).await;
            let _ = io.flush().await;
        }
    })
    .await
}

/// A WebSocket server; `handler` gets the upgraded stream and the request path.
pub async fn ws_server<F, Fut>(tls: Option<Arc<rustls::ServerConfig>>, handler: F) -> SocketAddr
where
    F: Fn(tokio_tungstenite::WebSocketStream<Box<dyn Io>>, String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let handler = Arc::new(handler);
    serve(tls, move |io| {
        let handler = handler.clone();
        async move {
            let path = Arc::new(Mutex::new(String::new()));
            let p = path.clone();
            let cb = move |req: &tokio_tungstenite::tungstenite::handshake::server::Request,
                           resp| {
                *p.lock().unwrap() = req.uri().to_string();
                Ok(resp)
            };
            // The server side has no message limits: hostile peers send what they like.
            let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
                .max_message_size(None)
                .max_frame_size(None);
            let Ok(ws) =
                tokio_tungstenite::accept_hdr_async_with_config(io, cb, Some(config)).await
            else {
                return;
            };
            let path = path.lock().unwrap().clone();
            handler(ws, path).await;
        }
    })
    .await
}

/// A subscribeRepos message frame.
pub fn commit_frame(seq: i64, time: &str) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct H {
        op: i64,
        t: &'static str,
    }
    #[derive(serde::Serialize)]
    struct B<'a> {
        seq: i64,
        time: &'a str,
    }
    let mut out = serde_ipld_dagcbor::to_vec(&H {
        op: 1,
        t: "#commit",
    })
    .unwrap();
    out.extend(serde_ipld_dagcbor::to_vec(&B { seq, time }).unwrap());
    out
}

/// A subscribeRepos error frame.
pub fn error_frame(error: &str) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct H {
        op: i64,
    }
    #[derive(serde::Serialize)]
    struct B<'a> {
        error: &'a str,
    }
    let mut out = serde_ipld_dagcbor::to_vec(&H { op: -1 }).unwrap();
    out.extend(serde_ipld_dagcbor::to_vec(&B { error }).unwrap());
    out
}

/// The cursor of a subscription request path.
pub fn cursor(path: &str) -> Option<i64> {
    path.split_once("cursor=")?
        .1
        .split('&')
        .next()?
        .parse()
        .ok()
}

pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub async fn run_with(
    prober: &Prober,
    module: &str,
    toml: &str,
    target: &str,
    params: ProbeParams,
    timeout: Duration,
) -> ProbeReport {
    let config = Config::from_toml(toml).unwrap();
    let m = config.module(module).unwrap();
    prober.probe(module, &m, target, &params, timeout).await
}

pub fn value(r: &ProbeReport, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
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

pub fn step<'a>(r: &'a ProbeReport, name: &str) -> &'a atnix_probe::Step {
    r.steps
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no step {name}: {r:#?}"))
}

pub fn failed_with(r: &ProbeReport, name: &str, needle: &str) {
    let s = step(r, name);
    assert_eq!(s.status, StepStatus::Failed, "{r:#?}");
    assert!(
        s.detail.contains(needle),
        "step {name}: {:?} does not mention {needle:?}",
        s.detail
    );
}
