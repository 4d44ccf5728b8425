//! The spreadsheets exchanged with the CA about the e-learning course (RA procedure, part 1:
//! "tramite apposito file di Excel"): the request for the selected operators (.xlsx with
//! names, tax codes, e-mails, role and office) and the import of the results (CSV or XLSX),
//! matched to operators by tax code.

use crate::db::Db;
use crate::ra::accreditation::State;
use crate::ra::accreditation::steps::StepError;
use crate::ra::office::{self, chamber_city, office_name_for};
use crate::ra::operator::Operator;
use crate::spreadsheet::{self, Limits};
use chrono::NaiveDate;
use rust_xlsxwriter::{Format, Workbook};
use serde::Serialize;

/// The header row of the request, as the CA reads it.
pub const REQUEST_HEADER: [&str; 5] = [
    "Cognome e nome",
    "Codice fiscale",
    "E-mail",
    "Ruolo",
    "Ufficio",
];

/// One row of the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRow {
    pub name: String,
    pub tax_code: String,
    pub email: String,
    pub role: String,
    pub office: String,
}

/// The rows of the course request for `ops` (organisations are left out: their
/// collaborators take the course).
pub async fn request_rows(
    db: &Db,
    chamber_id: &str,
    ops: &[Operator],
) -> Result<Vec<RequestRow>, sqlx::Error> {
    let offices = office::list(db, chamber_id).await?;
    let chamber: Option<String> = sqlx::query_scalar("SELECT name FROM chambers WHERE id = $1")
        .bind(chamber_id)
        .fetch_optional(db.pool())
        .await?;
    let city = chamber_city(&chamber.unwrap_or_default());
    let mut rows = Vec::new();
    for op in ops.iter().filter(|o| !o.is_organisation()) {
        let office = match (&op.office_id, &op.organisation_id) {
            (Some(id), _) => offices.iter().find(|o| &o.id == id).map(|o| o.name.clone()),
            (None, Some(org)) => {
                let org_name: Option<String> =
                    sqlx::query_scalar("SELECT name FROM ra_operators WHERE id = $1")
                        .bind(org)
                        .fetch_optional(db.pool())
                        .await?;
                org_name.map(|n| n.to_uppercase())
            }
            (None, None) => None,
        }
        .unwrap_or_else(|| office_name_for(op, &city).1);
        rows.push(RequestRow {
            name: op.name.clone(),
            tax_code: op.tax_code.to_string(),
            email: op.email.clone(),
            role: op.kind.as_str().to_uppercase(),
            office,
        });
    }
    Ok(rows)
}

/// Writes the request as an .xlsx workbook.
pub fn request_xlsx(rows: &[RequestRow]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Richiesta corso")?;
    let bold = Format::new().set_bold();
    for (c, h) in REQUEST_HEADER.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, v) in [&row.name, &row.tax_code, &row.email, &row.role, &row.office]
            .iter()
            .enumerate()
        {
            sheet.write_string(r, c as u16, v.as_str())?;
        }
    }
    sheet.autofit();
    book.save_to_buffer()
}

/// Operators whose course can be requested now (sent to the CA) or was requested.
pub fn awaiting_course(ops: &[Operator]) -> Vec<Operator> {
    ops.iter()
        .filter(|o| matches!(o.state, State::SentToCa | State::CourseRequested))
        .cloned()
        .collect()
}

/// One line of the results file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResultRow {
    pub line: usize,
    pub tax_code: String,
    pub score_percent: Option<i64>,
    pub passed_on: Option<NaiveDate>,
}

#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    #[error(transparent)]
    Sheet(#[from] spreadsheet::SheetError),
    #[error("the header has no tax-code column (codice fiscale)")]
    NoTaxCodeColumn,
}

/// What a results file may hold: one row per operator of a chamber's course, a few columns.
pub const RESULTS_LIMITS: Limits = Limits {
    rows: 5_000,
    columns: 50,
    cell_bytes: 1_024,
    file_bytes: 4 * 1024 * 1024,
};

fn header_index(header: &[String], names: &[&str]) -> Option<usize> {
    header.iter().position(|h| {
        let h = h.trim().to_lowercase();
        names.iter().any(|n| h.contains(n))
    })
}

/// Parses a date as `YYYY-MM-DD`, `DD/MM/YYYY` or an Excel serial day number.
pub fn parse_sheet_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .ok()
        .or_else(|| {
            let serial: f64 = s.parse().ok()?;
            NaiveDate::from_ymd_opt(1899, 12, 30)?
                .checked_add_days(chrono::Days::new(serial as u64))
        })
}

