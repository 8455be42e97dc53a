//! `driftscan serve` as a real process on a free loopback port.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running server; killed on drop.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// The server's process id (to read its memory from `/proc/<pid>/status`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's peak resident memory so far (`VmHWM`), in bytes.
    pub fn peak_rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("the server's /proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .expect("VmHWM in kB")
            * 1024
    }

    /// Creates a detector over the REST API; the answer must be `201 Created`.
    pub async fn create_detector(&self, client: &reqwest::Client, definition: &serde_json::Value) {
        let r = client
            .post(format!("{}/api/detectors", self.base))
            .json(definition)
            .send()
            .await
            .expect("the create request answers");
        assert_eq!(r.status().as_u16(), 201, "creating {definition}");
    }

    /// Runs a detector for `date` over the REST API and returns the answer's JSON.
    pub async fn run_detector(
        &self,
        client: &reqwest::Client,
        name: &str,
        date: &str,
    ) -> serde_json::Value {
        client
            .post(format!("{}/api/detectors/{name}/run", self.base))
            .json(&serde_json::json!({"target_date": date}))
            .send()
            .await
            .expect("the run answers")
            .json()
            .await
            .expect("the run answers JSON")
    }

    /// Starts `driftscan serve` on `store` with extra arguments and environment, and waits until
    /// `GET /` answers (at most 20 s).
    pub fn start(store: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        let port = free_port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_driftscan"));
        cmd.arg("serve")
            .args(["--port", &port.to_string()])
            .args(args)
            .env("DRIFTSCAN_STORE", store)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("driftscan serve starts");
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "driftscan serve did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        server
    }
}
