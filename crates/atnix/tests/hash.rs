//! `atnix hash` against `nix-hash --type sha256` (the reference) on generated
//! trees. nix-hash must be installed (CI installs Debian's nix-bin); without it
//! these tests fail rather than skip.

use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use atnix_nar::Hash;

fn nix_hash_bin() -> PathBuf {
    for dir in std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain([PathBuf::from("/usr/bin")])
    {
        let candidate = dir.join("nix-hash");
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!(
        "nix-hash not found (PATH and /usr/bin): these tests compare with it; install nix-bin (apt-get install nix-bin)"
    );
}

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

fn stdout_of(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn atnix(args: &[&OsStr]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_atnix"));
    cmd.arg("hash").args(args);
    cmd
}

/// The reference hash, as hex, from nix-hash.
fn reference(path: &Path, flat: bool) -> String {
    let mut cmd = Command::new(nix_hash_bin());
    cmd.args(["--type", "sha256"]);
    if flat {
        cmd.arg("--flat");
    }
    stdout_of(cmd.arg(path))
}

/// Checks all three output forms of `atnix hash` against nix-hash.
fn assert_same(path: &Path, flat: bool) {
    let hex = reference(path, flat);
    let flat_arg: &[&OsStr] = if flat { &["--flat".as_ref()] } else { &[] };
    let with = |fmt: Option<&str>| {
        let mut args: Vec<&OsStr> = flat_arg.to_vec();
        if let Some(f) = fmt {
            args.push(f.as_ref());
        }
        args.push(path.as_os_str());
        stdout_of(&mut atnix(&args))
    };
    assert_eq!(with(Some("--hex")), hex, "hex of {}", path.display());
    let nix32 = {
        let mut cmd = Command::new(nix_hash_bin());
        cmd.args(["--type", "sha256", "--base32"]);
        if flat {
            cmd.arg("--flat");
        }
        stdout_of(cmd.arg(path))
    };
    assert_eq!(
        with(Some("--base32")),
        nix32,
        "base32 of {}",
        path.display()
    );
    let sri = Hash::parse(&hex).unwrap().to_sri();
    assert_eq!(with(None), sri, "SRI of {}", path.display());
}

fn write(path: &Path, data: &[u8], mode: u32) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, data).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// Deterministic bytes, different for every `seed`.
fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn modes_symlinks_sorting_empty_dirs_and_names() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("tree");
    // Only the owner-execute bit counts.
    write(&root.join("plain"), b"plain\n", 0o644);
    write(&root.join("owner-exec"), b"#!/bin/sh\n", 0o744);
    write(&root.join("other-exec-only"), b"x", 0o645);
    write(&root.join("group-exec-only"), b"x", 0o654);
    write(&root.join("exec-only"), b"x", 0o100);
    write(&root.join("setuid-exec"), b"x", 0o4755);
    write(&root.join("read-only"), b"x", 0o444);
    // Padding boundaries around 8 bytes and the empty file.
    for len in [0usize, 1, 7, 8, 9, 15, 16, 17] {
        write(
            &root.join(format!("len/{len}")),
            &pattern(len, len as u64),
            0o644,
        );
    }
    // Symlinks: dangling, absolute, to a directory, to a symlink, empty-ish names.
    fs::create_dir_all(root.join("links")).unwrap();
    symlink("does/not/exist", root.join("links/dangling")).unwrap();
    symlink("/etc/passwd", root.join("links/absolute")).unwrap();
    symlink(
        "/nonexistent/absolute",
        root.join("links/absolute-dangling"),
    )
    .unwrap();
    symlink("../len", root.join("links/to-dir")).unwrap();
    symlink("dangling", root.join("links/to-link")).unwrap();
    symlink("x".repeat(200), root.join("links/long-target")).unwrap();
    // Raw-byte order: upper case before '_' before lower case, UTF-8 after ASCII.
    for name in [
        "é", "B", "_", "b", "Z dir", "a.b", "a-b", "a", "aa", "a b", "~", "0",
    ] {
        write(&root.join("order").join(name), name.as_bytes(), 0o644);
    }
    // Names that are not UTF-8.
    for name in [&b"caf\xe9"[..], b"\xff\xfe", b"\x01ctl", b"latin\xa0space"] {
        let p = root.join("bytes").join(OsStr::from_bytes(name));
        write(&p, name, 0o644);
    }
    fs::create_dir_all(root.join(OsStr::from_bytes(b"dir-\xc3\x28"))).unwrap();
    // Empty directories, nested and at several depths.
    fs::create_dir_all(root.join("empty")).unwrap();
    fs::create_dir_all(root.join("nested/empty/deeper")).unwrap();
    fs::create_dir_all(root.join("nested/also-empty")).unwrap();

    assert_same(&root, false);
    assert_same(&root.join("nested/empty/deeper"), false);
    assert_same(&root.join("order"), false);
    assert_same(&root.join("bytes"), false);
}

