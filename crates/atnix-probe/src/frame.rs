//! Event-stream frames (`com.atproto.sync.subscribeRepos`, `com.atproto.label.subscribeLabels`).
//!
//! Each WebSocket binary message is two concatenated DAG-CBOR items: a header `{op: 1, t: "#commit"}`
//! (or `{op: -1}` for an error) and a body. Only the fields a health probe needs are decoded; CIDs,
//! CAR blocks and ops are skipped without being interpreted.

use serde::Deserialize;

/// A decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// `op: 1`: a message of type `kind` (`#commit`, `#sync`, `#identity`, `#account`, `#info`, `#labels`).
    Message {
        kind: String,
        seq: Option<i64>,
        /// RFC 3339 time the event was sequenced (absent on `#info`).
        time: Option<String>,
        /// `#info` name, e.g. `OutdatedCursor`.
        name: Option<String>,
    },
    /// `op: -1`: an error frame; the server closes the stream after it.
    Error {
        error: String,
        message: Option<String>,
    },
}

/// Why a binary message is not a valid frame.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("frame header is not valid DAG-CBOR: {0}")]
    Header(String),
    #[error("frame body is not valid DAG-CBOR: {0}")]
    Body(String),
    #[error("frame header has unknown op {0}")]
    UnknownOp(i64),
    #[error("message frame header has no type `t`")]
    MissingType,
    #[error("error frame body has no `error` name")]
    MissingError,
}

#[derive(Deserialize)]
struct Header {
    op: i64,
    #[serde(default)]
    t: Option<String>,
}

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    seq: Option<i64>,
    #[serde(default)]
    time: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// Decode one binary WebSocket message. Never panics; any malformed input is an error.
pub fn decode_frame(bytes: &[u8]) -> Result<Frame, FrameError> {
    let mut cursor = std::io::Cursor::new(bytes);
    let header: Header = serde_ipld_dagcbor::de::from_reader_once(&mut cursor)
        .map_err(|e| FrameError::Header(e.to_string()))?;
    // The cursor never runs past the slice it reads.
    let rest = &bytes[(cursor.position() as usize).min(bytes.len())..];
    let body: Body =
        serde_ipld_dagcbor::from_slice(rest).map_err(|e| FrameError::Body(e.to_string()))?;
    match header.op {
        1 => Ok(Frame::Message {
            kind: header.t.ok_or(FrameError::MissingType)?,
            seq: body.seq,
            time: body.time,
            name: body.name,
        }),
        -1 => Ok(Frame::Error {
            error: body.error.ok_or(FrameError::MissingError)?,
            message: body.message,
        }),
        op => Err(FrameError::UnknownOp(op)),
    }
}

/// The metric label for a message type: the known union members, anything else is `other`
/// (keeps label cardinality bounded whatever a server sends).
pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "#commit" => "commit",
        "#sync" => "sync",
        "#identity" => "identity",
        "#account" => "account",
        "#info" => "info",
        "#labels" => "labels",
        "#handle" => "handle",
        "#migrate" => "migrate",
        "#tombstone" => "tombstone",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_header_bytes_from_reference() {
        // {"t":"#account","op":1} as a PDS 0.4.217 sends it, followed by a minimal body.
        let mut bytes = vec![
            0xa2, 0x61, 0x74, 0x68, 0x23, 0x61, 0x63, 0x63, 0x6f, 0x75, 0x6e, 0x74, 0x62, 0x6f,
            0x70, 0x01,
        ];
        bytes.extend(
            serde_ipld_dagcbor::to_vec(
                &serde_json::json!({"seq": 2, "time": "2026-01-01T00:00:00.000Z", "active": true}),
            )
            .unwrap(),
        );
        assert_eq!(
            decode_frame(&bytes).unwrap(),
            Frame::Message {
                kind: "#account".into(),
                seq: Some(2),
                time: Some("2026-01-01T00:00:00.000Z".into()),
                name: None
            }
        );
    }

    #[test]
    fn error_frame() {
        let mut bytes = vec![0xa1, 0x62, 0x6f, 0x70, 0x20]; // {"op":-1}
        bytes.extend(
            serde_ipld_dagcbor::to_vec(
                &serde_json::json!({"error": "FutureCursor", "message": "Cursor in the future."}),
            )
            .unwrap(),
        );
        assert_eq!(
            decode_frame(&bytes).unwrap(),
            Frame::Error {
                error: "FutureCursor".into(),
                message: Some("Cursor in the future.".into())
            }
        );
    }

    #[test]
    fn garbage_and_truncation_are_errors() {
        assert!(decode_frame(&[]).is_err());
        assert!(decode_frame(&[0xff, 0x00]).is_err());
        assert!(decode_frame(&[0xa1, 0x62, 0x6f, 0x70, 0x20]).is_err()); // header without body
        assert!(matches!(
            decode_frame(&[0xa1, 0x62, 0x6f, 0x70, 0x02, 0xa0]),
            Err(FrameError::UnknownOp(2))
        ));
    }
}
