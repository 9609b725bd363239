//! Firehose (`subscribeRepos`) liveness and head-seq discovery over WebSockets.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::timeout;
use tokio_tungstenite::Connector;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use url::Url;

use crate::frame::{Frame, decode_frame, kind_label};

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Largest firehose message read: a `#commit`'s `blocks` are at most 2,000,000 bytes by the
/// subscribeRepos lexicon; the rest of a frame (header, ops, CIDs) is small.
pub const FIREHOSE_MAX_MESSAGE: usize = 5 << 19;

/// Largest jetstream message read: one record as JSON (records are at most 1 MiB as CBOR).
pub const JETSTREAM_MAX_MESSAGE: usize = 1 << 20;

/// Bounds on one probe connection's memory, whatever the peer sends: one message (and one
/// frame) of at most `max_message` bytes, small read chunks, and a write queue that fails
/// instead of growing when the peer does not read (ping floods answered by pongs).
pub fn ws_config(max_message: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(16 << 10)
        .write_buffer_size(0)
        .max_write_buffer_size(64 << 10)
        .max_message_size(Some(max_message))
        .max_frame_size(Some(max_message))
}

/// Bytes of WebSocket message buffers all probes of one prober may hold at once (see
/// [`WsClient::budget`]): three firehose connections or eight jetstream ones. With the
/// exporter's own few MB this keeps the whole process under 30 MB whatever peers send.
pub const DEFAULT_WS_BUDGET: usize = 8 << 20;

/// How probes open WebSockets: one TLS config (the HTTP client's) and a message size limit.
#[derive(Clone)]
pub struct WsClient {
    pub tls: Arc<rustls::ClientConfig>,
    pub max_message: usize,
    /// Shared byte budget: a connection holds `max_message` bytes of it from before it
    /// connects until it is dropped, so concurrent probes cannot together buffer more.
    pub budget: Arc<Semaphore>,
}

/// A WebSocket stream holding its share of the byte budget until dropped.
pub struct WsConn {
    ws: Ws,
    _budget: OwnedSemaphorePermit,
}

impl std::ops::Deref for WsConn {
    type Target = Ws;
    fn deref(&self) -> &Ws {
        &self.ws
    }
}

impl std::ops::DerefMut for WsConn {
    fn deref_mut(&mut self) -> &mut Ws {
        &mut self.ws
    }
}

/// Frames read and decoded while probing, by type label, plus decode errors.
#[derive(Debug, Default, Clone)]
pub struct FrameStats {
    pub by_kind: BTreeMap<&'static str, u64>,
    pub decode_errors: u64,
    /// Highest seq seen and the `time` of that frame.
    pub max_seq: Option<(i64, Option<String>)>,
    pub errors: BTreeMap<String, u64>,
}

impl FrameStats {
    /// Add another probe connection's counts to these.
    pub fn merge(&mut self, other: FrameStats) {
        for (k, n) in other.by_kind {
            *self.by_kind.entry(k).or_default() += n;
        }
        for (k, n) in other.errors {
            *self.errors.entry(k).or_default() += n;
        }
        self.decode_errors += other.decode_errors;
        if let Some((s, t)) = other.max_seq
            && self.max_seq.as_ref().is_none_or(|(m, _)| s > *m)
        {
            self.max_seq = Some((s, t));
        }
    }

    fn note(&mut self, bytes: &[u8]) -> Option<Frame> {
        match decode_frame(bytes) {
            Ok(frame) => {
                match &frame {
                    Frame::Message {
                        kind,
                        seq,
                        time,
                        name,
                    } => {
                        *self.by_kind.entry(kind_label(kind)).or_default() += 1;
                        if let Some(name) = name.as_deref().filter(|_| kind == "#info") {
                            *self
                                .errors
                                .entry(error_label(name).to_string())
                                .or_default() += 1;
                        }
                        if let Some(s) = *seq
                            && self.max_seq.as_ref().is_none_or(|(m, _)| s > *m)
                        {
                            self.max_seq = Some((s, time.clone()));
                        }
                    }
                    // FutureCursor is what the head-seq search provokes on purpose.
                    Frame::Error { error, .. } if error == "FutureCursor" => {}
                    Frame::Error { error, .. } => {
                        *self
                            .errors
                            .entry(error_label(error).to_string())
                            .or_default() += 1;
                    }
                }
                Some(frame)
            }
            Err(e) => {
                tracing::debug!(error = %e, "undecodable frame");
                self.decode_errors += 1;
                None
            }
        }
    }
}

