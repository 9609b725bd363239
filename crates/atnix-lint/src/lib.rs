//! The repository's own lint: parsing, pins, package meta, module options
