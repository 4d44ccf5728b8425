//! What the e-invoices say against what the company typed: the prefill of the form, and the
//! check of the invoice table at send.

use crate::i18n::Lang;
use crate::money::Money;
use crate::trade::einvoice::parse::{EInvoiceFile, Invoice};
use crate::trade::form::{FormInput, InvoiceInput, ItemInput};
use crate::trade::practice_type::PracticeType;
use chrono::NaiveDate;
use serde::Serialize;

/// At most this many goods lines and invoices on a form (as the form's own limit).
const MAX_ROWS: usize = 200;

/// What a prefill changed, for the notice the company reads before reviewing the form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Prefilled {
    /// The consignee was empty and now holds the buyer.
    pub consignee: bool,
    pub items: usize,
    pub invoices: usize,
    /// Invoices not in euro: their amount is left for the company to type in euro.
    pub foreign_currency: Vec<String>,
}

/// Issue 15, item 5: the e-invoice prefills the certificate for the company to review. The
/// consignee (certificate of origin only) is filled only when still empty, so nothing typed
/// is overwritten; goods lines (lines with a quantity, not discounts or ancillary costs such
/// as transport) and invoices are added unless the form already has them; an invoice in
/// another currency gets its number and date, and its amount is left to type in euro (the
/// invoice table is in euro).
pub fn prefill(
    input: &mut FormInput,
    practice_type: PracticeType,
    file: &EInvoiceFile,
) -> Prefilled {
    let mut done = Prefilled::default();
    if practice_type == PracticeType::CertificateOfOrigin {
        if input.consignee.name.trim().is_empty() {
            input.consignee.name = file.buyer.name.clone();
            input.consignee.address = file.buyer.address.clone();
            input.consignee.country = file.buyer.country.clone();
            done.consignee = true;
        }
        input.items.retain(|i| !is_blank_item(i));
        for line in file.invoices.iter().flat_map(|i| &i.lines) {
            let Some(quantity) = line.quantity_for_people().filter(|_| line.is_goods()) else {
                continue;
            };
            let known = input.items.iter().any(|i| {
                i.description.trim() == line.description.trim() && i.quantity.trim() == quantity
            });
            if known || input.items.len() >= MAX_ROWS {
                continue;
            }
            input.items.push(ItemInput {
                number: Some(input.items.len() as u32 + 1),
                description: line.description.clone(),
                quantity,
                ..ItemInput::default()
            });
            done.items += 1;
        }
    }
    input.invoices.retain(|i| !is_blank_invoice(i));
    for inv in &file.invoices {
        let known = input
            .invoices
            .iter()
            .any(|i| same_number(&i.number, &inv.number));
        if known || input.invoices.len() >= MAX_ROWS {
            continue;
        }
        input.invoices.push(InvoiceInput {
            number: inv.number.clone(),
            date: inv.date.format("%Y-%m-%d").to_string(),
            amount: if inv.in_euro() {
                inv.total.to_decimal_string()
            } else {
                done.foreign_currency.push(inv.number.clone());
                String::new()
            },
        });
        done.invoices += 1;
    }
    done
}

fn is_blank_item(i: &ItemInput) -> bool {
    [&i.marks, &i.packages, &i.description, &i.quantity]
        .iter()
        .all(|s| s.trim().is_empty())
}

fn is_blank_invoice(i: &InvoiceInput) -> bool {
    [&i.number, &i.date, &i.amount]
        .iter()
        .all(|s| s.trim().is_empty())
}

/// Invoice numbers compare without case and surrounding spaces (`2026/118` = ` 2026/118`).
fn same_number(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// One way the invoice table and the attached e-invoices disagree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Mismatch {
    /// An invoice of the table that no attached e-invoice has.
    NoEInvoice { number: String },
    Date {
        number: String,
        table: String,
        einvoice: NaiveDate,
    },
    Amount {
        number: String,
        table: String,
        einvoice: Money,
    },
    /// An attached e-invoice that the table leaves out.
    NotInTable { number: String },
}

impl Mismatch {
    /// The sentence the company and the officer read, naming the invoice.
    pub fn for_people(&self, lang: Lang) -> String {
        match self {
            Self::NoEInvoice { number } => {
                lang.t_args("einvoice-mismatch-missing", &[("number", number.clone())])
            }
            Self::Date {
                number,
                table,
                einvoice,
            } => lang.t_args(
                "einvoice-mismatch-date",
                &[
                    ("number", number.clone()),
                    ("table", table_date(table)),
                    ("einvoice", crate::display::date(*einvoice)),
                ],
            ),
            Self::Amount {
                number,
                table,
                einvoice,
            } => lang.t_args(
                "einvoice-mismatch-amount",
                &[
                    ("number", number.clone()),
                    (
                        "table",
                        Money::parse(table)
                            .map(Money::to_italian)
                            .unwrap_or_else(|_| table.clone()),
                    ),
                    ("einvoice", einvoice.to_italian()),
                ],
            ),
            Self::NotInTable { number } => lang.t_args(
                "einvoice-mismatch-not-in-table",
                &[("number", number.clone())],
            ),
        }
    }
}

fn table_date(s: &str) -> String {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map(crate::display::date)
        .unwrap_or_else(|_| s.to_string())
}

