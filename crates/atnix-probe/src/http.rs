//! HTTP steps: bounded GETs, per-endpoint metrics and the "unsupported" classification.

use std::time::Instant;

use url::Url;

use crate::Ctx;

/// Largest response body read from `endpoint`: a target is untrusted, so each answer is
/// bounded by what the endpoint can legitimately send (pages of 1000 listRepos or listHosts
/// entries are ~150 kB, 1000 PLC export operations ~1 MB; everything else is one small object).
fn body_limit(endpoint: &str) -> usize {
    match endpoint {
        "list_repos" | "list_hosts" => 1 << 20,
        "export" => 2 << 20,
        _ => 256 << 10,
    }
}

/// Follow at most 3 redirects, and only within the origin they start from: another host's
/// answer is not the target's.
pub(crate) fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let from = attempt.previous().first().map(Url::origin);
        if attempt.previous().len() > 3 {
            attempt.error("more than 3 redirects")
        } else if from.as_ref() != Some(&attempt.url().origin()) {
            let to = attempt.url().origin().ascii_serialization();
            attempt.error(format!("redirect to another origin ({to})"))
        } else {
            attempt.follow()
        }
    })
}

pub(crate) enum Fetch {
    Ok(Response),
    /// Not implemented by this server: 404, 501, `MethodNotImplemented`, or a PDS that has no
    /// service to proxy the method to.
    Unsupported(String),
    Failed(String),
}

pub(crate) struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> Result<serde_json::Value, String> {
        serde_json::from_slice(&self.body).map_err(|e| format!("response is not JSON: {e}"))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The XRPC error name of a JSON error body, if any.
    pub fn xrpc_error(&self) -> Option<String> {
        serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()?
            .get("error")?
            .as_str()
            .map(str::to_string)
    }
}

/// The origin of a target: `https://` is assumed when no scheme is given; `ws(s)` maps to `http(s)`.
pub(crate) fn base_url(target: &str) -> Result<Url, String> {
    let target = target.trim();
    if target.is_empty() {
        return Err("empty target".into());
    }
    let with_scheme = if target.contains("://") {
        target.to_string()
    } else {
        format!("https://{target}")
    };
    let mut url = Url::parse(&with_scheme).map_err(|e| format!("target is not a URL: {e}"))?;
    let scheme = match url.scheme() {
        "http" | "ws" => "http",
        "https" | "wss" => "https",
        other => return Err(format!("unsupported scheme {other:?}")),
    };
    if url.host_str().is_none_or(str::is_empty) {
        return Err("target has no host".into());
    }
    url.set_scheme(scheme)
        .map_err(|()| "cannot set scheme".to_string())?;
    url.set_path("/");
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// `host[:port]` of a base URL, as relays name hosts.
pub(crate) fn host_port(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

/// The WebSocket URL of an XRPC subscription on the same origin.
pub(crate) fn ws_url(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let scheme = if base.scheme() == "https" {
        "wss"
    } else {
        "ws"
    };
    // http(s) -> ws(s) is always an allowed change for special schemes.
    let _ = url.set_scheme(scheme);
    url.set_path(path);
    url
}

pub(crate) fn seconds_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}

/// GET `url`, record `atproto_probe_http_*{endpoint}` and classify the answer.
pub(crate) async fn get(
    ctx: &mut Ctx,
    endpoint: &'static str,
    url: Url,
    host: Option<&str>,
) -> Fetch {
    let remaining = ctx.remaining();
    if remaining.is_zero() {
        return Fetch::Failed("no time left before the deadline".into());
    }
    let start = Instant::now();
    let mut req = ctx.http.get(url).timeout(remaining);
    if let Some(h) = host {
        req = req.header(reqwest::header::HOST, h);
    }
    let result = async {
        let mut resp = req.send().await.map_err(|e| error_chain(&e))?;
        let status = resp.status().as_u16();
        let limit = body_limit(endpoint);
        if resp.content_length().is_some_and(|n| n > limit as u64) {
            return Err(format!("response larger than {limit} bytes"));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| error_chain(&e))? {
            if body.len() + chunk.len() > limit {
                return Err(format!("response larger than {limit} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok::<_, String>(Response { status, body })
    }
    .await;
    ctx.rec.add_l(
        "atproto_probe_http_duration_seconds",
        "Time spent on HTTP requests to each endpoint (all pages)",
        vec![("endpoint", endpoint.to_string())],
        seconds_since(start),
    );
    let resp = match result {
        Ok(r) => r,
        Err(e) => return Fetch::Failed(e),
    };
    ctx.rec.gauge_l(
        "atproto_probe_http_status_code",
        "HTTP status code answered by each endpoint",
        vec![("endpoint", endpoint.to_string())],
        f64::from(resp.status),
    );
    classify(resp)
}

fn classify(resp: Response) -> Fetch {
    let status = resp.status;
    if (200..300).contains(&status) {
        return Fetch::Ok(resp);
    }
    let error = resp.xrpc_error();
    let message = serde_json::from_slice::<serde_json::Value>(&resp.body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or_default();
    let unsupported = status == 501
        || (status == 404
            && error
                .as_deref()
                .is_none_or(|e| e == "MethodNotImplemented" || e == "NotFound"))
        || error.as_deref() == Some("MethodNotImplemented")
        || (status == 400 && message.starts_with("No service configured for"));
    let what = format!(
        "HTTP {status}{}{}",
        error.map(|e| format!(" {e}")).unwrap_or_default(),
        if message.is_empty() {
            String::new()
        } else {
            format!(": {}", crate::report::label_value(&message))
        }
    );
    if unsupported {
        Fetch::Unsupported(what)
    } else {
        Fetch::Failed(what)
    }
}

/// An error and its sources on one line (reqwest's Display alone hides the cause).
pub(crate) use atnix_diag::error_chain;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(
            base_url("pds.example").unwrap().as_str(),
            "https://pds.example/"
        );
        assert_eq!(
            base_url("http://127.0.0.1:2583/xrpc?x=1").unwrap().as_str(),
            "http://127.0.0.1:2583/"
        );
        assert_eq!(
            base_url("wss://js.example").unwrap().as_str(),
            "https://js.example/"
        );
        assert!(base_url("").is_err());
        assert!(base_url("ftp://x").is_err());
        assert!(base_url("http://").is_err());
        assert!(base_url("::::").is_err());
        assert_eq!(
            host_port(&base_url("http://127.0.0.1:2583").unwrap()),
            "127.0.0.1:2583"
        );
        assert_eq!(
            ws_url(&base_url("https://a.example").unwrap(), "/xrpc/x").as_str(),
            "wss://a.example/xrpc/x"
        );
    }

    #[test]
    fn unsupported_is_not_down() {
        let r = |status, body: &str| Response {
            status,
            body: body.as_bytes().to_vec(),
        };
        assert!(matches!(classify(r(404, "")), Fetch::Unsupported(_)));
        assert!(matches!(classify(r(501, "")), Fetch::Unsupported(_)));
        assert!(matches!(
            classify(r(
                400,
                r#"{"error":"InvalidRequest","message":"No service configured for com.atproto.sync.getHostStatus"}"#
            )),
            Fetch::Unsupported(_)
        ));
        assert!(matches!(
            classify(r(404, r#"{"error":"HostNotFound"}"#)),
            Fetch::Failed(_)
        ));
        assert!(matches!(classify(r(503, "{}")), Fetch::Failed(_)));
        assert!(matches!(classify(r(200, "{}")), Fetch::Ok(_)));
    }
}
