//! Representative base models for the XML and PDF tests: every practice type, special
//! characters, long texts and the largest form the validator accepts.

#![allow(clippy::unwrap_used)]

use crate::registry::{Company, CompanyStatus, Postcode, Rea, Site, SiteKind, TaxCode, VatNumber};
use crate::trade::document::ModelDocument;
use crate::trade::form::{
    ApplicantInput, BaseModelForm, ConsigneeInput, FormInput, InvoiceInput, ItemInput,
};
use crate::trade::practice_type::PracticeType;
use chrono::{NaiveDate, TimeZone, Utc};

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn company() -> Company {
    Company {
        id: "company-1".into(),
        tax_code: TaxCode::parse("01879020517").unwrap(),
        vat_number: Some(VatNumber::parse("01879020517").unwrap()),
        name: "Rossi Valvole Industriali S.p.A.".into(),
        status: CompanyStatus::Active,
        annual_fee_years: vec![2025, 2026],
        registered_on: None,
    }
}

fn site() -> Site {
    Site {
        id: "site-1".into(),
        company_id: "company-1".into(),
        kind: SiteKind::HeadOffice,
        rea: Rea::parse("GE-123456").unwrap(),
        address: "Via XX Settembre 41".into(),
        postcode: Postcode::parse("16121").unwrap(),
        municipality: "Genova".into(),
    }
}

fn document(practice_type: PracticeType, input: &FormInput) -> ModelDocument {
    let form = BaseModelForm::validate(practice_type, input, today())
        .unwrap_or_else(|p| panic!("sample {practice_type:?} is invalid: {p:?}"));
    ModelDocument {
        model_id: "0192f3a1-7c2e-7d4b-8e1f-5a6b9a8b7c6d".into(),
        version: 3,
        created_at: Utc.with_ymd_and_hms(2026, 11, 25, 10, 15, 30).unwrap()
            + chrono::Duration::milliseconds(123),
        company: company(),
        site: site(),
        form,
    }
}

fn applicant() -> ApplicantInput {
    ApplicantInput {
        name: "Giulia Bianchi".into(),
        capacity: "Legale rappresentante".into(),
        email: "export@rossivalvole.example".into(),
        phone: "+39 010 555 1234".into(),
    }
}

fn invoice(number: &str, date: &str, amount: &str) -> InvoiceInput {
    InvoiceInput {
        number: number.into(),
        date: date.into(),
        amount: amount.into(),
    }
}

pub fn co_input() -> FormInput {
    FormInput {
        consignee: ConsigneeInput {
            name: "ACME Trading LLC".into(),
            address: "1200 Harbor Blvd, Long Beach CA 90802".into(),
            country: "US".into(),
        },
        origin_country: "IT".into(),
        transport: "Nave da Genova a Long Beach / By sea from Genoa to Long Beach".into(),
        remarks: "Invoice No. 2026/118 of 20/11/2026".into(),
        items: vec![ItemInput {
            number: Some(1),
            marks: "ACME 1-20".into(),
            packages: "20 casse di legno".into(),
            description: "Valvole a sfera in acciaio inox".into(),
            quantity: "1.250 kg lordi".into(),
        }],
        invoices: vec![invoice("2026/118", "2026-11-20", "15400.00")],
        ..FormInput::default()
    }
}

/// A small, ordinary certificate of origin.
pub fn co_basic() -> ModelDocument {
    document(PracticeType::CertificateOfOrigin, &co_input())
}

/// Accents, XML specials, control characters, CRLF, long texts.
pub fn co_tricky() -> ModelDocument {
    let mut input = co_input();
    input.consignee.name = "Società & Figli <Export> \"Çağlayan\" Dış Ticaret A.Ş.".into();
    input.consignee.address =
        "Büyükdere Cad. No:185, Levent\r\n34394 Şişli/İstanbul — c/o 'Ötüken' Lojistik\u{7}".into();
    input.consignee.country = "Turchia".into();
    input.origin_country = "EU".into();
    input.remarks = format!(
        "Fattura n. 2026/119 del 21/11/2026 — Invoice No. 2026/119 of 21/11/2026. {}",
        "Merce già spedita; certificato richiesto a posteriori. ".repeat(30)
    );
    input.items = (1..=3)
        .map(|i| ItemInput {
            number: Some(i),
            marks: format!("TR/{i} «€» ½ ©"),
            packages: format!("{i} pallet"),
            description: "Macchine per l'industria alimentare: impastatrici a spirale con vasca \
                          estraibile, quadro elettrico, manuale d'uso in lingua turca. "
                .repeat(12)
                .trim()
                .into(),
            quantity: format!("{} kg netti", i * 350),
        })
        .collect();
    input.invoices = vec![
        invoice("2026/119", "2026-11-21", "98.765,43"),
        invoice("PRO-7 & <B>", "2026-11-22", "0,01"),
    ];
    document(PracticeType::CertificateOfOrigin, &input)
}