/// Issue 15, item 5: at send, each invoice of the table is checked against the attached
/// e-invoices — number, date and amount — and every disagreement is named; an attached
/// e-invoice missing from the table is named too. The amount of an e-invoice in another
/// currency is not compared (the table is in euro). No attached e-invoice: nothing to check.
pub fn invoice_table_mismatches(table: &[InvoiceInput], einvoices: &[Invoice]) -> Vec<Mismatch> {
    if einvoices.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for row in table.iter().filter(|r| !is_blank_invoice(r)) {
        let Some(e) = einvoices
            .iter()
            .find(|e| same_number(&e.number, &row.number))
        else {
            out.push(Mismatch::NoEInvoice {
                number: row.number.trim().to_string(),
            });
            continue;
        };
        let date = NaiveDate::parse_from_str(row.date.trim(), "%Y-%m-%d").ok();
        if date != Some(e.date) {
            out.push(Mismatch::Date {
                number: e.number.clone(),
                table: row.date.trim().to_string(),
                einvoice: e.date,
            });
        }
        if e.in_euro() && Money::parse(&row.amount).ok() != Some(e.total) {
            out.push(Mismatch::Amount {
                number: e.number.clone(),
                table: row.amount.trim().to_string(),
                einvoice: e.total,
            });
        }
    }
    for e in einvoices {
        if !table.iter().any(|r| same_number(&r.number, &e.number)) {
            out.push(Mismatch::NotInTable {
                number: e.number.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trade::einvoice::parse::parse;

    const EXPORT: &[u8] = include_bytes!("../../../tests/fixtures/fatturapa/fpr12-export.xml");
    const BATCH: &[u8] = include_bytes!("../../../tests/fixtures/fatturapa/fpr12-batch.xml");

    fn row(number: &str, date: &str, amount: &str) -> InvoiceInput {
        InvoiceInput {
            number: number.into(),
            date: date.into(),
            amount: amount.into(),
        }
    }

    #[test]
    fn the_e_invoice_prefills_consignee_goods_and_invoice_table() {
        let file = parse(EXPORT).expect("parsed");
        let mut input = FormInput {
            items: vec![ItemInput::default()],
            invoices: vec![InvoiceInput::default()],
            ..FormInput::default()
        };
        let done = prefill(&mut input, PracticeType::CertificateOfOrigin, &file);
        assert!(done.consignee);
        assert_eq!((done.items, done.invoices), (2, 1));
        assert_eq!(input.consignee.name, "ACME Trading LLC");
        assert_eq!(input.consignee.country, "US");
        assert_eq!(input.items.len(), 2, "the blank row gave way");
        assert_eq!(input.items[1].quantity, "250,5 KG");
        assert_eq!(input.items[1].number, Some(2));
        assert_eq!(
            input.invoices,
            vec![row("2026/118", "2026-11-20", "15400.00")]
        );
        // A second upload of the same file adds nothing.
        assert_eq!(
            prefill(&mut input, PracticeType::CertificateOfOrigin, &file),
            Prefilled::default()
        );
    }

    #[test]
    fn the_prefill_never_overwrites_a_consignee_typed_by_the_company() {
        let file = parse(EXPORT).expect("parsed");
        let mut input = FormInput::default();
        input.consignee.name = "Other Buyer Ltd".into();
        let done = prefill(&mut input, PracticeType::CertificateOfOrigin, &file);
        assert!(!done.consignee);
        assert_eq!(input.consignee.name, "Other Buyer Ltd");
    }

    #[test]
    fn an_invoice_visa_is_prefilled_with_invoices_only() {
        let file = parse(BATCH).expect("parsed");
        let mut input = FormInput::default();
        let done = prefill(&mut input, PracticeType::InvoiceVisa, &file);
        assert!(input.consignee.name.is_empty() && input.items.is_empty());
        assert_eq!(done.invoices, 2);
        assert_eq!(done.foreign_currency, vec!["2026/120".to_string()]);
        assert_eq!(
            input.invoices[1].amount, "",
            "a dollar amount is not typed as euro"
        );
    }

    #[test]
    fn the_invoice_table_matches_the_e_invoices_by_number_date_and_amount() {
        let e = parse(EXPORT).expect("parsed").invoices;
        assert!(
            invoice_table_mismatches(&[row("2026/118", "2026-11-20", "15.400,00")], &e).is_empty()
        );
        assert_eq!(
            invoice_table_mismatches(&[row("2026/118", "2026-11-19", "15300")], &e),
            vec![
                Mismatch::Date {
                    number: "2026/118".into(),
                    table: "2026-11-19".into(),
                    einvoice: NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
                },
                Mismatch::Amount {
                    number: "2026/118".into(),
                    table: "15300".into(),
                    einvoice: Money::from_cents(1_540_000),
                },
            ]
        );
        assert_eq!(
            invoice_table_mismatches(&[row("2026/999", "2026-11-20", "15400")], &e),
            vec![
                Mismatch::NoEInvoice {
                    number: "2026/999".into()
                },
                Mismatch::NotInTable {
                    number: "2026/118".into()
                },
            ]
        );
        assert!(invoice_table_mismatches(&[row("1", "2026-11-20", "1")], &[]).is_empty());
    }

    #[test]
    fn the_amount_of_an_invoice_in_another_currency_is_not_compared() {
        let e = parse(BATCH).expect("parsed").invoices;
        let table = [
            row("2026/119", "2026-11-21", "1350.00"),
            row("2026/120", "2026-11-22", "1840.00"),
        ];
        assert!(invoice_table_mismatches(&table, &e).is_empty());
    }

    #[test]
    fn every_mismatch_names_its_invoice_in_both_languages() {
        let m = Mismatch::Amount {
            number: "2026/118".into(),
            table: "15300".into(),
            einvoice: Money::from_cents(1_540_000),
        };
        let it = m.for_people(Lang::It);
        assert!(
            it.contains("2026/118") && it.contains("15.300,00 €"),
            "{it}"
        );
        assert!(it.contains("15.400,00 €"), "{it}");
        let en = m.for_people(Lang::En);
        assert!(en.contains("2026/118"), "{en}");
    }
}