/// Bounded label for stream error names.
pub fn error_label(error: &str) -> &'static str {
    match error {
        "FutureCursor" => "FutureCursor",
        "ConsumerTooSlow" => "ConsumerTooSlow",
        "OutdatedCursor" => "OutdatedCursor",
        _ => "other",
    }
}

/// Connect, returning the stream and the connect time (waiting for budget included).
pub async fn connect(
    client: &WsClient,
    url: &Url,
    limit: Duration,
) -> Result<(WsConn, Duration), String> {
    let start = Instant::now();
    let bytes = u32::try_from(client.max_message).unwrap_or(u32::MAX);
    let budget = timeout(limit, client.budget.clone().acquire_many_owned(bytes))
        .await
        .map_err(|_| {
            format!(
                "no WebSocket buffer budget free before the deadline (other probes hold it; needs {} KiB)",
                client.max_message >> 10
            )
        })?
        .map_err(|_| "WebSocket buffer budget closed".to_string())?;
    let limit = limit.saturating_sub(start.elapsed());
    let connecting = tokio_tungstenite::connect_async_tls_with_config(
        url.as_str(),
        Some(ws_config(client.max_message)),
        true,
        Some(Connector::Rustls(client.tls.clone())),
    );
    let (ws, _resp) = timeout(limit, connecting)
        .await
        .map_err(|_| "websocket connect timed out".to_string())?
        .map_err(|e| format!("websocket connect failed: {}", crate::http::error_chain(&e)))?;
    Ok((
        WsConn {
            ws,
            _budget: budget,
        },
        start.elapsed(),
    ))
}

/// Send a close frame without waiting for the server's answer (dropping the stream ends it).
pub async fn close(ws: &mut Ws) {
    let _ = timeout(Duration::from_millis(20), ws.send(Message::Close(None))).await;
}

