//! The Certification Authority's Operating Manual and Certificate Policy, published by the
//! chamber. RA procedure, part 2: "presso gli sportelli camerali è consultabile il Manuale
//! Operativo e la Certificate Policy, presente anche sul sito camerale". The Master RAO uploads
//! each new version as a PDF (kept as a content-addressed blob); every version stays listed,
//! the newest of each kind is the one in force, and anyone, signed in or not, may read them.

use crate::audit::{self, Actor, Change};
use crate::blobs::BlobStore;
use crate::db::{self, Db};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;

/// The two documents the procedure names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PublicationKind {
    /// Manuale Operativo of the Certification Authority.
    OperatingManual,
    /// Certificate Policy of the Certification Authority.
    CertificatePolicy,
}

impl PublicationKind {
    pub const ALL: [PublicationKind; 2] = [
        PublicationKind::OperatingManual,
        PublicationKind::CertificatePolicy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PublicationKind::OperatingManual => "operating_manual",
            PublicationKind::CertificatePolicy => "certificate_policy",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The message key of the document's name.
    pub fn label_key(self) -> &'static str {
        match self {
            PublicationKind::OperatingManual => "ra-doc-operating-manual",
            PublicationKind::CertificatePolicy => "ra-doc-certificate-policy",
        }
    }

    /// The name of the downloaded file (without the version).
    fn file_stem(self) -> &'static str {
        match self {
            PublicationKind::OperatingManual => "manuale-operativo",
            PublicationKind::CertificatePolicy => "certificate-policy",
        }
    }
}

/// One published version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Publication {
    pub id: String,
    pub chamber_id: String,
    pub kind: PublicationKind,
    /// The version as printed on the document ("3.2").
    pub version: String,
    /// 1, 2, … per chamber and kind, in order of upload.
    pub seq: i64,
    /// The day the version applies from.
    pub effective_on: NaiveDate,
    pub blob: String,
    pub size_bytes: i64,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

impl Publication {
    /// `manuale-operativo-3.2.pdf`.
    pub fn file_name(&self) -> String {
        format!("{}-{}.pdf", self.kind.file_stem(), self.version)
    }
}

/// The largest PDF accepted: a CA manual runs to a few hundred pages.
pub const MAX_BYTES: usize = 25 * 1024 * 1024;

/// The longest version label.
const MAX_VERSION_CHARS: usize = 40;

