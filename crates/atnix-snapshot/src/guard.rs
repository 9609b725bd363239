//! The unit side of upgrade snapshots, run by `atnix-upgrade-guard` from a
//! service's ExecStartPre, ExecStartPost and ExecStopPost (all `+`, as root):
//!
//! - [`pre`]: when the package about to run differs from the one recorded in
//!   the state directory (`.atnix-package`), snapshot the state, record the
//!   new package and, with a health gate, mark the upgrade pending. A package
//!   whose upgrade was rolled back is refused until the operator acts.
//! - [`health`]: the gate; a probe URL must answer 2xx before the deadline.
//!   Success clears the pending mark.
//! - [`stop_post`]: after a failed start or run with an upgrade still
//!   pending, restore the snapshot, refuse the new package, and write a
//!   Prometheus textfile metric.

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::{Error, Meta, io};

/// The package that last ran on a state directory, kept inside it so a
/// restored snapshot carries its own record.
pub const RECORD: &str = ".atnix-package";

/// Where one unit's snapshots and marks live.
pub struct Guard {
    pub unit: String,
    pub state: PathBuf,
    pub snapshots: PathBuf,
}

/// What [`pre`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Pre {
    /// No record yet: the first start; the package is recorded.
    First,
    /// The recorded package is the one starting.
    Same,
    /// A snapshot was taken before the upgrade.
    Snapshot { seq: u64, from: String },
}

impl Guard {
    fn dir(&self) -> PathBuf {
        self.snapshots.join(&self.unit)
    }
    fn pending(&self) -> PathBuf {
        self.dir().join("pending")
    }
    /// The package refused after its upgrade was rolled back.
    pub fn refused(&self) -> PathBuf {
        self.dir().join("refused")
    }
    pub fn metric(&self) -> PathBuf {
        self.dir().join("upgrade.prom")
    }

