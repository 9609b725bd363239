//! `labeler`: Ozone's `_health` (optional) and `com.atproto.label.queryLabels`.

use crate::config::LabelerOptions;
use crate::http::{self, Fetch};
use crate::{Ctx, StepStatus};

pub(super) async fn run(ctx: &mut Ctx, o: &LabelerOptions, target: &str) {
    let Some(base) = super::target_base(ctx, target) else {
        return;
    };
    // Not every labeler is Ozone: a missing _health is unsupported, a failing one is reported.
    super::health_step(
        ctx,
        "labeler",
        false,
        base.join("/xrpc/_health").expect("static path"),
    )
    .await;
    let mut url = base
        .join("/xrpc/com.atproto.label.queryLabels")
        .expect("static path");
    url.query_pairs_mut()
        .append_pair("uriPatterns", &o.uri_patterns)
        .append_pair("limit", "1");
    // queryLabels is what makes a labeler a labeler: unsupported fails this probe.
    let (status, detail) = match http::get(ctx, "query_labels", url, None).await {
        Fetch::Ok(resp) => match resp
            .json()
            .map(|b| b.get("labels").and_then(|l| l.as_array()).map(Vec::len))
        {
            Ok(Some(n)) => {
                ctx.rec.gauge(
                    "atproto_labeler_labels_returned",
                    "Labels returned by queryLabels (limit 1)",
                    n as f64,
                );
                (StepStatus::Ok, format!("{n} label(s)"))
            }
            Ok(None) => (
                StepStatus::Failed,
                "queryLabels answer has no labels array".into(),
            ),
            Err(e) => (StepStatus::Failed, e),
        },
        Fetch::Unsupported(why) => (
            StepStatus::Failed,
            format!("queryLabels not implemented: {why}"),
        ),
        Fetch::Failed(why) => (StepStatus::Failed, why),
    };
    ctx.rec.step("query_labels", status, true, detail);
}