#[derive(Debug, thiserror::Error)]
pub enum PublicationError {
    #[error("choose the Operating Manual or the Certificate Policy")]
    Kind,
    #[error("the version is missing or too long")]
    Version,
    #[error("the file is not a PDF")]
    NotPdf,
    #[error("the file is larger than {} MB", MAX_BYTES / 1024 / 1024)]
    TooLarge,
    /// The same version of the same document is already published.
    #[error("version {0} is already published")]
    VersionExists(String),
    #[error(transparent)]
    Blob(#[from] crate::blobs::BlobError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// What the Master RAO uploads.
pub struct NewPublication<'a> {
    pub kind: Option<PublicationKind>,
    pub version: &'a str,
    pub effective_on: NaiveDate,
    pub pdf: &'a [u8],
}

/// Checks the upload before anything is stored: a kind, a version label, a PDF within
/// [`MAX_BYTES`].
pub fn validate(new: &NewPublication<'_>) -> Result<(PublicationKind, String), PublicationError> {
    let kind = new.kind.ok_or(PublicationError::Kind)?;
    let version = new.version.trim();
    if version.is_empty() || version.chars().count() > MAX_VERSION_CHARS {
        return Err(PublicationError::Version);
    }
    if new.pdf.len() > MAX_BYTES {
        return Err(PublicationError::TooLarge);
    }
    if !new.pdf.starts_with(b"%PDF-") {
        return Err(PublicationError::NotPdf);
    }
    Ok((kind, version.to_string()))
}

/// RA procedure, part 2: publishes a new version of the Manual or the Policy. The PDF is stored
/// first (content-addressed: the same file twice is one blob), then the version is recorded
/// with its audit entry. Publishing the same version label twice is refused.
pub async fn publish(
    db: &Db,
    blobs: &dyn BlobStore,
    now: DateTime<Utc>,
    actor: &Actor,
    chamber_id: &str,
    new: NewPublication<'_>,
) -> Result<Publication, PublicationError> {
    let (kind, version) = validate(&new)?;
    let taken: Option<String> = sqlx::query_scalar(
        "SELECT id FROM ra_publications WHERE chamber_id = $1 AND kind = $2 AND version = $3",
    )
    .bind(chamber_id)
    .bind(kind.as_str())
    .bind(&version)
    .fetch_optional(db.pool())
    .await?;
    if taken.is_some() {
        return Err(PublicationError::VersionExists(version));
    }
    let blob = blobs.put(new.pdf).await?;
    let id = db::new_id();
    let mut tx = db.begin().await?;
    let seq: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM ra_publications WHERE chamber_id = $1 AND kind = $2",
    )
    .bind(chamber_id)
    .bind(kind.as_str())
    .fetch_one(&mut *tx)
    .await?;
    let inserted = sqlx::query(
        "INSERT INTO ra_publications (id, chamber_id, kind, version, seq, effective_on, blob, \
         size_bytes, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&id)
    .bind(chamber_id)
    .bind(kind.as_str())
    .bind(&version)
    .bind(seq)
    .bind(db::date(new.effective_on))
    .bind(&blob)
    .bind(new.pdf.len() as i64)
    .bind(&actor.label)
    .bind(db::instant(now))
    .execute(&mut *tx)
    .await;
    if let Err(e) = inserted {
        return Err(match db::unique_violation(&e) {
            Some(_) => PublicationError::VersionExists(version),
            None => e.into(),
        });
    }
    audit::record(
        &mut tx,
        now,
        &actor.clone().in_chamber(Some(chamber_id)),
        Change::new("ra.publication.publish", "ra_publication", Some(&id)).after(json!({
            "kind": kind.as_str(), "version": version, "seq": seq,
            "effective_on": db::date(new.effective_on), "blob": blob,
        })),
    )
    .await?;
    tx.commit().await?;
    get(db, &id)
        .await?
        .ok_or(PublicationError::Db(sqlx::Error::RowNotFound))
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    chamber_id: String,
    kind: String,
    version: String,
    seq: i64,
    effective_on: String,
    blob: String,
    size_bytes: i64,
    uploaded_by: String,
    uploaded_at: String,
}

impl Row {
    fn decode(self) -> Result<Publication, sqlx::Error> {
        Ok(Publication {
            kind: PublicationKind::parse(&self.kind).ok_or_else(|| {
                sqlx::Error::Decode(format!("ra_publications.kind: {}", self.kind).into())
            })?,
            effective_on: db::parse_date(&self.effective_on)?,
            id: self.id,
            chamber_id: self.chamber_id,
            version: self.version,
            seq: self.seq,
            blob: self.blob,
            size_bytes: self.size_bytes,
            uploaded_by: self.uploaded_by,
            uploaded_at: self.uploaded_at,
        })
    }
}

const COLUMNS: &str = "id, chamber_id, kind, version, seq, effective_on, blob, size_bytes, \
                       uploaded_by, uploaded_at";

/// One published version, of any chamber (the documents are public).
pub async fn get(db: &Db, id: &str) -> Result<Option<Publication>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ra_publications WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.map(Row::decode).transpose()
}

/// Every version a chamber published: by kind (the Manual first), newest version first.
pub async fn of_chamber(db: &Db, chamber_id: &str) -> Result<Vec<Publication>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ra_publications WHERE chamber_id = $1 \
         ORDER BY CASE kind WHEN 'operating_manual' THEN 0 ELSE 1 END, seq DESC"
    )))
    .bind(chamber_id)
    .fetch_all(db.pool())
    .await?;
    rows.into_iter().map(Row::decode).collect()
}

/// The version in force of each kind: the newest upload whose date has come, else the newest.
pub fn in_force(all: &[Publication], today: NaiveDate) -> Vec<&Publication> {
    PublicationKind::ALL
        .into_iter()
        .filter_map(|kind| {
            let of_kind = || all.iter().filter(move |p| p.kind == kind);
            of_kind()
                .filter(|p| p.effective_on <= today)
                .max_by_key(|p| p.seq)
                .or_else(|| of_kind().max_by_key(|p| p.seq))
        })
        .collect()
}

static DEMO_FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSansCondensed.ttf");

