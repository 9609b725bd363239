//! Property tests for the firehose frame decoder: no input makes it panic, and every
//! well-formed header+body pair decodes to what was encoded.

use std::collections::BTreeMap;

use atnix_probe::frame::{Frame, decode_frame};
use proptest::prelude::*;
use serde::Serialize;

#[derive(Serialize)]
struct Header {
    op: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    t: Option<String>,
}

/// A DAG-CBOR-encodable value of bounded depth (ints, strings, bytes, lists, maps).
fn value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(serde_json::Value::from),
        any::<bool>().prop_map(serde_json::Value::from),
        ".{0,16}".prop_map(serde_json::Value::from),
        Just(serde_json::Value::Null),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::btree_map("[a-z]{1,8}", inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_frame(&bytes);
    }

    #[test]
    fn mutated_valid_frames_never_panic(
        seq in any::<i64>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = serde_ipld_dagcbor::to_vec(&Header { op: 1, t: Some("#commit".into()) }).unwrap();
        bytes.extend(serde_ipld_dagcbor::to_vec(&serde_json::json!({"seq": seq, "time": "2026-01-01T00:00:00Z", "ops": [], "blocks": [1, 2, 3]})).unwrap());
        for (i, b) in flips {
            let i = i.index(bytes.len());
            bytes[i] ^= b;
        }
        let _ = decode_frame(&bytes);
        let _ = decode_frame(&bytes[..cut.index(bytes.len() + 1)]);
    }

    #[test]
    fn messages_round_trip(
        kind in "#[a-z]{1,10}",
        seq in any::<i64>(),
        time in ".{0,30}",
        extra in prop::collection::btree_map("[a-z]{9,12}", value(), 0..4),
    ) {
        let mut bytes = serde_ipld_dagcbor::to_vec(&Header { op: 1, t: Some(kind.clone()) }).unwrap();
        let mut body: BTreeMap<String, serde_json::Value> = extra.into_iter().collect();
        body.insert("seq".into(), seq.into());
        body.insert("time".into(), time.clone().into());
        bytes.extend(serde_ipld_dagcbor::to_vec(&body).unwrap());
        prop_assert_eq!(
            decode_frame(&bytes).unwrap(),
            Frame::Message { kind, seq: Some(seq), time: Some(time), name: None }
        );
    }

    #[test]
    fn error_frames_round_trip(error in ".{1,20}", message in proptest::option::of(".{0,40}")) {
        let mut bytes = serde_ipld_dagcbor::to_vec(&Header { op: -1, t: None }).unwrap();
        let mut body = serde_json::json!({"error": error});
        if let Some(m) = &message {
            body["message"] = m.clone().into();
        }
        bytes.extend(serde_ipld_dagcbor::to_vec(&body).unwrap());
        prop_assert_eq!(decode_frame(&bytes).unwrap(), Frame::Error { error, message });
    }

    #[test]
    fn trailing_garbage_is_rejected(tail in prop::collection::vec(any::<u8>(), 1..16)) {
        let mut bytes = serde_ipld_dagcbor::to_vec(&Header { op: 1, t: Some("#info".into()) }).unwrap();
        bytes.extend(serde_ipld_dagcbor::to_vec(&serde_json::json!({"name": "OutdatedCursor"})).unwrap());
        prop_assert!(decode_frame(&bytes).is_ok());
        bytes.extend(tail);
        prop_assert!(decode_frame(&bytes).is_err());
    }
}

/// A `#commit` body with CIDs (tag 42) and bytes, as a PDS sends it, still decodes.
#[test]
fn commit_with_cid_links() {
    let cid = ipld_core::cid::Cid::try_from(
        "bafyreigz5lrw74julrxi4an2darpnbe5efz6zhvxoksvi2vejo2xz64oqe",
    )
    .unwrap();
    let mut body = BTreeMap::new();
    body.insert("seq", ipld_core::ipld::Ipld::Integer(5));
    body.insert(
        "time",
        ipld_core::ipld::Ipld::String("2026-11-25T20:43:30.123Z".into()),
    );
    body.insert("commit", ipld_core::ipld::Ipld::Link(cid));
    body.insert(
        "blocks",
        ipld_core::ipld::Ipld::Bytes(vec![0x0a, 0xa1, 0x65]),
    );
    body.insert(
        "ops",
        ipld_core::ipld::Ipld::List(vec![ipld_core::ipld::Ipld::Map(
            [
                ("cid".to_string(), ipld_core::ipld::Ipld::Link(cid)),
                ("action".to_string(), "create".into()),
            ]
            .into_iter()
            .collect(),
        )]),
    );
    body.insert("since", ipld_core::ipld::Ipld::Null);
    let mut bytes = serde_ipld_dagcbor::to_vec(&Header {
        op: 1,
        t: Some("#commit".into()),
    })
    .unwrap();
    bytes.extend(serde_ipld_dagcbor::to_vec(&body).unwrap());
    assert_eq!(
        decode_frame(&bytes).unwrap(),
        Frame::Message {
            kind: "#commit".into(),
            seq: Some(5),
            time: Some("2026-11-25T20:43:30.123Z".into()),
            name: None
        }
    );
}
