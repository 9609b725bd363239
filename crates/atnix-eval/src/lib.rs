//! NixOS module evaluation harness, systemd unit rendering and hardening grades
