//! The login with a smart card (CNS) through a real nginx on TLS, run unprivileged from a
//! temp dir with the committed `deploy/nginx/sportello-cns.conf` rendered with the test's
//! port and the server certificate of the test card authority (`scripts/cns-pki.sh`). The
//! client presents the card's certificate in the TLS handshake as a browser with a card
//! reader would: nginx (`ssl_verify_client optional_no_ca`) forwards it to the login route,
//! Sportello judges it. A client with no card is told no card was read; a client that
//! forges the certificate header itself is not believed.
//!
//! Needs nginx (`SPORTELLO_TEST_NGINX`, the binary; `scripts/test` sets it) at build time,
//! else it is compiled as ignored.

use crate::cns::{Cards, app_with_cards};
use crate::helpers::csrf_of;
use reqwest::StatusCode;
use sportello_core::db::Engine;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The user nginx runs as when the test runs as root.
const NOBODY: u32 = 65534;

/// nginx, stopped when the test ends.
struct Nginx {
    child: Child,
    log: std::path::PathBuf,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|ids| ids.split_whitespace().nth(1).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

/// The committed site with the test's port and certificate. Every replaced line must be
/// there, so a change to the file the test no longer matches fails here, not silently.
fn render_site(listen: u16, prefix: &Path) -> String {
    let committed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/nginx/sportello-cns.conf"),
    )
    .expect("deploy/nginx/sportello-cns.conf");
    let mut site = committed;
    for (from, to) in [
        (
            "    listen 443 ssl;\n".to_string(),
            format!("    listen 127.0.0.1:{listen} ssl;\n"),
        ),
        (
            "    ssl_certificate     /etc/ssl/sportello/fullchain.pem;\n".to_string(),
            format!("    ssl_certificate     {}/server.pem;\n", prefix.display()),
        ),
        (
            "    ssl_certificate_key /etc/ssl/sportello/privkey.pem;\n".to_string(),
            format!("    ssl_certificate_key {}/server.key;\n", prefix.display()),
        ),
    ] {
        assert_eq!(
            site.matches(&from).count(),
            1,
            "deploy/nginx/sportello-cns.conf no longer has `{}`",
            from.trim()
        );
        site = site.replace(&from, &to);
    }
    site
}

fn start_nginx(dir: &Path, cards: &Cards, listen: u16, app_port: u16) -> Nginx {
    let nginx = std::env::var("SPORTELLO_TEST_NGINX")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "/usr/sbin/nginx".into());
    let prefix = dir.join("nginx");
    std::fs::create_dir_all(prefix.join("logs")).unwrap();
    for file in ["server.pem", "server.key"] {
        std::fs::copy(cards.path(file), prefix.join(file)).unwrap();
    }
    std::fs::write(
        prefix.join("sportello-cns.conf"),
        render_site(listen, &prefix),
    )
    .unwrap();
    let p = prefix.display();
    std::fs::write(
        prefix.join("nginx.conf"),
        format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {p}/nginx.pid;\n\
             error_log {p}/logs/error.log warn;\nevents {{ worker_connections 64; }}\n\
             http {{\n  access_log {p}/logs/access.log;\n  client_body_temp_path {p}/client_body;\n\
               proxy_temp_path {p}/proxy;\n  fastcgi_temp_path {p}/fastcgi;\n\
               uwsgi_temp_path {p}/uwsgi;\n  scgi_temp_path {p}/scgi;\n\
               upstream sportello {{ server 127.0.0.1:{app_port}; keepalive 4; }}\n\
               include {p}/sportello-cns.conf;\n}}\n"
        ),
    )
    .unwrap();
    let mut cmd = Command::new(&nginx);
    cmd.arg("-p")
        .arg(&prefix)
        .arg("-c")
        .arg(prefix.join("nginx.conf"))
        .arg("-e")
        .arg(prefix.join("logs/error.log"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if running_as_root() {
        use std::os::unix::fs::PermissionsExt;
        use std::os::unix::process::CommandExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o711)).unwrap();
        for entry in [
            "",
            "logs",
            "nginx.conf",
            "sportello-cns.conf",
            "server.pem",
            "server.key",
        ] {
            let path = if entry.is_empty() {
                prefix.clone()
            } else {
                prefix.join(entry)
            };
            std::os::unix::fs::chown(&path, Some(NOBODY), Some(NOBODY)).unwrap();
        }
        cmd.uid(NOBODY).gid(NOBODY);
    }
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start nginx ({nginx}): {e}"));
    Nginx {
        child,
        log: prefix.join("logs/error.log"),
    }
}