#[test]
fn roots_that_are_files_or_symlinks() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("file");
    write(&file, b"contents\n", 0o644);
    let exe = tmp.path().join("exe");
    write(&exe, b"#!/bin/sh\n", 0o755);
    let empty = tmp.path().join("empty-file");
    write(&empty, b"", 0o644);
    let link = tmp.path().join("link");
    symlink("file", &link).unwrap();
    let dangling = tmp.path().join("dangling");
    symlink("/no/such/target", &dangling).unwrap();

    for p in [&file, &exe, &empty, &link, &dangling] {
        assert_same(p, false);
    }
    // --flat hashes the bytes; a symlink is followed like nix-hash does.
    for p in [&file, &exe, &empty, &link] {
        assert_same(p, true);
    }
}

#[test]
fn many_files_and_sizes_around_read_thresholds() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("tree");
    // Enough files and directories to cross many reader segments.
    for d in 0..20u64 {
        for f in 0..60u64 {
            let mode = if (d + f) % 5 == 0 { 0o755 } else { 0o644 };
            let len = ((d * 60 + f) * 37 % 3000) as usize;
            write(
                &root.join(format!("d{d:02}/f{f:02}")),
                &pattern(len, d * 100 + f),
                mode,
            );
        }
        fs::create_dir_all(root.join(format!("d{d:02}/zz-empty"))).unwrap();
    }
    // Sizes around the whole-file/streamed boundary and a few multi-chunk files.
    for (i, len) in [
        128 * 1024 - 1,
        128 * 1024,
        128 * 1024 + 1,
        512 * 1024,
        512 * 1024 + 3,
        3 * 1024 * 1024 + 5,
    ]
    .into_iter()
    .enumerate()
    {
        write(
            &root.join(format!("big/{i}")),
            &pattern(len, 1000 + i as u64),
            if i % 2 == 0 { 0o755 } else { 0o600 },
        );
        assert_same(&root.join(format!("big/{i}")), true);
        assert_same(&root.join(format!("big/{i}")), false);
    }
    assert_same(&root, false);
}

#[test]
fn file_over_100_mib() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("large");
    fs::create_dir(&dir).unwrap();
    let path = dir.join("blob.bin");
    let chunk = pattern(1 << 20, 42);
    let mut f = std::io::BufWriter::new(fs::File::create(&path).unwrap());
    for i in 0..100u32 {
        f.write_all(&chunk).unwrap();
        f.write_all(&i.to_le_bytes()).unwrap();
    }
    f.write_all(&chunk[..12_345]).unwrap();
    drop(f.into_inner().unwrap());
    assert!(fs::metadata(&path).unwrap().len() > 100 * 1024 * 1024);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    write(&dir.join("small"), b"next to a large file", 0o644);

    assert_same(&path, false);
    assert_same(&path, true);
    assert_same(&dir, false);
}

fn assert_fails_naming(args: &[&OsStr], needle: &str) {
    let out = run(&mut atnix(args));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "atnix hash {args:?} succeeded: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(out.stdout.is_empty(), "no hash may be printed on failure");
    assert!(
        stderr.contains(needle),
        "error for {args:?} should name {needle:?}: {stderr}"
    );
}

#[test]
fn special_files_are_errors_naming_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("tree");
    write(&root.join("a/regular"), b"ok", 0o644);
    let fifo = root.join("a/the-fifo");
    let status = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success(), "mkfifo failed");
    assert_fails_naming(&[root.as_os_str()], "a/the-fifo");
    assert_fails_naming(&[fifo.as_os_str()], "the-fifo");
    assert_fails_naming(&["--flat".as_ref(), fifo.as_os_str()], "the-fifo");
    fs::remove_file(&fifo).unwrap();

    let sock = root.join("a/the-socket");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    assert_fails_naming(&[root.as_os_str()], "a/the-socket");
    assert_fails_naming(&["--hex".as_ref(), sock.as_os_str()], "the-socket");

    // A character device.
    assert_fails_naming(&["/dev/null".as_ref()], "/dev/null");
    // A symlink to a device is fine: it is stored verbatim.
    fs::remove_file(&sock).unwrap();
    symlink("/dev/null", root.join("a/devlink")).unwrap();
    assert_same(&root, false);

    // --flat needs a regular file; a missing path is an error too.
    assert_fails_naming(&["--flat".as_ref(), root.as_os_str()], "tree");
    let missing = tmp.path().join("missing");
    assert_fails_naming(&[missing.as_os_str()], "missing");
}

#[test]
fn output_format_flags_are_exclusive() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("f");
    write(&file, b"x", 0o644);
    let out = run(&mut atnix(&[
        "--hex".as_ref(),
        "--base32".as_ref(),
        file.as_os_str(),
    ]));
    assert!(!out.status.success());
}
