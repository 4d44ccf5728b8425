//! Statistics of the devices area: devices issued per office, operator and month (free and
//! paid), stock and its ageing, and the appointments' no-show rate; as tables for the page and
//! as an XLSX workbook.

use crate::db::Db;
use crate::devices::state::DeviceState;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Split {
    pub free: i64,
    pub paid: i64,
}

impl Split {
    pub fn total(&self) -> i64 {
        self.free + self.paid
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    pub from: NaiveDate,
    /// `YYYY-MM` → issued.
    pub by_month: BTreeMap<String, Split>,
    /// Operator name → issued.
    pub by_operator: BTreeMap<String, Split>,
    /// Office name → issued.
    pub by_office: BTreeMap<String, Split>,
    /// Devices in stock by age since delivery: 0–30, 31–90, 91–180, over 180 days.
    pub ageing: [i64; 4],
    /// Desk name → (booked in the past and served or missed, no-shows).
    pub no_shows: BTreeMap<String, (i64, i64)>,
}

impl Stats {
    /// The no-show rate of a desk in percent, one decimal.
    pub fn rate(&(seen, missed): &(i64, i64)) -> String {
        if seen == 0 {
            "—".into()
        } else {
            format!("{:.1}%", missed as f64 * 100.0 / seen as f64)
        }
    }
}

/// Gathers the statistics of the chamber from `from` to `today`.
pub async fn build(
    db: &Db,
    chamber_id: &str,
    from: NaiveDate,
    today: NaiveDate,
) -> Result<Stats, sqlx::Error> {
    let rows: Vec<(String, String, String, i64, i64)> = sqlx::query_as(concat!(
        "SELECT substr(m.at, 1, 7), COALESCE(o.name, ''), COALESCE(f.name, ''), ",
        "CAST(CASE WHEN g.id IS NULL THEN 0 ELSE 1 END AS BIGINT) AS free, COUNT(*) ",
        "FROM dev_moves m JOIN dev_devices d ON d.id = m.device_id ",
        "LEFT JOIN ra_operators o ON o.id = m.from_holder ",
        "LEFT JOIN ra_offices f ON f.id = o.office_id ",
        "LEFT JOIN dev_free_grants g ON g.device_id = m.device_id ",
        "WHERE d.chamber_id = $1 AND m.move = 'issue' AND m.at >= $2 ",
        "GROUP BY substr(m.at, 1, 7), COALESCE(o.name, ''), COALESCE(f.name, ''), ",
        "CAST(CASE WHEN g.id IS NULL THEN 0 ELSE 1 END AS BIGINT)"
    ))
    .bind(chamber_id)
    .bind(crate::db::date(from))
    .fetch_all(db.pool())
    .await?;
    let mut s = Stats {
        from,
        ..Stats::default()
    };
    for (month, operator, office, free, n) in rows {
        for (map, key) in [
            (&mut s.by_month, month),
            (&mut s.by_operator, operator),
            (&mut s.by_office, office),
        ] {
            let e = map
                .entry(if key.is_empty() { "—".into() } else { key })
                .or_default();
            if free != 0 { e.free += n } else { e.paid += n }
        }
    }
    let stock_states: Vec<&str> = DeviceState::STOCK.iter().map(|s| s.as_str()).collect();
    let delivered: Vec<(String, i64)> = sqlx::query_as(
        "SELECT delivered_on, COUNT(*) FROM dev_devices WHERE chamber_id = $1 \
         AND state IN ($2, $3, $4, $5, $6) GROUP BY delivered_on",
    )
    .bind(chamber_id)
    .bind(stock_states[0])
    .bind(stock_states[1])
    .bind(stock_states[2])
    .bind(stock_states[3])
    .bind(stock_states[4])
    .fetch_all(db.pool())
    .await?;
    for (on, n) in delivered {
        let age = (today - crate::db::parse_date(&on)?).num_days();
        let bucket = match age {
            ..=30 => 0,
            31..=90 => 1,
            91..=180 => 2,
            _ => 3,
        };
        s.ageing[bucket] += n;
    }
    let appts: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT d.name, a.status, COUNT(*) FROM appointments a JOIN desks d ON d.id = a.desk_id \
         WHERE a.chamber_id = $1 AND a.slot_date >= $2 AND a.slot_date <= $3 \
         AND a.status IN ('served', 'no_show') GROUP BY d.name, a.status",
    )
    .bind(chamber_id)
    .bind(crate::db::date(from))
    .bind(crate::db::date(today))
    .fetch_all(db.pool())
    .await?;
    for (desk, status, n) in appts {
        let e = s.no_shows.entry(desk).or_default();
        e.0 += n;
        if status == "no_show" {
            e.1 += n;
        }
    }
    Ok(s)
}

/// The statistics as a workbook, one sheet per table (Italian headers).
pub fn to_xlsx(
    s: &Stats,
    stock: &[(String, i64, i64)],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    for (name, head, map) in [
        ("Per mese", "Mese", &s.by_month),
        ("Per operatore", "Operatore", &s.by_operator),
        ("Per ufficio", "Ufficio", &s.by_office),
    ] {
        let ws = wb.add_worksheet().set_name(name)?;
        for (c, h) in [head, "Gratuiti", "A pagamento", "Totale"]
            .iter()
            .enumerate()
        {
            ws.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        for (r, (k, v)) in map.iter().enumerate() {
            let r = r as u32 + 1;
            ws.write_string(r, 0, k)?;
            ws.write_number(r, 1, v.free as f64)?;
            ws.write_number(r, 2, v.paid as f64)?;
            ws.write_number(r, 3, v.total() as f64)?;
        }
    }
    let ws = wb.add_worksheet().set_name("Giacenze")?;
    for (c, h) in ["Posizione", "Smart card", "Token"].iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (r, (loc, sc, tk)) in stock.iter().enumerate() {
        let r = r as u32 + 1;
        ws.write_string(r, 0, loc)?;
        ws.write_number(r, 1, *sc as f64)?;
        ws.write_number(r, 2, *tk as f64)?;
    }
    let ws = wb.add_worksheet().set_name("Anzianità")?;
    ws.write_string_with_format(0, 0, "Giorni dalla consegna", &bold)?;
    ws.write_string_with_format(0, 1, "Dispositivi", &bold)?;
    for (r, (label, n)) in ["0-30", "31-90", "91-180", "oltre 180"]
        .iter()
        .zip(s.ageing)
        .enumerate()
    {
        ws.write_string(r as u32 + 1, 0, *label)?;
        ws.write_number(r as u32 + 1, 1, n as f64)?;
    }
    let ws = wb.add_worksheet().set_name("Mancate presenze")?;
    for (c, h) in [
        "Sportello",
        "Appuntamenti passati",
        "Mancate presenze",
        "Tasso",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (r, (desk, v)) in s.no_shows.iter().enumerate() {
        let r = r as u32 + 1;
        ws.write_string(r, 0, desk)?;
        ws.write_number(r, 1, v.0 as f64)?;
        ws.write_number(r, 2, v.1 as f64)?;
        ws.write_string(r, 3, Stats::rate(v))?;
    }
    wb.save_to_buffer()
}
