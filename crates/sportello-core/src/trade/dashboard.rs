//! The chamber's foreign-trade dashboard (beyond the seeds: what the best systems show):
//! practices per desk and status, the time from sending to decision (median and 90th
//! percentile), and the reasons for rectifications and rejections. Scoped to one chamber.

use crate::db::{self, Db};
use crate::i18n::Lang;
use crate::trade::practice::PracticeStatus;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// Counts of one desk, by status.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DeskRow {
    pub desk: String,
    pub by_status: BTreeMap<String, i64>,
    pub total: i64,
    /// Hours from sending to the decision, over the decided practices of the period.
    pub median_hours: Option<f64>,
    pub p90_hours: Option<f64>,
    pub decided: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Dashboard {
    pub from: String,
    pub to: String,
    pub desks: Vec<DeskRow>,
    pub rectification_reasons: Vec<(String, i64)>,
    pub rejection_reasons: Vec<(String, i64)>,
}

/// The value at quantile `q` (0..=1) of sorted values, by nearest rank.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

/// The dashboard of a chamber over the practices sent between `from` and `to` (inclusive).
pub async fn build(
    db: &Db,
    chamber_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Dashboard, sqlx::Error> {
    let start = format!("{}T00:00:00", db::date(from));
    let end = format!("{}T00:00:00", db::date(to.succ_opt().unwrap_or(to)));
    let rows: Vec<(String, String, Option<String>, Option<String>)> = sqlx::query_as(PERIOD)
        .bind(chamber_id)
        .bind(&start)
        .bind(&end)
        .fetch_all(db.pool())
        .await?;
    let mut desks: BTreeMap<String, (DeskRow, Vec<f64>)> = BTreeMap::new();
    for (desk, status, sent, closed) in rows {
        let entry = desks.entry(desk.clone()).or_insert_with(|| {
            (
                DeskRow {
                    desk,
                    ..DeskRow::default()
                },
                Vec::new(),
            )
        });
        *entry.0.by_status.entry(status.clone()).or_default() += 1;
        entry.0.total += 1;
        if matches!(status.as_str(), "approved" | "rejected")
            && let (Some(s), Some(c)) = (sent, closed)
            && let (Ok(s), Ok(c)) = (db::parse_instant(&s), db::parse_instant(&c))
        {
            entry.1.push(hours(s, c));
        }
    }
    let desks = desks
        .into_values()
        .map(|(mut row, mut times)| {
            times.sort_by(f64::total_cmp);
            row.median_hours = quantile(&times, 0.5);
            row.p90_hours = quantile(&times, 0.9);
            row.decided = times.len();
            row
        })
        .collect();
    let reasons = |column: &'static str| {
        let sql = match column {
            "rectify_reason" => {
                "SELECT rectify_reason, COUNT(*) FROM practices WHERE chamber_id = $1 AND rectify_reason IS NOT NULL \
                 AND sent_at >= $2 AND sent_at < $3 GROUP BY rectify_reason ORDER BY COUNT(*) DESC, rectify_reason LIMIT 10"
            }
            _ => {
                "SELECT decision_reason, COUNT(*) FROM practices WHERE chamber_id = $1 AND status = 'rejected' \
                 AND decision_reason IS NOT NULL AND sent_at >= $2 AND sent_at < $3 GROUP BY decision_reason \
                 ORDER BY COUNT(*) DESC, decision_reason LIMIT 10"
            }
        };
        sqlx::query_as::<_, (String, i64)>(sql)
            .bind(chamber_id)
            .bind(start.clone())
            .bind(end.clone())
            .fetch_all(db.pool())
    };
    Ok(Dashboard {
        from: db::date(from),
        to: db::date(to),
        desks,
        rectification_reasons: reasons("rectify_reason").await?,
        rejection_reasons: reasons("decision_reason").await?,
    })
}

/// The practices of the period, a range of `practices_chamber_sent` (chamber, sending
/// instant): the dashboard reads its period, never the chamber's whole history (issue 14).
const PERIOD: &str = "SELECT d.name, p.status, p.sent_at, p.closed_at FROM practices p \
    JOIN desks d ON d.id = p.desk_id \
    WHERE p.chamber_id = $1 AND p.sent_at IS NOT NULL AND p.sent_at >= $2 AND p.sent_at < $3";

