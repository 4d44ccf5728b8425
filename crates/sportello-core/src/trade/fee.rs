//! The fee of a practice, computed from the chamber's tariff table and shown before sending
//! (Cert'O guide, slide 44: "VIENE CALCOLATO IL COSTO TOTALE DELLA PRATICA").

use crate::chambers::tariff::{TariffItem, TariffTable};
use crate::money::Money;
use crate::trade::practice_type::{PracticeType, PrintMode};
use serde::Serialize;

/// One line of the breakdown: what, how many, each, total.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FeeLine {
    pub item: TariffItem,
    pub quantity: i64,
    pub unit: Money,
    pub total: Money,
}

impl FeeLine {
    /// The line's name as the details form says it. With blank-paper printing one copy is
    /// mandatory and charged ([`compute`]): when the company asked for fewer copies than are
    /// charged, the line names the mandatory copy; the copies of a certificate of origin are
    /// the "copies in more" of the form.
    pub fn label_key(&self, practice_type: PracticeType, copies_asked: i64) -> &'static str {
        match self.item {
            TariffItem::Copy if self.quantity > copies_asked.max(0) => "tariff-copy-mandatory",
            TariffItem::Copy if practice_type == PracticeType::CertificateOfOrigin => {
                "tariff-copy-extra"
            }
            item => item.label_key(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fee {
    pub lines: Vec<FeeLine>,
    pub total: Money,
}

/// What the fee depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeeInput {
    pub practice_type: PracticeType,
    pub print_mode: PrintMode,
    /// Copies asked for beyond the original.
    pub copies: i64,
    /// Visas over all attached documents.
    pub visas: i64,
    /// Legalisations over all attached documents.
    pub legalisations: i64,
    /// The chamber's setting: a blank-paper certificate always includes one charged copy.
    pub blank_paper_mandatory_copy: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeeError {
    #[error("the chamber has no tariff for {0:?}")]
    TariffMissing(TariffItem),
    #[error("the fee is too large")]
    Overflow,
}

/// Computes the fee. Cert'O guide, slide 44: the original is always included, so only extra
/// copies are chosen; the fees chambers publish: with blank-paper printing one copy is mandatory
/// and charged (a certificate costs at least €10 at the published tariffs).
pub fn compute(table: &TariffTable, input: FeeInput) -> Result<Fee, FeeError> {
    let price = |item: TariffItem| table.get(item).ok_or(FeeError::TariffMissing(item));
    let mut lines = Vec::new();
    let base = TariffItem::Practice(input.practice_type);
    lines.push((base, 1, price(base)?));
    let mut copies = input.copies.max(0);
    if input.practice_type == PracticeType::CertificateOfOrigin
        && input.print_mode == PrintMode::BlankPaper
        && input.blank_paper_mandatory_copy
    {
        copies = copies.max(1);
    }
    if input.practice_type.has_copies() && copies > 0 {
        lines.push((TariffItem::Copy, copies, price(TariffItem::Copy)?));
    }
    if input.visas > 0 {
        lines.push((TariffItem::Visa, input.visas, price(TariffItem::Visa)?));
    }
    if input.legalisations > 0 {
        lines.push((
            TariffItem::Legalisation,
            input.legalisations,
            price(TariffItem::Legalisation)?,
        ));
    }
    let mut total = Money::ZERO;
    let lines = lines
        .into_iter()
        .map(|(item, quantity, unit)| {
            let line_total = unit.checked_mul(quantity).ok_or(FeeError::Overflow)?;
            total = total.checked_add(line_total).ok_or(FeeError::Overflow)?;
            Ok(FeeLine {
                item,
                quantity,
                unit,
                total: line_total,
            })
        })
        .collect::<Result<Vec<_>, FeeError>>()?;
    Ok(Fee { lines, total })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(t: PracticeType) -> FeeInput {
        FeeInput {
            practice_type: t,
            print_mode: PrintMode::BlankPaper,
            copies: 0,
            visas: 0,
            legalisations: 0,
            blank_paper_mandatory_copy: true,
        }
    }

    #[test]
    fn a_blank_paper_certificate_includes_one_charged_copy() {
        let fee = compute(
            &TariffTable::published_defaults(),
            input(PracticeType::CertificateOfOrigin),
        )
        .unwrap();
        assert_eq!(fee.total, Money::from_cents(1000));
        let mut two = input(PracticeType::CertificateOfOrigin);
        two.copies = 2;
        assert_eq!(
            compute(&TariffTable::published_defaults(), two)
                .unwrap()
                .total,
            Money::from_cents(1500)
        );
    }

    #[test]
    fn without_the_mandatory_copy_rule_the_original_alone_is_charged() {
        let mut i = input(PracticeType::CertificateOfOrigin);
        i.blank_paper_mandatory_copy = false;
        assert_eq!(
            compute(&TariffTable::published_defaults(), i)
                .unwrap()
                .total,
            Money::from_cents(500)
        );
        i.print_mode = PrintMode::Form;
        i.blank_paper_mandatory_copy = true;
        assert_eq!(
            compute(&TariffTable::published_defaults(), i)
                .unwrap()
                .total,
            Money::from_cents(500)
        );
    }

    #[test]
    fn visas_and_legalisations_are_charged_each() {
        let mut i = input(PracticeType::VisasAttestations);
        i.visas = 3;
        i.legalisations = 1;
        let fee = compute(&TariffTable::published_defaults(), i).unwrap();
        assert_eq!(fee.total, Money::from_cents(1200));
        assert_eq!(fee.lines.len(), 3);
    }

    #[test]
    fn certificate_copies_are_charged_per_copy() {
        let mut i = input(PracticeType::CertificateCopy);
        i.copies = 3;
        assert_eq!(
            compute(&TariffTable::published_defaults(), i)
                .unwrap()
                .total,
            Money::from_cents(1500)
        );
    }

    #[test]
    fn the_mandatory_blank_paper_copy_is_named_as_such_in_the_fee() {
        let fee = compute(
            &TariffTable::published_defaults(),
            input(PracticeType::CertificateOfOrigin),
        )
        .unwrap();
        let keys: Vec<_> = fee
            .lines
            .iter()
            .map(|l| l.label_key(PracticeType::CertificateOfOrigin, 0))
            .collect();
        assert_eq!(
            keys,
            ["trade-type-certificate-of-origin", "tariff-copy-mandatory"]
        );
        let mut two = input(PracticeType::CertificateOfOrigin);
        two.copies = 2;
        let fee = compute(&TariffTable::published_defaults(), two).unwrap();
        assert_eq!(
            fee.lines[1].label_key(PracticeType::CertificateOfOrigin, 2),
            "tariff-copy-extra"
        );
        let mut copies = input(PracticeType::CertificateCopy);
        copies.copies = 3;
        let fee = compute(&TariffTable::published_defaults(), copies).unwrap();
        assert_eq!(
            fee.lines[1].label_key(PracticeType::CertificateCopy, 3),
            "tariff-copy"
        );
    }

    #[test]
    fn a_missing_tariff_is_an_error_not_a_free_practice() {
        let table = TariffTable::default().with(
            TariffItem::Practice(PracticeType::CertificateOfOrigin),
            Money::from_cents(500),
        );
        assert_eq!(
            compute(&table, input(PracticeType::CertificateOfOrigin)),
            Err(FeeError::TariffMissing(TariffItem::Copy))
        );
    }
}
