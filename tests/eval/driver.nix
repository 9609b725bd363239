# Evaluation driver for crates/atnix-eval. Called as
#   nix-instantiate --eval --strict --json tests/eval/driver.nix \
#     --argstr nixpkgsLib DIR --argstr root REPO --argstr mode MODE [--argstr file F] [--argstr case C]
# Modes:
#   modules   names of every module in modules/default.nix and fixtures/default.nix
#   describe  one case file: its module, case names, expected assertions, smoke spec
#   case      evaluate one case: failed assertions, warnings and, when no assertion
#             fails, the enabled systemd services, sockets and timers as plain data
#             (rendered to unit files by atnix-eval), users, groups and tmpfiles.
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
  allModules = modules // fixtures;

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
      evaluated = lib.evalModules {
        modules = import (evalDir + "/stubs") ++ [
          modulePath
          {
            _file = "${toString f}#cases.${caseName}";
            config = c.config or { };
          }
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
else
  throw "driver.nix: unknown mode `${mode}' (modules, describe, case)"
