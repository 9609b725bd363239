# jetstream: the AT Protocol firehose as JSON over websockets, from
# bluesky-social/jetstream (the rewrite; the old jetstream's code lives in
# this repository's history). nixpkgs has no jetstream package.
#
# Both zstd dictionaries are compiled in (go:embed in
# internal/subscribe/compress.go): the v1 dictionary that `?compress=true`
# clients (microcosm's jetstream crate among them) decode with, byte for byte
# the one microcosm-rs ships, and the current v2 one, which the server also
# serves at /xrpc/network.bsky.jetstream.getZstdDictionary. No file to
# install or configure.
{
  lib,
  buildGoModule,
  fetchSource,
  mkUpdateScript,
  testers,
}:

let
  source = lib.importJSON ./source.json;
in
buildGoModule {
  pname = "jetstream";
  inherit (source) version vendorHash;

  src = fetchSource ./source.json;

  subPackages = [ "cmd/jetstream" ];

  ldflags = [
    "-s"
    "-w"
  ];

  passthru = {
    inherit source;
    updateScript = mkUpdateScript { package = "jetstream"; };
    tests.vm = testers.runNixOSTest {
      imports = [ ../../tests/nixos/bluesky-jetstream.nix ];
      defaults.imports = [ ../../modules/bluesky/jetstream.nix ];
    };
  };

  meta = {
    description = "AT Protocol firehose turned into JSON over websockets";
    homepage = "https://github.com/bluesky-social/jetstream";
    # LICENSE-DUAL: MIT or Apache-2.0, at the user's choice.
    license = with lib.licenses; [
      mit
      asl20
    ];
    mainProgram = "jetstream";
    platforms = lib.platforms.linux;
  };
}
