//! Child processes with a deadline: a process still running at the deadline
//! is killed with its whole process group (git's transport helpers included),
//! so nothing is left running behind a timeout.

use std::io::{Read, Seek, SeekFrom};
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Output, Stdio};
use std::time::Instant;

use wait_timeout::ChildExt;

pub(crate) enum Failed {
    Spawn(std::io::Error),
    TimedOut,
}

/// Runs `cmd` like [`Command::output`], in a process group of its own that is
/// killed at `deadline`. Output goes to anonymous temporary files, so a
/// chatty child never blocks on a full pipe while it is waited for.
pub(crate) fn output_until(mut cmd: Command, deadline: Instant) -> Result<Output, Failed> {
    let mut out = tempfile::tempfile().map_err(Failed::Spawn)?;
    let mut err = tempfile::tempfile().map_err(Failed::Spawn)?;
    cmd.stdout(Stdio::from(out.try_clone().map_err(Failed::Spawn)?))
        .stderr(Stdio::from(err.try_clone().map_err(Failed::Spawn)?))
        .process_group(0);
    let mut child = cmd.spawn().map_err(Failed::Spawn)?;
    let left = deadline.saturating_duration_since(Instant::now());
    let status: ExitStatus = match child.wait_timeout(left).map_err(Failed::Spawn)? {
        Some(status) => status,
        None => {
            kill_group(child.id());
            // Reap it; SIGKILL cannot be ignored, so this returns at once.
            let _ = child.wait();
            return Err(Failed::TimedOut);
        }
    };
    let read = |f: &mut std::fs::File| -> std::io::Result<Vec<u8>> {
        let mut buf = Vec::new();
        f.seek(SeekFrom::Start(0))?;
        f.read_to_end(&mut buf)?;
        Ok(buf)
    };
    Ok(Output {
        status,
        stdout: read(&mut out).map_err(Failed::Spawn)?,
        stderr: read(&mut err).map_err(Failed::Spawn)?,
    })
}

fn kill_group(pid: u32) {
    use nix::sys::signal::{Signal, killpg};
    use nix::unistd::Pid;
    // The child leads its own group (process_group(0)), so its pid is the group id.
    if let Err(e) = killpg(Pid::from_raw(pid as i32), Signal::SIGKILL) {
        tracing::warn!(pid, "cannot kill the timed-out process group: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_hanging_child_and_its_children_are_killed() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("grandchild-ran");
        let mut cmd = Command::new("sh");
        // The grandchild would write the marker after 2s if it survived the kill.
        cmd.arg("-c").arg(format!(
            "(sleep 2; touch '{}') & sleep 30",
            marker.display()
        ));
        let start = Instant::now();
        let got = output_until(cmd, Instant::now() + Duration::from_millis(300));
        assert!(matches!(got, Err(Failed::TimedOut)));
        assert!(start.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(2500));
        assert!(!marker.exists(), "a grandchild outlived the deadline");
    }

    #[test]
    fn output_is_captured() {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg("echo out; echo err >&2; exit 3");
        let Ok(out) = output_until(cmd, Instant::now() + Duration::from_secs(30)) else {
            panic!("sh did not run");
        };
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr, b"err\n");
        assert_eq!(out.status.code(), Some(3));
    }
}