/// The engine's plan of the dashboard's read of its period.
pub async fn period_plan(
    db: &Db,
    chamber_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<String>, sqlx::Error> {
    let sql = format!("{}{PERIOD}", crate::paging::explain(db));
    crate::paging::plan(
        db,
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(chamber_id)
            .bind(format!("{}T00:00:00", db::date(from)))
            .bind(format!("{}T00:00:00", db::date(to))),
    )
    .await
}

fn hours(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_seconds().max(0) as f64 / 3600.0
}

/// The statuses shown as columns, in workflow order.
pub const STATUSES: [&str; 5] = ["sent", "in_review", "to_rectify", "approved", "rejected"];

/// The column headings of the desks table, in the reader's language (the page's).
pub fn headers(lang: Lang) -> Vec<String> {
    let mut header = vec![lang.t("trade-desk")];
    header.extend(STATUSES.iter().map(|s| {
        PracticeStatus::parse(s)
            .map(|st| lang.t(st.label_key()))
            .unwrap_or_else(|| s.to_string())
    }));
    header.extend(["dash-total", "dash-decided", "dash-median", "dash-p90"].map(|k| lang.t(k)));
    header
}

/// The dashboard as CSV (semicolon-separated, as Italian spreadsheets expect), with its
/// headings in `lang`.
pub fn to_csv(d: &Dashboard, lang: Lang) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    w.write_record(headers(lang))?;
    for row in &d.desks {
        let mut rec = vec![row.desk.clone()];
        rec.extend(
            STATUSES
                .iter()
                .map(|s| row.by_status.get(*s).copied().unwrap_or(0).to_string()),
        );
        rec.push(row.total.to_string());
        rec.push(row.decided.to_string());
        rec.push(
            row.median_hours
                .map(|h| format!("{h:.1}"))
                .unwrap_or_default(),
        );
        rec.push(row.p90_hours.map(|h| format!("{h:.1}")).unwrap_or_default());
        w.write_record(&rec)?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// The dashboard as a real spreadsheet: one sheet for desks, one for reasons.
pub fn to_xlsx(d: &Dashboard, lang: Lang) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet().set_name("Sportelli")?;
    for (c, h) in headers(lang).iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, h, &bold)?;
    }
    for (r, row) in d.desks.iter().enumerate() {
        let r = r as u32 + 1;
        sheet.write_string(r, 0, &row.desk)?;
        for (i, s) in STATUSES.iter().enumerate() {
            sheet.write_number(
                r,
                i as u16 + 1,
                row.by_status.get(*s).copied().unwrap_or(0) as f64,
            )?;
        }
        let base = STATUSES.len() as u16 + 1;
        sheet.write_number(r, base, row.total as f64)?;
        sheet.write_number(r, base + 1, row.decided as f64)?;
        if let Some(h) = row.median_hours {
            sheet.write_number(r, base + 2, h)?;
        }
        if let Some(h) = row.p90_hours {
            sheet.write_number(r, base + 3, h)?;
        }
    }
    let reasons = book.add_worksheet().set_name("Motivi")?;
    reasons.write_string_with_format(0, 0, "Tipo", &bold)?;
    reasons.write_string_with_format(0, 1, "Motivo", &bold)?;
    reasons.write_string_with_format(0, 2, "Pratiche", &bold)?;
    let mut r = 1u32;
    for (kind, list) in [
        ("Rettifica", &d.rectification_reasons),
        ("Rigetto", &d.rejection_reasons),
    ] {
        for (reason, n) in list {
            reasons.write_string(r, 0, kind)?;
            reasons.write_string(r, 1, reason)?;
            reasons.write_number(r, 2, *n as f64)?;
            r += 1;
        }
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csv_headings_are_in_the_readers_language() {
        let first_line = |lang| {
            let bytes = to_csv(&Dashboard::default(), lang).unwrap_or_default();
            String::from_utf8(bytes)
                .unwrap_or_default()
                .lines()
                .next()
                .unwrap_or_default()
                .to_string()
        };
        let it = first_line(Lang::It);
        assert!(it.starts_with("Sportello di destinazione;Inviata;"), "{it}");
        assert!(it.contains(";Totale;Decise;Mediana (ore);"), "{it}");
        let en = first_line(Lang::En);
        assert!(en.contains(";Total;Decided;"), "{en}");
        for line in [it, en] {
            assert!(!line.contains('_'), "a code in the headings: {line}");
        }
    }

    #[test]
    fn quantiles_use_the_nearest_rank() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), Some(5.0));
        assert_eq!(quantile(&v, 0.9), Some(9.0));
        assert_eq!(quantile(&[3.0], 0.9), Some(3.0));
        assert_eq!(quantile(&[], 0.5), None);
    }
}
