//! `feedgen`: `/.well-known/did.json`, describeFeedGenerator and one getFeedSkeleton.

use crate::Ctx;
use crate::config::FeedgenOptions;

pub(super) async fn run(ctx: &mut Ctx, o: &FeedgenOptions, target: &str) {
    let Some(base) = super::target_base(ctx, target) else {
        return;
    };
    let (_, doc) = super::json_step(
        ctx,
        "did_json",
        true,
        base.join("/.well-known/did.json").expect("static path"),
    )
    .await;
    let doc_id = doc
        .as_ref()
        .and_then(|d| d.get("id"))
        .and_then(|v| v.as_str())
        .map(str::to_string);
    if let Some(doc) = &doc {
        let endpoint = doc
            .get("service")
            .and_then(|s| s.as_array())
            .and_then(|s| {
                s.iter().find(|e| {
                    e.get("id")
                        .and_then(|i| i.as_str())
                        .is_some_and(|i| i.ends_with("#bsky_fg"))
                })
            })
            .and_then(|e| e.get("serviceEndpoint"))
            .and_then(|e| e.as_str());
        let matches = endpoint
            .and_then(|e| url::Url::parse(e).ok())
            .is_some_and(|u| u.host_str() == base.host_str());
        ctx.rec.gauge(
            "atproto_feedgen_service_endpoint_match",
            "Whether did.json has a #bsky_fg service on the target host",
            f64::from(u8::from(matches)),
        );
    }

    let (_, described) = super::json_step(
        ctx,
        "describe_feed_generator",
        true,
        base.join("/xrpc/app.bsky.feed.describeFeedGenerator")
            .expect("static path"),
    )
    .await;
    let Some(described) = described else { return };
    let feeds: Vec<String> = described
        .get("feeds")
        .and_then(|f| f.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|f| f.get("uri").and_then(|u| u.as_str()).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    ctx.rec.gauge(
        "atproto_feedgen_feeds",
        "Feeds listed by describeFeedGenerator",
        feeds.len() as f64,
    );
    if let (Some(id), Some(did)) = (&doc_id, described.get("did").and_then(|d| d.as_str())) {
        ctx.rec.gauge(
            "atproto_feedgen_did_match",
            "Whether describeFeedGenerator.did equals the did.json id",
            f64::from(u8::from(id == did)),
        );
    }
    if o.skeleton
        && let Some(feed) = feeds.first()
    {
        let mut url = base
            .join("/xrpc/app.bsky.feed.getFeedSkeleton")
            .expect("static path");
        url.query_pairs_mut()
            .append_pair("feed", feed)
            .append_pair("limit", "1");
        let (_, body) = super::json_step(ctx, "get_feed_skeleton", false, url).await;
        if let Some(body) = body {
            let n = body
                .get("feed")
                .and_then(|f| f.as_array())
                .map_or(0, Vec::len);
            ctx.rec.gauge(
                "atproto_feedgen_skeleton_items",
                "Items returned by getFeedSkeleton (limit 1)",
                n as f64,
            );
        }
    }
}
