//! ATProto health probes: PDS, relay, jetstream, PLC, labeler, feed generator, handle
