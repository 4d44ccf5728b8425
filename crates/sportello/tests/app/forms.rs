//! Form errors as people meet them: a summary at the top naming each field in error by its
//! label and linking to it, every field in error marked `aria-invalid` and tied to its
//! message, all the errors of a form at once, and a page that says the size limit when an
//! upload is too large.

use crate::engine_tests;
use crate::helpers::{Browser, TestApp};
use reqwest::StatusCode;
use sportello_core::accounts::Role;
use sportello_core::db::Engine;

engine_tests!(
    the_error_summary_names_each_field_by_its_label_and_links_to_it,
    the_upload_form_names_all_its_errors_at_once,
    an_upload_over_the_size_limit_gets_a_page_that_says_the_limit
);

/// The error summary of a page (the `data-testid="error-summary"` block).
fn summary(body: &str) -> &str {
    let at = body
        .find("data-testid=\"error-summary\"")
        .unwrap_or_else(|| panic!("no error summary in {body}"));
    let rest = &body[at..];
    &rest[..rest.find("</div>").unwrap()]
}

/// The text of some markup, without its tags.
fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// The `<input>`, `<select>` or `<textarea>` tag whose id is `id`.
fn control<'a>(body: &'a str, id: &str) -> &'a str {
    let at = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let start = body[..at].rfind('<').unwrap();
    &body[start..start + body[start..].find('>').unwrap()]
}

/// The summary links to `#id` under `label`, and the field is marked invalid and described by
/// its message, which is in the page.
fn assert_named(body: &str, id: &str, label: &str) {
    let s = summary(body);
    assert!(
        s.contains(&format!("<a href=\"#{id}\">{label}</a>")),
        "the summary links to #{id} as «{label}»: {s}"
    );
    let c = control(body, id);
    assert!(c.contains("aria-invalid=\"true\""), "#{id} is invalid: {c}");
    assert!(
        c.contains(&format!("{id}-error\"")),
        "#{id} is described by its message: {c}"
    );
    assert!(
        body.contains(&format!("id=\"{id}-error\"")),
        "the message of #{id} is shown"
    );
}

