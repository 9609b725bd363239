# Evaluation driver for crates/atnix-eval. Called as
#   nix-instantiate --eval --strict --json tests/eval/driver.nix \
#     --argstr nixpkgsLib DIR --argstr root REPO --argstr mode MODE [--argstr file F] [--argstr case C]
# Modes:
#   modules   names of every module in modules/default.nix and fixtures/default.nix,
#             and of every profile in profiles/default.nix
#   describe  one case file: its module, case names, expected assertions, smoke spec
#   case      evaluate one case: failed assertions, warnings and, when no assertion
#             fails, the enabled systemd services, sockets and timers as plain data
#             (rendered to unit files by atnix-eval), users, groups and tmpfiles.
#   stub-options  every option the stubs declare (name, type description,
#             rendered default), for the conformance check against nixos-facts/
#   flake     flake.nix's outputs with the stub pkgs as its nixpkgs input
#   nur-list  the derivations default.nix exports, found as nix-env finds them
#   nur       one of them (--argstr case ATTR): its drvPath, outPaths and meta,
#             forced with the stub pkgs at nixpkgs' default config (allowBroken =
#             false), as NUR's `nix-env -qa --meta --drv-path` forces them
#   vmtests   the VM tests in tests/nixos/default.nix: name -> node names
#   vmtest    one VM test (--argstr case NAME) as runNixOSTest evaluates it:
#             the test module itself, its testScript as a string, and every
#             node with all of our modules imported (as the flake's checks do);
#             per node the same answer as `case`
{
  nixpkgsLib,
  root,
  mode,
  file ? "",
  case ? "",
}:
let
  lib = import nixpkgsLib;
  rootPath = /. + root;
  evalDir = rootPath + "/tests/eval";
  modules = import (rootPath + "/modules");
  fixtures = import (evalDir + "/fixtures");
  # A profile is evaluated with every atnix module imported, as a host using
  # it would (profiles/default.nix).
  profiles = lib.mapAttrs (_: path: {
    imports = [ path ] ++ lib.attrValues modules;
  }) (lib.optionalAttrs (builtins.pathExists (rootPath + "/profiles")) (import (rootPath + "/profiles")));
  allModules = modules // fixtures // profiles;

  pkgs = import (evalDir + "/pkgs.nix") {
    inherit lib;
    root = rootPath;
  };

  # nixos/lib/utils.nix (the parts modules call).
  utils = rec {
    escapeSystemdExecArg =
      arg:
      let
        s =
          if lib.isPath arg then
            "${arg}"
          else if lib.isString arg then
            arg
          else if lib.isInt arg || lib.isFloat arg || lib.isDerivation arg then
            toString arg
          else
            throw "escapeSystemdExecArg only allows strings, paths, numbers and derivations";
      in
      lib.replaceStrings [ "%" "$" ] [ "%%" "$$" ] (builtins.toJSON s);
    escapeSystemdExecArgs = lib.concatMapStringsSep " " escapeSystemdExecArg;
    escapeSystemdPath =
      s:
      let
        replacePrefix =
          p: r: s:
          (if (lib.hasPrefix p s) then r + (lib.removePrefix p s) else s);
        trim = s: lib.removeSuffix "/" (lib.removePrefix "/" s);
        normalizedPath = lib.strings.normalizePath s;
      in
      lib.replaceStrings [ "/" ] [ "-" ] (
        replacePrefix "." (lib.strings.escapeC [ "." ] ".") (
          lib.strings.escapeC (lib.stringToCharacters " !\"#$%&'()*+,;<=>=@[\\]^`{|}~-") (
            if normalizedPath == "/" then normalizedPath else trim normalizedPath
          )
        )
      );
  };

  # The package set NUR evaluates default.nix with: nixpkgs' default config.
  nurPkgs = import (evalDir + "/pkgs.nix") {
    inherit lib;
    root = rootPath;
    config = { };
  };

  # nix-env's getDerivations: top-level derivations, and attribute sets with
  # `recurseForDerivations = true`, recursively; name -> derivation.
  nixEnvDerivations =
    prefix: set:
    lib.concatMapAttrs (
      name: v:
      let
        path = if prefix == "" then name else "${prefix}.${name}";
      in
      if lib.isDerivation v then
        { ${path} = v; }
      else if lib.isAttrs v && (v.recurseForDerivations or false) then
        nixEnvDerivations path v
      else
        { }
    ) set;
  nurExports = import rootPath { pkgs = nurPkgs; };
  # What nix-env lists, plus the packages default.nix keeps out of its reach
  # because they fetch while evaluating (`unrestricted`): those must still
  # give their drvPath and meta where evaluation may fetch.
  nurDerivations =
    nixEnvDerivations "" nurExports
    // lib.mapAttrs' (n: lib.nameValuePair "unrestricted.${n}") (nurExports.unrestricted or { });

  # VM tests: name -> path, and one evaluated as the runNixOSTest stub does.
  vmTests = import (rootPath + "/tests/nixos");
  evalVmTest =
    path:
    lib.evalModules {
      modules = [
        (evalDir + "/nixos-test.nix")
        path
        { _module.args.hostPkgs = pkgs; }
      ];
    };

  loadCaseFile =
    f:
    let
      spec = import f { inherit pkgs lib; };
    in
    spec;

  # Values as systemd-lib's toOption sees them: strings, bools, ints, lists.
  # Derivations and paths become their string form (toString does not copy a
  # path to the store, exactly like toOption); floats are printed by Nix.
  plain =
    v:
    if lib.isList v then
      map plain v
    else if lib.isDerivation v || (lib.isAttrs v && v ? outPath) then
      toString v
    else if lib.isPath v then
      toString v
    else if lib.isFloat v then
      toString v
    else if v == null then
      ""
    else if lib.isAttrs v then
      throw "a systemd directive has an attribute set as value: ${builtins.toJSON (lib.attrNames v)}"
    else
      v;
  plainAttrs = lib.mapAttrs (_: plain);

  install = u: {
    inherit (u)
      wantedBy
      requiredBy
      upheldBy
      aliases
      ;
  };

  jobScriptTexts =
    name: s:
    lib.listToAttrs (
      lib.concatMap (
        { opt, suffix }:
        lib.optional (s.${opt} != "") (
          let
            drv = pkgs.__atnix.jobScript {
              name = "${name}-${suffix}";
              text = s.${opt};
              inherit (s) enableStrictShellChecks;
            };
          in
          lib.nameValuePair (lib.getExe drv) drv.text
        )
      ) [
        { opt = "preStart"; suffix = "pre-start"; }
        { opt = "script"; suffix = "start"; }
        { opt = "postStart"; suffix = "post-start"; }
        { opt = "reload"; suffix = "reload"; }
        { opt = "preStop"; suffix = "pre-stop"; }
        { opt = "postStop"; suffix = "post-stop"; }
      ]
    );

  evalCase =
    f: caseName:
    let
      spec = loadCaseFile f;
      c = spec.cases.${caseName};
      modulePath =
        allModules.${spec.module}
          or (throw "case file ${toString f}: module `${spec.module}' is not in modules/default.nix");
    in
    evalConfig (
      [ modulePath ]
      # Other atnix modules the case runs beside this one (a service and the
      # host it talks to), by their names in modules/default.nix.
      ++ map (
        m:
        modules.${m}
          or (throw "case file ${toString f}, case ${caseName}: withModules names `${m}', which is not in modules/default.nix")
      ) (c.withModules or [ ])
      ++ [
        {
          _file = "${toString f}#cases.${caseName}";
          config = c.config or { };
        }
      ]
    );

  # A NixOS configuration of the stubs plus `extraModules`, as plain data.
  evalConfig =
    extraModules:
    let
      evaluated = lib.evalModules {
        modules =
          import (evalDir + "/stubs")
          ++ extraModules
          ++ [
            {
              config._module.args = {
                inherit pkgs utils;
              };
            }
          ];
        specialArgs.modulesPath = evalDir + "/stubs";
      };
      cfg = evaluated.config;
      failed = map (a: a.message) (lib.filter (a: !a.assertion) cfg.assertions);
      enabled = lib.filterAttrs (_: u: u.enable);
      services = lib.mapAttrs' (
        name: s:
        lib.nameValuePair "${name}.service" (
          install s
          // {
            kind = "service";
            unitConfig = plainAttrs s.unitConfig;
            serviceConfig = plainAttrs s.serviceConfig;
            environment = lib.mapAttrs (_: v: if v == null then null else "${v}") (
              cfg.systemd.globalEnvironment // s.environment
            );
            inherit (s)
              restartIfChanged
              reloadIfChanged
              stopIfChanged
              notSocketActivated
              ;
            scripts = jobScriptTexts name s;
          }
        )
      ) (enabled cfg.systemd.services);
      sockets = lib.mapAttrs' (
        name: s:
        lib.nameValuePair "${name}.socket" (
          install s
          // {
            kind = "socket";
            unitConfig = plainAttrs s.unitConfig;
            socketConfig = plainAttrs s.socketConfig;
            inherit (s) listenStreams listenDatagrams;
          }
        )
      ) (enabled cfg.systemd.sockets);
      timers = lib.mapAttrs' (
        name: s:
        lib.nameValuePair "${name}.timer" (
          install s
          // {
            kind = "timer";
            unitConfig = plainAttrs s.unitConfig;
            timerConfig = plainAttrs s.timerConfig;
          }
        )
      ) (enabled cfg.systemd.timers);
    in
    {
      failedAssertions = failed;
      warnings = cfg.warnings;
      result =
        if failed != [ ] then
          null
        else
          {
            units = services // sockets // timers;
            users = lib.mapAttrs (_: u: {
              inherit (u)
                name
                uid
                isSystemUser
                group
                home
                createHome
                ;
            }) (lib.filterAttrs (_: u: u.enable) cfg.users.users);
            groups = lib.mapAttrs (_: g: { inherit (g) name gid; }) cfg.users.groups;
            tmpfiles = cfg.systemd.tmpfiles.rules;
            tmpfilesSettings = cfg.systemd.tmpfiles.settings;
            firewall = {
              inherit (cfg.networking.firewall) allowedTCPPorts allowedUDPPorts;
            };
          };
    };
