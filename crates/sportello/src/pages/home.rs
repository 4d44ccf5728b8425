//! The home page: for a visitor, the front door to the public services; for a signed-in
//! user, what their role can do.

use crate::app::AppState;
use crate::web::error::AppError;
use crate::web::session::Viewer;
use crate::web::{Layout, NavLink, render};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use sportello_core::authz::AccessError;
use sportello_core::chambers;
use sportello_core::i18n::Lang;
use sportello_core::paging;
use sportello_core::work::{self, Waiting};

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    name: String,
    role: String,
    chamber: Option<String>,
    work: Vec<WorkItem>,
    links: Vec<NavLink>,
    /// A company user linked to no company yet (signed up with a digital identity): how to
    /// be linked.
    no_company: bool,
}

/// One kind of work waiting: how many, what, where the list is.
struct WorkItem {
    count: u64,
    /// The count as shown: the number, or "più di 999" past [`paging::COUNT_CAP`].
    shown: String,
    label: String,
    href: String,
    /// A line under the label (the nearest deadline).
    note: Option<String>,
    /// For the browser tests.
    test_id: String,
}

impl WorkItem {
    fn new(lang: Lang, count: u64, key: &str, href: impl Into<String>) -> WorkItem {
        WorkItem {
            count,
            shown: shown_count(lang, count),
            label: lang.t_count(key, count),
            href: href.into(),
            note: None,
            test_id: key.to_string(),
        }
    }
}

/// A home-page count in words: the counts stop reading at [`paging::COUNT_CAP`] (issue 14),
/// so one above it is "più di 999" (the desk page's counts too).
pub(crate) fn shown_count(lang: Lang, count: u64) -> String {
    if count > paging::COUNT_CAP {
        lang.t_args(
            "home-count-more",
            &[("count", paging::COUNT_CAP.to_string())],
        )
    } else {
        count.to_string()
    }
}

/// The cards of the work waiting, each linking to the list its count was read from.
fn work_items(waiting: Waiting, lang: Lang) -> Vec<WorkItem> {
    let item = |count, key: &str, href: &str| WorkItem::new(lang, count, key, href);
    match waiting {
        Waiting::Officer(w) => vec![
            item(w.to_review, "home-officer-to-review", "/desk?status=sent"),
            item(
                w.taken_by_me,
                "home-officer-taken-count",
                "/desk?status=in_review&taken=me",
            ),
            item(
                w.waiting_rectification,
                "home-officer-rectifying",
                "/desk?status=to_rectify",
            ),
        ],
        Waiting::Company(w) => {
            let mut to_rectify = item(
                w.to_rectify.total,
                "home-company-to-rectify",
                "/practices?list=to_rectify",
            );
            to_rectify.note = w.to_rectify.nearest_deadline.map(|d| {
                lang.t_args(
                    "home-company-deadline",
                    &[("when", sportello_core::display::stored_instant(&d))],
                )
            });
            vec![
                item(
                    w.drafts.total,
                    "home-company-drafts",
                    "/practices?list=to_send",
                ),
                to_rectify,
                item(w.sent.total, "home-company-sent", "/practices?list=sent"),
            ]
        }
        Waiting::Ra(w) => {
            let mut items: Vec<WorkItem> = w
                .appointments_today
                .into_iter()
                .map(|(desk, n)| {
                    let desk_code: String =
                        url::form_urlencoded::byte_serialize(desk.code.as_str().as_bytes())
                            .collect();
                    let mut i = item(
                        n,
                        "home-ra-appointments",
                        &format!("/appointments?desk={desk_code}"),
                    );
                    i.test_id = format!("home-ra-appointments-{desk_code}");
                    i.note = Some(desk.name);
                    i
                })
                .collect();
            if let Some(n) = w.withdrawals_pending {
                items.push(item(n, "home-ra-withdrawals", "/devices#withdrawals"));
            }
            if let Some(n) = w.write_offs_pending {
                items.push(item(n, "home-ra-write-offs", "/devices#write-offs"));
            }
            items.push(item(
                w.mandates_expiring,
                "home-ra-mandates",
                "/ra/operators?mandate=expiring",
            ));
            items
        }
        Waiting::ChamberAdmin(w) => vec![
            item(w.users, "home-admin-users", "/admin/users"),
            item(w.dead_jobs, "home-admin-dead-jobs", "/admin/jobs"),
        ],
        Waiting::Nothing => Vec::new(),
    }
}

/// The front door: what the service is and the three ways in that need no account
/// beforehand (verify a certificate, book an appointment) or lead to one (sign in).
#[derive(Template)]
#[template(path = "front_door.html")]
struct FrontDoor {
    layout: Layout,
}

impl FrontDoor {
    fn doors(&self) -> [(&'static str, String, String); 3] {
        let t = |key: &str| self.layout.t(key);
        [
            ("/verify", t("front-verify"), t("front-verify-text")),
            ("/book", t("front-book"), t("front-book-text")),
            ("/login", t("login-title"), t("front-login-text")),
        ]
    }
}

pub async fn home(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let Some(principal) = viewer.principal.as_ref() else {
        return Ok(render(&FrontDoor {
            layout: Layout::new(&viewer, "front-title"),
        })?
        .into_response());
    };
    let chamber = match &principal.user.chamber_id {
        Some(id) => chambers::get_chamber(&state.db, id).await?.map(|c| c.name),
        None => None,
    };
    // Someone outside any chamber's scope has no work listed, and still a home page.
    let waiting = match work::waiting(&state, principal).await {
        Err(AccessError::Forbidden | AccessError::NotFound) => Waiting::Nothing,
        other => other?,
    };
    let layout = Layout::new(&viewer, "home-title");
    // The layout's links: the role's pages, and a company's mandates or a broker's clients.
    let links = layout.nav.clone();
    Ok(render(&HomePage {
        layout,
        name: principal.user.name.clone(),
        role: viewer.lang.t(principal.role().label_key()),
        chamber,
        work: work_items(waiting, viewer.lang),
        links,
        // An intermediary's user without clients yet is not a company user without a company.
        no_company: principal.role() == sportello_core::accounts::Role::Company
            && principal.company_ids.is_empty()
            && principal.intermediary.is_none(),
    })?
    .into_response())
}
