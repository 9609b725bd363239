//! `atnix prefetch` against nix-hash of trees made independently with the git
//! CLI (`git archive | tar -x`, or a clone with every `.git` removed), on small
//! local repositories exercising .gitattributes and submodules. nix-hash must
//! be installed (CI installs nix-bin); without it these tests fail.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use atnix_nar::Hash;

struct Env {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    gitconfig: PathBuf,
}

impl Env {
    fn new() -> Env {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_owned();
        let gitconfig = root.join("gitconfig");
        fs::write(
            &gitconfig,
            "[user]\n\tname = Test\n\temail = test@example.invalid\n[init]\n\tdefaultBranch = main\n[protocol \"file\"]\n\tallow = always\n",
        )
        .unwrap();
        Env {
            _tmp: tmp,
            root,
            gitconfig,
        }
    }

    /// git with only our test configuration (no system or user config).
    fn git(&self, dir: &Path, args: &[&str]) -> String {
        let mut cmd = Command::new("git");
        cmd.current_dir(dir).args(args);
        self.isolate(&mut cmd);
        stdout_of(&mut cmd)
    }

    fn isolate(&self, cmd: &mut Command) {
        cmd.env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", &self.gitconfig)
            .env("HOME", &self.root)
            .env("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z");
    }

    fn atnix(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_atnix"));
        cmd.arg("prefetch").args(args);
        self.isolate(&mut cmd);
        cmd.output().unwrap()
    }

