# Stub of the NixOS systemd options our modules set: services, sockets,
# timers, targets, tmpfiles. Option names, types and the way a unit's text is
# assembled follow nixpkgs:
#   nixos/lib/systemd-lib.nix
#   nixos/lib/systemd-unit-options.nix
#   nixos/modules/system/boot/systemd.nix (startAt timers, default path)
# The commits they were read at were not recorded (this header used to name
# 013635633ffe11f70df1d639f563f21c42c1f778 and 01f31c2ee7d045a337dff0f858c0ed61dd0f4ddb;
# the search index holds neither, nor the flake.lock commit) and these options
# have no facts in ../nixos-facts/ yet. The unit text itself is checked against
# real systemd (atnix harden, atnix smoke).
# The driver (../driver.nix) exports the merged unit definitions as JSON; the
# unit text itself is written by crates/atnix-eval (render.rs), which mirrors
# systemd-lib's toOption/attrsToSection/serviceToUnit/socketToUnit/timerToUnit.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib)
    mkOption
    types
    mkIf
    mkMerge
    mkAfter
    ;
  cfg = config.systemd;
  nixosConfig = config;

  shellEscape = s: (lib.replaceStrings [ "\\" ] [ "\\\\" ] s);

  unitNameType = types.strMatching "[a-zA-Z0-9@%:_.\\-]+[.](service|socket|device|mount|automount|swap|target|path|timer|scope|slice)";

  # systemd-lib.nix checkUnitConfig / assertValueOneOf
  checkUnitConfig =
    group: checks: attrs:
    let
      defs = lib.mapAttrs (
        _: v:
        if v._type or "" == "override" then
          v.content
        else if v._type or "" == "if" then
          v.content
        else
          v
      ) attrs;
      errors = lib.concatMap (c: c group defs) checks;
    in
    if errors == [ ] then true else builtins.trace (lib.concatStringsSep "\n" errors) false;
  assertValueOneOf =
    name: values: group: attr:
    lib.optional (
      attr ? ${name} && !lib.elem attr.${name} values
    ) "Systemd ${group} field `${name}' cannot have value `${toString attr.${name}}'.";
  checkService = checkUnitConfig "Service" [
    (assertValueOneOf "Type" [
      "exec"
      "simple"
      "forking"
      "oneshot"
      "dbus"
      "notify"
      "notify-reload"
      "idle"
    ])
    (assertValueOneOf "Restart" [
      "no"
      "on-success"
      "on-failure"
      "on-abnormal"
      "on-abort"
      "always"
    ])
  ];

  unitOption = lib.mkOptionType {
    name = "systemd option";
    merge =
      loc: defs:
      let
        defs' = lib.filterOverrides defs;
      in
      if lib.any (def: lib.isList def.value) defs' then
        lib.concatMap (def: lib.toList def.value) defs'
      else
        lib.mergeEqualOption loc defs';
  };

  # systemd-lib.nix makeJobScript; the script derivation is built in the stub
  # pkgs (../pkgs.nix) so that the driver can export its text.
  makeJobScript = args: lib.getExe (pkgs.__atnix.jobScript args);

  sharedOptions = {
    enable = mkOption {
      default = true;
      type = types.bool;
      description = "If set to false, this unit will be a symlink to /dev/null.";
    };
    overrideStrategy = mkOption {
      default = "asDropinIfExists";
      type = types.enum [
        "asDropinIfExists"
        "asDropin"
      ];
      description = "Defines how unit configuration is provided for systemd.";
    };
    requiredBy = mkOption {
      default = [ ];
      type = types.listOf unitNameType;
      description = "Units that require this unit.";
    };
    upheldBy = mkOption {
      default = [ ];
      type = types.listOf unitNameType;
      description = "Keep this unit running as long as the listed units are running.";
    };
    wantedBy = mkOption {
      default = [ ];
      type = types.listOf unitNameType;
      description = "Units that want this unit.";
    };
    aliases = mkOption {
      default = [ ];
      type = types.listOf unitNameType;
      description = "Aliases of that unit.";
    };
  };

  unitListOption =
    description:
    mkOption {
      default = [ ];
      type = types.listOf unitNameType;
      inherit description;
    };

  commonUnitOptions = {
    options = sharedOptions // {
      description = mkOption {
        default = "";
        type = types.singleLineStr;
        description = "Description of this unit used in systemd messages and progress indicators.";
      };
      documentation = mkOption {
        default = [ ];
        type = types.listOf types.str;
        description = "A list of URIs referencing documentation for this unit or its configuration.";
      };
      requires = unitListOption "Start the specified units when this unit is started, and stop with them.";
      wants = unitListOption "Start the specified units when this unit is started.";
      upholds = unitListOption "Keeps the specified units running while this unit is running.";
      after = unitListOption "Order this unit after the specified units.";
      before = unitListOption "Order this unit before the specified units.";
      bindsTo = unitListOption "Like requires, and stop when the specified units disappear.";
      partOf = unitListOption "Stop or restart with the specified units.";
      conflicts = unitListOption "Units that cannot run together with this one.";
      requisite = unitListOption "Units that must already be started.";
      unitConfig = mkOption {
        default = { };
        type = types.attrsOf unitOption;
        description = "Options of the [Unit] section.";
      };
      onFailure = unitListOption "Units activated when this unit enters the failed state.";
      onSuccess = unitListOption "Units activated when this unit enters the inactive state.";
      startLimitBurst = mkOption {
        type = types.int;
        description = "Start rate limiting: starts allowed within startLimitIntervalSec.";
      };
      startLimitIntervalSec = mkOption {
        type = types.int;
        description = "Start rate limiting interval.";
      };
    };
  };

  stage2CommonUnitOptions = {
    imports = [ commonUnitOptions ];
    options = {
      restartTriggers = mkOption {
        default = [ ];
        type = types.listOf types.unspecified;
        description = "Items whose change restarts the unit on switch.";
      };
      reloadTriggers = mkOption {
        default = [ ];
        type = types.listOf unitOption;
        description = "Items whose change reloads the unit on switch.";
      };
    };
  };

  # systemd-lib.nix unitConfig: the list options become [Unit] directives.
  unitConfigModule =
    {
      config,
      name,
      options,
      ...
    }:
    {
      config.unitConfig =
        lib.optionalAttrs (config.requires != [ ]) { Requires = toString config.requires; }
        // lib.optionalAttrs (config.wants != [ ]) { Wants = toString config.wants; }
        // lib.optionalAttrs (config.upholds != [ ]) { Upholds = toString config.upholds; }
        // lib.optionalAttrs (config.after != [ ]) { After = toString config.after; }
        // lib.optionalAttrs (config.before != [ ]) { Before = toString config.before; }
        // lib.optionalAttrs (config.bindsTo != [ ]) { BindsTo = toString config.bindsTo; }
        // lib.optionalAttrs (config.partOf != [ ]) { PartOf = toString config.partOf; }
        // lib.optionalAttrs (config.conflicts != [ ]) { Conflicts = toString config.conflicts; }
        // lib.optionalAttrs (config.requisite != [ ]) { Requisite = toString config.requisite; }
        // lib.optionalAttrs (config ? restartTriggers && config.restartTriggers != [ ]) {
          X-Restart-Triggers = "${pkgs.writeText "X-Restart-Triggers-${name}" (
            lib.pipe config.restartTriggers [
              lib.flatten
              (map (x: if lib.isPath x then "${x}" else x))
              toString
            ]
          )}";
        }
        // lib.optionalAttrs (config ? reloadTriggers && config.reloadTriggers != [ ]) {
          X-Reload-Triggers = "${pkgs.writeText "X-Reload-Triggers-${name}" (
            lib.pipe config.reloadTriggers [
              lib.flatten
              (map (x: if lib.isPath x then "${x}" else x))
              toString
            ]
          )}";
        }
        // lib.optionalAttrs (config.description != "") { Description = config.description; }
        // lib.optionalAttrs (config.documentation != [ ]) {
          Documentation = toString config.documentation;
        }
        // lib.optionalAttrs (config.onFailure != [ ]) { OnFailure = toString config.onFailure; }
        // lib.optionalAttrs (config.onSuccess != [ ]) { OnSuccess = toString config.onSuccess; }
        // lib.optionalAttrs options.startLimitIntervalSec.isDefined {
          StartLimitIntervalSec = toString config.startLimitIntervalSec;
        }
        // lib.optionalAttrs options.startLimitBurst.isDefined {
          StartLimitBurst = toString config.startLimitBurst;
        };
    };

  linesOption =
    description:
    mkOption {
      type = types.lines;
      default = "";
      inherit description;
    };

  serviceOptions =
    { name, config, ... }:
    {
      options = {
        environment = mkOption {
          default = { };
          type =
            with types;
            attrsOf (
              nullOr (oneOf [
                str
                path
                package
              ])
            );
          description = "Environment variables passed to the service's processes.";
        };
        path = mkOption {
          default = [ ];
          type =
            with types;
            listOf (oneOf [
              package
              str
            ]);
          description = "Packages added to the service's PATH (bin and sbin).";
        };
        serviceConfig = mkOption {
          default = { };
          type = types.addCheck (types.attrsOf unitOption) checkService;
          description = "Options of the [Service] section.";
        };
        enableStrictShellChecks = mkOption {
          type = types.bool;
          description = "Run shellcheck on the generated scripts of this unit.";
        };
        script = linesOption "Shell commands executed as the service's main process.";
        scriptArgs = mkOption {
          type = types.str;
          default = "";
          description = "Arguments passed to the main process script.";
        };
        preStart = linesOption "Shell commands executed before the main process is started.";
        postStart = linesOption "Shell commands executed after the main process is started.";
        reload = linesOption "Shell commands executed when the main process is reloaded.";
        preStop = linesOption "Shell commands executed to stop the service.";
        postStop = linesOption "Shell commands executed after the main process has exited.";
        jobScripts = mkOption {
          type = with types; coercedTo path lib.singleton (listOf path);
          internal = true;
          default = [ ];
          description = "All job script derivations of this unit.";
        };
      };
      config = mkMerge [
        (mkIf (config.preStart != "") rec {
          jobScripts = makeJobScript {
            name = "${name}-pre-start";
            text = config.preStart;
            inherit (config) enableStrictShellChecks;
          };
          serviceConfig.ExecStartPre = [ jobScripts ];
        })
        (mkIf (config.script != "") rec {
          jobScripts = makeJobScript {
            name = "${name}-start";
            text = config.script;
            inherit (config) enableStrictShellChecks;
          };
          serviceConfig.ExecStart = jobScripts + " " + config.scriptArgs;
        })
        (mkIf (config.postStart != "") rec {
          jobScripts = makeJobScript {
            name = "${name}-post-start";
            text = config.postStart;
            inherit (config) enableStrictShellChecks;
          };
          serviceConfig.ExecStartPost = [ jobScripts ];
        })
        (mkIf (config.reload != "") rec {
          jobScripts = makeJobScript {
            name = "${name}-reload";
            text = config.reload;
            inherit (config) enableStrictShellChecks;
          };
          serviceConfig.ExecReload = jobScripts;
        })
        (mkIf (config.preStop != "") rec {
          jobScripts = makeJobScript {
            name = "${name}-pre-stop";
            text = config.preStop;
            inherit (config) enableStrictShellChecks;
          };
          serviceConfig.ExecStop = jobScripts;
        })
        (mkIf (config.postStop != "") rec {
          jobScripts = makeJobScript {
            name = "${name}-post-stop";
            text = config.postStop;
            inherit (config) enableStrictShellChecks;
          };
          serviceConfig.ExecStopPost = jobScripts;
        })
      ];
    };

  stage2ServiceOptions = {
    imports = [
      stage2CommonUnitOptions
      serviceOptions
    ];
    options = {
      restartIfChanged = mkOption {
        type = types.bool;
        default = true;
        description = "Restart the service on switch when its definition changed.";
      };
      reloadIfChanged = mkOption {
        type = types.bool;
        default = false;
        description = "Reload instead of restarting on switch.";
      };
      stopIfChanged = mkOption {
        type = types.bool;
        default = true;
        description = "Stop in the old configuration, start in the new one.";
      };
      notSocketActivated = mkOption {
        type = types.bool;
        default = false;
        description = "Do not restart the service when its socket changes.";
      };
      startAt = mkOption {
        type = with types; either str (listOf str);
        default = [ ];
        description = "Start this unit at the given calendar times (adds a timer).";
        apply = v: if lib.isList v then v else [ v ];
      };
    };
  };

  # systemd-lib.nix serviceConfig + stage2ServiceConfig
  serviceConfigModule =
    { config, ... }:
    {
      config = {
        path = mkAfter [
          pkgs.coreutils
          pkgs.findutils
          pkgs.gnugrep
          pkgs.gnused
          cfg.package
        ];
        environment.PATH =
          mkIf (config.path != [ ])
            "${lib.makeBinPath config.path}:${lib.makeSearchPathOutput "bin" "sbin" config.path}";
        enableStrictShellChecks = lib.mkOptionDefault nixosConfig.systemd.enableStrictShellChecks;
      };
    };

  socketOptions = {
    options = {
      listenStreams = mkOption {
        default = [ ];
        type = types.listOf types.str;
        description = "One ListenStream= line in [Socket] for each item.";
      };
      listenDatagrams = mkOption {
        default = [ ];
        type = types.listOf types.str;
        description = "One ListenDatagram= line in [Socket] for each item.";
      };
      socketConfig = mkOption {
        default = { };
        type = types.attrsOf unitOption;
        description = "Options of the [Socket] section.";
      };
    };
  };

  timerOptions = {
    options.timerConfig = mkOption {
      default = { };
      type = types.attrsOf unitOption;
      description = "Options of the [Timer] section.";
    };
  };

  unitsOf =
    modules:
    types.attrsOf (
      types.submodule (
        [
          unitConfigModule
        ]
        ++ modules
      )
    );

  tmpfilesEntry = types.submodule (
    { name, ... }:
    {
      options = {
        type = mkOption {
          type = types.str;
          default = name;
          description = "The type of operation to perform on the file.";
        };
        mode = mkOption {
          type = types.str;
          default = "-";
          description = "The file access mode.";
        };
        user = mkOption {
          type = types.str;
          default = "-";
          description = "The user of the file.";
        };
        group = mkOption {
          type = types.str;
          default = "-";
          description = "The group of the file.";
        };
        age = mkOption {
          type = types.str;
          default = "-";
          description = "Delete a file when it reaches a certain age.";
        };
        argument = mkOption {
          type = types.str;
          default = "";
          description = "An argument whose meaning depends on the type.";
        };
      };
    }
  );