    /// ExecStartPre.
    pub fn pre(&self, package: &str, keep: usize, gated: bool) -> Result<Pre, Error> {
        let refused = self.refused();
        if fs::read_to_string(&refused).is_ok_and(|p| p.trim() == package) {
            return Err(Error::Refused {
                unit: self.unit.clone(),
                package: package.to_owned(),
                mark: refused,
            });
        }
        let record = self.state.join(RECORD);
        let recorded = match fs::read_to_string(&record) {
            Ok(r) => r.trim().to_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                fs::create_dir_all(&self.state).map_err(io(&self.state))?;
                fs::write(&record, package).map_err(io(&record))?;
                return Ok(Pre::First);
            }
            Err(e) => return Err(io(&record)(e)),
        };
        if recorded == package {
            return Ok(Pre::Same);
        }
        let meta = Meta {
            unit: self.unit.clone(),
            package: recorded.clone(),
            next: package.to_owned(),
        };
        let snap = crate::take(&self.snapshots, &self.state, &meta, keep)?;
        fs::write(&record, package).map_err(io(&record))?;
        let pending = self.pending();
        if gated {
            fs::write(&pending, snap.seq.to_string()).map_err(io(&pending))?;
        } else if pending.exists() {
            fs::remove_file(&pending).map_err(io(&pending))?;
        }
        Ok(Pre::Snapshot {
            seq: snap.seq,
            from: recorded,
        })
    }

    /// ExecStartPost: `probe` is asked until it says yes or `timeout` passes.
    pub fn health(
        &self,
        timeout: Duration,
        mut probe: impl FnMut() -> Result<(), String>,
    ) -> Result<(), Error> {
        let pending = self.pending();
        if !pending.exists() {
            return Ok(());
        }
        let deadline = Instant::now() + timeout;
        loop {
            let last = match probe() {
                Ok(()) => {
                    fs::remove_file(&pending).map_err(io(&pending))?;
                    return Ok(());
                }
                Err(e) => e,
            };
            if Instant::now() >= deadline {
                return Err(Error::Unhealthy {
                    unit: self.unit.clone(),
                    seconds: timeout.as_secs(),
                    last,
                });
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// ExecStopPost: `result` is systemd's `$SERVICE_RESULT`. Returns the
    /// restored snapshot's number when an upgrade was rolled back.
    pub fn stop_post(&self, result: &str) -> Result<Option<u64>, Error> {
        let pending = self.pending();
        let Ok(seq) = fs::read_to_string(&pending) else {
            return Ok(None);
        };
        if result == "success" {
            // Stopped cleanly before the gate decided: decide at the next start.
            return Ok(None);
        }
        let seq: u64 = seq.trim().parse().map_err(|_| Error::Meta {
            path: pending.clone(),
            message: format!("not a snapshot number: {seq:?}"),
        })?;
        let snap = crate::list(&self.snapshots, &self.unit)?
            .into_iter()
            .find(|s| s.seq == seq)
            .ok_or_else(|| Error::NoSnapshot {
                unit: self.unit.clone(),
                root: self.snapshots.clone(),
            })?;
        crate::restore(&snap, &self.state)?;
        let refused = self.refused();
        fs::write(&refused, &snap.meta.next).map_err(io(&refused))?;
        fs::remove_file(&pending).map_err(io(&pending))?;
        let metric = self.metric();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let text = format!(
            "# HELP atnix_upgrade_rolled_back Whether the last upgrade of the unit failed its health gate and its state was restored.\n\
             # TYPE atnix_upgrade_rolled_back gauge\n\
             atnix_upgrade_rolled_back{{unit=\"{unit}\"}} 1\n\
             # HELP atnix_upgrade_rolled_back_timestamp_seconds When the state was restored.\n\
             # TYPE atnix_upgrade_rolled_back_timestamp_seconds gauge\n\
             atnix_upgrade_rolled_back_timestamp_seconds{{unit=\"{unit}\"}} {now}\n",
            unit = self.unit
        );
        fs::write(&metric, text).map_err(io(&metric))?;
        Ok(Some(seq))
    }
}

/// The time a probe waits for one answer.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(tmp: &std::path::Path) -> Guard {
        Guard {
            unit: "demo".into(),
            state: tmp.join("state"),
            snapshots: tmp.join("snaps"),
        }
    }

    #[test]
    fn failed_gate_restores_and_refuses_the_new_package() {
        let tmp = tempfile::tempdir().unwrap();
        let g = guard(tmp.path());
        assert_eq!(g.pre("/nix/store/a-v1", 3, true).unwrap(), Pre::First);
        fs::write(g.state.join("db"), b"v1 data").unwrap();
        assert_eq!(g.pre("/nix/store/a-v1", 3, true).unwrap(), Pre::Same);
        let before = fs::read(g.state.join("db")).unwrap();

        let pre = g.pre("/nix/store/b-v2", 3, true).unwrap();
        assert!(matches!(pre, Pre::Snapshot { seq: 1, .. }), "{pre:?}");
        fs::write(g.state.join("db"), b"v2 migrated").unwrap();
        let err = g
            .health(Duration::ZERO, || Err("connection refused".into()))
            .unwrap_err();
        assert!(err.to_string().contains("connection refused"), "{err}");
        assert_eq!(g.stop_post("exit-code").unwrap(), Some(1));
        assert_eq!(fs::read(g.state.join("db")).unwrap(), before);
        assert_eq!(
            fs::read_to_string(g.state.join(RECORD)).unwrap(),
            "/nix/store/a-v1"
        );
        assert!(
            fs::read_to_string(g.metric())
                .unwrap()
                .contains("atnix_upgrade_rolled_back{unit=\"demo\"} 1")
        );
        let refused = g.pre("/nix/store/b-v2", 3, true).unwrap_err();
        assert!(
            refused.to_string().contains("failed its health check"),
            "{refused}"
        );
        // The old package still starts.
        assert_eq!(g.pre("/nix/store/a-v1", 3, true).unwrap(), Pre::Same);
    }

    #[test]
    fn passed_gate_keeps_the_migrated_state() {
        let tmp = tempfile::tempdir().unwrap();
        let g = guard(tmp.path());
        g.pre("/nix/store/a-v1", 3, true).unwrap();
        g.pre("/nix/store/b-v2", 3, true).unwrap();
        fs::write(g.state.join("db"), b"v2 migrated").unwrap();
        let mut tries = 0;
        g.health(Duration::from_secs(10), || {
            tries += 1;
            if tries < 2 {
                Err("starting".into())
            } else {
                Ok(())
            }
        })
        .unwrap();
        // A later crash is not an upgrade failure.
        assert_eq!(g.stop_post("exit-code").unwrap(), None);
        assert_eq!(fs::read(g.state.join("db")).unwrap(), b"v2 migrated");
    }
}
