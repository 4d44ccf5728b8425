//! Off-boarding: disabling a user ends their sessions and tokens at once, a password change
//! revokes every token and every other session, API tokens are listed and revocable by their
//! owner and by the administrators who manage them, and nobody else.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use crate::plan_setup::{chamber_staff, savona, user_id};
use crate::trade::{Erp, LIGURE};
use reqwest::StatusCode;
use sportello_core::accounts::{self, Role};
use sportello_core::db::Engine;

async fn token_ids(app: &TestApp, user: &str) -> Vec<String> {
    accounts::token::list_for(&app.state.db, user)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect()
}

/// `GET /api/v1/me` with the token: its status.
async fn me(erp: &Erp) -> StatusCode {
    erp.get("/api/v1/me").send().await.unwrap().status()
}

/// Whether the browser's session still opens the account page.
async fn signed_in(b: &Browser) -> bool {
    b.get("/account").await.0 == StatusCode::OK
}

engine_tests!(
    a_disabled_users_session_and_token_stop_working_at_once,
    a_password_change_revokes_every_token_and_every_other_session,
    tokens_are_listed_and_revoked_by_their_owner_and_their_administrator_only,
    an_administrator_of_another_chamber_cannot_disable_or_revoke,
);

async fn a_disabled_users_session_and_token_stop_working_at_once(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (email, password) = TestApp::demo_login(Role::Officer);
    let officer = Browser::login(&app, email, password).await;
    let erp = Erp::login(&app, email, password).await;
    assert!(signed_in(&officer).await);
    assert_eq!(me(&erp).await, StatusCode::OK);
    let id = user_id(&app, Role::Officer).await;
    let (admin_email, admin_password) = TestApp::demo_login(Role::ChamberAdmin);
    let admin = Browser::login(&app, admin_email, admin_password).await;
    let (status, page) = admin.get("/admin/users").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&format!("/admin/users/{id}")),
        "the list links the user"
    );
    admin.get(&format!("/admin/users/{id}")).await;
    let (status, _, page) = admin
        .post_form(&format!("/admin/users/{id}/disable"), &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("disattivato"), "{page}");
    // At once: the next request of the session and of the token is refused.
    assert!(!signed_in(&officer).await, "the session ended");
    assert_eq!(
        me(&erp).await,
        StatusCode::UNAUTHORIZED,
        "the token is revoked"
    );
    let (status, _, body) = Browser::new(&app)
        .post_form("/login", &[("email", email), ("password", password)])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("disattivato"), "the right password says why");
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/auth/token"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "no new token either");
    // Enabled again, the user logs in anew; the old token stays revoked.
    let (status, _, _) = admin
        .post_form(&format!("/admin/users/{id}/enable"), &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    Browser::login(&app, email, password).await;
    assert_eq!(me(&erp).await, StatusCode::UNAUTHORIZED);
    // An administrator cannot disable themselves.
    let own = user_id(&app, Role::ChamberAdmin).await;
    let (status, _, _) = admin
        .post_form(&format!("/admin/users/{own}/disable"), &[])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // The command line does the same, and lists users with their state.
    let db = &app.db;
    let out = crate::cli::sportello(
        Some(db),
        &["admin", "user", "disable", "--email", email],
        "",
    );
    assert!(out.status.success(), "{}", crate::cli::text(&out.stderr));
    let erp = Erp::login(&app, admin_email, admin_password).await;
    let out = crate::cli::sportello(Some(db), &["admin", "user", "list", "--chamber", "GE"], "");
    assert!(out.status.success(), "{}", crate::cli::text(&out.stderr));
    let listing = crate::cli::text(&out.stdout);
    let line = listing.lines().find(|l| l.starts_with(email)).unwrap();
    assert!(line.ends_with("\tdisabled"), "{listing}");
    let out = crate::cli::sportello(Some(db), &["admin", "user", "enable", "--email", email], "");
    assert!(out.status.success());
    Browser::login(&app, email, password).await;
    let out = crate::cli::sportello(
        Some(db),
        &["admin", "user", "disable", "--email", "nobody@example.it"],
        "",
    );
    assert!(!out.status.success());
    assert!(crate::cli::text(&out.stderr).contains("no user"));
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action IN ('user.disable', 'user.enable')",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(audited, 4);
    assert_eq!(me(&erp).await, StatusCode::OK, "other users are untouched");
}

