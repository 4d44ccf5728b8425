//! Receipts and statements of the wallet (issue 15, item 4): every top-up, charge and refund is
//! a receipt with a number, gapless per chamber and year; the statement of a period lists the
//! entries with the opening and closing balance, as a PDF and as a spreadsheet for the
//! company's accountant.

use crate::clock::{italian_day, start_of_italian_day};
use crate::db::{Db, Tx, counters};
use crate::money::Money;
use crate::trade::pdf::{Receipt, Statement, StatementLine};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

/// The next receipt number of the chamber in the year of `now` (Italian time), inside the
/// entry's transaction: `RIC-2026-000001`.
pub async fn next_number(
    tx: &mut Tx,
    chamber_id: &str,
    now: DateTime<Utc>,
) -> Result<String, sqlx::Error> {
    let year = italian_day(now).year();
    let n = counters::next(tx, &format!("receipts:{chamber_id}:{year}")).await?;
    Ok(format!("RIC-{year}-{n:06}"))
}

/// What an entry is, in both languages.
pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "top_up" => "Ricarica / Top-up",
        "charge" => "Addebito / Charge",
        _ => "Rimborso / Refund",
    }
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: String,
    kind: String,
    amount_cents: i64,
    balance_after_cents: i64,
    reference: String,
    created_at: String,
    receipt_number: Option<String>,
    company_name: String,
    company_tax_code: String,
    chamber_name: String,
}

fn day_of(instant: &str) -> NaiveDate {
    DateTime::parse_from_rfc3339(instant)
        .map(|t| italian_day(t.with_timezone(&Utc)))
        .unwrap_or_default()
}

/// The receipt of the entry `entry_id` if it is the company's; `None` otherwise (another
/// company's entry is not revealed).
pub async fn receipt(
    db: &Db,
    entry_id: &str,
    company_id: &str,
) -> Result<Option<Receipt>, sqlx::Error> {
    let row: Option<EntryRow> = sqlx::query_as(
        "SELECT e.id, e.kind, e.amount_cents, e.balance_after_cents, e.reference, e.created_at, \
         e.receipt_number, companies.name AS company_name, companies.tax_code AS company_tax_code, \
         chambers.name AS chamber_name FROM wallet_entries e \
         JOIN companies ON companies.id = e.company_id \
         JOIN chambers ON chambers.id = e.chamber_id \
         WHERE e.id = $1 AND e.company_id = $2",
    )
    .bind(entry_id)
    .bind(company_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|r| Receipt {
        // Entries written before receipts were numbered: numbered from their id.
        number: r.receipt_number.unwrap_or_else(|| number_from_id(&r.id)),
        date: day_of(&r.created_at),
        kind: kind_label(&r.kind).to_string(),
        amount: Money::from_cents(r.amount_cents),
        balance_after: Money::from_cents(r.balance_after_cents),
        company_name: r.company_name,
        company_tax_code: r.company_tax_code,
        chamber_name: r.chamber_name,
        reference: r.reference,
    }))
}

/// A receipt in a list: the entry, its number and what it is.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ReceiptSummary {
    pub id: String,
    pub number: String,
    /// `top_up`, `charge` or `refund`.
    pub kind: String,
    pub amount_cents: i64,
    pub balance_after_cents: i64,
    pub reference: String,
    pub created_at: String,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: String,
    kind: String,
    amount_cents: i64,
    balance_after_cents: i64,
    reference: String,
    created_at: String,
    receipt_number: Option<String>,
}

/// The receipts of the company's wallet at `chamber_id`, newest first (at most `limit`).
pub async fn list(
    db: &Db,
    company_id: &str,
    chamber_id: &str,
    limit: i64,
) -> Result<Vec<ReceiptSummary>, sqlx::Error> {
    let rows: Vec<SummaryRow> = sqlx::query_as(
        "SELECT id, kind, amount_cents, balance_after_cents, reference, created_at, \
         receipt_number FROM wallet_entries WHERE company_id = $1 AND chamber_id = $2 \
         ORDER BY created_at DESC, id DESC LIMIT $3",
    )
    .bind(company_id)
    .bind(chamber_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ReceiptSummary {
            number: r.receipt_number.unwrap_or_else(|| number_from_id(&r.id)),
            id: r.id,
            kind: r.kind,
            amount_cents: r.amount_cents,
            balance_after_cents: r.balance_after_cents,
            reference: r.reference,
            created_at: r.created_at,
        })
        .collect())
}

/// The number of an entry written before receipts were numbered: from its id.
fn number_from_id(id: &str) -> String {
    format!("RIC-{}", id.get(..13).unwrap_or(id).to_ascii_uppercase())
}

#[derive(sqlx::FromRow)]
struct LineRow {
    kind: String,
    amount_cents: i64,
    balance_after_cents: i64,
    reference: String,
    created_at: String,
}

