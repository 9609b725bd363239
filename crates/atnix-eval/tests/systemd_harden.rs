//! `systemd-analyze` verification and grading (needs systemd-analyze on the
//! host; the package build skips tests named `systemd`).

use atnix_eval::harden::{VerifyRoot, grade};

const UNIT: &str = "[Unit]\nAfter=network.target\n\n[Service]\nDynamicUser=true\nExecStart=/nix/store/00000000000000000000000000000000-demo/bin/demo\nPrivateNetwork=true\n\n[Install]\nWantedBy=multi-user.target\n";

#[test]
fn systemd_verify_accepts_store_paths_and_rejects_unknown_directives() {
    let exes = vec![(
        "/nix/store/00000000000000000000000000000000-demo/bin/demo".to_string(),
        None,
    )];
    let good = VerifyRoot::new(&[("demo.service".into(), UNIT.into())], &exes).unwrap();
    assert_eq!(good.verify("demo.service").unwrap(), Vec::<String>::new());

    let bad_text = UNIT.replace(
        "PrivateNetwork=true",
        "PrivateNetwrk=true\nRestart=sometimes",
    );
    let bad = VerifyRoot::new(&[("demo.service".into(), bad_text)], &exes).unwrap();
    let messages = bad.verify("demo.service").unwrap();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("Unknown key 'PrivateNetwrk'")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("sometimes")),
        "{messages:?}"
    );

    let missing = VerifyRoot::new(&[("demo.service".into(), UNIT.into())], &[]).unwrap();
    assert!(!missing.verify("demo.service").unwrap().is_empty());
}

#[test]
fn systemd_security_grades_and_lists_contributions() {
    let root = VerifyRoot::new(&[("demo.service".into(), UNIT.into())], &[]).unwrap();
    let (g, messages) = grade("demo.service", &root.unit_path("demo.service")).unwrap();
    assert!(messages.is_empty(), "{messages:?}");
    assert!(g.exposure > 2.0 && g.exposure < 10.0, "{}", g.exposure);
    assert_eq!(g.top.len(), 3);
    assert!(g.top[0].exposure >= g.top[1].exposure && g.top[1].exposure >= g.top[2].exposure);
}
