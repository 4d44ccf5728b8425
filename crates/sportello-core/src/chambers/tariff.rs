//! The chamber's tariff table: fees (diritti di segreteria) per practice type, per copy and
//! per visa or legalisation. Amounts change over time: a new amount starts on a date and the
//! old one ends the day before, so the fee of any past practice can be explained.

use crate::Ctx;
use crate::audit::{self, Actor, Change};
use crate::db::{self, Db, Tx};
use crate::money::Money;
use crate::trade::PracticeType;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// One priced item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum TariffItem {
    /// The base fee of a practice of this type (the original, for a certificate).
    Practice(PracticeType),
    /// Each copy of a certificate.
    Copy,
    /// Each visa on a document.
    Visa,
    /// Each legalisation of a signature.
    Legalisation,
}

impl TariffItem {
    pub fn all() -> Vec<TariffItem> {
        let mut v: Vec<TariffItem> = PracticeType::ALL
            .into_iter()
            .map(TariffItem::Practice)
            .collect();
        v.extend([TariffItem::Copy, TariffItem::Visa, TariffItem::Legalisation]);
        v
    }

    pub fn key(self) -> String {
        match self {
            TariffItem::Practice(t) => format!("practice:{}", t.as_str()),
            TariffItem::Copy => "copy".into(),
            TariffItem::Visa => "visa".into(),
            TariffItem::Legalisation => "legalisation".into(),
        }
    }

    pub fn parse(key: &str) -> Option<TariffItem> {
        match key {
            "copy" => Some(TariffItem::Copy),
            "visa" => Some(TariffItem::Visa),
            "legalisation" => Some(TariffItem::Legalisation),
            _ => key
                .strip_prefix("practice:")
                .and_then(PracticeType::parse)
                .map(TariffItem::Practice),
        }
    }

    /// Message key of the item's name.
    pub fn label_key(self) -> &'static str {
        match self {
            TariffItem::Practice(t) => t.label_key(),
            TariffItem::Copy => "tariff-copy",
            TariffItem::Visa => "tariff-visa",
            TariffItem::Legalisation => "tariff-legalisation",
        }
    }
}

/// The amounts in force on one day.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TariffTable {
    amounts: BTreeMap<TariffItem, Money>,
}

impl TariffTable {
    pub fn get(&self, item: TariffItem) -> Option<Money> {
        self.amounts.get(&item).copied()
    }

    pub fn with(mut self, item: TariffItem, amount: Money) -> Self {
        self.amounts.insert(item, amount);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.amounts.is_empty()
    }

    pub fn items(&self) -> impl Iterator<Item = (TariffItem, Money)> + '_ {
        self.amounts.iter().map(|(k, v)| (*k, *v))
    }

    /// The amounts chambers publish: a certificate €5 and each copy
    /// €5; each visa, legalisation or attestation €3; the other practices are paid through
    /// their visas and copies.
    pub fn published_defaults() -> TariffTable {
        TariffTable::default()
            .with(
                TariffItem::Practice(PracticeType::CertificateOfOrigin),
                Money::from_cents(500),
            )
            .with(TariffItem::Practice(PracticeType::InvoiceVisa), Money::ZERO)
            .with(
                TariffItem::Practice(PracticeType::VisasAttestations),
                Money::ZERO,
            )
            .with(
                TariffItem::Practice(PracticeType::CertificateCopy),
                Money::ZERO,
            )
            .with(
                TariffItem::Practice(PracticeType::Cancellation),
                Money::ZERO,
            )
            .with(TariffItem::Copy, Money::from_cents(500))
            .with(TariffItem::Visa, Money::from_cents(300))
            .with(TariffItem::Legalisation, Money::from_cents(300))
    }
}

/// The table in force at `on` for a chamber.
pub async fn table(db: &Db, chamber_id: &str, on: NaiveDate) -> Result<TariffTable, sqlx::Error> {
    let on = db::date(on);
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT item, amount_cents FROM tariffs WHERE chamber_id = $1 AND valid_from <= $2 \
         AND (valid_to IS NULL OR valid_to >= $2) ORDER BY valid_from",
    )
    .bind(chamber_id)
    .bind(on)
    .fetch_all(db.pool())
    .await?;
    let mut t = TariffTable::default();
    for (item, cents) in rows {
        if let Some(item) = TariffItem::parse(&item) {
            t.amounts.insert(item, Money::from_cents(cents));
        }
    }
    Ok(t)
}

