# Stub of the node options a VM test may set that NixOS declares only for
# virtual machines (nixos/modules/virtualisation/qemu-vm.nix imports
# disk-size-option.nix), read at faukah/nixpkgs
# 3b20077cd82fd1f099e92e2792d73e3176d4869d, a current fork of nixpkgs (the
# search index holds no copy at the flake.lock commit). The driver adds this
# module to VM test nodes only (mode vmtest), so a host configuration setting
# virtualisation.diskSize still fails as it does in NixOS. Facts:
# ../../nixos-facts/virtualisation.json.
{ config, lib, ... }:
let
  t = lib.types;
in
{
  options.virtualisation = {
    diskSizeAutoSupported = lib.mkOption {
      type = t.bool;
      default = true;
      internal = true;
      description = "Whether the current image builder or vm runner supports `virtualisation.diskSize = \"auto\".`";
    };
    diskSize = lib.mkOption {
      type = t.either (t.enum [ "auto" ]) t.ints.positive;
      default = if config.virtualisation.diskSizeAutoSupported then "auto" else 1024;
      defaultText = lib.literalExpression "if virtualisation.diskSizeAutoSupported then \"auto\" else 1024";
      description = "The disk size in megabytes of the virtual machine.";
    };
  };

  config = {
    # qemu-vm.nix: the test VM runner sizes its disk image explicitly.
    virtualisation.diskSizeAutoSupported = false;
    assertions = [
      {
        assertion = config.virtualisation.diskSize != "auto" || config.virtualisation.diskSizeAutoSupported;
        message = "Setting virtualisation.diskSize to `auto` is not supported by the current image build or vm runner; use an explicit size.";
      }
    ];
  };
}
