//! Upgrade snapshots under a real systemd (a Debian 12 container booted with
//! systemd-nspawn, as `atnix smoke` does): the unit a service gets with the
//! guard in ExecStartPre/ExecStartPost/ExecStopPost. v1 writes state; a v2
//! that migrates it and fails its health check gets the state back byte for
//! byte and is refused afterwards; a healthy v2 keeps its migrated state.
//! Needs root, systemd-nspawn, nsenter and debootstrap; without them it fails.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use atnix_smoke::container::{Bind, Container, ContainerConfig};

const GUARD: &str = "/opt/atnix/bin/atnix-upgrade-guard";
const STATE: &str = "/var/lib/private/demo";

fn write_exe(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

fn unit(package: &str) -> String {
    let guard = format!("{GUARD} --unit demo --state {STATE}");
    format!(
        "[Service]\nDynamicUser=yes\nStateDirectory=demo\nStateDirectoryMode=0700\n\
         ExecStartPre=+{guard} pre --package {package} --keep 3 --gated\n\
         ExecStart={package}/bin/demo\n\
         ExecStartPost=+{guard} health --url http://127.0.0.1:8088/ --timeout 4\n\
         ExecStopPost=+{guard} stop-post\n\
         Restart=on-failure\nRestartSec=1\n"
    )
}

struct Machine(Container);

impl Machine {
    fn sh(&self, script: &str) -> String {
        let out = self.0.sh(script).unwrap();
        assert!(
            out.status.success(),
            "`{script}` failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn install(&self, package: &str) {
        self.sh(&format!(
            "cat > /etc/systemd/system/demo.service <<'EOF'\n{}EOF\nsystemctl daemon-reload",
            unit(package)
        ));
    }

    /// Every entry's path, type, mode and owner, and every file's sha256.
    fn fingerprint(&self) -> String {
        self.sh(&format!(
            "cd {STATE} && find . -printf '%p %y %m %U\\n' | sort && find . -type f -exec sha256sum {{}} + | sort"
        ))
    }

    fn wait_for(&self, what: &str, script: &str) {
        let deadline = Instant::now() + Duration::from_secs(40);
        while !self.0.sh(script).unwrap().status.success() {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; journal:\n{}",
                self.sh("journalctl -u demo --no-pager | tail -40")
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}

#[test]
fn systemd_failed_upgrade_restores_state_and_healthy_upgrade_keeps_it() {
    atnix_smoke::rootfs::check_prerequisites()
        .unwrap_or_else(|e| panic!("this test cannot run here: {e}"));
    let cache: std::path::PathBuf = std::env::var_os("ATNIX_SMOKE_CACHE")
        .map(Into::into)
        .unwrap_or_else(|| "/var/cache/atnix/smoke".into());
    let (rootfs, _) =
        atnix_smoke::rootfs::ensure(&cache, atnix_smoke::rootfs::DEFAULT_MIRROR).unwrap();

    let work = tempfile::tempdir().unwrap();
    let opt = work.path().join("opt");
    fs::create_dir_all(opt.join("bin")).unwrap();
    fs::copy(
        env!("CARGO_BIN_EXE_atnix-upgrade-guard"),
        opt.join("bin/atnix-upgrade-guard"),
    )
    .unwrap();
    fs::create_dir_all(opt.join("www")).unwrap();
    fs::write(opt.join("www/index.html"), "ok\n").unwrap();
    let serve = "exec python3 -m http.server 8088 --bind 127.0.0.1 --directory /opt/atnix/www";
    // v1 creates its database once; both v2s migrate it, only one then serves.
    write_exe(
        &opt.join("demo-v1/bin/demo"),
        &format!(
            "#!/bin/sh\nset -e\ncd \"$STATE_DIRECTORY\"\n[ -f db ] || {{ mkdir -p data; printf 'v1 schema\\n' > db; printf 'rows' > data/t1; }}\n{serve}\n"
        ),
    );
    let migrate = "#!/bin/sh\nset -e\ncd \"$STATE_DIRECTORY\"\nprintf 'v2 schema\\n' > db\nrm -f data/t1\nprintf 'rows v2' > data/t2\n";
    write_exe(
        &opt.join("demo-v2-bad/bin/demo"),
        &format!("{migrate}exec sleep infinity\n"),
    );
    write_exe(
        &opt.join("demo-v2-good/bin/demo"),
        &format!("{migrate}{serve}\n"),
    );

    let container = Container::launch(&ContainerConfig {
        name: format!("atnix-upgrade-{}", std::process::id()),
        rootfs,
        binds: vec![Bind {
            host: opt.clone(),
            target: "/opt/atnix".into(),
        }],
        console_log: work.path().join("console.log"),
        scratch: None,
    })
    .unwrap();
    container.wait_running(Duration::from_secs(60)).unwrap();
    let m = Machine(container);

    // v1: first start, state written, healthy.
    m.install("/opt/atnix/demo-v1");
    m.sh("systemctl start demo");
    m.wait_for("v1 to answer", "curl -sf http://127.0.0.1:8088/");
    let v1 = m.fingerprint();
    assert!(v1.contains("./db f 644"), "{v1}");
    m.sh("systemctl stop demo");

    // v2 migrates and never answers: restored, refused, unit failed, metric written.
    m.install("/opt/atnix/demo-v2-bad");
    let _ = m.0.sh("systemctl start demo");
    m.wait_for(
        "the failed upgrade to settle",
        "systemctl is-failed --quiet demo",
    );
    assert_eq!(
        m.fingerprint(),
        v1,
        "the state did not come back byte for byte"
    );
    assert_eq!(
        m.sh("cat /var/lib/atnix-snapshots/demo/1/failed/db"),
        "v2 schema\n"
    );
    let metric = m.sh("cat /var/lib/atnix-snapshots/demo/upgrade.prom");
    assert!(
        metric.contains("atnix_upgrade_rolled_back{unit=\"demo\"} 1"),
        "{metric}"
    );
    let journal = m.sh("journalctl -u demo --no-pager");
    assert!(
        journal.contains("state restored from snapshot 1"),
        "{journal}"
    );
    assert!(
        journal.contains("failed its health check and the state was restored"),
        "{journal}"
    );
    println!("--- journal of the failed upgrade ---\n{journal}");

    // A healthy v2 migrates and keeps its state, also across a clean stop.
    m.sh("systemctl reset-failed demo");
    m.install("/opt/atnix/demo-v2-good");
    m.sh("systemctl start demo");
    m.wait_for("v2 to answer", "curl -sf http://127.0.0.1:8088/");
    m.sh("systemctl stop demo");
    let v2 = m.fingerprint();
    assert_ne!(v2, v1);
    assert_eq!(m.sh(&format!("cat {STATE}/db")), "v2 schema\n");
    assert_eq!(m.sh(&format!("cat {STATE}/data/t2")), "rows v2");
    assert!(
        !m.0.sh("test -e /var/lib/atnix-snapshots/demo/pending")
            .unwrap()
            .status
            .success(),
        "a passed gate left the upgrade pending"
    );
    assert_eq!(
        m.sh("ls /var/lib/atnix-snapshots/demo | sort | tr '\\n' ' '"),
        "1 2 refused upgrade.prom "
    );
    m.0.teardown();
}