in
{
  options.systemd = {
    package = mkOption {
      type = types.package;
      default = pkgs.systemd;
      description = "The systemd package.";
    };
    enableStrictShellChecks = lib.mkEnableOption "shellcheck on generated unit scripts";
    globalEnvironment = mkOption {
      default = { };
      type =
        with types;
        attrsOf (
          nullOr (oneOf [
            str
            path
            package
          ])
        );
      description = "Environment variables passed to all systemd units.";
    };
    packages = mkOption {
      default = [ ];
      type = types.listOf types.package;
      description = "Packages providing systemd units and hooks.";
    };
    services = mkOption {
      default = { };
      type = unitsOf [
        stage2ServiceOptions
        serviceConfigModule
      ];
      description = "Definition of systemd service units.";
    };
    sockets = mkOption {
      default = { };
      type = unitsOf [
        stage2CommonUnitOptions
        socketOptions
      ];
      description = "Definition of systemd socket units.";
    };
    timers = mkOption {
      default = { };
      type = unitsOf [
        stage2CommonUnitOptions
        timerOptions
      ];
      description = "Definition of systemd timer units.";
    };
    targets = mkOption {
      default = { };
      type = unitsOf [ stage2CommonUnitOptions ];
      description = "Definition of systemd target units.";
    };
    tmpfiles = {
      rules = mkOption {
        type = types.listOf types.str;
        default = [ ];
        description = "Rules for creation, deletion and cleaning of volatile and temporary files.";
      };
      settings = mkOption {
        type = types.attrsOf (types.attrsOf (types.attrsOf tmpfilesEntry));
        default = { };
        description = "Declare systemd-tmpfiles rules to create, delete, and clean up files.";
      };
      packages = mkOption {
        type = types.listOf types.package;
        default = [ ];
        description = "Packages providing tmpfiles.d files.";
      };
    };
  };

  config = {
    # nixos/modules/system/boot/systemd.nix: one timer per service with startAt.
    systemd.timers = lib.mapAttrs (_: service: {
      wantedBy = [ "timers.target" ];
      timerConfig.OnCalendar = service.startAt;
    }) (lib.filterAttrs (_: service: service.enable && service.startAt != [ ]) cfg.services);

    # nixos/modules/config/locale.nix and i18n.nix set these for every unit.
    systemd.globalEnvironment = {
      TZDIR = "${pkgs.tzdata}/share/zoneinfo";
      LOCALE_ARCHIVE = "${pkgs.glibcLocales}/lib/locale/locale-archive";
    };
  };

}