/// Reads the results: an XLSX (first sheet) or a CSV (`;` or `,`), with a header naming the
/// tax code, the score (punteggio / %) and the date.
pub fn parse_results(bytes: &[u8]) -> Result<Vec<ResultRow>, SheetError> {
    let table = spreadsheet::read_table(bytes, &RESULTS_LIMITS)?;
    let Some((header, rows)) = table.split_first() else {
        return Ok(Vec::new());
    };
    let tax = header_index(header, &["codice fiscale", "tax code", "cf"])
        .ok_or(SheetError::NoTaxCodeColumn)?;
    let score = header_index(header, &["punteggio", "score", "%", "esito"]);
    let date = header_index(header, &["data", "date"]);
    Ok(rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty()))
        .map(|(i, r)| {
            let get = |c: Option<usize>| c.and_then(|c| r.get(c)).map(|s| s.trim().to_string());
            ResultRow {
                line: i + 2,
                tax_code: get(Some(tax)).unwrap_or_default().to_uppercase(),
                score_percent: get(score)
                    .and_then(|s| s.trim_end_matches('%').trim().parse::<f64>().ok())
                    .map(|f| f.round() as i64),
                passed_on: get(date).and_then(|s| parse_sheet_date(&s)),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_is_a_real_xlsx_that_reads_back() {
        let rows = vec![RequestRow {
            name: "MARIO ROSSI".into(),
            tax_code: "RSSMRA80A01H501U".into(),
            email: "m@x.it".into(),
            role: "ODR".into(),
            office: "CANTIERI DEL LEVANTE S.R.L.".into(),
        }];
        let bytes = request_xlsx(&rows).unwrap();
        assert!(bytes.starts_with(b"PK"));
        let table = spreadsheet::read_table(&bytes, &RESULTS_LIMITS).unwrap();
        assert_eq!(table[0], REQUEST_HEADER.map(str::to_string).to_vec());
        assert_eq!(table[1][1], "RSSMRA80A01H501U");
    }

    #[test]
    fn results_are_read_from_csv_with_either_separator() {
        let csv = "Codice fiscale;Punteggio;Data superamento\nrssmra80a01h501u;94%;20/11/2026\n;;\nXXX;80;2026-11-21\n";
        let rows = parse_results(csv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].tax_code, "RSSMRA80A01H501U");
        assert_eq!(rows[0].score_percent, Some(94));
        assert_eq!(rows[0].passed_on, NaiveDate::from_ymd_opt(2026, 11, 20));
        assert_eq!(rows[1].line, 4);
        let rows = parse_results(b"tax code,score,date\nRSSMRA80A01H501U,90,2026-11-20\n").unwrap();
        assert_eq!(rows[0].score_percent, Some(90));
        assert!(matches!(
            parse_results(b"nome;punteggio\nx;1\n"),
            Err(SheetError::NoTaxCodeColumn)
        ));
    }

    #[test]
    fn excel_serial_dates_are_understood() {
        assert_eq!(
            parse_sheet_date("46346"),
            NaiveDate::from_ymd_opt(2026, 11, 20)
        );
    }
}

/// What an import of course results did.
#[derive(Debug, Default)]
pub struct ImportReport {
    /// (line, operator name, tax code)
    pub matched: Vec<(usize, String, String)>,
    /// (line, tax code, why the row was not recorded)
    pub unmatched: Vec<(usize, String, Unmatched)>,
}

/// Why a row of the results sheet was not recorded.
#[derive(Debug)]
pub enum Unmatched {
    /// No natural-person operator of the chamber has this tax code.
    UnknownOperator,
    /// The row lacks the score or the date.
    IncompleteRow,
    /// The operator's accreditation refused the result.
    Refused(StepError),
}

/// Records each result on the operator with that tax code in the chamber; rows that match
/// no person, lack data or do not pass are reported, never guessed.
pub async fn import_results(
    state: &crate::Ctx,
    actor: &crate::audit::Actor,
    chamber_id: &str,
    rows: Vec<ResultRow>,
) -> Result<ImportReport, sqlx::Error> {
    let ops = crate::ra::operator::list_in_chamber(&state.db, chamber_id).await?;
    let mut report = ImportReport::default();
    for row in rows {
        let Some(op) = ops
            .iter()
            .find(|o| o.tax_code.as_str() == row.tax_code && !o.is_organisation())
        else {
            report
                .unmatched
                .push((row.line, row.tax_code, Unmatched::UnknownOperator));
            continue;
        };
        let (Some(score), Some(passed_on)) = (row.score_percent, row.passed_on) else {
            report
                .unmatched
                .push((row.line, row.tax_code, Unmatched::IncompleteRow));
            continue;
        };
        let fresh = crate::ra::operator::get(&state.db, &op.id)
            .await?
            .unwrap_or_else(|| op.clone());
        match crate::ra::accreditation::steps::pass_course(state, actor, &fresh, score, passed_on)
            .await
        {
            Ok(_) => report
                .matched
                .push((row.line, op.name.clone(), row.tax_code)),
            Err(StepError::Db(e)) => return Err(e),
            Err(e) => report
                .unmatched
                .push((row.line, row.tax_code, Unmatched::Refused(e))),
        }
    }
    Ok(report)
}

/// Why the course request could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CourseRequestError {
    #[error(transparent)]
    Step(#[from] StepError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("the workbook could not be written: {0}")]
    Workbook(#[from] rust_xlsxwriter::XlsxError),
}

/// The course request for the chosen operators (an organisation stands for its
/// collaborators): the workbook, after moving those sent to the CA to "course requested".
pub async fn request_courses(
    state: &crate::Ctx,
    actor: &crate::audit::Actor,
    chamber_id: &str,
    ids: &[String],
) -> Result<Vec<u8>, CourseRequestError> {
    let all = crate::ra::operator::list_in_chamber(&state.db, chamber_id).await?;
    let chosen: Vec<Operator> = all
        .iter()
        .filter(|o| ids.contains(&o.id))
        .cloned()
        .collect();
    for op in &chosen {
        if op.state == State::SentToCa {
            crate::ra::accreditation::steps::simple_step(
                state,
                actor,
                op,
                crate::ra::accreditation::Step::RequestCourse,
                None,
            )
            .await?;
        }
    }
    let mut people: Vec<Operator> = Vec::new();
    for op in &chosen {
        if op.is_organisation() {
            people.extend(
                all.iter()
                    .filter(|c| c.organisation_id.as_deref() == Some(op.id.as_str()))
                    .cloned(),
            );
        } else {
            people.push(op.clone());
        }
    }
    people.dedup_by(|a, b| a.id == b.id);
    let rows = request_rows(&state.db, chamber_id, &people).await?;
    Ok(request_xlsx(&rows)?)
}
