//! The issuance path of a certificate of origin, per certificate: the PDF rendered by
//! `trade::pdf::certificate` (the signed XML embedded, the QR code, PDF/A), then sealed by
//! `seal::seal_pdf` (PAdES, the chamber's RSA key), and the two together, as an approval
//! does them. A small certificate (one item line) and a long one (40 item lines, three
//! pages).
//!
//! `issuance` is wall time; `issuance_cpu` is the same work timed by the thread's CPU clock,
//! which other processes on a shared machine disturb far less.
//!
//! `cargo bench -p sportello-core --bench issuance`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sportello_core::i18n::Lang;
use sportello_core::registry::{
    Company, CompanyStatus, Postcode, Rea, Site, SiteKind, TaxCode, VatNumber,
};
use sportello_core::seal::{SealKey, seal_pdf};
use sportello_core::trade::document::ModelDocument;
use sportello_core::trade::form::{
    BaseModelForm, CertificateNumber, ConsigneeInput, FormInput, InvoiceInput, ItemInput,
};
use sportello_core::trade::pdf::{self, CertificateIssue};
use sportello_core::trade::practice_type::{PracticeType, PrintMode};
use std::hint::black_box;
use std::path::Path;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 9, 30, 0).unwrap()
}

/// A certificate of origin with `lines` item lines.
fn document(lines: u32) -> ModelDocument {
    let input = FormInput {
        consignee: ConsigneeInput {
            name: "ACME Trading LLC".into(),
            address: "1200 Harbor Blvd, Long Beach CA 90802".into(),
            country: "US".into(),
        },
        origin_country: "IT".into(),
        transport: "Nave da Genova a Long Beach / By sea from Genoa to Long Beach".into(),
        remarks: "Invoice No. 2026/118 of 20/11/2026".into(),
        items: (1..=lines)
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
            .collect(),
        invoices: vec![InvoiceInput {
            number: "2026/118".into(),
            date: "2026-11-20".into(),
            amount: "15400.00".into(),
        }],
        ..FormInput::default()
    };
    ModelDocument {
        model_id: "0192f3a1-7c2e-7d4b-8e1f-5a6b9a8b7c6d".into(),
        version: 1,
        created_at: Utc.with_ymd_and_hms(2026, 11, 25, 10, 15, 30).unwrap(),
        company: Company {
            id: "company-1".into(),
            tax_code: TaxCode::parse("01879020517").unwrap(),
            vat_number: Some(VatNumber::parse("01879020517").unwrap()),
            name: "Rossi Valvole Industriali S.p.A.".into(),
            status: CompanyStatus::Active,
            annual_fee_years: vec![2025, 2026],
            registered_on: None,
        },
        site: Site {
            id: "site-1".into(),
            company_id: "company-1".into(),
            kind: SiteKind::HeadOffice,
            rea: Rea::parse("GE-123456").unwrap(),
            address: "Via XX Settembre 41".into(),
            postcode: Postcode::parse("16121").unwrap(),
            municipality: "Genova".into(),
        },
        form: BaseModelForm::validate(PracticeType::CertificateOfOrigin, &input, today())
            .expect("a valid certificate of origin"),
    }
}

fn issue(doc: &ModelDocument) -> CertificateIssue {
    let number = CertificateNumber::parse("C26GE0000123").unwrap();
    CertificateIssue {
        verify_url: pdf::verification_url("https://sportello.example", &number, "K7Q2-M9XH"),
        number,
        security_code: "K7Q2-M9XH".into(),
        issued_on: today(),
        chamber_name: "Camera di Commercio di Genova".into(),
        place: "Genova".into(),
        duplicate_of: None,
        replaces: None,
        print_mode: PrintMode::BlankPaper,
        form_serial: None,
        model_xml: sportello_core::trade::xml::model_xml(doc),
        stamped: Vec::new(),
    }
}

/// The demo chamber's seal (RSA-2048), from the PKCS#12 fixture OpenSSL made.
fn key() -> SealKey {
    let p12 =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pki/seal-ge.p12"))
            .unwrap();
    SealKey::from_pkcs12(&p12, "sigillo-demo").unwrap()
}

const SIZES: [(&str, u32); 2] = [("1_line", 1), ("40_lines", 40)];

fn render(doc: &ModelDocument, issue: &CertificateIssue) -> Vec<u8> {
    pdf::certificate(black_box(doc), black_box(issue), Lang::It).unwrap()
}

fn seal(pdf: &[u8], key: &SealKey) -> Vec<u8> {
    seal_pdf(
        black_box(pdf),
        key,
        at(),
        "Certificato di origine C26GE0000123",
        "Genova",
    )
    .unwrap()
}

fn bench_issuance<M: Measurement>(c: &mut Criterion<M>, group_name: &str) {
    let key = key();
    let mut group = c.benchmark_group(group_name);
    group.sample_size(20);
    group.throughput(Throughput::Elements(1));
    for (label, lines) in SIZES {
        let doc = document(lines);
        let issue = issue(&doc);
        let rendered = render(&doc, &issue);
        group.bench_function(format!("render_pdf/{label}"), |b| {
            b.iter(|| render(&doc, &issue))
        });
        group.bench_function(format!("seal_pades/{label}"), |b| {
            b.iter(|| seal(&rendered, &key))
        });
        group.bench_function(format!("render_and_seal/{label}"), |b| {
            b.iter(|| seal(&render(&doc, &issue), &key))
        });
    }
    group.finish();
}

fn issuance(c: &mut Criterion) {
    bench_issuance(c, "issuance");
}

fn issuance_cpu(c: &mut Criterion<ThreadCpu>) {
    bench_issuance(c, "issuance_cpu");
}

/// The calling thread's CPU clock.
struct ThreadCpu;

fn thread_cpu_nanos() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    u64::try_from(t.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(t.tv_nsec).unwrap_or(0)
}

impl Measurement for ThreadCpu {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        thread_cpu_nanos()
    }
    fn end(&self, started: u64) -> u64 {
        thread_cpu_nanos().saturating_sub(started)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuFormatter
    }
}

struct CpuFormatter;

impl ValueFormatter for CpuFormatter {
    fn scale_values(&self, _typical: f64, values: &mut [f64]) -> &'static str {
        for v in values {
            *v /= 1e6;
        }
        "ms CPU"
    }
    fn scale_throughputs(
        &self,
        _typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let per_iteration = match *throughput {
            Throughput::Elements(n) => n as f64,
            _ => 1.0,
        };
        for v in values {
            *v = per_iteration * 1e9 / *v;
        }
        "certificates/s/core"
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

criterion_group!(wall, issuance);
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(ThreadCpu);
    targets = issuance_cpu
}
criterion_main!(wall, cpu);
