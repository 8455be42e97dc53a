//! A real SMTP server on loopback: scripts/smtp_sink.py (aiosmtpd) writing each message to a
//! folder.

use std::io::Read;
use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// scripts/smtp_sink.py (aiosmtpd) on a free loopback port, writing messages to a folder.
pub struct SmtpSink {
    child: Child,
    /// The port it listens on.
    pub port: u16,
    dir: PathBuf,
}

impl SmtpSink {
    /// `None` (after saying why) when Python is not configured and components are not required.
    pub fn start(dir: &Path, reject_first: usize) -> Option<Self> {
        let Some(python) = std::env::var_os("DRIFTSCAN_PYTHON") else {
            return super::component_missing(
                "an SMTP server (aiosmtpd)",
                "DRIFTSCAN_PYTHON is not set",
            );
        };
        let port = StdListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/smtp_sink.py");
        let mut child = Command::new(&python)
            .arg(&script)
            .args(["--port", &port.to_string(), "--out"])
            .arg(dir)
            .args(["--reject-first", &reject_first.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", script.display()));
        let mut out = child.stdout.take().unwrap();
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        while out.read(&mut byte).map(|n| n == 1).unwrap_or(false) && byte[0] != b'\n' {
            line.push(byte[0]);
        }
        if line != b"READY" {
            let _ = child.kill();
            panic!(
                "smtp_sink.py did not start (is aiosmtpd installed in {python:?}?): {:?}",
                String::from_utf8_lossy(&line)
            );
        }
        Some(SmtpSink {
            child,
            port,
            dir: dir.to_path_buf(),
        })
    }

    /// Every message received so far: the raw mail and its envelope, oldest first.
    pub fn messages(&self) -> Vec<(String, Value)> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|p| {
                let eml = std::fs::read_to_string(&p).unwrap();
                let env = std::fs::read(p.with_extension("json")).unwrap();
                (eml, serde_json::from_slice(&env).unwrap())
            })
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