    fn pin(&self, args: &[&str]) -> serde_json::Value {
        let out = self.atnix(args);
        assert!(
            out.status.success(),
            "atnix prefetch {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// A repository with every attribute case and a submodule.
    fn make_repo(&self) -> (PathBuf, String) {
        let sub = self.root.join("sub");
        fs::create_dir(&sub).unwrap();
        self.git(&sub, &["init", "-q"]);
        write(&sub.join("inner.txt"), "inside the submodule\n", 0o644);
        fs::create_dir_all(sub.join("deep")).unwrap();
        write(&sub.join("deep/tool.sh"), "#!/bin/sh\necho hi\n", 0o755);
        self.git(&sub, &["add", "."]);
        self.git(&sub, &["commit", "-qm", "sub"]);

        let repo = self.root.join("repo");
        fs::create_dir(&repo).unwrap();
        self.git(&repo, &["init", "-q"]);
        write(
            &repo.join(".gitattributes"),
            "ignored.txt export-ignore\nignored-dir export-ignore\nsubst.txt export-subst\ncrlf.txt eol=crlf\nident.txt ident\n",
            0o644,
        );
        write(&repo.join("README"), "hello\n", 0o644);
        write(&repo.join("ignored.txt"), "not in archives\n", 0o644);
        write(&repo.join("ignored-dir/x"), "not in archives\n", 0o644);
        write(&repo.join("subst.txt"), "commit $Format:%H$\n", 0o644);
        write(&repo.join("crlf.txt"), "line one\nline two\n", 0o644);
        write(&repo.join("ident.txt"), "id: $Id$\n", 0o644);
        write(&repo.join("bin/run"), "#!/bin/sh\nexit 0\n", 0o755);
        fs::create_dir_all(repo.join("links")).unwrap();
        std::os::unix::fs::symlink("../README", repo.join("links/readme")).unwrap();
        std::os::unix::fs::symlink("/nowhere", repo.join("links/dangling")).unwrap();
        self.git(&repo, &["add", "."]);
        self.git(&repo, &["submodule", "add", "-q", "../sub", "vendor/sub"]);
        self.git(&repo, &["commit", "-qm", "main"]);
        self.git(&repo, &["tag", "v1"]);
        let rev = self.git(&repo, &["rev-parse", "HEAD"]);
        (repo, rev)
    }
}

fn write(path: &Path, text: &str, mode: u32) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn nix_hash_sri(path: &Path) -> String {
    let bin = ["/usr/bin/nix-hash", "/usr/local/bin/nix-hash"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .or_else(|| {
            let out = Command::new("sh")
                .args(["-c", "command -v nix-hash"])
                .output()
                .ok()?;
            out.status
                .success()
                .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        })
        .expect("nix-hash not found: these tests compare with it; install nix-bin (apt-get install nix-bin)");
    let hex = stdout_of(Command::new(bin).args(["--type", "sha256"]).arg(path));
    Hash::parse(&hex).unwrap().to_sri()
}

fn nix_hash_flat_sri(path: &Path) -> String {
    let hex = stdout_of(
        Command::new("nix-hash")
            .args(["--type", "sha256", "--flat"])
            .arg(path),
    );
    Hash::parse(&hex).unwrap().to_sri()
}

/// `git archive REV | tar -x` done independently.
fn independent_archive(env: &Env, repo: &Path, rev: &str, name: &str) -> PathBuf {
    let out = env.root.join(name);
    fs::create_dir(&out).unwrap();
    let mut archive = Command::new("git");
    archive
        .current_dir(repo)
        .args(["archive", "--format=tar", rev])
        .stdout(Stdio::piped());
    env.isolate(&mut archive);
    let mut child = archive.spawn().unwrap();
    let status = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(&out)
        .stdin(child.stdout.take().unwrap())
        .status()
        .unwrap();
    assert!(status.success() && child.wait().unwrap().success());
    out
}

/// A clone checked out at `rev` with every `.git` removed (nix-prefetch-git).
fn independent_checkout(
    env: &Env,
    repo: &Path,
    rev: &str,
    submodules: bool,
    name: &str,
) -> PathBuf {
    let out = env.root.join(name);
    env.git(
        &env.root,
        &["clone", "-q", repo.to_str().unwrap(), out.to_str().unwrap()],
    );
    env.git(&out, &["checkout", "-q", "--detach", rev]);
    if submodules {
        env.git(
            &out,
            &["submodule", "update", "-q", "--init", "--recursive"],
        );
    }
    let status = Command::new("sh")
        .arg("-c")
        .arg("find \"$1\" -name .git -prune -exec rm -rf {} +")
        .arg("sh")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    out
}

#[test]
fn archive_mode_matches_git_archive_with_attributes() {
    let env = Env::new();
    let (repo, rev) = env.make_repo();
    let expected_dir = independent_archive(&env, &repo, &rev, "expected");

    // The independent tree really has the attribute effects we claim to cover.
    assert!(!expected_dir.join("ignored.txt").exists());
    assert!(!expected_dir.join("ignored-dir").exists());
    assert_eq!(
        fs::read_to_string(expected_dir.join("subst.txt")).unwrap(),
        format!("commit {rev}\n")
    );
    assert_eq!(
        fs::read(expected_dir.join("crlf.txt")).unwrap(),
        b"line one\r\nline two\r\n"
    );
    let ident = fs::read_to_string(expected_dir.join("ident.txt")).unwrap();
    assert!(
        ident.starts_with("id: $Id: ") && ident.len() > 50,
        "{ident}"
    );
    let sub_dir = expected_dir.join("vendor/sub");
    assert!(sub_dir.is_dir() && fs::read_dir(&sub_dir).unwrap().next().is_none());

    let expected = nix_hash_sri(&expected_dir);
    let pin = env.pin(&[repo.to_str().unwrap(), "--rev", &rev]);
    assert_eq!(pin["hash"], expected.as_str());
    assert_eq!(pin["rev"], rev.as_str());

    // A tag and an abbreviated commit resolve to the same full commit.
    for r in ["v1", &rev[..10]] {
        let pin = env.pin(&[repo.to_str().unwrap(), "--rev", r]);
        assert_eq!(pin["rev"], rev.as_str(), "--rev {r}");
        assert_eq!(pin["hash"], expected.as_str(), "--rev {r}");
    }

    // A bare clone gives the same pin.
    let bare = env.root.join("bare.git");
    env.git(
        &env.root,
        &[
            "clone",
            "-q",
            "--bare",
            repo.to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    let pin = env.pin(&[bare.to_str().unwrap(), "--rev", &rev]);
    assert_eq!(pin["hash"], expected.as_str());
}

#[test]
fn git_config_insteadof_applies() {
    let env = Env::new();
    let (repo, rev) = env.make_repo();
    let mut cfg = fs::read_to_string(&env.gitconfig).unwrap();
    cfg.push_str(&format!(
        "[url \"{}\"]\n\tinsteadOf = https://github.com/example/project\n",
        repo.display()
    ));
    fs::write(&env.gitconfig, cfg).unwrap();
    let expected = nix_hash_sri(&independent_archive(&env, &repo, &rev, "expected"));
    let pin = env.pin(&["https://github.com/example/project", "--rev", &rev]);
    assert_eq!(pin["hash"], expected.as_str());
    assert_eq!(pin["fetcher"], "github");
    assert_eq!(pin["owner"], "example");
    assert_eq!(pin["repo"], "project");
}

#[test]
fn checkout_modes_match_independent_checkouts() {
    let env = Env::new();
    let (repo, rev) = env.make_repo();
    let plain = independent_checkout(&env, &repo, &rev, false, "plain");
    // A checkout keeps export-* files and applies eol.
    assert!(plain.join("ignored.txt").exists());
    assert_eq!(
        fs::read_to_string(plain.join("subst.txt")).unwrap(),
        "commit $Format:%H$\n"
    );
    assert_eq!(
        fs::read(plain.join("crlf.txt")).unwrap(),
        b"line one\r\nline two\r\n"
    );
    let pin = env.pin(&[repo.to_str().unwrap(), "--rev", &rev, "--checkout"]);
    assert_eq!(pin["hash"], nix_hash_sri(&plain).as_str());
    assert_eq!(pin["fetcher"], "git");

    let full = independent_checkout(&env, &repo, &rev, true, "full");
    assert!(full.join("vendor/sub/deep/tool.sh").is_file());
    assert!(!full.join("vendor/sub/.git").exists());
    let pin = env.pin(&[
        repo.to_str().unwrap(),
        "--rev",
        &rev,
        "--checkout",
        "--submodules",
    ]);
    assert_eq!(pin["hash"], nix_hash_sri(&full).as_str());
    assert_ne!(nix_hash_sri(&full), nix_hash_sri(&plain));
}

#[test]
fn sparse_checkout_keeps_the_cone_only() {
    let env = Env::new();
    let (repo, rev) = env.make_repo();
    // fetchgit's sparseCheckout in cone mode: every top-level file and the
    // named directories, nothing of the other directories or submodules.
    let expected = independent_checkout(&env, &repo, &rev, false, "cone");
    for dir in ["links", "ignored-dir", "vendor"] {
        let d = expected.join(dir);
        if d.exists() {
            fs::remove_dir_all(&d).unwrap();
        }
    }
    assert!(expected.join("README").is_file() && expected.join("bin/run").is_file());
    let pin = env.pin(&[
        repo.to_str().unwrap(),
        "--rev",
        &rev,
        "--checkout",
        "--sparse",
        "bin",
    ]);
    assert_eq!(pin["hash"], nix_hash_sri(&expected).as_str());
    assert_eq!(pin["sparseCheckout"], serde_json::json!(["bin"]));

    let out = env.atnix(&[
        repo.to_str().unwrap(),
        "--rev",
        &rev,
        "--checkout",
        "--sparse=-x",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("sparse checkout directory \"-x\""), "{err}");
}

#[test]
fn sparse_checkout_needs_no_blob_outside_the_cone() {
    // A repository missing a blob outside the cone (as a mirror that leaves
    // out large files is) still pins, when its server allows filters.
    let env = Env::new();
    let mut cfg = fs::read_to_string(&env.gitconfig).unwrap();
    cfg.push_str("[uploadpack]\n\tallowFilter = true\n");
    fs::write(&env.gitconfig, cfg).unwrap();
    let repo = env.root.join("holey");
    fs::create_dir_all(&repo).unwrap();
    env.git(&repo, &["init", "-q"]);
    write(&repo.join("README"), "top\n", 0o644);
    write(&repo.join("keep/a.txt"), "kept\n", 0o644);
    write(
        &repo.join("big/image.png"),
        "absent from the mirror\n",
        0o644,
    );
    env.git(&repo, &["add", "."]);
    env.git(&repo, &["commit", "-q", "-m", "c"]);
    let rev = env.git(&repo, &["rev-parse", "HEAD"]);
    let blob = env.git(&repo, &["rev-parse", "HEAD:big/image.png"]);
    let loose = repo.join(".git/objects").join(&blob[..2]).join(&blob[2..]);
    fs::remove_file(&loose).unwrap();

    let expected = env.root.join("expected");
    write(&expected.join("README"), "top\n", 0o644);
    write(&expected.join("keep/a.txt"), "kept\n", 0o644);
    let pin = env.pin(&[
        repo.to_str().unwrap(),
        "--rev",
        &rev,
        "--checkout",
        "--sparse",
        "keep",
    ]);
    assert_eq!(pin["hash"], nix_hash_sri(&expected).as_str());
    // The whole tree cannot be had: the plain checkout fails.
    let out = env.atnix(&[repo.to_str().unwrap(), "--rev", &rev, "--checkout"]);
    assert!(!out.status.success());
}

const SOURCE_JSON: &str = r#"{
  "fetcher": "github",
  "owner": "example",
  "repo": "project",
  "version": "1.0.0",
  "rev": "0000000000000000000000000000000000000001",
  "hash": "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
  "cargoHash": "sha256-keBnhE4ltOVMEuxPifiB2EAHk32u3PqaPGTeVexVXWM="
}
"#;

#[test]
fn write_updates_in_place_and_keeps_other_fields() {
    let env = Env::new();
    let (repo, rev) = env.make_repo();
    let file = env.root.join("source.json");
    fs::write(&file, SOURCE_JSON).unwrap();
    let pin = env.pin(&[
        repo.to_str().unwrap(),
        "--rev",
        &rev,
        "--write",
        file.to_str().unwrap(),
    ]);
    let text = fs::read_to_string(&file).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["rev"], rev.as_str());
    assert_eq!(doc["hash"], pin["hash"]);
    assert_eq!(doc["owner"], "example");
    assert_eq!(doc["version"], "1.0.0");
    assert_eq!(
        doc["cargoHash"],
        "sha256-keBnhE4ltOVMEuxPifiB2EAHk32u3PqaPGTeVexVXWM="
    );
    let order: Vec<usize> = [
        "fetcher",
        "owner",
        "repo",
        "version",
        "rev",
        "hash",
        "cargoHash",
    ]
    .iter()
    .map(|k| text.find(&format!("\"{k}\"")).unwrap())
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "key order: {text}");
    // Nothing else left in the directory (the temporary file was renamed).
    let names: Vec<_> = fs::read_dir(&env.root)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with(".source.json"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}

fn assert_fails_untouched(env: &Env, args: &[&str], file: &Path, needle: &str) {
    let before = fs::read(file).unwrap();
    let out = env.atnix(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?} printed a pin");
    assert!(stderr.contains(needle), "{args:?}: {stderr}");
    assert_eq!(fs::read(file).unwrap(), before, "{args:?} changed the file");
}

#[test]
fn errors_exit_1_and_leave_the_file_alone() {
    let env = Env::new();
    let (repo, rev) = env.make_repo();
    let file = env.root.join("source.json");
    fs::write(&file, SOURCE_JSON).unwrap();
    let f = file.to_str().unwrap();
    let r = repo.to_str().unwrap();
    assert_fails_untouched(
        &env,
        &[r, "--rev", "no-such-branch", "--write", f],
        &file,
        "no-such-branch",
    );
    assert_fails_untouched(
        &env,
        &[
            r,
            "--rev",
            "1234567890abcdef1234567890abcdef12345678",
            "--write",
            f,
        ],
        &file,
        "1234567890abcdef",
    );
    let not_repo = env.root.join("not-a-repo");
    fs::create_dir(&not_repo).unwrap();
    assert_fails_untouched(
        &env,
        &[not_repo.to_str().unwrap(), "--rev", &rev, "--write", f],
        &file,
        "not-a-repo",
    );
    // fetchgit semantics must not be written into a github pin.
    assert_fails_untouched(
        &env,
        &[r, "--rev", &rev, "--checkout", "--write", f],
        &file,
        "fetcher",
    );
    let missing = format!("file://{}/missing.tar.gz", env.root.display());
    assert_fails_untouched(&env, &["--url", &missing, "--write", f], &file, "missing");
    // A --write target that is not a JSON object is refused before fetching.
    let broken = env.root.join("broken.json");
    fs::write(&broken, "[]").unwrap();
    assert_fails_untouched(
        &env,
        &[r, "--rev", &rev, "--write", broken.to_str().unwrap()],
        &broken,
        "broken.json",
    );
    // An unknown fetcher is named with the file, once, before fetching.
    let svn = env.root.join("svn.json");
    fs::write(&svn, r#"{"fetcher":"svn","url":"x"}"#).unwrap();
    let needle = format!(
        "{}: unknown fetcher `svn`; one of github, tangled, git, url, crates-io",
        svn.display()
    );
    assert_fails_untouched(
        &env,
        &[r, "--rev", &rev, "--write", svn.to_str().unwrap()],
        &svn,
        &needle,
    );
    // A url pin that Nix unpacks takes only the unpacked hash.
    let unpacked = env.root.join("unpacked.json");
    fs::write(
        &unpacked,
        r#"{"fetcher":"url","url":"x","hash":"sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=","unpack":true}"#,
    )
    .unwrap();
    let file_url = format!("file://{}", svn.display());
    assert_fails_untouched(
        &env,
        &["--url", &file_url, "--write", unpacked.to_str().unwrap()],
        &unpacked,
        "its `unpack` is true",
    );
}

#[test]
fn url_flat_and_unpack_match_nix_hash() {
    let env = Env::new();
    let (repo, rev) = env.make_repo();
    // A release-style tarball with one top-level directory.
    let tree = independent_archive(&env, &repo, &rev, "project-1.0");
    let expected = nix_hash_sri(&tree);
    for (name, flag) in [
        ("p.tar.gz", "-z"),
        ("p.tar.xz", "-J"),
        ("p.tar.bz2", "-j"),
        ("p.tar", "-v"),
    ] {
        let archive = env.root.join(name);
        let status = Command::new("tar")
            .current_dir(&env.root)
            .args(["-c", flag, "-f"])
            .arg(&archive)
            .arg("project-1.0")
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        let url = format!("file://{}", archive.display());
        let pin = env.pin(&["--url", &url, "--unpack"]);
        assert_eq!(pin["hash"], expected.as_str(), "{name}");
        let pin = env.pin(&["--url", &url]);
        assert_eq!(pin["hash"], nix_hash_flat_sri(&archive).as_str(), "{name}");
        assert_eq!(pin["url"], url.as_str());
    }
    let zip = env.root.join("p.zip");
    let status = Command::new("zip")
        .current_dir(&env.root)
        .args(["-q", "-r", "-y"])
        .arg(&zip)
        .arg("project-1.0")
        .status()
        .expect("zip is needed for this test (apt-get install zip)");
    assert!(status.success());
    let pin = env.pin(&["--url", &format!("file://{}", zip.display()), "--unpack"]);
    assert_eq!(pin["hash"], expected.as_str(), "zip");

    // fetchzip refuses archives with several top-level entries.
    let two = env.root.join("two.tar.gz");
    fs::write(env.root.join("second"), "x").unwrap();
    let status = Command::new("tar")
        .current_dir(&env.root)
        .args(["-czf"])
        .arg(&two)
        .args(["project-1.0", "second"])
        .status()
        .unwrap();
    assert!(status.success());
    let out = env.atnix(&["--url", &format!("file://{}", two.display()), "--unpack"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("exactly one top-level entry"));
}
