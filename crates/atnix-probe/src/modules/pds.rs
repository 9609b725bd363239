//! `pds`: `/xrpc/_health`, describeServer, listRepos account counts, firehose.

use crate::config::PdsOptions;
use crate::http;
use crate::{Ctx, StepStatus};

/// Account statuses of `com.atproto.sync.listRepos` (plus `active` and `other`).
const STATUSES: &[&str] = &[
    "active",
    "takendown",
    "suspended",
    "deleted",
    "deactivated",
    "desynchronized",
    "throttled",
    "other",
];

pub(super) async fn run(ctx: &mut Ctx, o: &PdsOptions, target: &str) {
    let Some(base) = super::target_base(ctx, target) else {
        return;
    };
    super::health_step(
        ctx,
        "pds",
        true,
        base.join("/xrpc/_health").expect("static path"),
    )
    .await;

    let (_, described) = super::json_step(
        ctx,
        "describe_server",
        true,
        base.join("/xrpc/com.atproto.server.describeServer")
            .expect("static path"),
    )
    .await;
    if let Some(d) = described {
        let did = d.get("did").and_then(|v| v.as_str()).unwrap_or_default();
        let expected = format!("did:web:{}", base.host_str().unwrap_or_default());
        ctx.rec.gauge(
            "atproto_pds_did_matches_host",
            "Whether describeServer.did is did:web:<target host>",
            f64::from(u8::from(did == expected)),
        );
        if let Some(b) = d.get("inviteCodeRequired").and_then(|v| v.as_bool()) {
            ctx.rec.gauge(
                "atproto_pds_invite_code_required",
                "describeServer.inviteCodeRequired",
                f64::from(u8::from(b)),
            );
        }
        let domains = d
            .get("availableUserDomains")
            .and_then(|v| v.as_array())
            .map_or(0, Vec::len);
        ctx.rec.gauge(
            "atproto_pds_user_domains",
            "Number of describeServer.availableUserDomains",
            domains as f64,
        );
    }

    if o.list_repos_max_pages > 0 {
        list_repos(ctx, o, &base).await;
    }
    if o.firehose {
        super::firehose_steps(
            ctx,
            &base,
            true,
            o.firehose_head_seq,
            o.firehose_quiet_ms,
            o.firehose_max_steps,
        )
        .await;
    }
}

async fn list_repos(ctx: &mut Ctx, o: &PdsOptions, base: &url::Url) {
    let mut counts = [0u64; 8];
    let mut cursor: Option<String> = None;
    let mut complete = false;
    let mut pages = 0;
    let limit = o.list_repos_page_size.clamp(1, 1000);
    while pages < o.list_repos_max_pages {
        pages += 1;
        let mut url = base
            .join("/xrpc/com.atproto.sync.listRepos")
            .expect("static path");
        url.query_pairs_mut()
            .append_pair("limit", &limit.to_string());
        if let Some(c) = &cursor {
            url.query_pairs_mut().append_pair("cursor", c);
        }
        let resp = match http::get(ctx, "list_repos", url, None).await {
            http::Fetch::Ok(r) => r,
            http::Fetch::Unsupported(why) => {
                ctx.rec
                    .step("list_repos", StepStatus::Unsupported, false, why);
                return;
            }
            http::Fetch::Failed(why) => {
                ctx.rec.step("list_repos", StepStatus::Failed, false, why);
                return;
            }
        };
        // Typed, so that only the two fields counted are kept from each entry.
        let body: ListPage = match serde_json::from_slice(&resp.body) {
            Ok(b) => b,
            Err(e) => {
                ctx.rec.step(
                    "list_repos",
                    StepStatus::Failed,
                    false,
                    format!("listRepos answer: {e}"),
                );
                return;
            }
        };
        let repos = &body.repos;
        for repo in repos {
            let status = match (repo.active, repo.status.as_deref()) {
                (_, Some(s)) => s,
                (Some(false), None) => "other",
                _ => "active",
            };
            let i = STATUSES
                .iter()
                .position(|s| *s == status)
                .unwrap_or(STATUSES.len() - 1);
            counts[i] += 1;
        }
        cursor = body.cursor;
        // A short page is the last one (the PDS still returns a cursor with it).
        if cursor.is_none() || repos.len() < limit as usize {
            complete = true;
            break;
        }
    }
    for (status, n) in STATUSES.iter().zip(counts) {
        ctx.rec.gauge_l(
            "atproto_pds_accounts",
            "Accounts by status from listRepos (within the page budget)",
            vec![("status", (*status).to_string())],
            n as f64,
        );
    }
    ctx.rec.gauge(
        "atproto_pds_accounts_complete",
        "Whether listRepos was read to its end within the page budget",
        f64::from(u8::from(complete)),
    );
    let total: u64 = counts.iter().sum();
    ctx.rec.step(
        "list_repos",
        StepStatus::Ok,
        false,
        format!(
            "{total} accounts in {pages} page(s){}",
            if complete { "" } else { ", budget exhausted" }
        ),
    );
}

/// One listRepos page, or one listHosts page (`hosts` instead of `repos`).
#[derive(serde::Deserialize)]
pub(super) struct ListPage {
    #[serde(alias = "hosts")]
    pub repos: Vec<ListEntry>,
    pub cursor: Option<String>,
}

/// The fields of a listed repo or host that probes count; the rest is skipped unparsed.
#[derive(serde::Deserialize)]
pub(super) struct ListEntry {
    pub active: Option<bool>,
    pub status: Option<String>,
}
