//! `handle`: DNS TXT `_atproto.<handle>`, `/.well-known/atproto-did`, and the DID document's
//! `alsoKnownAs` must all agree (atproto.com/specs/handle).

use hickory_resolver::TokioResolver;
use hickory_resolver::proto::rr::{RData, RecordType};

use crate::config::HandleOptions;
use crate::http::{self, Fetch};
use crate::{Ctx, StepStatus};

/// What one resolution method found.
enum Found {
    Did(String),
    Absent(String),
    Error(String),
}

fn normalise(target: &str) -> Result<String, String> {
    let t = target.trim();
    let t = t.strip_prefix("at://").unwrap_or(t);
    let t = t
        .strip_prefix("https://")
        .or_else(|| t.strip_prefix("http://"))
        .unwrap_or(t);
    let t = t
        .trim_end_matches('/')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let valid = valid_hostname(&t);
    if valid {
        Ok(t)
    } else {
        Err(format!(
            "{:?} is not a valid handle",
            crate::report::label_value(target)
        ))
    }
}

/// A DNS name of at least two labels (atproto.com/specs/handle).
fn valid_hostname(t: &str) -> bool {
    t.len() <= 253
        && t.contains('.')
        && t.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// The DIDs atproto supports, checked before they shape a request: `did:plc:` and 24
/// base32 characters (atproto.com/specs/did, did-method-plc), or `did:web:` and a hostname
/// without a path; a port (`%3A`) only on `localhost`, as the spec allows for development.
fn valid_did(s: &str) -> bool {
    if let Some(id) = s.strip_prefix("did:plc:") {
        return id.len() == 24 && id.bytes().all(|b| matches!(b, b'a'..=b'z' | b'2'..=b'7'));
    }
    let Some(rest) = s.strip_prefix("did:web:") else {
        return false;
    };
    match rest.split_once("%3A") {
        None => valid_hostname(rest),
        Some((host, port)) => {
            host == "localhost"
                && !port.starts_with('0')
                && port.bytes().all(|b| b.is_ascii_digit())
                && port.parse::<u16>().is_ok()
        }
    }
}

async fn dns(ctx: &Ctx, handle: &str) -> Found {
    let resolver = match TokioResolver::builder_tokio().and_then(|b| b.build()) {
        Ok(r) => r,
        Err(e) => return Found::Error(format!("no DNS resolver: {e}")),
    };
    let name = format!("_atproto.{handle}.");
    match tokio::time::timeout(
        ctx.remaining(),
        resolver.lookup(name.as_str(), RecordType::TXT),
    )
    .await
    {
        Err(_) => Found::Error("DNS lookup timed out".into()),
        Ok(Err(e)) if e.is_no_records_found() || e.is_nx_domain() => {
            Found::Absent("no _atproto TXT record".into())
        }
        Ok(Err(e)) => Found::Error(format!("DNS lookup failed: {e}")),
        Ok(Ok(lookup)) => {
            let records: Vec<String> = lookup
                .answers()
                .iter()
                .filter_map(|r| match &r.data {
                    RData::TXT(txt) => Some(
                        txt.txt_data
                            .iter()
                            .map(|d| String::from_utf8_lossy(d))
                            .collect::<String>(),
                    ),
                    _ => None,
                })
                .collect();
            from_txt(&records)
        }
    }
}

/// The DID named by `_atproto` TXT records: exactly one `did=` record (atproto.com/specs/handle).
fn from_txt(records: &[String]) -> Found {
    let dids: Vec<&str> = records
        .iter()
        .filter_map(|s| s.strip_prefix("did="))
        .collect();
    match dids.as_slice() {
        [] => Found::Absent("TXT records but none with did=".into()),
        [d] if valid_did(d) => Found::Did(d.to_string()),
        [_] => Found::Error("TXT did= value is not a valid did:plc or did:web".into()),
        _ => Found::Error("more than one did= TXT record".into()),
    }
}

async fn well_known(ctx: &mut Ctx, o: &HandleOptions, handle: &str) -> Found {
    let (base, host) = match &o.http_base {
        Some(b) => match http::base_url(b) {
            Ok(u) => (u, Some(handle)),
            Err(e) => return Found::Error(format!("http_base: {e}")),
        },
        None => match http::base_url(&format!("https://{handle}")) {
            Ok(u) => (u, None),
            Err(e) => return Found::Error(e),
        },
    };
    let url = base.join("/.well-known/atproto-did").expect("static path");
    match http::get(ctx, "well_known_atproto_did", url, host).await {
        Fetch::Ok(resp) => {
            let text = resp.text();
            let did = text.trim();
            if valid_did(did) && did.len() <= 2048 {
                Found::Did(did.to_string())
            } else {
                Found::Error("answer is not a valid did:plc or did:web".into())
            }
        }
        Fetch::Unsupported(why) => Found::Absent(why),
        Fetch::Failed(why) => Found::Error(why),
    }
}

pub(super) async fn run(ctx: &mut Ctx, o: &HandleOptions, target: &str) {
    let handle = match normalise(target) {
        Ok(h) => h,
        Err(e) => {
            ctx.rec.step("target", StepStatus::Failed, true, e);
            return;
        }
    };
    let mut found = Vec::new();
    if o.dns {
        let start = std::time::Instant::now();
        let r = dns(ctx, &handle).await;
        ctx.rec.gauge(
            "atproto_handle_dns_duration_seconds",
            "Duration of the _atproto TXT lookup",
            start.elapsed().as_secs_f64(),
        );
        found.push(("dns", r));
    }
    if o.http {
        let r = well_known(ctx, o, &handle).await;
        found.push(("http", r));
    }
    let mut dids: Vec<String> = Vec::new();
    for (method, r) in &found {
        let (ok, status, detail) = match r {
            Found::Did(_) => (true, StepStatus::Ok, "resolved".to_string()),
            Found::Absent(w) => (false, StepStatus::Unsupported, w.clone()),
            Found::Error(w) => (false, StepStatus::Failed, w.clone()),
        };
        if let Found::Did(d) = r {
            dids.push(d.clone());
        }
        ctx.rec.gauge_l(
            "atproto_handle_resolution_success",
            "Whether the handle resolved to a DID by each method",
            vec![("method", (*method).to_string())],
            f64::from(u8::from(ok)),
        );
        ctx.rec.step(
            if *method == "dns" { "dns" } else { "http" },
            status,
            false,
            detail,
        );
    }
    dids.dedup();
    let agree = dids.len() == 1;
    ctx.rec.gauge(
        "atproto_handle_methods_agree",
        "Whether every method that resolved gave the same DID",
        f64::from(u8::from(agree)),
    );
    let Some(did) = dids.first().filter(|_| agree).cloned() else {
        let why = if dids.is_empty() {
            "no method resolved the handle"
        } else {
            "methods resolved to different DIDs"
        };
        ctx.rec.step("resolve", StepStatus::Failed, true, why);
        return;
    };
    ctx.rec
        .step("resolve", StepStatus::Ok, true, "resolved and consistent");

    let doc_url = if let Some(rest) = did.strip_prefix("did:web:") {
        http::base_url(&format!("https://{}", rest.replace("%3A", ":")))
            .map(|b| b.join("/.well-known/did.json").expect("static path"))
    } else {
        http::base_url(&o.plc_url)
            .and_then(|b| b.join(&format!("/{did}")).map_err(|e| e.to_string()))
    };
    let doc_url = match doc_url {
        Ok(u) => u,
        Err(e) => {
            ctx.rec.step("did_doc", StepStatus::Failed, true, e);
            return;
        }
    };
    let (status, doc) = super::json_step(ctx, "did_doc", true, doc_url).await;
    let Some(doc) = doc else {
        let _ = status;
        return;
    };
    let aka = format!("at://{handle}");
    let names = doc
        .get("alsoKnownAs")
        .and_then(|a| a.as_array())
        .is_some_and(|a| {
            a.iter()
                .any(|v| v.as_str().is_some_and(|s| s.eq_ignore_ascii_case(&aka)))
        });
    ctx.rec.gauge(
        "atproto_handle_did_doc_match",
        "Whether the DID document's alsoKnownAs names the handle",
        f64::from(u8::from(names)),
    );
    let pds = doc
        .get("service")
        .and_then(|s| s.as_array())
        .and_then(|s| {
            s.iter().find(|e| {
                e.get("id")
                    .and_then(|i| i.as_str())
                    .is_some_and(|i| i.ends_with("#atproto_pds"))
            })
        })
        .and_then(|e| e.get("serviceEndpoint"))
        .and_then(|e| e.as_str())
        .map(|s| s.trim_end_matches('/').to_string());
    let mut ok = names;
    let mut detail = if names {
        "alsoKnownAs names the handle".to_string()
    } else {
        "alsoKnownAs does not name the handle".to_string()
    };
    if let Some(expect) = &o.expect_pds {
        let m = pds.as_deref() == Some(expect.trim_end_matches('/'));
        ctx.rec.gauge(
            "atproto_did_doc_pds_match",
            "Whether the DID document's #atproto_pds endpoint is the expected PDS",
            f64::from(u8::from(m)),
        );
        ok &= m;
        detail.push_str(if m {
            "; PDS endpoint as expected"
        } else {
            "; PDS endpoint differs"
        });
    }
    ctx.rec.step(
        "identity",
        if ok {
            StepStatus::Ok
        } else {
            StepStatus::Failed
        },
        true,
        detail,
    );
}

#[cfg(test)]
mod tests {
    use super::{Found, from_txt, normalise, valid_did};

    #[test]
    fn dids_are_checked_before_use() {
        assert!(valid_did("did:plc:ewvi7nxzyoun6zhxrhs64oiz"));
        assert!(valid_did("did:web:example.com"));
        assert!(valid_did("did:web:localhost%3A2583"));
        for bad in [
            "did:plc:../../admin/secret?x=",
            "did:plc:ewvi7nxzyoun6zhxrhs64oi",
            "did:plc:EWVI7NXZYOUN6ZHXRHS64OIZ",
            "did:plc:ewvi7nxzyoun6zhxrhs64oi1",
            "did:web:example.com%3A8443",
            "did:web:localhost%3A99999",
            "did:web:example.com:path",
            "did:web:exa_mple.com",
            "did:web:",
            "did:key:z6Mk",
        ] {
            assert!(!valid_did(bad), "{bad}");
        }
    }

    #[test]
    fn txt_records() {
        let r = |v: &[&str]| from_txt(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let plc = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";
        assert!(matches!(r(&[&format!("did={plc}")]), Found::Did(d) if d == plc));
        assert!(matches!(
            r(&["v=spf1 -all", "did=did:web:example.com"]),
            Found::Did(_)
        ));
        assert!(matches!(r(&["v=spf1 -all"]), Found::Absent(_)));
        assert!(matches!(
            r(&[
                "did=did:plc:ewvi7nxzyoun6zhxrhs64oiz",
                "did=did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"
            ]),
            Found::Error(_)
        ));
        assert!(matches!(r(&["did=mailto:x"]), Found::Error(_)));
    }

    #[test]
    fn handles() {
        assert_eq!(
            normalise("at://Alice.Example.com").unwrap(),
            "alice.example.com"
        );
        assert_eq!(normalise("https://alice.test/").unwrap(), "alice.test");
        assert!(normalise("alice").is_err());
        assert!(normalise("a..b").is_err());
        assert!(normalise("-a.b").is_err());
        assert!(normalise("a b.c").is_err());
        assert!(normalise("").is_err());
    }
}
