//! The statistics page: devices issued per month (free and paid) as a server-rendered SVG
//! chart, per operator and office, stock and ageing, no-show rate; and its XLSX export.

use crate::app::AppState;
use crate::pages::devices::inventory::{StockLine, stock_lines};
use crate::web::download::{Download, XLSX};
use crate::web::{AppError, Layout, Viewer, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::{Months, NaiveDate};
use sportello_core::authz::{self, Action};
use sportello_core::devices::chamber_of;
use sportello_core::devices::stats::{self, Stats};

/// One month's bar: (label, x, free height, paid height, total).
pub(crate) struct Bar {
    pub label: String,
    pub x: u32,
    pub free_h: u32,
    pub paid_h: u32,
    pub free: i64,
    pub paid: i64,
}

#[derive(Template)]
#[template(path = "devices/stats.html")]
struct Page {
    layout: Layout,
    stats: Stats,
    bars: Vec<Bar>,
    stock: Vec<StockLine>,
    from: String,
    recalls: sportello_core::devices::recall::Counts,
}

impl Page {
    fn rate(&self, v: &(i64, i64)) -> String {
        Stats::rate(v)
    }
    fn tables(
        &self,
    ) -> Vec<(
        &'static str,
        &std::collections::BTreeMap<String, stats::Split>,
    )> {
        vec![
            ("dev-stats-by-operator", &self.stats.by_operator),
            ("dev-stats-by-office", &self.stats.by_office),
            ("dev-stats-by-month", &self.stats.by_month),
        ]
    }
}

#[derive(serde::Deserialize, Default)]
pub struct Period {
    #[serde(default)]
    from: String,
}

/// Statistics are for the Master RAO (inventory) and the chamber's management (dashboard).
fn allowed(viewer: &Viewer) -> Result<&sportello_core::accounts::Principal, AppError> {
    let p = viewer.require()?;
    if authz::allows(p.role(), Action::ManageInventory)
        || authz::allows(p.role(), Action::ViewDashboard)
    {
        Ok(p)
    } else {
        Err(AppError::forbidden())
    }
}

async fn data(
    state: &AppState,
    viewer: &Viewer,
    q: &Period,
) -> Result<(Stats, Vec<StockLine>), AppError> {
    let p = allowed(viewer)?;
    let chamber_id = chamber_of(p)?;
    let today = state.clock.today();
    let from = NaiveDate::parse_from_str(q.from.trim(), "%Y-%m-%d")
        .unwrap_or_else(|_| today.checked_sub_months(Months::new(12)).unwrap_or(today));
    let s = stats::build(&state.db, chamber_id, from, today).await?;
    let (lines, _) = stock_lines(state, chamber_id, viewer.lang).await?;
    Ok((s, lines))
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<Period>,
) -> Result<Response, AppError> {
    let (s, stock) = data(&state, &viewer, &q).await?;
    let recalls =
        sportello_core::devices::recall::counts(&state.db, chamber_of(allowed(&viewer)?)?).await?;
    let max = s
        .by_month
        .values()
        .map(|v| v.total())
        .max()
        .unwrap_or(0)
        .max(1);
    let bars = s
        .by_month
        .iter()
        .enumerate()
        .map(|(i, (m, v))| {
            let h = |n: i64| ((n as f64 / max as f64) * 160.0).round() as u32;
            Bar {
                label: m.clone(),
                x: 40 + i as u32 * 56,
                free_h: h(v.free),
                paid_h: h(v.paid),
                free: v.free,
                paid: v.paid,
            }
        })
        .collect();
    Ok(render(&Page {
        layout: Layout::new(&viewer, "dev-stats-title"),
        from: s.from.to_string(),
        stats: s,
        bars,
        stock,
        recalls,
    })?
    .into_response())
}

pub async fn xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<Period>,
) -> Result<Response, AppError> {
    let (s, stock) = data(&state, &viewer, &q).await?;
    let rows: Vec<(String, i64, i64)> = stock
        .into_iter()
        .map(|l| (l.label, l.smart_cards, l.tokens))
        .collect();
    let bytes = stats::to_xlsx(&s, &rows).map_err(AppError::internal)?;
    Ok(Download::new(XLSX, "dispositivi.xlsx", bytes).into_response())
}
