{
  description = "An ATProto relay across five hosts with atnix's production profile, deployed with colmena";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    atnix = {
      url = "github:atnix/atnix";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs =
    { nixpkgs, atnix, ... }:
    {
      # Read by colmena's flake support (`colmena apply`, or one role at a
      # time: `colmena apply --on @app`); hosts are tagged with their roles.
      colmena = import ./hive.nix { inherit nixpkgs atnix; };
    };
}