/// The statement of the company's wallet at `chamber_id` from `from` to `to` (Italian days,
/// both included); `None` when the company or chamber is unknown.
pub async fn statement(
    db: &Db,
    company_id: &str,
    chamber_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Option<Statement>, sqlx::Error> {
    let names: Option<(String, String, String)> = sqlx::query_as(
        "SELECT companies.name, companies.tax_code, chambers.name FROM companies, chambers \
         WHERE companies.id = $1 AND chambers.id = $2",
    )
    .bind(company_id)
    .bind(chamber_id)
    .fetch_optional(db.pool())
    .await?;
    let Some((company_name, company_tax_code, chamber_name)) = names else {
        return Ok(None);
    };
    let start = crate::db::instant(start_of_italian_day(from));
    let end = crate::db::instant(start_of_italian_day(to + Duration::days(1)));
    let opening: Option<i64> = sqlx::query_scalar(
        "SELECT balance_after_cents FROM wallet_entries WHERE company_id = $1 AND chamber_id = $2 \
         AND created_at < $3 ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(company_id)
    .bind(chamber_id)
    .bind(&start)
    .fetch_optional(db.pool())
    .await?;
    let rows: Vec<LineRow> = sqlx::query_as(
        "SELECT kind, amount_cents, balance_after_cents, reference, created_at FROM wallet_entries \
         WHERE company_id = $1 AND chamber_id = $2 AND created_at >= $3 AND created_at < $4 \
         ORDER BY created_at, id",
    )
    .bind(company_id)
    .bind(chamber_id)
    .bind(&start)
    .bind(&end)
    .fetch_all(db.pool())
    .await?;
    let opening = Money::from_cents(opening.unwrap_or(0));
    let closing = rows
        .last()
        .map(|r| Money::from_cents(r.balance_after_cents))
        .unwrap_or(opening);
    Ok(Some(Statement {
        company_name,
        company_tax_code,
        chamber_name,
        from,
        to,
        opening,
        closing,
        lines: rows
            .into_iter()
            .map(|r| StatementLine {
                date: day_of(&r.created_at),
                kind: kind_label(&r.kind).to_string(),
                reference: r.reference,
                amount: Money::from_cents(r.amount_cents),
                balance_after: Money::from_cents(r.balance_after_cents),
            })
            .collect(),
    }))
}

/// The statement as an XLSX workbook: one sheet, a header, one row per entry, amounts as
/// numbers in euro with two decimals and dates as dates.
pub fn statement_xlsx(st: &Statement) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let euro = Format::new().set_num_format("#,##0.00 [$€-410]");
    let day = Format::new().set_num_format("dd/mm/yyyy");
    let ws = wb.add_worksheet().set_name("Estratto conto")?;
    ws.write_string_with_format(0, 0, "Impresa", &bold)?;
    ws.write_string(
        0,
        1,
        format!("{} ({})", st.company_name, st.company_tax_code),
    )?;
    ws.write_string_with_format(1, 0, "Camera di commercio", &bold)?;
    ws.write_string(1, 1, &st.chamber_name)?;
    ws.write_string_with_format(2, 0, "Periodo", &bold)?;
    ws.write_string(
        2,
        1,
        format!(
            "{} – {}",
            crate::display::date(st.from),
            crate::display::date(st.to)
        ),
    )?;
    ws.write_string_with_format(3, 0, "Saldo iniziale", &bold)?;
    ws.write_number_with_format(3, 1, st.opening.cents() as f64 / 100.0, &euro)?;
    let head = 5;
    for (c, h) in ["Data", "Operazione", "Riferimento", "Importo", "Saldo"]
        .iter()
        .enumerate()
    {
        ws.write_string_with_format(head, c as u16, *h, &bold)?;
    }
    let mut r = head + 1;
    for l in &st.lines {
        let date = ExcelDateTime::from_ymd(
            l.date.year() as u16,
            l.date.month() as u8,
            l.date.day() as u8,
        )?;
        ws.write_datetime_with_format(r, 0, &date, &day)?;
        ws.write_string(r, 1, &l.kind)?;
        ws.write_string(r, 2, &l.reference)?;
        ws.write_number_with_format(r, 3, l.amount.cents() as f64 / 100.0, &euro)?;
        ws.write_number_with_format(r, 4, l.balance_after.cents() as f64 / 100.0, &euro)?;
        r += 1;
    }
    ws.write_string_with_format(r + 1, 0, "Saldo finale", &bold)?;
    ws.write_number_with_format(r + 1, 1, st.closing.cents() as f64 / 100.0, &euro)?;
    ws.set_column_width(0, 14)?;
    ws.set_column_width(1, 22)?;
    ws.set_column_width(2, 40)?;
    ws.set_column_width(3, 14)?;
    ws.set_column_width(4, 14)?;
    wb.save_to_buffer()
}