/// `n` item lines, each with a description of a few lines.
pub fn co_lines(n: u32) -> ModelDocument {
    let mut input = co_input();
    input.items = (1..=n)
        .map(|i| ItemInput {
            number: Some(i),
            marks: format!("ACME-{i:03}"),
            packages: format!("{} cartoni", i % 7 + 1),
            description: format!(
                "Articolo {i}: valvola a sfera DN{} in acciaio inox AISI 316, attacchi \
                 filettati, leva in acciaio zincato",
                15 + i % 5 * 5
            ),
            quantity: format!("{} pz", i * 10),
        })
        .collect();
    input.invoices = (1..=3)
        .map(|i| {
            invoice(
                &format!("2026/{}", 200 + i),
                &format!("2026-11-2{i}"),
                "1234.50",
            )
        })
        .collect();
    document(PracticeType::CertificateOfOrigin, &input)
}

/// The largest form the validator accepts: 200 items and invoices, every text at its limit.
pub fn co_max() -> ModelDocument {
    let text = |n: usize| {
        "àèìòù&<>\"' x"
            .repeat(n)
            .chars()
            .take(n)
            .collect::<String>()
    };
    let mut input = co_input();
    input.consignee.name = text(300);
    input.consignee.address = text(300);
    input.transport = text(300);
    input.remarks = text(2000);
    input.items = (1..=200)
        .map(|i| ItemInput {
            number: Some(i),
            marks: text(300),
            packages: text(300),
            description: text(2000),
            quantity: text(300),
        })
        .collect();
    input.invoices = (1..=200)
        .map(|i| invoice(&format!("{i:0>60}"), "2026-01-31", "999999999.99"))
        .collect();
    document(PracticeType::CertificateOfOrigin, &input)
}

pub fn invoice_visa() -> ModelDocument {
    let input = FormInput {
        applicant: applicant(),
        destination_country: "SA".into(),
        invoices: vec![
            invoice("2026/120", "2026-11-23", "4200.00"),
            invoice("2026/121", "2026-11-24", "830.10"),
        ],
        notes: "Visto poteri di firma richiesto dall'importatore saudita.".into(),
        ..FormInput::default()
    };
    document(PracticeType::InvoiceVisa, &input)
}

pub fn visas() -> ModelDocument {
    let input = FormInput {
        applicant: ApplicantInput {
            email: String::new(),
            phone: String::new(),
            ..applicant()
        },
        destination_country: "EG".into(),
        request: "Attestato di libera vendita per cosmetici (creme solari), fatture allegate."
            .into(),
        ..FormInput::default()
    };
    document(PracticeType::VisasAttestations, &input)
}

pub fn copy() -> ModelDocument {
    let input = FormInput {
        applicant: applicant(),
        certificate_number: "C26GE0000123".into(),
        form_serial: "A0123456".into(),
        notes: "Due copie aggiuntive per la banca.".into(),
        ..FormInput::default()
    };
    document(PracticeType::CertificateCopy, &input)
}

pub fn cancellation() -> ModelDocument {
    let input = FormInput {
        applicant: applicant(),
        certificate_number: "C26GE0000099".into(),
        reason: "theft".into(),
        notes: "Rubato dall'automezzo del corriere il 24/11/2026; denuncia allegata.".into(),
        ..FormInput::default()
    };
    document(PracticeType::Cancellation, &input)
}

/// One or more documents of every practice type, named.
pub fn all() -> Vec<(&'static str, ModelDocument)> {
    vec![
        ("co_basic", co_basic()),
        ("co_tricky", co_tricky()),
        ("co_lines_80", co_lines(80)),
        ("invoice_visa", invoice_visa()),
        ("visas", visas()),
        ("copy", copy()),
        ("cancellation", cancellation()),
    ]
}
