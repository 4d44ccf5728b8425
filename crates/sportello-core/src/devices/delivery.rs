//! The CA's delivery of blank devices: a CSV with one line per device (serial, type, batch),
//! `;` or `,` separated, with a header (`serial;type;batch`, or the Italian
//! `seriale;tipo;lotto`). All or nothing: a file with any bad line writes nothing and lists
//! every bad line; importing the same file again changes nothing.

use crate::Ctx;
use crate::audit::{self, Actor, Change};
use crate::db::{self, Tx};
use crate::devices::inventory::MoveError;
use crate::devices::kind::{DeviceKind, DeviceSerial};
use crate::devices::state::{DeviceState, Move};
use crate::spreadsheet::{self, Limits, SheetError};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeSet;

/// What a delivery file may hold: a CA's delivery is at most a few thousand devices, three
/// short columns (and a few the CA may add).
pub const DELIVERY_LIMITS: Limits = Limits {
    rows: 50_001,
    columns: 16,
    cell_bytes: 256,
    file_bytes: 8 * 1024 * 1024,
};

/// One line of the file that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BadLine {
    pub line: u64,
    /// Message key of the reason.
    pub reason: &'static str,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub delivery_id: Option<String>,
    /// Devices recorded now.
    pub imported: usize,
    /// Lines whose device was already recorded identically (a file imported twice).
    pub already_recorded: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("the file is not a CSV with the columns serial, type, batch")]
    Header,
    #[error("{} lines are not valid", .0.len())]
    Lines(Vec<BadLine>),
    #[error("the file has no devices")]
    Empty,
    /// The file is not a CSV within [`DELIVERY_LIMITS`].
    #[error(transparent)]
    Sheet(#[from] SheetError),
    /// Locking the delivered devices in the cabinet failed (see [`receive`]).
    #[error(transparent)]
    Move(#[from] MoveError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// What [`receive`] recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Received {
    pub outcome: Outcome,
    /// Devices locked in the cabinet with the delivery (`store`).
    pub stored: usize,
}

/// One device of a delivery file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveredDevice {
    pub line: u64,
    pub serial: DeviceSerial,
    pub kind: DeviceKind,
    pub batch: String,
}

fn column(headers: &[String], names: &[&str]) -> Option<usize> {
    headers.iter().position(|h| {
        names.contains(
            &h.trim()
                .trim_start_matches('\u{feff}')
                .to_ascii_lowercase()
                .as_str(),
        )
    })
}

/// Reads a delivery file within [`DELIVERY_LIMITS`]: every device, or every bad line.
pub fn parse(bytes: &[u8]) -> Result<Vec<DeliveredDevice>, DeliveryError> {
    let table = spreadsheet::read_csv(bytes, &DELIVERY_LIMITS)?;
    let Some((headers, records)) = table.split_first() else {
        return Err(DeliveryError::Header);
    };
    let (Some(c_serial), Some(c_kind), Some(c_batch)) = (
        column(headers, &["serial", "seriale", "numero_seriale"]),
        column(headers, &["type", "tipo"]),
        column(headers, &["batch", "lotto"]),
    ) else {
        return Err(DeliveryError::Header);
    };
    let mut out = Vec::new();
    let mut bad = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, record) in records.iter().enumerate() {
        let line = i as u64 + 2;
        let get = |c: usize| {
            record
                .get(c)
                .map(|f| f.trim())
                .unwrap_or_default()
                .to_string()
        };
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let serial = match DeviceSerial::parse(&get(c_serial)) {
            Ok(s) => s,
            Err(_) => {
                bad.push(BadLine {
                    line,
                    reason: "dev-import-bad-serial",
                    value: get(c_serial),
                });
                continue;
            }
        };
        let Some(kind) = DeviceKind::parse(&get(c_kind)) else {
            bad.push(BadLine {
                line,
                reason: "dev-import-bad-kind",
                value: get(c_kind),
            });
            continue;
        };
        let batch = get(c_batch);
        if batch.is_empty() || batch.len() > 64 {
            bad.push(BadLine {
                line,
                reason: "dev-import-bad-batch",
                value: batch,
            });
            continue;
        }
        if !seen.insert(serial.clone()) {
            bad.push(BadLine {
                line,
                reason: "dev-import-duplicate",
                value: serial.to_string(),
            });
            continue;
        }
        out.push(DeliveredDevice {
            line,
            serial,
            kind,
            batch,
        });
    }
    if !bad.is_empty() {
        return Err(DeliveryError::Lines(bad));
    }
    if out.is_empty() {
        return Err(DeliveryError::Empty);
    }
    Ok(out)
}

/// Records the CA's delivery in `file` for `chamber_id` (the caller's chamber: the page passes
/// its user's, the command line the one named) and, with `store`, locks every delivered device
/// in the cabinet in the same transaction: all or nothing.
pub async fn receive(
    ctx: &Ctx,
    actor: &Actor,
    chamber_id: &str,
    filename: &str,
    bytes: &[u8],
    store: bool,
) -> Result<Received, DeliveryError> {
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    let outcome = import(
        &mut tx,
        now,
        ctx.clock.today(),
        actor,
        chamber_id,
        filename,
        bytes,
    )
    .await?;
    let stored = if store {
        store_all(&mut tx, now, actor, chamber_id).await?
    } else {
        0
    };
    tx.commit().await?;
    Ok(Received { outcome, stored })
}

/// Locks every device delivered to `chamber_id` (still blank) in the cabinet; returns how many.
pub async fn lock_in_cabinet(
    ctx: &Ctx,
    actor: &Actor,
    chamber_id: &str,
) -> Result<usize, MoveError> {
    let mut tx = ctx.db.begin().await?;
    let n = store_all(&mut tx, ctx.clock.now(), actor, chamber_id).await?;
    tx.commit().await?;
    Ok(n)
}