/// A one-page PDF standing in for a CA document in the demo: its title and a few lines.
pub fn demo_pdf(title: &str, lines: &[&str]) -> Option<Vec<u8>> {
    use krilla::Document;
    use krilla::geom::Point;
    use krilla::page::PageSettings;
    use krilla::text::{Font, TextDirection};
    let font = Font::new(DEMO_FONT.into(), 0)?;
    let mut document = Document::new();
    let mut page = document.start_page_with(PageSettings::from_wh(595.276, 841.89)?);
    {
        let mut s = page.surface();
        s.draw_text(
            Point::from_xy(60.0, 90.0),
            font.clone(),
            20.0,
            title,
            false,
            TextDirection::Auto,
        );
        for (i, line) in lines.iter().enumerate() {
            s.draw_text(
                Point::from_xy(60.0, 130.0 + 18.0 * i as f32),
                font.clone(),
                11.0,
                line,
                false,
                TextDirection::Auto,
            );
        }
        s.finish();
    }
    page.finish();
    document.finish().ok()
}

/// The demo chamber publishes a Manual (two versions, to show the history) and a Policy.
pub async fn seed_demo(ctx: &crate::Ctx, chamber_id: &str) -> anyhow::Result<()> {
    if !of_chamber(&ctx.db, chamber_id).await?.is_empty() {
        return Ok(());
    }
    let actor = Actor::system("demo");
    let today = ctx.clock.today();
    let year_ago = today - chrono::Duration::days(365);
    let note = "Documento dimostrativo: il testo in vigore è quello pubblicato dal certificatore.";
    for (kind, version, from, title) in [
        (
            PublicationKind::OperatingManual,
            "3.1",
            year_ago,
            "Manuale Operativo",
        ),
        (
            PublicationKind::OperatingManual,
            "3.2",
            today,
            "Manuale Operativo",
        ),
        (
            PublicationKind::CertificatePolicy,
            "1.4",
            year_ago,
            "Certificate Policy",
        ),
    ] {
        let heading = format!("{title} — versione {version}");
        let pdf = demo_pdf(&heading, &[note, "Certificati CNS e di firma digitale."])
            .ok_or_else(|| anyhow::anyhow!("the demo PDF could not be written"))?;
        let new = NewPublication {
            kind: Some(kind),
            version,
            effective_on: from,
            pdf: &pdf,
        };
        publish(
            &ctx.db,
            ctx.blobs.as_ref(),
            ctx.clock.now(),
            &actor,
            chamber_id,
            new,
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(pdf: &[u8]) -> NewPublication<'_> {
        NewPublication {
            kind: Some(PublicationKind::OperatingManual),
            version: " 3.2 ",
            effective_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            pdf,
        }
    }

    /// RA procedure, part 2: the Manual and the Policy are published as PDFs, each version named.
    #[test]
    fn operating_manual_rule_only_a_named_pdf_version_is_published() {
        assert_eq!(
            validate(&new(b"%PDF-1.7 ...")).unwrap(),
            (PublicationKind::OperatingManual, "3.2".to_string())
        );
        assert!(matches!(
            validate(&new(b"<html>")),
            Err(PublicationError::NotPdf)
        ));
        let mut n = new(b"%PDF-1.7");
        n.version = "  ";
        assert!(matches!(validate(&n), Err(PublicationError::Version)));
        let mut n = new(b"%PDF-1.7");
        n.kind = None;
        assert!(matches!(validate(&n), Err(PublicationError::Kind)));
        let big = vec![b'%'; MAX_BYTES + 1];
        assert!(matches!(
            validate(&new(&big)),
            Err(PublicationError::TooLarge)
        ));
    }

    fn publication(kind: PublicationKind, seq: i64, from: &str) -> Publication {
        Publication {
            id: format!("{}-{seq}", kind.as_str()),
            chamber_id: "c".into(),
            kind,
            version: format!("{seq}.0"),
            seq,
            effective_on: NaiveDate::parse_from_str(from, "%Y-%m-%d").unwrap(),
            blob: String::new(),
            size_bytes: 0,
            uploaded_by: String::new(),
            uploaded_at: String::new(),
        }
    }

    /// RA procedure, part 2: the desk shows the version in force; later ones wait for their date.
    #[test]
    fn operating_manual_rule_the_newest_version_in_force_is_shown_first() {
        use PublicationKind::*;
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let all = vec![
            publication(OperatingManual, 3, "2027-01-01"),
            publication(OperatingManual, 2, "2026-05-01"),
            publication(OperatingManual, 1, "2024-01-01"),
            publication(CertificatePolicy, 1, "2027-02-01"),
        ];
        let shown: Vec<_> = in_force(&all, today).iter().map(|p| p.id.clone()).collect();
        assert_eq!(shown, ["operating_manual-2", "certificate_policy-1"]);
    }
}