in
if mode == "modules" then
  {
    modules = lib.attrNames modules;
    fixtures = lib.attrNames fixtures;
    profiles = lib.attrNames profiles;
  }
else if mode == "describe" then
  let
    spec = loadCaseFile (/. + file);
  in
  {
    module = spec.module;
    cases = lib.mapAttrs (_: c: { expectAssertion = c.expectAssertion or null; }) spec.cases;
    smoke = spec.smoke or null;
  }
else if mode == "case" then
  evalCase (/. + file) case
else if mode == "stub-options" then
  # Every option the stubs declare (submodule options as `<name>` and `*`),
  # as the NixOS manual lists it: type description and rendered default.
  let
    evaluated = lib.evalModules {
      # With the VM-only stubs, which VM test nodes get (mode vmtest).
      modules =
        import (evalDir + "/stubs")
        ++ [
          (evalDir + "/stubs/vm/qemu-vm.nix")
          { config._module.args = { inherit pkgs utils; }; }
        ];
      specialArgs.modulesPath = evalDir + "/stubs";
    };
    formats = lib.mapAttrs (name: f: {
      name = "pkgs.formats.${name}";
      type = (f { }).type.description;
    }) (removeAttrs pkgs.formats [ "yaml" ]);
  in
  map (o: {
    inherit (o) name type;
    default = if o ? default then o.default.text or (builtins.toJSON o.default) else null;
  }) (lib.filter (o: o.visible or true && !(o.internal or false)) (lib.optionAttrSetToDocList evaluated.options))
  ++ lib.attrValues formats
