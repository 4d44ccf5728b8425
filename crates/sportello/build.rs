//! The black-box tests' PostgreSQL variants are compiled to run only when
//! `SPORTELLO_TEST_POSTGRES` is set at build time; otherwise they are marked ignored, so a
//! run without PostgreSQL reports them as ignored instead of counting them as passed.
//! Likewise the S3-compatible blob-store tests with `SPORTELLO_TEST_S3` (the test server's
//! endpoint URL; `scripts/test` starts one), and the multi-instance test with
//! `SPORTELLO_TEST_NGINX` (the nginx binary's path; `scripts/test` installs nginx and sets it).
//! And the digital-identity login tests, which spawn the local OpenID provider of
//! `scripts/oidc-provider` (Node.js and its npm package, installed by
//! `scripts/oidc-provider/install`).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(sportello_test_postgres)");
    println!("cargo::rerun-if-env-changed=SPORTELLO_TEST_POSTGRES");
    if std::env::var("SPORTELLO_TEST_POSTGRES").is_ok_and(|v| !v.trim().is_empty()) {
        println!("cargo::rustc-cfg=sportello_test_postgres");
    }
    println!("cargo::rustc-check-cfg=cfg(sportello_test_s3)");
    println!("cargo::rerun-if-env-changed=SPORTELLO_TEST_S3");
    if std::env::var("SPORTELLO_TEST_S3").is_ok_and(|v| !v.trim().is_empty()) {
        println!("cargo::rustc-cfg=sportello_test_s3");
    }
    println!("cargo::rustc-check-cfg=cfg(sportello_test_nginx)");
    println!("cargo::rerun-if-env-changed=SPORTELLO_TEST_NGINX");
    if std::env::var("SPORTELLO_TEST_NGINX").is_ok_and(|v| !v.trim().is_empty()) {
        println!("cargo::rustc-cfg=sportello_test_nginx");
    }
    println!("cargo::rustc-check-cfg=cfg(sportello_test_oidc)");
    // The folder (scanned by cargo) changes when its packages are installed or removed.
    println!("cargo::rerun-if-changed=../../scripts/oidc-provider");
    let installed =
        std::path::Path::new("../../scripts/oidc-provider/node_modules/oidc-provider/package.json")
            .is_file();
    let node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if installed && node {
        println!("cargo::rustc-cfg=sportello_test_oidc");
    }
}