async fn a_password_change_revokes_every_token_and_every_other_session(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (email, password) = TestApp::demo_login(Role::Company);
    let here = Browser::login(&app, email, password).await;
    let elsewhere = Browser::login(&app, email, password).await;
    let erp1 = Erp::login(&app, email, password).await;
    let erp2 = Erp::login(&app, email, password).await;
    assert_eq!(me(&erp1).await, StatusCode::OK);
    here.get("/account").await;
    let new = "a brand new passphrase";
    let (status, _, page) = here
        .post_form(
            "/account/password",
            &[
                ("current", password),
                ("new_password", new),
                ("confirm", new),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        me(&erp1).await,
        StatusCode::UNAUTHORIZED,
        "30-day tokens die with the old password"
    );
    assert_eq!(me(&erp2).await, StatusCode::UNAUTHORIZED);
    assert!(!signed_in(&elsewhere).await, "other sessions end");
    assert!(signed_in(&here).await, "the session that changed it stays");
    let erp3 = Erp::login(&app, email, new).await;
    assert_eq!(me(&erp3).await, StatusCode::OK);
}

async fn tokens_are_listed_and_revoked_by_their_owner_and_their_administrator_only(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (email, password) = TestApp::demo_login(Role::Officer);
    let erp1 = Erp::login(&app, email, password).await;
    let erp2 = Erp::login(&app, email, password).await;
    let id = user_id(&app, Role::Officer).await;
    let tokens = token_ids(&app, &id).await;
    assert_eq!(tokens.len(), 2);
    // The owner sees both on the account page and revokes one.
    let owner = Browser::login(&app, email, password).await;
    let (_, page) = owner.get("/account").await;
    for t in &tokens {
        assert!(
            page.contains(&format!("/account/tokens/{t}/revoke")),
            "{page}"
        );
    }
    assert!(
        !page.contains("sp_"),
        "a token's value is never shown again"
    );
    let (status, _, page) = owner
        .post_form(&format!("/account/tokens/{}/revoke", tokens[0]), &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("revocato"), "{page}");
    let (first, second) = if me(&erp1).await == StatusCode::UNAUTHORIZED {
        (&erp1, &erp2)
    } else {
        (&erp2, &erp1)
    };
    assert_eq!(me(first).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(second).await, StatusCode::OK, "only that one");
    // Another user cannot revoke it from their account page.
    let (other_email, other_password) = TestApp::demo_login(Role::Company);
    let other = Browser::login(&app, other_email, other_password).await;
    other.get("/account").await;
    let (status, _, _) = other
        .post_form(&format!("/account/tokens/{}/revoke", tokens[1]), &[])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(me(second).await, StatusCode::OK);
    // The chamber's administrator sees and revokes it.
    let (admin_email, admin_password) = TestApp::demo_login(Role::ChamberAdmin);
    let admin = Browser::login(&app, admin_email, admin_password).await;
    let (status, page) = admin.get(&format!("/admin/users/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("/admin/users/{id}/tokens/{}/revoke", tokens[1])));
    let (status, _, _) = admin
        .post_form(
            &format!("/admin/users/{id}/tokens/{}/revoke", tokens[1]),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me(second).await, StatusCode::UNAUTHORIZED);
}

async fn an_administrator_of_another_chamber_cannot_disable_or_revoke(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let sv = savona(&app).await;
    let sv_admin = chamber_staff(
        &app,
        &sv.id,
        Role::ChamberAdmin,
        "admin@sv.test",
        "Amministratore SV",
    )
    .await;
    let (email, password) = TestApp::demo_login(Role::Officer);
    let officer = Erp::login(&app, email, password).await;
    let id = user_id(&app, Role::Officer).await;
    let token = token_ids(&app, &id).await.remove(0);
    sv_admin.get("/admin/users").await;
    for path in [
        format!("/admin/users/{id}/disable"),
        format!("/admin/users/{id}/tokens/{token}/revoke"),
        format!("/admin/users/{id}/enable"),
    ] {
        let (status, _, _) = sv_admin.post_form(&path, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(
        sv_admin.get(&format!("/admin/users/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, list) = sv_admin.get("/admin/users").await;
    assert!(!list.contains(email), "GE's staff is not on SV's list");
    assert_eq!(me(&officer).await, StatusCode::OK, "untouched");
    let active: i64 = sqlx::query_scalar("SELECT active FROM users WHERE id = $1")
        .bind(&id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(active, 1);
    // A company user is managed by the chamber the company files with, once it has.
    let company_id = user_id(&app, Role::Company).await;
    let (ge_email, ge_password) = TestApp::demo_login(Role::ChamberAdmin);
    let ge_admin = Browser::login(&app, ge_email, ge_password).await;
    assert_eq!(
        ge_admin.get(&format!("/admin/users/{company_id}")).await.0,
        StatusCode::NOT_FOUND
    );
    let erp = Erp::demo(&app, Role::Company).await;
    erp.complete_profile(LIGURE).await;
    let practice = crate::trade::ready_practice(&erp, &[]).await;
    let r = erp
        .post(&format!("/api/v1/practices/{practice}/send"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        ge_admin.get(&format!("/admin/users/{company_id}")).await.0,
        StatusCode::OK
    );
    let (status, _, _) = ge_admin
        .post_form(&format!("/admin/users/{company_id}/disable"), &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me(&erp).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        sv_admin.get(&format!("/admin/users/{company_id}")).await.0,
        StatusCode::NOT_FOUND,
        "SV, where the company files nothing, does not manage its users"
    );
}
