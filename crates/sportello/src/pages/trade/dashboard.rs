//! The dashboard page, with a server-rendered SVG chart and CSV/XLSX export.

use crate::app::AppState;
use crate::web::download::{Download, XLSX};
use crate::web::{AppError, Layout, Viewer, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::{Months, NaiveDate};
use sportello_core::authz::Action;
use sportello_core::trade::dashboard::{self, Dashboard, STATUSES};
use sportello_core::trade::practice::PracticeStatus;

/// One horizontal bar of the chart: a desk, its segments by status.
struct Bar {
    label: String,
    y: u32,
    segments: Vec<(u32, u32, &'static str, String)>,
    total: i64,
    total_x: u32,
}

#[derive(Template)]
#[template(path = "trade/dashboard.html")]
struct Page {
    layout: Layout,
    data: Dashboard,
    bars: Vec<Bar>,
    height: u32,
    legend: Vec<(&'static str, String)>,
    status_labels: Vec<String>,
}

impl Page {
    fn count(&self, row: &dashboard::DeskRow, status: &str) -> i64 {
        row.by_status.get(status).copied().unwrap_or(0)
    }
    fn hours(&self, h: &Option<f64>) -> String {
        h.map(|h| format!("{h:.1}")).unwrap_or_else(|| "—".into())
    }
}

fn colour(status: &str) -> &'static str {
    match status {
        "sent" => "#0066cc",
        "in_review" => "#5c6f82",
        "to_rectify" => "#cc7a00",
        "approved" => "#008055",
        _ => "#cc334d",
    }
}

#[derive(serde::Deserialize, Default)]
pub struct Period {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

async fn data(state: &AppState, viewer: &Viewer, q: &Period) -> Result<Dashboard, AppError> {
    let p = viewer.require_action(Action::ViewDashboard)?;
    let chamber_id = p.user.chamber_id.clone().ok_or_else(AppError::forbidden)?;
    let today = state.clock.today();
    let parse = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    let to = parse(&q.to).unwrap_or(today);
    let from =
        parse(&q.from).unwrap_or_else(|| to.checked_sub_months(Months::new(3)).unwrap_or(to));
    Ok(dashboard::build(&state.db, &chamber_id, from, to).await?)
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<Period>,
) -> Result<Response, AppError> {
    let d = data(&state, &viewer, &q).await?;
    let lang = viewer.lang;
    let max = d.desks.iter().map(|r| r.total).max().unwrap_or(0).max(1);
    let width = 560.0;
    let bars = d
        .desks
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut x = 0u32;
            let mut segments = Vec::new();
            for s in STATUSES {
                let n = row.by_status.get(s).copied().unwrap_or(0);
                if n > 0 {
                    let w = ((n as f64 / max as f64) * width).round().max(1.0) as u32;
                    let label = PracticeStatus::parse(s)
                        .map(|st| lang.t(st.label_key()))
                        .unwrap_or_default();
                    segments.push((x, w, colour(s), format!("{label}: {n}")));
                    x += w;
                }
            }
            Bar {
                label: row.desk.clone(),
                y: i as u32 * 36,
                segments,
                total: row.total,
                total_x: x + 6,
            }
        })
        .collect::<Vec<_>>();
    let height = (bars.len() as u32 * 36).max(36);
    Ok(render(&Page {
        layout: Layout::new(&viewer, "dash-title"),
        legend: STATUSES
            .iter()
            .map(|s| {
                (
                    colour(s),
                    PracticeStatus::parse(s)
                        .map(|st| lang.t(st.label_key()))
                        .unwrap_or_default(),
                )
            })
            .collect(),
        status_labels: STATUSES
            .iter()
            .map(|s| {
                PracticeStatus::parse(s)
                    .map(|st| lang.t(st.label_key()))
                    .unwrap_or_default()
            })
            .collect(),
        data: d,
        bars,
        height,
    })?
    .into_response())
}

pub async fn csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<Period>,
) -> Result<Response, AppError> {
    let d = data(&state, &viewer, &q).await?;
    let bytes = dashboard::to_csv(&d, viewer.lang).map_err(AppError::internal)?;
    Ok(Download::new("text/csv; charset=utf-8", "cruscotto.csv", bytes).into_response())
}

pub async fn xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<Period>,
) -> Result<Response, AppError> {
    let d = data(&state, &viewer, &q).await?;
    let bytes = dashboard::to_xlsx(&d, viewer.lang).map_err(AppError::internal)?;
    Ok(Download::new(XLSX, "cruscotto.xlsx", bytes).into_response())
}
