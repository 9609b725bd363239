# One derivation per indigo command (./commands.nix), from the pinned indigo
# module (./source.json). `go mod vendor` covers the whole module whatever
# `subPackages` says, so one vendorHash serves every command.
{
  lib,
  buildGoModule,
  fetchSource,
  mkUpdateScript,
  testers,
  command,
}:

let
  source = lib.importJSON ./source.json;
  cmd = (import ./commands.nix).${command};
in
buildGoModule {
  pname = "indigo-${command}";
  inherit (source) version vendorHash;

  src = fetchSource ./source.json;

  subPackages = [ "cmd/${command}" ];

  ldflags = [
    "-s"
    "-w"
  ];

  passthru = {
    inherit source command;
    updateScript = mkUpdateScript { package = "indigo"; };
    # The VM test leaves module imports to its runner (the flake imports
    # every atnix module); here only this command's module is needed.
    tests.vm = testers.runNixOSTest {
      imports = [ ../../tests/nixos/bluesky-${command}.nix ];
      defaults.imports = [ ../../modules/bluesky/${command}.nix ];
    };
  };

  meta = {
    inherit (cmd) description;
    homepage = "https://github.com/bluesky-social/indigo/tree/${source.rev}/cmd/${command}";
    # LICENSE-DUAL: MIT or Apache-2.0, at the user's choice.
    license = with lib.licenses; [
      mit
      asl20
    ];
    mainProgram = command;
    platforms = lib.platforms.linux;
  };
}
