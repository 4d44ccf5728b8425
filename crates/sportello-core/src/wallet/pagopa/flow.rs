//! Reading a pagoPA reconciliation flow (*flusso di rendicontazione*, the `FlussoRiversamento`
//! document of pagoPA's SACI, namespace `http://www.digitpa.gov.it/schemas/2011/Pagamenti/`):
//! the header (identificativoFlusso, dataOraFlusso, identificativoUnivocoRegolamento,
//! dataRegolamento, istitutoMittente, istitutoRicevente, numeroTotalePagamenti,
//! importoTotalePagamenti) and each `datiSingoliPagamenti` (IUV, IUR, index, amount, outcome
//! code and date). `schemas/flusso-riversamento.xsd` describes the subset read here.
//!
//! The file comes from outside, so it is read defensively, like a FatturaPA file: at most
//! [`MAX_FILE_BYTES`], UTF-8, a `<!DOCTYPE` refused before anything is expanded (no entity
//! of any kind can run), only XML's five entities and character references, bounded depth,
//! texts and counts. Nothing is fetched.

use crate::money::Money;
use chrono::NaiveDate;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// A flow reports one settlement of one payment service provider to one creditor; 10 MB is
/// far beyond the largest flows pagoPA sends (a few thousand payments).
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
const MAX_PAYMENTS: usize = 50_000;
const MAX_DEPTH: usize = 8;
const MAX_TEXT: usize = 512;

/// What pagoPA reports of one payment (`datiSingoliPagamenti`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportedPayment {
    /// identificativoUnivocoVersamento.
    pub iuv: String,
    /// identificativoUnivocoRiscossione: the provider's own identifier of the collection.
    pub iur: String,
    /// indiceDatiSingoloPagamento (1 when absent).
    pub index: i64,
    pub amount: Money,
    /// codiceEsitoSingoloPagamento: 0 executed, 3 revoked, 4 executed in stand-in, 8 and 9
    /// executed without a payment request.
    pub outcome_code: String,
    pub outcome_date: NaiveDate,
}

impl ReportedPayment {
    /// Whether the money was collected (every outcome but 3, revoked).
    pub fn executed(&self) -> bool {
        matches!(self.outcome_code.as_str(), "0" | "4" | "8" | "9")
    }
}

/// A reconciliation flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flow {
    pub flow_id: String,
    /// dataOraFlusso as written (ISO date and time).
    pub flow_at: String,
    pub settlement_id: String,
    pub settlement_date: NaiveDate,
    /// The sender's name, else its code (the payment service provider).
    pub sender: String,
    /// The creditor's tax code (istitutoRicevente/…/codiceIdentificativoUnivoco).
    pub receiver_tax_code: String,
    pub payment_count: i64,
    pub total: Money,
    pub payments: Vec<ReportedPayment>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    #[error("the file is larger than the limit")]
    TooLarge,
    #[error("the file is not UTF-8 text")]
    NotText,
    #[error("the file declares a DTD or entities")]
    Dtd,
    #[error("an entity other than XML's own")]
    Entity,
    #[error("the XML is not well formed")]
    Malformed,
    #[error("the file is not a pagoPA reconciliation flow (FlussoRiversamento)")]
    NotAFlow,
    #[error("{0} is missing")]
    Missing(&'static str),
    #[error("{0} is not valid")]
    BadValue(&'static str),
    #[error("too many payments")]
    TooMany,
    #[error("the totals do not match the payments listed")]
    Totals,
}

impl FlowError {
    /// The message key of the error (`pagopa-flow-…`).
    pub fn key(&self) -> &'static str {
        match self {
            FlowError::TooLarge => "pagopa-flow-too-large",
            FlowError::NotText | FlowError::Malformed => "pagopa-flow-malformed",
            FlowError::Dtd | FlowError::Entity => "pagopa-flow-dtd",
            FlowError::NotAFlow => "pagopa-flow-not-a-flow",
            FlowError::Missing(_) | FlowError::BadValue(_) => "pagopa-flow-bad-value",
            FlowError::TooMany => "pagopa-flow-too-many",
            FlowError::Totals => "pagopa-flow-totals",
        }
    }
}

#[derive(Default)]
struct PaymentDraft {
    iuv: Option<String>,
    iur: Option<String>,
    index: Option<String>,
    amount: Option<String>,
    outcome_code: Option<String>,
    outcome_date: Option<String>,
}

#[derive(Default)]
struct Draft {
    flow_id: Option<String>,
    flow_at: Option<String>,
    settlement_id: Option<String>,
    settlement_date: Option<String>,
    sender_code: Option<String>,
    sender_name: Option<String>,
    receiver: Option<String>,
    count: Option<String>,
    total: Option<String>,
    payments: Vec<ReportedPayment>,
    current: Option<PaymentDraft>,
}

