//! `plc`: `/_health` and the freshness of `/export`.

use crate::config::PlcOptions;
use crate::http::{self, Fetch};
use crate::{Ctx, StepStatus};

pub(super) async fn run(ctx: &mut Ctx, o: &PlcOptions, target: &str) {
    let Some(base) = super::target_base(ctx, target) else {
        return;
    };
    super::health_step(
        ctx,
        "plc",
        true,
        base.join("/_health").expect("static path"),
    )
    .await;

    let now = chrono::Utc::now();
    let mut after = (now
        - chrono::Duration::seconds(o.export_lookback_seconds.min(i64::MAX as u64) as i64))
    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut newest: Option<chrono::DateTime<chrono::Utc>> = None;
    let mut ops = 0u64;
    let mut pages = 0;
    while pages < o.export_max_pages.max(1) {
        pages += 1;
        let mut url = base.join("/export").expect("static path");
        url.query_pairs_mut()
            .append_pair("count", "1000")
            .append_pair("after", &after);
        let resp = match http::get(ctx, "export", url, None).await {
            Fetch::Ok(r) => r,
            Fetch::Unsupported(why) => {
                ctx.rec.step("export", StepStatus::Unsupported, false, why);
                return;
            }
            Fetch::Failed(why) => {
                ctx.rec.step("export", StepStatus::Failed, true, why);
                return;
            }
        };
        let text = resp.text();
        let mut lines = 0;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            lines += 1;
            let created = serde_json::from_str::<serde_json::Value>(line)
                .ok()
                .and_then(|v| {
                    v.get("createdAt")
                        .and_then(|c| c.as_str())
                        .map(str::to_string)
                });
            let Some(created) = created else {
                ctx.rec.step(
                    "export",
                    StepStatus::Failed,
                    true,
                    "export line is not an operation with createdAt",
                );
                return;
            };
            if let Ok(t) = chrono::DateTime::parse_from_rfc3339(&created) {
                let t = t.with_timezone(&chrono::Utc);
                if newest.is_none_or(|n| t > n) {
                    newest = Some(t);
                }
            }
            after = created;
        }
        ops += lines;
        if lines < 1000 {
            break;
        }
    }
    ctx.rec.gauge(
        "atproto_plc_export_ops",
        "Operations read from /export in the lookback window",
        ops as f64,
    );
    match newest {
        Some(t) => {
            let age = (now - t).num_milliseconds() as f64 / 1e3;
            ctx.rec.gauge(
                "atproto_plc_export_newest_age_seconds",
                "Age of the newest operation seen in /export",
                age.max(0.0),
            );
            ctx.rec.step(
                "export",
                StepStatus::Ok,
                true,
                format!("{ops} ops, newest {age:.1} s old"),
            );
        }
        None => {
            ctx.rec.step(
                "export",
                StepStatus::Ok,
                true,
                format!("no operations in the last {} s", o.export_lookback_seconds),
            );
        }
    }
}