/// Send a ping and wait for its pong; frames arriving meanwhile are counted.
pub async fn ping(
    ws: &mut Ws,
    limit: Duration,
    stats: &mut FrameStats,
) -> Result<Duration, String> {
    let start = Instant::now();
    let payload = b"atproto-exporter".to_vec();
    ws.send(Message::Ping(payload.clone().into()))
        .await
        .map_err(|e| format!("ping send failed: {e}"))?;
    let deadline = start + limit;
    loop {
        // Checked here too: a peer that never stops sending keeps `next()` ready, and a
        // timeout only fires when its future waits.
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err("no pong before the deadline".into());
        }
        match timeout(left, ws.next()).await {
            Err(_) => return Err("no pong before the deadline".into()),
            Ok(None) => return Err("stream closed before pong".into()),
            Ok(Some(Err(e))) => return Err(format!("websocket error: {e}")),
            Ok(Some(Ok(Message::Pong(p)))) if p.as_ref() == payload.as_slice() => {
                return Ok(start.elapsed());
            }
            Ok(Some(Ok(Message::Binary(b)))) => {
                if let Some(Frame::Error { error, .. }) = stats.note(&b) {
                    return Err(format!("stream error frame {error}"));
                }
            }
            Ok(Some(Ok(Message::Close(c)))) => {
                return Err(format!("stream closed before pong: {c:?}"));
            }
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// What a connection with `cursor=N` showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CursorOutcome {
    /// `FutureCursor`: head < N.
    Future,
    /// Frames with seqs up to this one arrived: head >= it.
    Frames(i64),
    /// Accepted, nothing arrived within the quiet window: head >= N (== N on a live stream).
    Quiet,
}

/// Open `base?cursor=N` and read until an error frame, a burst of frames ends, or quiet.
pub async fn try_cursor(
    client: &WsClient,
    url: &Url,
    cursor: i64,
    quiet: Duration,
    limit: Duration,
    stats: &mut FrameStats,
) -> Result<CursorOutcome, String> {
    let deadline = Instant::now() + limit;
    let mut url = url.clone();
    url.query_pairs_mut()
        .clear()
        .append_pair("cursor", &cursor.to_string());
    let (mut ws, _) = connect(client, &url, limit).await?;
    let mut best: Option<i64> = None;
    let mut frames = 0u32;
    let mut undecodable = 0u32;
    let outcome = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break Ok(best.map_or(CursorOutcome::Quiet, CursorOutcome::Frames));
        }
        // After the first frame, a short gap ends the replay burst.
        let wait = if best.is_some() {
            Duration::from_millis(10).min(left)
        } else {
            quiet.min(left)
        };
        match timeout(wait, ws.next()).await {
            Err(_) => break Ok(best.map_or(CursorOutcome::Quiet, CursorOutcome::Frames)),
            Ok(None) | Ok(Some(Ok(Message::Close(_)))) => {
                break best
                    .map(CursorOutcome::Frames)
                    .ok_or_else(|| "stream closed without frames".to_string());
            }
            Ok(Some(Err(e))) => break Err(format!("websocket error: {e}")),
            Ok(Some(Ok(Message::Binary(b)))) => match stats.note(&b) {
                Some(Frame::Error { error, .. }) if error == "FutureCursor" => {
                    break Ok(CursorOutcome::Future);
                }
                Some(Frame::Error { error, message }) => {
                    break Err(format!(
                        "stream error {error}: {}",
                        message.unwrap_or_default()
                    ));
                }
                Some(Frame::Message { seq: Some(s), .. }) if s >= 0 => {
                    best = Some(best.map_or(s, |b| b.max(s)));
                    frames += 1;
                    if frames >= 2000 {
                        break Ok(CursorOutcome::Frames(s));
                    }
                }
                Some(_) => frames += 1,
                None => undecodable += 1,
            },
            Ok(Some(Ok(_))) => {}
        }
    };
    close(&mut ws).await;
    // Garbage is not a live stream: without one valid frame, nothing here says where its
    // head is.
    if undecodable > 0 && frames == 0 && outcome.is_ok() {
        return Err(format!(
            "{undecodable} frames arrived and none was a valid DAG-CBOR frame"
        ));
    }
    outcome
}

/// The head seq found by [`head_seq`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadSeq {
    /// Lower bound on the head seq; the head itself when `exact`.
    pub seq: i64,
    pub exact: bool,
    pub connections: u32,
}

/// Find the newest seq of a stream that answers `FutureCursor` to cursors past its head
/// (the PDS does): gallop up from replayed frames, then bisect between the highest accepted
/// cursor and the lowest refused one. Every connection is bounded; on a small PDS this takes
/// two connections (replay from 0, then head+1 is refused).
pub async fn head_seq(
    client: &WsClient,
    url: &Url,
    quiet: Duration,
    max_steps: u32,
    budget: Duration,
    stats: &mut FrameStats,
) -> Result<HeadSeq, String> {
    let deadline = Instant::now() + budget;
    let mut lo: i64 = 0; // head >= lo
    let mut hi: Option<i64> = None; // head <= hi
    let mut step: i64 = 1;
    let mut next: i64 = 0;
    let mut connections = 0;
    while connections < max_steps {
        if hi.is_some_and(|h| h <= lo) {
            return Ok(HeadSeq {
                seq: lo,
                exact: true,
                connections,
            });
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        connections += 1;
        match try_cursor(client, url, next, quiet, left, stats).await? {
            CursorOutcome::Future => hi = Some(next - 1),
            CursorOutcome::Frames(s) => lo = lo.max(s),
            CursorOutcome::Quiet => lo = lo.max(next),
        }
        if let Some(h) = hi {
            if h < lo {
                // The stream moved on between connections; its head is at least lo.
                hi = None;
                step = 1;
            } else {
                // Both are >= 0 here, so neither the difference nor the sum overflows.
                let gap = h - lo;
                next = lo + gap / 2 + gap % 2;
                if next <= lo {
                    next = lo + 1;
                }
                continue;
            }
        }
        next = lo.saturating_add(step);
        step = step.saturating_mul(2);
    }
    Ok(HeadSeq {
        seq: lo,
        exact: hi.is_some_and(|h| h <= lo),
        connections,
    })
}
