//! Helpers shared by the CLI tests: run the real binary and talk HTTP to it.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn zizhu() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zizhu"));
    cmd.env_remove("ZIZHU_DATABASE_URL");
    cmd
}

pub fn run(args: &[&str]) -> Output {
    zizhu().args(args).output().expect("the zizhu binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A loopback port that was free a moment ago.
pub fn free_addr() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().expect("local addr")
}

/// A plain HTTP/1.1 GET, enough for a smoke test without an HTTP client crate.
pub fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok((status, text))
}

/// Waits until the server answers on `path`, or fails after `limit`.
pub fn wait_for(addr: SocketAddr, path: &str, child: &mut Child, limit: Duration) -> (u16, String) {
    let start = Instant::now();
    loop {
        if let Ok(r) = http_get(addr, path) {
            return r;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("server exited early with {status}");
        }
        assert!(
            start.elapsed() < limit,
            "server did not answer within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Kills the child when dropped, so a failing assertion never leaves a
/// server running.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn spawn(args: &[&str]) -> Running {
    Running(
        zizhu()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn zizhu"),
    )
}