else if mode == "flake" then
  # flake.nix's outputs with the stub pkgs as its nixpkgs input (a fake
  # source path): every package, check and dev shell gives its drvPath, every
  # module and template is a path, and the dev shell points NIXPKGS_LIB at the
  # input's own lib.
  let
    nixpkgsInput = {
      inherit lib;
      outPath = pkgs.__atnix.storePath "flake-input-nixpkgs" "source";
      legacyPackages = lib.genAttrs [ "x86_64-linux" "aarch64-linux" ] (_: nurPkgs);
    };
    flake = import (rootPath + "/flake.nix");
    outputs = flake.outputs {
      self = outputs // {
        outPath = rootPath;
      };
      nixpkgs = nixpkgsInput;
    };
    drvPaths = lib.mapAttrs (_: lib.mapAttrs (_: d: d.drvPath));
  in
  {
    inputs = lib.attrNames flake.inputs;
    packages = drvPaths outputs.packages;
    checks = drvPaths outputs.checks;
    devShells = drvPaths outputs.devShells;
    devShellNixpkgsLib = lib.mapAttrs (_: s: s.default.NIXPKGS_LIB) outputs.devShells;
    expectedNixpkgsLib = "${nixpkgsInput}/lib";
    nixosModules = lib.mapAttrs (_: m: if lib.isPath m then toString m else "module") outputs.nixosModules;
    templates = lib.mapAttrs (_: t: toString t.path) outputs.templates;
    formatter = drvPaths { inherit (outputs) formatter; };
    lib = lib.attrNames outputs.lib;
    overlays = lib.attrNames outputs.overlays;
  }
