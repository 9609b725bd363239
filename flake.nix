{
  description = "atnix: AT Protocol on Nix (packages, hardened NixOS modules and the atnix toolkit)";

  # The only public input. Tooling stays out of the inputs so that users who
  # follow our nixpkgs pull in nothing else.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;

      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAllSystems = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});

      # name -> path, as NUR wants modules (paths, not functions).
      modules = import ./modules;

      # name -> path of a NixOS VM test in runTest style (tests/nixos/default.nix).
      vmTests = import ./tests/nixos;

      ourPackages = pkgs: import ./pkgs { inherit pkgs; };
    in
    {
      lib = import ./lib { inherit lib; };

      overlays.default = import ./overlay.nix;

      nixosModules = modules // {
        default.imports = lib.attrValues modules;
      };

      packages = forAllSystems (
        pkgs:
        let
          ours = ourPackages pkgs;
        in
        ours // { default = ours.atnix; }
      );

      # Each package builds (and runs its own tests), and each VM test runs
      # with every module of ours imported on every node. The VM tests need
      # KVM; run them with `nix flake check` or `nix build .#checks.<system>.nixos-<name>`.
      checks = forAllSystems (
        pkgs:
        ourPackages pkgs
        // lib.mapAttrs' (
          name: path:
          lib.nameValuePair "nixos-${name}" (
            pkgs.testers.runNixOSTest {
              imports = [ path ];
              defaults.imports = [ self.nixosModules.default ];
            }
          )
        ) vmTests
      );

      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          packages = with pkgs; [
            rustc
            cargo
            clippy
            rustfmt
            nix
            # RFC 166 formatter; `nixfmt-rfc-style` is only a deprecated alias of it.
            nixfmt
            systemd # systemd-analyze, for `atnix harden`
            git # `atnix prefetch` reads repositories with the git CLI
          ];
          # Module evaluation (`atnix eval`, scripts/test) with the lib of our
          # own nixpkgs input, so a contributor with Nix needs no extra clone.
          NIXPKGS_LIB = "${nixpkgs}/lib";
        };
      });

      formatter = forAllSystems (pkgs: pkgs.nixfmt-tree);

      templates = {
        # Files laid out as in this repository: run `nix flake init` at the
        # root of a checkout. templates/README.md has the steps after it.
        package = {
          path = ./templates/package;
          description = "Package skeleton for this repository: pkgs/example/package.nix and pkgs/example/source.json";
          welcomeText = ''
            Created pkgs/example/package.nix and pkgs/example/source.json.
            1. Rename pkgs/example and `pname` (pkgs/default.nix finds the folder).
            2. Fill source.json (its empty fields fail `atnix check` until then):
               set "owner" and "repo", then
                 atnix prefetch https://github.com/OWNER/REPO --rev COMMIT --write pkgs/NAME/source.json
                 atnix vendor-hash cargo PATH/TO/Cargo.lock --write pkgs/NAME/source.json
            3. Write the real meta, then run scripts/test. See templates/README.md.
          '';
        };
        service = {
          path = ./templates/service;
          description = "Hardened service for this repository: modules/example.nix, tests/eval/cases/example.nix, tests/nixos/example.nix";
          welcomeText = ''
            Created modules/example.nix (the module), tests/eval/cases/example.nix
            (evaluation cases and smoke test) and tests/nixos/example.nix (VM test).
            1. Rename `example` in the three files and in their names.
            2. Nothing to register: modules, cases, VM tests and help fixtures are
               found by their names (`atnix check` reports a missing one).
            3. Take flags, ports and state paths from upstream's source at the
               pinned rev, then run scripts/test. See templates/README.md.
          '';
        };
        production = {
          path = ./templates/production;
          description = "A colmena hive of five hosts with profiles/production: PostgreSQL, Garage, two relays, HAProxy and monitoring";
          welcomeText = ''
            Created flake.nix (the colmena output), hive.nix, hosts.nix and production.nix.
            1. Put your hosts' private addresses and SSH names in hosts.nix.
            2. Add db-ca.pem (the CA of the PostgreSQL server certificate) and the secrets
               hive.nix uploads (./secrets, outside version control).
            3. colmena apply --on @database,@objectstore, then the rest; see docs/production.md.
          '';
        };
        default = self.templates.package;
      };
    };
}
