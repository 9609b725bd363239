# Stub `pkgs` for the evaluation harness (crates/atnix-eval).
#
# Nothing here builds: every derivation is a fake attribute set with a
# deterministic `/nix/store/<32 nix32 chars>-<name>` outPath computed from its
# name (and, for text writers, its contents), so that rendered units name
# stable paths. It supplies the nixpkgs functions our package files and
# modules call, and our own packages through pkgs/default.nix. A package file
# asking for an argument missing here fails evaluation, which is the point:
# add the argument below rather than guessing in the package.
#
# The trivial builders' shapes follow pkgs/build-support/trivial-builders
# (the commit read was not recorded); pkgs.formats follows formats.nix at the
# commit named below.
#
# Like real nixpkgs (pkgs/stdenv/generic/check-meta.nix), a builder's
# derivation whose meta makes it unavailable (broken, unfree, insecure, or not
# for this platform) throws "refusing to evaluate" when its drvPath or outPath
# is read, unless `config` allows it. The defaults are nixpkgs' defaults
# (allowBroken = allowUnfree = false), which is what NUR's check evaluates
# with.
{
  lib,
  root,
  config ? { },
  # Set for NUR's restricted nix-env check: builtins.fetchGit calls that
  # nixpkgs makes while evaluating (importCargoLock's allowBuiltinFetchGit)
  # are really made, so restricted evaluation refuses them as on NUR.
  fetchGitAtEvaluation ? false,
}:
let
  hostPlatform = lib.systems.elaborate "x86_64-linux";

  # check-meta.nix: the reasons a package may not be evaluated.
  invalidReasons =
    meta:
    let
      licenses = lib.toList (meta.license or [ ]);
    in
    lib.optional ((meta.broken or false) && !(config.allowBroken or false)) "is marked as broken"
    ++ lib.optional (
      lib.any (l: !(l.free or true)) licenses && !(config.allowUnfree or false)
    ) "has an unfree license"
    ++ lib.optional (
      (meta.knownVulnerabilities or [ ]) != [ ] && !(config.allowInsecure or false)
    ) "is marked as insecure"
    ++ lib.optional (
      !(lib.meta.availableOn hostPlatform { inherit meta; }) && !(config.allowUnsupportedSystem or false)
    ) "is not available on the requested hostPlatform (${hostPlatform.system})";
  nix32 = lib.stringToCharacters "0123456789abcdfghijklmnpqrsvwxyz";
  hexValue = c: lib.toIntBase10 (toString (lib.lists.findFirstIndex (x: x == c) 0 (lib.stringToCharacters "0123456789abcdef")));
  # 32 characters of the nix32 alphabet derived from sha256(seed).
  storeHash =
    seed:
    lib.concatMapStrings (c: builtins.elemAt nix32 (2 * hexValue c)) (
      lib.stringToCharacters (builtins.substring 0 32 (builtins.hashString "sha256" seed))
    );
  storePath = seed: name: "/nix/store/${storeHash seed}-${name}";

  # A fake derivation. `seed` defaults to the name; text writers add contents.
  # Reading drvPath or an outPath of one that check-meta refuses throws.
  mkFake =
    args:
    let
      name = args.name or "${args.pname}-${args.version or "0"}";
      seed = args.__seed or name;
      outputs = args.outputs or [ "out" ];
      meta = args.meta or { };
      reasons = invalidReasons meta;
      valid =
        reasons == [ ]
        || throw "Package ‘${name}’ ${lib.concatStringsSep ", " reasons}, refusing to evaluate (stub of nixpkgs' check-meta; config: allowBroken = ${lib.boolToString (config.allowBroken or false)}).";
      outFor =
        o: assert valid; storePath "${seed}!${o}" (if o == "out" then name else "${name}-${o}");
      self =
        removeAttrs args [ "__seed" ]
        // (args.passthru or { })
        // {
          type = "derivation";
          inherit name outputs;
          outPath = outFor "out";
          drvPath = assert valid; storePath "${seed}!drv" "${name}.drv";
          out = self;
          outputName = "out";
          system = "x86_64-linux";
          meta = meta // {
            available = reasons == [ ];
          };
          overrideAttrs =
            f:
            let
              new = if builtins.isFunction f then f args else f;
              new' = if builtins.isFunction new then new args else new;
            in
            mkFake (args // new');
          override = _: self;
          __toString = s: s.outPath;
        }
        // lib.genAttrs (lib.remove "out" outputs) (
          o:
          self
          // {
            outPath = outFor o;
            outputName = o;
          }
        );
    in
    self;

  mkPackage = pname: mkFake {
    inherit pname;
    version = "0-stub";
    meta.mainProgram = pname;
  };

  # mkDerivation-style builders accept attrs or a `finalAttrs:` function.
  mkBuilder =
    extra: argsOrFun:
    let
      args =
        if builtins.isFunction argsOrFun then
          lib.fix (finalAttrs: argsOrFun (finalAttrs // { finalPackage = drv; }))
        else
          argsOrFun;
      drv = mkFake (args // extra);
    in
    drv;

  fetcher =
    kind: args:
    mkFake {
      name = args.name or "source";
      __seed = "${kind}:${builtins.toJSON (removeAttrs args [ "passthru" "meta" ])}";
      passthru = args;
    };

  # rustPlatform.importCargoLock (pkgs/build-support/rust/import-cargo-lock.nix):
  # a git dependency is fetched with fetchgit when `outputHashes` has a hash
  # for one of its crates at that commit (keyed "<name>-<version>"), else with
  # builtins.fetchGit at evaluation time when `allowBuiltinFetchGit`, else it
  # is an error. The stub only really calls builtins.fetchGit when the harness
  # asks for it (`fetchGitAtEvaluation`, for NUR's restricted nix-env check,
  # where the call fails as it does on NUR); elsewhere it records it.
  importCargoLock =
    {
      lockFile ? null,
      lockFileContents ? null,
      outputHashes ? { },
      allowBuiltinFetchGit ? false,
      ...
    }:
    let
      text = if lockFileContents != null then lockFileContents else builtins.readFile lockFile;
      packages = (builtins.fromTOML text).package or [ ];
      gitOf =
        p:
        let
          m = builtins.match "git\\+([^?#]*)(\\?[^#]*)?#([0-9a-f]{40})" (p.source or "");
        in
        if m == null then
          null
        else
          {
            url = builtins.elemAt m 0;
            rev = builtins.elemAt m 2;
          };
      gitPackages = builtins.filter (p: gitOf p != null) packages;
      revOf = lib.listToAttrs (
        map (p: lib.nameValuePair "${p.name}-${p.version}" (gitOf p).rev) gitPackages
      );
      hashedRevs = lib.mapAttrsToList (
        nameVer: _:
        revOf.${nameVer}
          or (throw "A hash was specified for ${nameVer}, but there is no corresponding git dependency.")
      ) outputHashes;
      fetchOne =
        p:
        let
          g = gitOf p;
        in
        if lib.elem g.rev hashedRevs then
          "fetchgit:${g.url}:${g.rev}"
        else if allowBuiltinFetchGit then
          if fetchGitAtEvaluation then
            (builtins.fetchGit {
              inherit (g) url rev;
              allRefs = true;
              submodules = true;
            }).outPath
          else
            "builtins.fetchGit:${g.url}:${g.rev}"
        else
          throw "No hash was found while vendoring the git dependency ${p.name}-${p.version}. You can add a hash through the `outputHashes` argument of `importCargoLock`.";
    in
    fetcher "cargo-lock" {
      name = "cargo-vendor-dir";
      lock = builtins.hashString "sha256" text;
      git = map fetchOne gitPackages;
    };

  writeTextFile =
    {
      name,
      text,
      executable ? false,
      destination ? "",
      ...
    }:
    mkFake {
      inherit name;
      __seed = "text:${name}:${destination}:${text}";
      passthru = {
        inherit text executable destination;
      };
      meta = lib.optionalAttrs (lib.hasPrefix "/bin/" destination) {
        mainProgram = lib.removePrefix "/bin/" destination;
      };
    };

  # pkgs.formats: the value types of pkgs/pkgs-lib/formats.nix (read at
  # 001740f03dbdff478182996703602232e7ca5fc0; the search index holds no copy
  # at the flake.lock commit), so a value the real format refuses (a null in
  # TOML, a nested set in keyValue) fails here too; generated files are fake.
  formatValue =
    nullable: description:
    with lib.types;
    let
      base = oneOf [
        bool
        int
        float
        str
        path
        (attrsOf valueType)
        (listOf valueType)
      ];
      valueType = (if nullable then nullOr base else base) // {
        inherit description;
      };
    in
    valueType;
  generator =
    ext: name: value:
    mkFake {
      inherit name;
      __seed = "${ext}:${name}:${builtins.toJSON value}";
      passthru.value = value;
    };
  iniTypes =
    {
      listsAsDuplicateKeys ? false,
      listToValue ? null,
      atomsCoercedToLists ? null,
      ...
    }:
    assert listsAsDuplicateKeys -> listToValue == null;
    assert atomsCoercedToLists != null -> (listsAsDuplicateKeys || listToValue != null);
    with lib.types;
    let
      singleIniAtom =
        nullOr (oneOf [
          bool
          int
          float
          str
        ])
        // {
          description = "INI atom (null, bool, int, float or string)";
        };
      singleIniAtomOr =
        if atomsCoercedToLists == true then coercedTo singleIniAtom lib.singleton else either singleIniAtom;
      atom =
        if listsAsDuplicateKeys then
          singleIniAtomOr (listOf singleIniAtom)
          // {
            description = singleIniAtom.description + " or a list of them for duplicate keys";
          }
        else if listToValue != null then
          singleIniAtomOr (nonEmptyListOf singleIniAtom)
          // {
            description = singleIniAtom.description + " or a non-empty list of them";
          }
        else
          singleIniAtom;
      section =
        attrsOf atom
        // {
          description = "section of an INI file (attrs of " + atom.description + ")";
        };
    in
    {
      inherit atom section;
    };
  formats = {
    json =
      { }:
      {
        type = formatValue true "JSON value";
        generate = generator "json";
      };
    yaml = formats.yaml_1_1;
    yaml_1_1 =
      { }:
      {
        type = formatValue true "YAML 1.1 value";
        generate = generator "yaml";
      };
    yaml_1_2 =
      { }:
      {
        type = formatValue true "YAML 1.2 value";
        generate = generator "yaml";
      };
    toml =
      { }:
      {
        type = formatValue false "TOML value";
        generate = generator "toml";
      };
    ini =
      args:
      let
        t = iniTypes args;
      in
      {
        type = lib.types.attrsOf t.section;
        lib.types.atom = t.atom;
        generate = generator "ini";
      };
    keyValue =
      {
        listsAsDuplicateKeys ? false,
        listToValue ? null,
        ...
      }:
      assert listsAsDuplicateKeys -> listToValue == null;
      with lib.types;
      let
        singleAtom =
          nullOr (oneOf [
            bool
            int
            float
            str
          ])
          // {
            description = "atom (null, bool, int, float or string)";
          };
        atom =
          if listsAsDuplicateKeys then
            coercedTo singleAtom lib.singleton (listOf singleAtom)
            // {
              description = singleAtom.description + " or a list of them for duplicate keys";
            }
          else if listToValue != null then
            coercedTo singleAtom lib.singleton (nonEmptyListOf singleAtom)
            // {
              description = singleAtom.description + " or a non-empty list of them";
            }
          else
            singleAtom;
      in
      {
        type = attrsOf atom;
        generate = generator "keyValue";
      };
  };

  commonPackages = [
    "bash"
    "bashInteractive"
    "coreutils"
    "findutils"
    "gnugrep"
    "gnused"
    "gawk"
    "systemd"
    "openssl"
    "pkg-config"
    "sqlite"
    "zlib"
    "zstd"
    "lz4"
    "rocksdb"
    "rocksdb_9_10"
    "protobuf"
    "cmake"
    "perl"
    "python3"
    "nodejs"
    "nodejs_20"
    "nodejs_22"
    "nodejs_24"
    "pnpm"
    "pnpm_9"
    "pnpm_10"
    "go"
    "git"
    "nix"
    "curl"
    "jq"
    "openssh"
    "vips"
    "libvips"
    "postgresql"
    "postgresql_16"
    "postgresql_17"
    "haproxy"
    "garage"
    "garage_2"
    "prometheus-alertmanager"
    "socat"
    "minio-client"
    "redis"
    "valkey"
    "nginx"
    "nginxStable"
    "caddy"
    "restic"
    "gnutar"
    "cacert"
    "tzdata"
    "glibcLocales"
    "util-linux"
    "shadow"
    "clang"
    "llvmPackages"
    "libclang"
    "rustc"
    "cargo"
    "makeWrapper"
    "makeBinaryWrapper"
    "installShellFiles"
    "nix-update-script"
    "cctools"
    "darwin"
    "libiconv"
    "bzip2"
    "xz"
    "snappy"
    "jemalloc"
    "rust-jemalloc-sys"
    "oniguruma"
    "sqlite-interactive"
    "gcc"
    "stdenvNoCC"
    # pkgs/by-name/di/diesel-cli/package.nix (NixOS/nixpkgs@0777e16e09e7)
    "diesel-cli"
    # pkgs/top-level/all-packages.nix: ffmpeg without the X11/GUI inputs
    "ffmpeg-headless"
  ];
  fakes = lib.genAttrs commonPackages mkPackage;

  self =
    fakes
    // {
      inherit lib config;
      system = "x86_64-linux";
      stdenv = {
        mkDerivation = mkBuilder { };
        inherit hostPlatform;
        buildPlatform = hostPlatform;
        isLinux = true;
        isDarwin = false;
        cc = mkPackage "gcc";
        shellPackage = fakes.bash;
      };
      stdenvNoCC = self.stdenv;
      buildPackages = self;
      pkgsBuildHost = self;
      runtimeShell = "${fakes.bash}/bin/bash";
      callPackage = lib.callPackageWith self;
      newScope = extra: lib.callPackageWith (self // extra);

      rustPlatform = {
        # As in nixpkgs, a `cargoLock` is vendored by importCargoLock, so
        # the package's drvPath depends on the vendor directory's, and on
        # whatever importCargoLock fetches while evaluating.
        buildRustPackage =
          argsOrFun:
          let
            args = if builtins.isFunction argsOrFun then lib.fix argsOrFun else argsOrFun;
            cargoDeps = self.rustPlatform.importCargoLock args.cargoLock;
          in
          mkBuilder (lib.optionalAttrs (args ? cargoLock) {
            __seed = "rust:${args.pname or args.name}-${args.version or ""}:${cargoDeps.drvPath}";
            inherit cargoDeps;
          }) argsOrFun;
        bindgenHook = mkPackage "rust-bindgen-hook";
        cargoSetupHook = mkPackage "cargo-setup-hook";
        fetchCargoVendor = fetcher "cargo-vendor";
        importCargoLock = importCargoLock;
      };
      buildGoModule = mkBuilder { };
      buildNpmPackage = mkBuilder { };
      fetchNpmDeps = fetcher "npm-deps";
      importNpmLock = fetcher "npm-lock";
      pnpm = fakes.pnpm // {
        fetchDeps = fetcher "pnpm-deps";
        configHook = mkPackage "pnpm-config-hook";
      };
      fetchPnpmDeps = fetcher "pnpm-deps";
      pnpmConfigHook = mkPackage "pnpm-config-hook";
      # pkgs/build-support/node/fetch-yarn-deps/default.nix
      fetchYarnDeps = fetcher "yarn-deps";
      yarnConfigHook = mkPackage "yarn-config-hook";
      yarnBuildHook = mkPackage "yarn-build-hook";
      npmHooks = {
        npmConfigHook = mkPackage "npm-config-hook";
        npmInstallHook = mkPackage "npm-install-hook";
      };

      fetchFromGitHub = fetcher "github";
      fetchFromTangled = fetcher "tangled";
      fetchgit = fetcher "git";
      fetchurl = fetcher "url";
      fetchzip = fetcher "zip";

      writeTextFile = writeTextFile;
      writeText = name: text: writeTextFile { inherit name text; };
      writeScript =
        name: text:
        writeTextFile {
          inherit name text;
          executable = true;
        };
      writeShellScript =
        name: text:
        writeTextFile {
          inherit name;
          executable = true;
          text = "#!${self.runtimeShell}\n${text}";
        };
      writeShellScriptBin =
        name: text:
        writeTextFile {
          inherit name;
          executable = true;
          destination = "/bin/${name}";
          text = "#!${self.runtimeShell}\n${text}";
        };
      writeShellApplication =
        {
          name,
          text,
          runtimeInputs ? [ ],
          ...
        }:
        writeTextFile {
          inherit name;
          executable = true;
          destination = "/bin/${name}";
          text = "#!${self.runtimeShell}\nset -o errexit\nset -o nounset\nset -o pipefail\n\nexport PATH=\"${lib.makeBinPath runtimeInputs}:$PATH\"\n\n${text}";
        };
      runCommand =
        name: env: _script:
        mkFake (
          env
          // {
            inherit name;
            __seed = "runCommand:${name}:${_script}";
          }
        );
      runCommandLocal = self.runCommand;
      symlinkJoin =
        args:
        mkFake (
          args
          // {
            __seed = "symlinkJoin:${args.name}:${lib.concatMapStringsSep " " toString args.paths}";
          }
        );
      inherit formats;
      testers = {
        testVersion = args: mkFake { name = "test-version-${args.package.name}"; };
        # Evaluates the test-level options (tests/eval/nixos-test.nix): a
        # test without a name or with a testScript of the wrong type fails.
        # The driver's vmtest mode evaluates the nodes.
        runNixOSTest =
          test:
          let
            evaluated = lib.evalModules {
              modules = [
                (root + "/tests/eval/nixos-test.nix")
                test
                { _module.args.hostPkgs = self; }
              ];
            };
            inherit (evaluated.config) name testScript;
          in
          assert lib.isString testScript || lib.isFunction testScript;
          mkFake {
            name = "vm-test-run-${name}";
            passthru.config = evaluated.config;
          };
      };
      nixosTests = { };
      # python3.withPackages: the Python packages the VM tests' helpers use;
      # one missing here fails evaluation (add it rather than guess).
      python3 =
        let
          pythonPackages = lib.genAttrs [
            "websockets"
            "zstandard"
            "requests"
          ] (n: mkPackage "python3.13-${n}");
        in
        fakes.python3
        // {
          pkgs = pythonPackages;
          withPackages =
            f:
            mkFake {
              name = "python3-env";
              __seed = "python3-env:${lib.concatMapStringsSep " " (p: p.name) (f pythonPackages)}";
            };
        };
      # What the flake's devShell and formatter use.
      mkShell = args: mkFake ({ name = "nix-shell"; } // removeAttrs args [ "packages" ]);
      clippy = mkPackage "clippy";
      rustfmt = mkPackage "rustfmt";
      nixfmt = mkPackage "nixfmt";
      nixfmt-tree = mkPackage "nixfmt-tree";
      lndir = mkPackage "lndir";
      xorg.lndir = mkPackage "lndir";
      # nixpkgs' pname and mainProgram (pkgs/by-name/bl/bluesky-pds*): the
      # binaries are bin/pds and bin/pdsadmin.
      bluesky-pds = mkFake {
        pname = "pds";
        version = "0.4.208";
        meta.mainProgram = "pds";
      };
      bluesky-pdsadmin = mkFake {
        pname = "pdsadmin";
        version = "0.4.208";
        meta.mainProgram = "pdsadmin";
      };
    }
    // import (root + "/pkgs") { pkgs = self; };
in
self
// {
  # For the driver: the same hashing, to name generated unit scripts.
  __atnix = {
    inherit storeHash storePath mkFake;
    # nixos/lib/systemd-lib.nix makeJobScript, returning the derivation.
    jobScript =
      {
        name,
        text,
        enableStrictShellChecks,
      }:
      let
        scriptName = lib.replaceStrings [ "\\" "@" ] [ "-" "_" ] (
          lib.replaceStrings [ "\\" ] [ "\\\\" ] name
        );
      in
      (
        if !enableStrictShellChecks then
          self.writeShellScriptBin scriptName ''
            set -e

            ${text}
          ''
        else
          self.writeShellApplication {
            name = scriptName;
            inherit text;
          }
      ).overrideAttrs
        (_: {
          name = "unit-script-${scriptName}";
        });
  };
}