else if mode == "nur-list" then
  lib.attrNames nurDerivations
else if mode == "nur" then
  let
    d = nurDerivations.${case} or (throw "default.nix exports no derivation `${case}'");
    # Meta as nix-env --meta prints it: every value forced.
    meta = builtins.deepSeq d.meta d.meta;
  in
  {
    inherit (d) name drvPath;
    outPaths = lib.genAttrs d.outputs (o: d.${o}.outPath);
    meta = lib.attrNames meta;
  }
else if mode == "vmtests" then
  lib.mapAttrs (_: path: lib.attrNames (evalVmTest path).config.nodes) vmTests
else if mode == "vmtest" then
  let
    test = evalVmTest (vmTests.${case} or (throw "tests/nixos/default.nix has no test `${case}'"));
    tc = test.config;
    nodeModules = name: [
      tc.defaults
      tc.nodeDefaults
      tc.nodes.${name}
      # Options NixOS declares for virtual machines only (qemu-vm.nix).
      (evalDir + "/stubs/vm/qemu-vm.nix")
      # runNixOSTest's flake check: every module of ours on every node.
      { imports = lib.attrValues modules; }
      {
        _module.args = {
          inherit name;
          nodes = nodeConfigs;
        };
      }
    ];
    nodeConfigs = lib.mapAttrs (
      name: _:
      (lib.evalModules {
        modules =
          import (evalDir + "/stubs")
          ++ nodeModules name
          ++ [ { config._module.args = { inherit pkgs utils; }; } ];
        specialArgs.modulesPath = evalDir + "/stubs";
      }).config
    ) tc.nodes;
    script =
      if lib.isFunction tc.testScript then
        tc.testScript (builtins.intersectAttrs (lib.functionArgs tc.testScript) { nodes = nodeConfigs; })
      else
        tc.testScript;
  in
  {
    inherit (tc) name;
    testScript = if lib.isString script then script else throw "testScript is not a string";
    nodes = lib.mapAttrs (name: _: evalConfig (nodeModules name)) tc.nodes;
  }
else
  throw "driver.nix: unknown mode `${mode}' (modules, describe, case, nur-list, nur, vmtests, vmtest)"