async fn the_error_summary_names_each_field_by_its_label_and_links_to_it(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;

    // Login: both fields empty, both named (not "Campo obbligatorio." twice).
    let anonymous = Browser::new(&app);
    anonymous.get("/login").await;
    let (status, _, body) = anonymous
        .post_form("/login", &[("email", ""), ("password", "")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_named(&body, "email", "Indirizzo e-mail");
    assert_named(&body, "password", "Password");
    assert!(summary(&body).contains("Ci sono 2 errori"));

    // Verification: half filled in, the missing field is named.
    let (status, body) = anonymous.get("/verify?number=C26GE0000123&code=").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_named(&body, "code", "Codice di sicurezza");
    assert!(!body.contains("href=\"#number\""), "the number was given");

    // Account: the three password fields, all at once.
    let (email, password) = TestApp::demo_login(Role::Company);
    let b = Browser::login(&app, email, password).await;
    b.get("/account").await;
    let (status, _, body) = b
        .post_form(
            "/account/password",
            &[("current", ""), ("new_password", ""), ("confirm", "")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_named(&body, "current", "Password attuale");
    assert_named(&body, "new_password", "Nuova password");
    assert_named(&body, "confirm", "Ripeti la nuova password");
    // A wrong current password is named on its field.
    let (_, _, body) = b
        .post_form(
            "/account/password",
            &[
                ("current", "not-the-password"),
                ("new_password", "a long enough passphrase"),
                ("confirm", "a long enough passphrase"),
            ],
        )
        .await;
    assert_named(&body, "current", "Password attuale");

    // Company profile: each field in error by its label, the typed values kept.
    b.get("/company/profile").await;
    let (status, _, body) = b
        .post_form(
            "/company/profile",
            &[
                ("tax_code", "IT01879020517"),
                ("delivery_address", ""),
                ("postcode", "1612"),
                ("municipality", "Genova"),
                ("province", "GE"),
                ("notification_email", "export@ligure-export.test"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_named(&body, "postcode", "CAP");
    assert_named(&body, "delivery_address", "Indirizzo");
    assert!(body.contains("value=\"1612\""), "nothing typed is lost");
    assert!(
        !visible_text(summary(&body)).contains('_'),
        "no raw field name in the summary"
    );

    // A new user: every empty field at once, what was typed kept.
    let (email, password) = TestApp::demo_login(Role::ChamberAdmin);
    let admin = Browser::login(&app, email, password).await;
    admin.get("/admin/users").await;
    let (status, _, body) = admin
        .post_form(
            "/admin/users",
            &[
                ("name", ""),
                ("email", "nuovo@camera.test"),
                ("role", ""),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_named(&body, "name", "Nome");
    assert_named(&body, "role", "Ruolo");
    assert_named(&body, "password", "Password iniziale");
    assert!(summary(&body).contains("Ci sono 3 errori"));
    assert!(body.contains("value=\"nuovo@camera.test\""));

    // A new desk: a bad code and an empty name, both named, the code kept.
    admin.get("/admin/desks").await;
    let (status, _, body) = admin
        .post_form("/admin/desks", &[("code", "ge genova!"), ("name", "")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_named(&body, "code", "Codice");
    assert_named(&body, "name", "Nome");
    assert!(body.contains("value=\"ge genova!\""));
}

async fn the_upload_form_names_all_its_errors_at_once(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (email, password) = TestApp::demo_login(Role::Company);
    let b = Browser::login(&app, email, password).await;
    b.get("/practices/new").await;
    // No file, copies out of range, a duplicate without the certificate it replaces: three
    // problems, one answer (the creation alone stops at the missing file).
    let form = reqwest::multipart::Form::new()
        .text("desk", "GE-GENOVA")
        .text("copies", "99")
        .text("duplicate", "true")
        .text("goods_location", "Magazzino");
    let (status, _, body) = b.post_multipart("/practices", form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_named(&body, "signed_model", "Modello base firmato (.p7m)");
    assert_named(&body, "copies", "Copie in più");
    assert_named(&body, "replaces", "Sostituisce il certificato n.");
    assert!(
        summary(&body).contains("Ci sono 3 errori"),
        "{}",
        summary(&body)
    );
    assert!(
        body.contains("value=\"Magazzino\""),
        "nothing typed is lost"
    );
}

async fn an_upload_over_the_size_limit_gets_a_page_that_says_the_limit(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    let (email, password) = TestApp::demo_login(Role::Company);
    let b = Browser::login(&app, email, password).await;
    b.get("/practices/new").await;
    let huge = vec![0x30u8; sportello::web::MAX_BODY_BYTES + 1024];
    let form = reqwest::multipart::Form::new()
        .text("desk", "GE-GENOVA")
        .part(
            "signed_model",
            reqwest::multipart::Part::bytes(huge).file_name("modello.p7m"),
        );
    let host = b.base.trim_start_matches("http://").to_string();
    let r = b
        .client
        .post(format!("{}/practices", b.base))
        .header("X-CSRF-Token", b.csrf())
        .header("Referer", format!("http://{host}/practices/new"))
        .multipart(form)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("File troppo grande"),
        "a title that says it: {body}"
    );
    assert!(body.contains("il limite è 32 MB"), "the limit is named");
    assert!(
        body.contains(
            "href=\"/practices/new\" class=\"btn btn-primary me-3\" data-testid=\"error-back\""
        ),
        "a link back to the form"
    );

    // A signed model over its own limit is named on its field, with that limit.
    let big = vec![0x30u8; sportello_core::trade::practice::create::MAX_SIGNED_MODEL_BYTES + 1];
    let form = reqwest::multipart::Form::new()
        .text("desk", "GE-GENOVA")
        .text("proforma", "false")
        .text("goods_location", "Magazzino")
        .part(
            "signed_model",
            reqwest::multipart::Part::bytes(big).file_name("modello.p7m"),
        );
    let (status, _, body) = b.post_multipart("/practices", form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_named(&body, "signed_model", "Modello base firmato (.p7m)");
    assert!(body.contains("il limite è 5 MB"), "{}", summary(&body));
}