/// Reads a reconciliation flow.
pub fn parse(bytes: &[u8]) -> Result<Flow, FlowError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(FlowError::TooLarge);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| FlowError::NotText)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    reader.config_mut().check_end_names = true;
    let mut d = Draft::default();
    let mut stack: Vec<String> = Vec::new();
    let mut buf = String::new();
    loop {
        let event = reader.read_event().map_err(|_| FlowError::Malformed)?;
        match event {
            Event::DocType(_) => return Err(FlowError::Dtd),
            Event::Start(e) => {
                let name = local(&e);
                if stack.is_empty() && name != "FlussoRiversamento" {
                    return Err(FlowError::NotAFlow);
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(FlowError::Malformed);
                }
                if stack.len() == 1 && name == "datiSingoliPagamenti" {
                    if d.payments.len() >= MAX_PAYMENTS {
                        return Err(FlowError::TooMany);
                    }
                    d.current = Some(PaymentDraft::default());
                }
                stack.push(name);
                buf.clear();
            }
            Event::Empty(e) => {
                if stack.is_empty() {
                    return Err(FlowError::NotAFlow);
                }
                let _ = local(&e);
            }
            Event::End(_) => {
                close(&mut d, &stack, buf.trim())?;
                buf.clear();
                stack.pop();
            }
            Event::Text(t) => push_text(&mut buf, &t)?,
            Event::CData(t) => push_text(&mut buf, &t)?,
            Event::GeneralRef(r) => {
                let c = match &*r {
                    "amp" => '&',
                    "lt" => '<',
                    "gt" => '>',
                    "quot" => '"',
                    "apos" => '\'',
                    _ => r
                        .resolve_char_ref()
                        .ok()
                        .flatten()
                        .ok_or(FlowError::Entity)?,
                };
                if buf.len() < MAX_TEXT {
                    buf.push(c);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    finish(d)
}

fn push_text(buf: &mut String, more: &str) -> Result<(), FlowError> {
    if buf.len() + more.len() > MAX_TEXT {
        if more.trim().is_empty() {
            return Ok(());
        }
        return Err(FlowError::BadValue("testo"));
    }
    buf.push_str(more);
    Ok(())
}

fn local(e: &BytesStart<'_>) -> String {
    e.local_name().as_ref().to_string()
}

fn close(d: &mut Draft, stack: &[String], text: &str) -> Result<(), FlowError> {
    let path: Vec<&str> = stack.iter().map(String::as_str).collect();
    let value = Some(text.to_string());
    match path.as_slice() {
        ["FlussoRiversamento", "identificativoFlusso"] => d.flow_id = value,
        ["FlussoRiversamento", "dataOraFlusso"] => d.flow_at = value,
        ["FlussoRiversamento", "identificativoUnivocoRegolamento"] => d.settlement_id = value,
        ["FlussoRiversamento", "dataRegolamento"] => d.settlement_date = value,
        [
            "FlussoRiversamento",
            "istitutoMittente",
            "identificativoUnivocoMittente",
            "codiceIdentificativoUnivoco",
        ] => d.sender_code = value,
        [
            "FlussoRiversamento",
            "istitutoMittente",
            "denominazioneMittente",
        ] => d.sender_name = value,
        [
            "FlussoRiversamento",
            "istitutoRicevente",
            "identificativoUnivocoRicevente",
            "codiceIdentificativoUnivoco",
        ] => d.receiver = value,
        ["FlussoRiversamento", "numeroTotalePagamenti"] => d.count = value,
        ["FlussoRiversamento", "importoTotalePagamenti"] => d.total = value,
        ["FlussoRiversamento", "datiSingoliPagamenti", field] => {
            let p = d.current.as_mut().ok_or(FlowError::Malformed)?;
            match *field {
                "identificativoUnivocoVersamento" => p.iuv = value,
                "identificativoUnivocoRiscossione" => p.iur = value,
                "indiceDatiSingoloPagamento" => p.index = value,
                "singoloImportoPagato" => p.amount = value,
                "codiceEsitoSingoloPagamento" => p.outcome_code = value,
                "dataEsitoSingoloPagamento" => p.outcome_date = value,
                _ => {}
            }
        }
        ["FlussoRiversamento", "datiSingoliPagamenti"] => {
            let p = d.current.take().ok_or(FlowError::Malformed)?;
            d.payments.push(payment(p)?);
        }
        _ => {}
    }
    Ok(())
}

fn required(v: Option<String>, name: &'static str) -> Result<String, FlowError> {
    v.filter(|s| !s.is_empty()).ok_or(FlowError::Missing(name))
}

/// An amount as pagoPA writes it: a dot and at most two decimals (`50.00`, `7.5`).
fn amount(v: Option<String>, name: &'static str) -> Result<Money, FlowError> {
    let s = required(v, name)?;
    let (units, cents) = s.split_once('.').unwrap_or((&s, "0"));
    if units.is_empty()
        || units.len() > 12
        || cents.is_empty()
        || cents.len() > 2
        || !units.bytes().all(|b| b.is_ascii_digit())
        || !cents.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(FlowError::BadValue(name));
    }
    let units: i64 = units.parse().map_err(|_| FlowError::BadValue(name))?;
    let mut cents_v: i64 = cents.parse().map_err(|_| FlowError::BadValue(name))?;
    if cents.len() == 1 {
        cents_v *= 10;
    }
    units
        .checked_mul(100)
        .and_then(|u| u.checked_add(cents_v))
        .map(Money::from_cents)
        .ok_or(FlowError::BadValue(name))
}

fn date(v: Option<String>, name: &'static str) -> Result<NaiveDate, FlowError> {
    let s = required(v, name)?;
    NaiveDate::parse_from_str(s.get(..10).unwrap_or(&s), "%Y-%m-%d")
        .map_err(|_| FlowError::BadValue(name))
}

fn payment(p: PaymentDraft) -> Result<ReportedPayment, FlowError> {
    let iuv = required(p.iuv, "identificativoUnivocoVersamento")?;
    if iuv.len() > 35 {
        return Err(FlowError::BadValue("identificativoUnivocoVersamento"));
    }
    let iur = required(p.iur, "identificativoUnivocoRiscossione")?;
    let index = match p.index.filter(|s| !s.is_empty()) {
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|i| (1..=5).contains(i))
            .ok_or(FlowError::BadValue("indiceDatiSingoloPagamento"))?,
        None => 1,
    };
    let outcome_code = required(p.outcome_code, "codiceEsitoSingoloPagamento")?;
    if !matches!(outcome_code.as_str(), "0" | "3" | "4" | "8" | "9") {
        return Err(FlowError::BadValue("codiceEsitoSingoloPagamento"));
    }
    Ok(ReportedPayment {
        iuv,
        iur,
        index,
        amount: amount(p.amount, "singoloImportoPagato")?,
        outcome_code,
        outcome_date: date(p.outcome_date, "dataEsitoSingoloPagamento")?,
    })
}

fn finish(d: Draft) -> Result<Flow, FlowError> {
    let flow_id = required(d.flow_id, "identificativoFlusso")?;
    let flow_at = required(d.flow_at, "dataOraFlusso")?;
    let settlement_id = required(d.settlement_id, "identificativoUnivocoRegolamento")?;
    let settlement_date = date(d.settlement_date, "dataRegolamento")?;
    let sender_code = required(d.sender_code, "istitutoMittente")?;
    let sender = d
        .sender_name
        .filter(|s| !s.is_empty())
        .unwrap_or(sender_code);
    let receiver_tax_code = required(d.receiver, "istitutoRicevente")?;
    let payment_count: i64 = required(d.count, "numeroTotalePagamenti")?
        .parse()
        .map_err(|_| FlowError::BadValue("numeroTotalePagamenti"))?;
    let total = amount(d.total, "importoTotalePagamenti")?;
    if d.payments.is_empty() {
        return Err(FlowError::Missing("datiSingoliPagamenti"));
    }
    let sum: i64 = d.payments.iter().map(|p| p.amount.cents()).sum();
    if payment_count != d.payments.len() as i64 || sum != total.cents() {
        return Err(FlowError::Totals);
    }
    Ok(Flow {
        flow_id,
        flow_at,
        settlement_id,
        settlement_date,
        sender,
        receiver_tax_code,
        payment_count,
        total,
        payments: d.payments,
    })
}

/// A flow written from a template, for tests and the demo: one `datiSingoliPagamenti` per
/// `(iuv, iur, amount)`, all executed on `date`.
pub fn sample_xml(
    flow_id: &str,
    creditor_tax_code: &str,
    date: NaiveDate,
    payments: &[(&str, &str, Money)],
) -> String {
    let total: i64 = payments.iter().map(|p| p.2.cents()).sum();
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(
        "<FlussoRiversamento xmlns=\"http://www.digitpa.gov.it/schemas/2011/Pagamenti/\">\n",
    );
    out.push_str("  <versioneOggetto>1.0</versioneOggetto>\n");
    out.push_str(&format!(
        "  <identificativoFlusso>{flow_id}</identificativoFlusso>\n"
    ));
    out.push_str(&format!(
        "  <dataOraFlusso>{date}T10:00:00</dataOraFlusso>\n"
    ));
    out.push_str(&format!(
        "  <identificativoUnivocoRegolamento>SEPA-{flow_id}</identificativoUnivocoRegolamento>\n"
    ));
    out.push_str(&format!("  <dataRegolamento>{date}</dataRegolamento>\n"));
    out.push_str(
        "  <istitutoMittente>\n    <identificativoUnivocoMittente>\n      \
         <tipoIdentificativoUnivoco>B</tipoIdentificativoUnivoco>\n      \
         <codiceIdentificativoUnivoco>BPPIITRRXXX</codiceIdentificativoUnivoco>\n    \
         </identificativoUnivocoMittente>\n    \
         <denominazioneMittente>Poste Italiane</denominazioneMittente>\n  </istitutoMittente>\n",
    );
    out.push_str(&format!(
        "  <istitutoRicevente>\n    <identificativoUnivocoRicevente>\n      \
         <tipoIdentificativoUnivoco>G</tipoIdentificativoUnivoco>\n      \
         <codiceIdentificativoUnivoco>{creditor_tax_code}</codiceIdentificativoUnivoco>\n    \
         </identificativoUnivocoRicevente>\n  </istitutoRicevente>\n"
    ));
    out.push_str(&format!(
        "  <numeroTotalePagamenti>{}</numeroTotalePagamenti>\n",
        payments.len()
    ));
    out.push_str(&format!(
        "  <importoTotalePagamenti>{}</importoTotalePagamenti>\n",
        Money::from_cents(total).to_decimal_string()
    ));
    for (iuv, iur, amount) in payments {
        out.push_str(&format!(
            "  <datiSingoliPagamenti>\n    \
             <identificativoUnivocoVersamento>{iuv}</identificativoUnivocoVersamento>\n    \
             <identificativoUnivocoRiscossione>{iur}</identificativoUnivocoRiscossione>\n    \
             <indiceDatiSingoloPagamento>1</indiceDatiSingoloPagamento>\n    \
             <singoloImportoPagato>{}</singoloImportoPagato>\n    \
             <codiceEsitoSingoloPagamento>0</codiceEsitoSingoloPagamento>\n    \
             <dataEsitoSingoloPagamento>{date}</dataEsitoSingoloPagamento>\n  \
             </datiSingoliPagamenti>\n",
            amount.to_decimal_string()
        ));
    }
    out.push_str("</FlussoRiversamento>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 6).unwrap()
    }

    #[test]
    fn a_reconciliation_flow_is_read_with_its_payments() {
        let xml = sample_xml(
            "2026-12-06BPPIITRRXXX-0001",
            "80043770106",
            day(),
            &[
                ("01000000000000123", "IUR-1", Money::from_cents(5000)),
                ("01000000000000231", "IUR-2", Money::from_cents(1250)),
            ],
        );
        let flow = parse(xml.as_bytes()).unwrap();
        assert_eq!(flow.flow_id, "2026-12-06BPPIITRRXXX-0001");
        assert_eq!(flow.receiver_tax_code, "80043770106");
        assert_eq!(flow.sender, "Poste Italiane");
        assert_eq!(flow.total.cents(), 6250);
        assert_eq!(flow.payments.len(), 2);
        assert_eq!(flow.payments[1].amount.cents(), 1250);
        assert!(flow.payments[0].executed());
    }

    #[test]
    fn a_flow_with_a_dtd_or_entities_is_refused() {
        let bomb = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \
                    \"&lol;&lol;&lol;\">]><FlussoRiversamento><identificativoFlusso>&lol2;\
                    </identificativoFlusso></FlussoRiversamento>";
        assert_eq!(parse(bomb.as_bytes()), Err(FlowError::Dtd));
        let external = "<FlussoRiversamento><identificativoFlusso>&xxe;</identificativoFlusso>\
                        </FlussoRiversamento>";
        assert_eq!(parse(external.as_bytes()), Err(FlowError::Entity));
        let huge = vec![b' '; MAX_FILE_BYTES + 1];
        assert_eq!(parse(&huge), Err(FlowError::TooLarge));
        assert_eq!(parse(b"<Fattura/>"), Err(FlowError::NotAFlow));
    }

    #[test]
    fn a_flow_whose_totals_disagree_with_its_payments_is_refused() {
        let xml = sample_xml(
            "F1",
            "80043770106",
            day(),
            &[("01000000000000123", "IUR-1", Money::from_cents(5000))],
        )
        .replace(
            "<importoTotalePagamenti>50.00",
            "<importoTotalePagamenti>60.00",
        );
        assert_eq!(parse(xml.as_bytes()), Err(FlowError::Totals));
    }
}