/// Records the delivery in `file` for `chamber_id` inside `tx` (the demo seed and tests share
/// it): every new serial as a blank device with its first activity line.
pub async fn import(
    tx: &mut Tx,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    chamber_id: &str,
    filename: &str,
    bytes: &[u8],
) -> Result<Outcome, DeliveryError> {
    let rows = parse(bytes)?;
    let mut bad = Vec::new();
    let mut new_rows = Vec::new();
    let mut already = 0;
    for r in rows {
        let existing: Option<(String, String)> = sqlx::query_as(
            "SELECT kind, batch FROM dev_devices WHERE chamber_id = $1 AND serial = $2",
        )
        .bind(chamber_id)
        .bind(r.serial.as_str())
        .fetch_optional(&mut **tx)
        .await?;
        match existing {
            Some((kind, batch)) if kind == r.kind.as_str() && batch == r.batch => already += 1,
            Some(_) => bad.push(BadLine {
                line: r.line,
                reason: "dev-import-conflict",
                value: r.serial.to_string(),
            }),
            None => new_rows.push(r),
        }
    }
    if !bad.is_empty() {
        return Err(DeliveryError::Lines(bad));
    }
    if new_rows.is_empty() {
        return Ok(Outcome {
            delivery_id: None,
            imported: 0,
            already_recorded: already,
        });
    }
    let delivery_id = db::new_id();
    let at = db::instant(now);
    sqlx::query(
        "INSERT INTO dev_deliveries (id, chamber_id, filename, sha256, devices, created_by, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&delivery_id)
    .bind(chamber_id)
    .bind(filename)
    .bind(crate::blobs::sha256_hex(bytes))
    .bind(new_rows.len() as i64)
    .bind(&actor.label)
    .bind(&at)
    .execute(&mut **tx)
    .await?;
    for r in &new_rows {
        let id = db::new_id();
        sqlx::query(
            "INSERT INTO dev_devices (id, chamber_id, serial, kind, batch, delivery_id, state, \
             delivered_on, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(chamber_id)
        .bind(r.serial.as_str())
        .bind(r.kind.as_str())
        .bind(&r.batch)
        .bind(&delivery_id)
        .bind(DeviceState::Blank.as_str())
        .bind(db::date(today))
        .bind(&at)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO dev_moves (id, device_id, move, from_state, to_state, actor_id, actor, \
             ref_id, note, at) VALUES ($1, $2, 'deliver', NULL, $3, $4, $5, $6, $7, $8)",
        )
        .bind(db::new_id())
        .bind(&id)
        .bind(DeviceState::Blank.as_str())
        .bind(&actor.user_id)
        .bind(&actor.label)
        .bind(&delivery_id)
        .bind(&r.batch)
        .bind(&at)
        .execute(&mut **tx)
        .await?;
    }
    for kind in DeviceKind::ALL {
        let n = new_rows.iter().filter(|r| r.kind == kind).count();
        crate::devices::stock::record_delivery(tx, chamber_id, kind, n as i64).await?;
    }
    audit::record(
        tx,
        now,
        &actor.clone().in_chamber(Some(chamber_id)),
        Change::new("device.delivery", "device_delivery", Some(&delivery_id)).after(json!({
            "filename": filename, "devices": new_rows.len(), "already_recorded": already,
            "serials": new_rows.iter().map(|r| r.serial.as_str()).collect::<Vec<_>>(),
        })),
    )
    .await?;
    Ok(Outcome {
        delivery_id: Some(delivery_id),
        imported: new_rows.len(),
        already_recorded: already,
    })
}

/// Locks every delivered (blank) device of the chamber in the cabinet inside `tx`; returns
/// how many.
pub async fn store_all(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    chamber_id: &str,
) -> Result<usize, MoveError> {
    let mut n = 0;
    for kind in DeviceKind::ALL {
        let devices = crate::devices::inventory::pick_tx(
            tx,
            chamber_id,
            kind,
            DeviceState::Blank,
            None,
            100_000,
        )
        .await?;
        for d in devices {
            crate::devices::inventory::apply_move(
                tx,
                now,
                actor,
                &d,
                Move::Store,
                Default::default(),
            )
            .await?;
            n += 1;
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_file_is_read_with_either_separator_and_italian_headers() {
        let rows = parse(b"seriale;tipo;lotto\n7420000000000001;SMART CARD;L-2026-01\n7420000000000002;token;L-2026-01\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].kind, DeviceKind::Token);
        let rows = parse(b"serial,type,batch\nTK00000001,token,B1\n").unwrap();
        assert_eq!(rows[0].serial.as_str(), "TK00000001");
    }

    #[test]
    fn every_bad_line_is_listed_and_nothing_is_kept() {
        let Err(DeliveryError::Lines(bad)) = parse(
            b"serial;type;batch\n123;smart card;B\n7420000000000001;floppy;B\n7420000000000002;token;\n7420000000000003;token;B\n7420000000000003;token;B\n",
        ) else {
            panic!("bad lines accepted");
        };
        let reasons: Vec<_> = bad.iter().map(|b| (b.line, b.reason)).collect();
        assert_eq!(
            reasons,
            [
                (2, "dev-import-bad-serial"),
                (3, "dev-import-bad-kind"),
                (4, "dev-import-bad-batch"),
                (6, "dev-import-duplicate")
            ]
        );
        assert!(matches!(parse(b"a;b\n1;2\n"), Err(DeliveryError::Header)));
    }
}
