//! Source pins for fetchFromGitHub, fetchFromTangled, fetchgit, fetchzip and fetchurl, computed without Nix
