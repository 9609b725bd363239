//! `relay`: health, listHosts, and for one PDS host getHostStatus and the relay's seq lag.

use crate::config::RelayOptions;
use crate::http::{self, Fetch};
use crate::{Ctx, ProbeParams, StepStatus};

/// `com.atproto.sync.defs#hostStatus` known values, plus `other`.
const HOST_STATUSES: &[&str] = &["active", "idle", "offline", "throttled", "banned", "other"];

fn status_label(s: Option<&str>) -> &'static str {
    let s = s.unwrap_or("other");
    HOST_STATUSES
        .iter()
        .find(|k| **k == s)
        .copied()
        .unwrap_or("other")
}

pub(super) async fn run(ctx: &mut Ctx, o: &RelayOptions, target: &str, params: &ProbeParams) {
    let Some(base) = super::target_base(ctx, target) else {
        return;
    };
    // indigo serves both /xrpc/_health and /_health; try the XRPC path first.
    super::health_step(
        ctx,
        "relay",
        true,
        base.join("/xrpc/_health").expect("static path"),
    )
    .await;

    if o.list_hosts_max_pages > 0 {
        list_hosts(ctx, o, &base).await;
    }

    let host = params.host.as_deref().or(o.pds_host.as_deref());
    let Some(host) = host else { return };
    let pds = match http::base_url(host) {
        Ok(u) => u,
        Err(e) => {
            ctx.rec.step(
                "host_status",
                StepStatus::Failed,
                true,
                format!("pds host: {e}"),
            );
            return;
        }
    };
    let mut url = base
        .join("/xrpc/com.atproto.sync.getHostStatus")
        .expect("static path");
    url.query_pairs_mut()
        .append_pair("hostname", &http::host_port(&pds));
    let relay_seq = match http::get(ctx, "get_host_status", url, None).await {
        Fetch::Ok(resp) => match resp.json() {
            Ok(body) => {
                let raw_status = body.get("status").and_then(|s| s.as_str());
                let status = status_label(raw_status);
                if raw_status.is_some() {
                    ctx.rec.stateset(
                        "atproto_relay_host_status",
                        "Status the relay gives the PDS host",
                        "status",
                        HOST_STATUSES,
                        status,
                    );
                }
                if let Some(n) = body.get("accountCount").and_then(|v| v.as_f64()) {
                    ctx.rec.gauge(
                        "atproto_relay_host_accounts",
                        "Accounts the relay counts on the PDS host",
                        n,
                    );
                }
                let seq = match body.get("seq").and_then(|v| v.as_i64()) {
                    Some(s) if !(0..=super::MAX_SEQ).contains(&s) => {
                        super::impossible(
                            ctx,
                            "relay_seq",
                            format!("the relay gives seq {s} for the host"),
                        );
                        None
                    }
                    seq => seq,
                };
                if let Some(s) = seq {
                    ctx.rec.gauge(
                        "atproto_relay_host_seq",
                        "Last PDS seq the relay has persisted for the host",
                        s as f64,
                    );
                }
                ctx.rec.gauge(
                    "atproto_relay_host_known",
                    "Whether the relay knows the PDS host",
                    1.0,
                );
                // status is optional in the lexicon: only a known bad state fails.
                let ok = raw_status.is_none() || status == "active" || status == "idle";
                ctx.rec.step(
                    "host_status",
                    if ok {
                        StepStatus::Ok
                    } else {
                        StepStatus::Failed
                    },
                    true,
                    format!(
                        "status {status}, seq {}",
                        seq.map_or("unknown".into(), |s| s.to_string())
                    ),
                );
                seq
            }
            Err(e) => {
                ctx.rec.step("host_status", StepStatus::Failed, true, e);
                None
            }
        },
        Fetch::Unsupported(why) => {
            ctx.rec
                .step("host_status", StepStatus::Unsupported, false, why);
            None
        }
        Fetch::Failed(why) => {
            if why.contains("HostNotFound") {
                ctx.rec.gauge(
                    "atproto_relay_host_known",
                    "Whether the relay knows the PDS host",
                    0.0,
                );
            }
            ctx.rec.step("host_status", StepStatus::Failed, true, why);
            None
        }
    };
    if let (Some(relay_seq), true) = (relay_seq, o.seq_lag) {
        // The PDS head seq is found on the PDS's own firehose; the lag is informational.
        if let Some(head) = super::firehose_steps(
            ctx,
            &pds,
            false,
            true,
            o.firehose_quiet_ms,
            o.firehose_max_steps,
        )
        .await
        {
            ctx.rec.gauge(
                "atproto_relay_host_seq_lag",
                "PDS head seq minus the relay's seq for that host",
                head.saturating_sub(relay_seq) as f64,
            );
        }
    }
}

async fn list_hosts(ctx: &mut Ctx, o: &RelayOptions, base: &url::Url) {
    let mut counts = [0u64; 6];
    let mut cursor: Option<String> = None;
    let mut complete = false;
    for _ in 0..o.list_hosts_max_pages {
        let mut url = base
            .join("/xrpc/com.atproto.sync.listHosts")
            .expect("static path");
        url.query_pairs_mut().append_pair("limit", "1000");
        if let Some(c) = &cursor {
            url.query_pairs_mut().append_pair("cursor", c);
        }
        let resp = match http::get(ctx, "list_hosts", url, None).await {
            Fetch::Ok(r) => r,
            Fetch::Unsupported(why) => {
                ctx.rec
                    .step("list_hosts", StepStatus::Unsupported, false, why);
                return;
            }
            Fetch::Failed(why) => {
                ctx.rec.step("list_hosts", StepStatus::Failed, false, why);
                return;
            }
        };
        // Typed, so that only the status is kept from each entry.
        let body: super::pds::ListPage = match serde_json::from_slice(&resp.body) {
            Ok(b) => b,
            Err(e) => {
                ctx.rec.step(
                    "list_hosts",
                    StepStatus::Failed,
                    false,
                    format!("listHosts answer: {e}"),
                );
                return;
            }
        };
        let hosts = &body.repos;
        for h in hosts {
            let s = status_label(h.status.as_deref());
            let i = HOST_STATUSES.iter().position(|k| *k == s).unwrap_or(5);
            counts[i] += 1;
        }
        cursor = body.cursor;
        if cursor.is_none() || hosts.len() < 1000 {
            complete = true;
            break;
        }
    }
    for (s, n) in HOST_STATUSES.iter().zip(counts) {
        ctx.rec.gauge_l(
            "atproto_relay_hosts",
            "Hosts listed by the relay, by status (within the page budget)",
            vec![("status", (*s).to_string())],
            n as f64,
        );
    }
    ctx.rec.gauge(
        "atproto_relay_hosts_complete",
        "Whether listHosts was read to its end",
        f64::from(u8::from(complete)),
    );
    let total: u64 = counts.iter().sum();
    ctx.rec.step(
        "list_hosts",
        StepStatus::Ok,
        false,
        format!(
            "{total} hosts{}",
            if complete {
                ""
            } else {
                " (page budget exhausted)"
            }
        ),
    );
}