/// [`table`] and the chamber's value of `setting` (or its default) in one statement: the fee
/// of a practice needs both (`trade::practice::send::fee_with`).
pub async fn table_and_setting(
    db: &Db,
    chamber_id: &str,
    on: NaiveDate,
    setting: crate::chambers::settings::Setting,
) -> Result<(TariffTable, String), sqlx::Error> {
    let on = db::date(on);
    // (valid_from, item, amount) for a tariff; (NULL, NULL, NULL, value) for the setting.
    type Row = (Option<String>, Option<String>, Option<i64>, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT valid_from, item, amount_cents, NULL AS setting FROM tariffs \
         WHERE chamber_id = $1 AND valid_from <= $2 AND (valid_to IS NULL OR valid_to >= $2) \
         UNION ALL SELECT NULL, NULL, NULL, value FROM chamber_settings \
         WHERE chamber_id = $1 AND name = $3 \
         ORDER BY 1",
    )
    .bind(chamber_id)
    .bind(on)
    .bind(setting.name())
    .fetch_all(db.pool())
    .await?;
    let mut t = TariffTable::default();
    let mut value = None;
    for row in rows {
        match row {
            (Some(_), Some(item), Some(cents), _) => {
                if let Some(item) = TariffItem::parse(&item) {
                    t.amounts.insert(item, Money::from_cents(cents));
                }
            }
            (_, _, _, Some(v)) => value = Some(v),
            _ => {}
        }
    }
    Ok((
        t,
        value.unwrap_or_else(|| setting.default_value().to_string()),
    ))
}

#[derive(Debug, thiserror::Error)]
pub enum TariffError {
    #[error("a tariff cannot be negative")]
    Negative,
    #[error("a new tariff cannot start in the past")]
    InThePast,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// A chamber administrator changes a tariff of their chamber from a date on (today or
/// later: the fees of past practices stay explainable).
pub async fn change(
    ctx: &Ctx,
    actor: &Actor,
    chamber_id: &str,
    item: TariffItem,
    amount: Money,
    from: NaiveDate,
) -> Result<(), TariffError> {
    if amount.cents() < 0 {
        return Err(TariffError::Negative);
    }
    if from < ctx.clock.today() {
        return Err(TariffError::InThePast);
    }
    let mut tx = ctx.db.begin().await?;
    set(
        &mut tx,
        ctx.clock.now(),
        actor,
        chamber_id,
        item,
        amount,
        from,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets the amount of `item` from `from` on; the amount in force until then ends the day
/// before. Recorded in the audit trail.
pub async fn set(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    chamber_id: &str,
    item: TariffItem,
    amount: Money,
    from: NaiveDate,
) -> Result<(), sqlx::Error> {
    let day_before = from.pred_opt().unwrap_or(from);
    sqlx::query(
        "UPDATE tariffs SET valid_to = $4 WHERE chamber_id = $1 AND item = $2 \
         AND valid_to IS NULL AND valid_from < $3",
    )
    .bind(chamber_id)
    .bind(item.key())
    .bind(db::date(from))
    .bind(db::date(day_before))
    .execute(&mut **tx)
    .await?;
    // A second change on the same day replaces the first.
    sqlx::query("DELETE FROM tariffs WHERE chamber_id = $1 AND item = $2 AND valid_from >= $3")
        .bind(chamber_id)
        .bind(item.key())
        .bind(db::date(from))
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO tariffs (id, chamber_id, item, amount_cents, valid_from, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(db::new_id())
    .bind(chamber_id)
    .bind(item.key())
    .bind(amount.cents())
    .bind(db::date(from))
    .bind(db::instant(now))
    .execute(&mut **tx)
    .await?;
    audit::record(
        tx,
        now,
        &actor.clone().in_chamber(Some(chamber_id)),
        Change::new("tariff.set", "tariff", Some(&item.key())).after(serde_json::json!({
            "item": item.key(), "amount": amount.to_decimal_string(), "from": db::date(from),
        })),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_round_trip_through_their_keys() {
        for item in TariffItem::all() {
            assert_eq!(TariffItem::parse(&item.key()), Some(item));
        }
    }
}
