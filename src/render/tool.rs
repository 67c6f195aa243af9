//! Finding and running the external tools that render (helm, kubectl, kustomize): a named
//! path or PATH, a working directory, an environment without network-reaching surprises, and a
//! timeout so a hanging tool cannot hang the run.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How a tool ended.
#[derive(Debug)]
pub struct ToolOutput {
    pub status: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub elapsed: Duration,
}

impl ToolOutput {
    #[must_use]
    pub fn success(&self) -> bool {
        self.status == Some(0)
    }
}

/// Why a tool did not produce output.
#[derive(Debug, PartialEq, Eq)]
pub enum ToolError {
    /// Not found: neither the configured path nor PATH has it.
    Missing { name: String },
    /// It could not be started (permissions, not an executable).
    Spawn { program: String, reason: String },
    /// It ran longer than the timeout and was killed.
    Timeout { program: String, after: Duration },
}

impl std::fmt::Display for ToolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Missing { name } => write!(f, "`{name}` was not found on PATH"),
            Self::Spawn { program, reason } => write!(f, "could not run `{program}`: {reason}"),
            Self::Timeout { program, after } => write!(
                f,
                "`{program}` did not finish within {} s and was stopped",
                after.as_secs()
            ),
        }
    }
}

impl std::error::Error for ToolError {}

/// The tool's path: `configured` when given (a path, or a bare name looked up on PATH), else
/// `name` on PATH.
///
/// # Errors
/// [`ToolError::Missing`] when there is no such executable.
pub fn find(name: &str, configured: Option<&Path>) -> Result<PathBuf, ToolError> {
    let wanted = configured.unwrap_or_else(|| Path::new(name));
    if wanted.components().count() > 1 || wanted.is_absolute() {
        return if wanted.is_file() {
            Ok(wanted.to_path_buf())
        } else {
            Err(ToolError::Missing {
                name: wanted.display().to_string(),
            })
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(wanted))
        .find(|candidate| is_executable(candidate))
        .ok_or_else(|| ToolError::Missing {
            name: wanted.display().to_string(),
        })
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// Run `program args` in `dir` with stdin closed; kill it after `timeout`.
///
/// # Errors
/// [`ToolError::Spawn`] when it cannot start, [`ToolError::Timeout`] when it runs too long.
pub fn run(
    program: &Path,
    args: &[OsString],
    dir: Option<&Path>,
    timeout: Duration,
) -> Result<ToolOutput, ToolError> {
    let started = Instant::now();
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let mut child = command.spawn().map_err(|e| ToolError::Spawn {
        program: program.display().to_string(),
        reason: e.to_string(),
    })?;
    // Drain both pipes on their own threads so a chatty tool never blocks on a full pipe.
    let stdout = child.stdout.take().map(|mut out| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = out.read_to_end(&mut buf);
            buf
        })
    });
    let stderr = child.stderr.take().map(|mut err| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = err.read_to_end(&mut buf);
            buf
        })
    });
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status.code(),
            Ok(None) if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ToolError::Timeout {
                    program: program.display().to_string(),
                    after: timeout,
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => {
                return Err(ToolError::Spawn {
                    program: program.display().to_string(),
                    reason: e.to_string(),
                });
            }
        }
    };
    let stdout = stdout.and_then(|t| t.join().ok()).unwrap_or_default();
    let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    Ok(ToolOutput {
        status,
        stdout,
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        elapsed: started.elapsed(),
    })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_missing_tool_is_named() {
        let err = find("daemonlint-no-such-tool", None);
        assert_eq!(
            err,
            Err(ToolError::Missing {
                name: "daemonlint-no-such-tool".into()
            })
        );
        let err = find("helm", Some(Path::new("./no/such/helm")));
        assert!(matches!(err, Err(ToolError::Missing { .. })), "{err:?}");
    }

    #[test]
    fn output_and_status_come_back() {
        let sh = find("sh", None).expect("sh on PATH");
        let out = run(
            &sh,
            &["-c".into(), "printf out; printf err >&2; exit 3".into()],
            None,
            Duration::from_secs(20),
        )
        .expect("runs");
        assert_eq!(out.stdout, b"out");
        assert_eq!(out.stderr, "err");
        assert_eq!(out.status, Some(3));
        assert!(!out.success());
    }

    #[test]
    fn a_hanging_tool_is_stopped() {
        let sh = find("sh", None).expect("sh on PATH");
        let started = Instant::now();
        let err = run(
            &sh,
            &["-c".into(), "sleep 30".into()],
            None,
            Duration::from_millis(200),
        );
        assert!(matches!(err, Err(ToolError::Timeout { .. })), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}
