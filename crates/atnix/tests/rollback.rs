//! `atnix rollback` on scratch directories: a snapshot taken before v2 comes
//! back byte for byte, the failed state is kept, and the generation that ran
//! v1 is named. The real-systemd proof of the unit wiring is not done yet.

use std::fs;
use std::process::Command;

use atnix_snapshot::Meta;

#[test]
fn rollback_restores_the_newest_snapshot_and_names_the_generation() {
    let tmp = tempfile::tempdir().unwrap();
    let (snaps, state, profiles) = (
        tmp.path().join("snaps"),
        tmp.path().join("state"),
        tmp.path().join("profiles"),
    );
    fs::create_dir_all(state.join("db")).unwrap();
    fs::write(state.join("db/data"), b"v1 state").unwrap();
    let meta = Meta {
        unit: "demo".into(),
        package: "/nix/store/aaaa-demo-1.0".into(),
        next: "/nix/store/bbbb-demo-2.0".into(),
    };
    atnix_snapshot::take(&snaps, &state, &meta, 3).unwrap();
    fs::write(state.join("db/data"), b"v2 migrated").unwrap();
    let units = profiles.join("system-4-link/etc/systemd/system");
    fs::create_dir_all(&units).unwrap();
    fs::write(
        units.join("demo.service"),
        "ExecStart=/nix/store/aaaa-demo-1.0/bin/demo\n",
    )
    .unwrap();

    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_atnix"))
            .args(["rollback", "demo", "--no-unit-check", "--snapshots"])
            .arg(&snaps)
            .arg("--state-dir")
            .arg(&state)
            .arg("--profiles")
            .arg(&profiles)
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&["--seq", "9"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no snapshot 9 of demo; there are: 1"));
    assert_eq!(
        fs::read(state.join("db/data")).unwrap(),
        b"v2 migrated",
        "a refused rollback changed the state"
    );

    let out = run(&[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(fs::read(state.join("db/data")).unwrap(), b"v1 state");
    let failed = snaps.join("demo/1/failed");
    assert_eq!(fs::read(failed.join("db/data")).unwrap(), b"v2 migrated");
    assert!(
        stdout.contains(&format!(
            "{}/bin/switch-to-configuration switch",
            profiles.join("system-4-link").display()
        )),
        "{stdout}"
    );
}
