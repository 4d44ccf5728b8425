//! The server's memory under hostile uploads, measured on a real `sportello serve` process
//! (its resident set read from `/proc`, not the test's): large bodies are refused before
//! they are read into memory.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A `sportello serve` process on a free port with its own SQLite database; killed on drop.
struct Server {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    async fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_sportello"))
            .arg("serve")
            .env_remove("DATABASE_URL")
            .env("SPORTELLO_DATA_DIR", dir.path().join("data"))
            .env("SPORTELLO_LISTEN", format!("127.0.0.1:{port}"))
            .env("SPORTELLO_WORKER", "false")
            .env("SPORTELLO_LOG_LEVEL", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start sportello serve");
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..200 {
            if reqwest::get(format!("{base}/healthz")).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Server {
            child,
            base,
            _dir: dir,
        }
    }

    /// The largest resident set the process has had, in kilobytes (`VmHWM`).
    fn peak_rss_kb(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc status of the server");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM")
    }
}

const BODY_BYTES: usize = 40 * 1024 * 1024;
const PARALLEL: usize = 16;

/// A multipart body with a 40 MB file first and the token after it (what a hostile client
/// sends to make the server read the whole upload to find the token).
fn hostile_multipart() -> (String, Vec<u8>) {
    let boundary = "XHOSTILEX";
    let mut body = Vec::with_capacity(BODY_BYTES + 512);
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"signed_model\"; \
             filename=\"a.p7m\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.resize(body.len() + BODY_BYTES, b'A');
    body.extend_from_slice(
        format!("\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nx\r\n--{boundary}--\r\n")
            .as_bytes(),
    );
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_40_mb_posts_without_a_token_leave_the_server_memory_flat() {
    let server = Server::start().await;
    let client = reqwest::Client::new();
    // Warm up: a few ordinary pages, so the baseline includes the allocator's working set.
    for _ in 0..5 {
        let _ = client.get(format!("{}/login", server.base)).send().await;
    }
    let baseline = server.peak_rss_kb();
    let (content_type, body) = hostile_multipart();
    let form = "csrf=x&".to_string() + &"a".repeat(BODY_BYTES);
    let mut posts = Vec::new();
    for i in 0..PARALLEL {
        let client = client.clone();
        let url = format!("{}/practices", server.base);
        let (content_type, body) = if i % 2 == 0 {
            (content_type.clone(), body.clone())
        } else {
            (
                "application/x-www-form-urlencoded".to_string(),
                form.clone().into_bytes(),
            )
        };
        posts.push(tokio::spawn(async move {
            client
                .post(url)
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .map(|r| r.status())
        }));
    }
    let mut refused = 0;
    for post in posts {
        // The server may answer and close before the client has sent everything: either
        // way nothing was accepted.
        match post.await.unwrap() {
            Ok(status) => {
                assert!(
                    status.is_client_error(),
                    "a hostile post was not refused: {status}"
                );
                refused += 1;
            }
            Err(_) => refused += 1,
        }
    }
    assert_eq!(refused, PARALLEL);
    let peak = server.peak_rss_kb();
    let grown_mb = peak.saturating_sub(baseline) / 1024;
    // Buffering the bodies would take 16 × 40 MB = 640 MB; reading only the first 64 KiB of
    // each (and 2 MiB of a URL-encoded form) stays within a few tens of megabytes.
    assert!(
        grown_mb < 100,
        "the server grew by {grown_mb} MB (from {baseline} kB to {peak} kB)"
    );
    // And it still serves.
    let ok = client
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();
    assert!(ok.status().is_success());
}

impl Server {
    /// The resident set now, in kilobytes (`VmRSS`).
    fn rss_kb(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc status of the server");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }
}

/// Issue 14: every Argon2 computation (a certificate's security code at verification, a
/// password at login) runs on a pool of one thread per core, so a burst of them leaves the
/// memory of that many computations in the allocator, not of one per request in flight
/// (tokio's blocking pool left 150-332 MiB resident after a verification burst).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_argon2_checks_leaves_the_server_memory_bounded() {
    let server = Server::start().await;
    let client = reqwest::Client::new();
    for _ in 0..5 {
        let _ = client.get(format!("{}/login", server.base)).send().await;
    }
    let baseline = server.rss_kb();
    // 160 verifications of unknown numbers (each checks the decoy hash: one Argon2id of
    // 8 MiB, under the per-address throttle of 200), 64 at a time.
    let mut checks = Vec::new();
    for i in 0..160 {
        let client = client.clone();
        let url = format!("{}/verify/C26GE{i:07}?code=ABCDEFGHJK", server.base);
        checks.push(tokio::spawn(async move {
            client.get(url).send().await.map(|r| r.status())
        }));
        if checks.len() == 64 {
            for c in checks.drain(..) {
                let status = c.await.unwrap().expect("verification answered");
                assert!(status.is_success() || status.is_client_error(), "{status}");
            }
        }
    }
    for c in checks {
        let status = c.await.unwrap().expect("verification answered");
        assert!(status.is_success() || status.is_client_error(), "{status}");
    }
    let after = server.rss_kb();
    let grown_mb = after.saturating_sub(baseline) / 1024;
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    // The pool's threads keep at most one computation's memory each (8 MiB here), with
    // room for the allocator's rounding and the requests' own buffers.
    let bound_mb = cores * 16 + 40;
    assert!(
        grown_mb < bound_mb,
        "the server grew by {grown_mb} MB after the burst (from {baseline} kB to {after} kB; \
         bound {bound_mb} MB)"
    );
    assert!(
        after / 1024 < 150,
        "the server holds {after} kB after the burst (target: under 150 MB)"
    );
}