/// A browser over TLS that trusts the test authority, with the card `card` in its reader
/// (none: no card).
fn browser(cards: &Cards, card: Option<&str>) -> reqwest::Client {
    let ca = std::fs::read(cards.path("ca.pem")).unwrap();
    let mut builder = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap());
    if let Some(card) = card {
        let mut pem = std::fs::read(cards.path(&format!("{card}.pem"))).unwrap();
        pem.extend(std::fs::read(cards.path(&format!("{card}.key"))).unwrap());
        builder = builder.identity(reqwest::Identity::from_pem(&pem).expect("card identity"));
    }
    builder.build().unwrap()
}

/// Presses "Entra con CNS" through nginx, optionally forging the certificate header.
async fn press_cns(
    client: &reqwest::Client,
    base: &str,
    forged: Option<&str>,
) -> (StatusCode, Option<String>, String) {
    let page = client
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("GET /login through nginx")
        .text()
        .await
        .unwrap();
    assert!(page.contains("Entra con CNS"), "{page}");
    let csrf = csrf_of(&page).expect("csrf");
    let mut request = client
        .post(format!("{base}/login/cns"))
        .form(&[("csrf", csrf.as_str()), ("next", "/")]);
    if let Some(forged) = forged {
        request = request.header("X-SSL-Client-Cert", forged);
    }
    let r = request.send().await.expect("POST /login/cns through nginx");
    let status = r.status();
    let to = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (status, to, r.text().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(sportello_test_nginx), ignore = "SPORTELLO_TEST_NGINX is not set")]
async fn a_card_presented_to_nginx_logs_in_and_a_forged_header_is_not_believed() {
    let cards = Cards::make();
    let app = app_with_cards(Engine::Sqlite, &cards, "127.0.0.1").await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut nginx = start_nginx(dir.path(), &cards, port, app.addr.port());
    let base = format!("https://127.0.0.1:{port}");
    let probe = browser(&cards, None);
    let mut ready = false;
    for _ in 0..200 {
        if let Ok(Some(status)) = nginx.child.try_wait() {
            panic!(
                "nginx exited ({status}):\n{}",
                std::fs::read_to_string(&nginx.log).unwrap_or_default()
            );
        }
        if probe
            .get(format!("{base}/login"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        ready,
        "nginx does not answer:\n{}",
        std::fs::read_to_string(&nginx.log).unwrap_or_default()
    );
    let users = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users")
            .fetch_one(app.db.db.pool())
            .await
            .unwrap()
    };

    // No card in the reader: nginx forwards nothing, the page says no card was read.
    let (status, _, body) = press_cns(&probe, &base, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body.contains("Non è stata letta nessuna carta"), "{body}");

    // No card, but the certificate header forged by the client: nginx replaces it, so
    // Sportello still reads no card, and nobody is logged in.
    let forger = browser(&cards, None);
    let (status, to, body) = press_cns(&forger, &base, Some(&cards.escaped("mario"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(to, None);
    assert!(body.contains("Non è stata letta nessuna carta"), "{body}");
    assert_eq!(users().await, 0);

    // Mario's card in the reader: logged in, account made.
    let mario = browser(&cards, Some("mario"));
    let (status, to, body) = press_cns(&mario, &base, None).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(to.as_deref(), Some("/welcome"));
    let welcome = mario
        .get(format!("{base}/welcome"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(welcome.contains("Mario Rossi"), "{welcome}");
    assert_eq!(users().await, 1);

    // A card of an authority nobody trusts, presented in the handshake: nginx lets it
    // through (it judges none), Sportello refuses it.
    let stranger = browser(&cards, Some("stranger"));
    let (status, _, body) = press_cns(&stranger, &base, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body.replace("&#39;", "'")
            .contains("non è stato emesso da un'autorità riconosciuta"),
        "{body}"
    );
    assert_eq!(users().await, 1);
    drop(nginx);
}
