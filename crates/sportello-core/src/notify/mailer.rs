//! Mail delivery: an SMTP relay (lettre), or `.eml` files when no relay is configured.

use crate::config::{Config, MailTransport, SmtpSettings, SmtpTls};
use crate::notify::EmailAttachment;
use async_trait::async_trait;
use lettre::Message;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid address '{0}'")]
    Address(String),
    #[error("could not build the message: {0}")]
    Build(String),
    #[error("SMTP delivery failed: {0}")]
    Smtp(String),
    #[error("could not write the message file: {0}")]
    File(#[from] std::io::Error),
}

/// Something that delivers a built message in two steps, so that the sender can record the
/// delivery in the very moment it happens: [`Mailer::prepare`] does everything that may be
/// slow or fail (connecting, greeting, naming sender and recipients: the relay has nothing
/// yet), then [`Prepared::finish`] hands the content over, the one step after which the
/// message is out. `notify::SendEmail` takes the outbox row in a transaction between the two
/// and commits right after `finish`, so a process killed in between leaves either a message
/// not sent and still queued, or one sent and recorded — not one sent and queued again.
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn prepare(&self, message: &Message) -> Result<Box<dyn Prepared>, MailError>;

    /// Both steps at once; returns where the message went.
    async fn deliver(&self, message: &Message) -> Result<String, MailError> {
        self.prepare(message).await?.finish().await
    }
}

/// A delivery ready for its last step. Dropped without [`Prepared::finish`], nothing is sent
/// (an SMTP relay discards a message whose content never came).
#[async_trait]
pub trait Prepared: Send {
    /// Where the message goes (for the outbox row, written before [`Prepared::finish`]).
    fn destination(&self) -> String;

    /// Hands the message over; returns where it went.
    async fn finish(self: Box<Self>) -> Result<String, MailError>;
}

/// The mailer the configuration asks for.
pub fn mailer_from_config(config: &Config) -> Result<Arc<dyn Mailer>, MailError> {
    Ok(match &config.mail {
        MailTransport::Smtp(settings) => Arc::new(SmtpMailer::new(settings)?),
        MailTransport::Files(dir) => Arc::new(FileMailer::new(dir.clone())),
    })
}

pub(super) fn build_message(
    from: &str,
    to: &str,
    subject: &str,
    body: &str,
    attachments: &[(EmailAttachment, Vec<u8>)],
    outbox_id: &str,
) -> Result<Message, MailError> {
    let from: Mailbox = from
        .parse()
        .map_err(|_| MailError::Address(from.to_string()))?;
    let to_box: Mailbox = to.parse().map_err(|_| MailError::Address(to.to_string()))?;
    let domain = from.email.domain().to_string();
    let builder = Message::builder()
        .from(from)
        .to(to_box)
        .subject(subject)
        .message_id(Some(format!("<{outbox_id}@{domain}>")));
    let text = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .body(body.to_string());
    let message = if attachments.is_empty() {
        builder.singlepart(text)
    } else {
        let mut parts = MultiPart::mixed().singlepart(text);
        for (meta, bytes) in attachments {
            let content_type = ContentType::parse(&meta.content_type)
                .map_err(|e| MailError::Build(e.to_string()))?;
            parts = parts.singlepart(
                Attachment::new(meta.filename.clone()).body(bytes.clone(), content_type),
            );
        }
        builder.multipart(parts)
    };
    message.map_err(|e| MailError::Build(e.to_string()))
}

/// How long each step of an SMTP session may take.
const SMTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Delivers through an SMTP relay, one session per message.
pub struct SmtpMailer {
    settings: SmtpSettings,
    host: String,
}

impl SmtpMailer {
    pub fn new(settings: &SmtpSettings) -> Result<Self, MailError> {
        Ok(Self {
            settings: settings.clone(),
            host: format!("smtp://{}:{}", settings.host, settings.port),
        })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn prepare(&self, message: &Message) -> Result<Box<dyn Prepared>, MailError> {
        let smtp = |e: lettre::transport::smtp::Error| MailError::Smtp(e.to_string());
        let envelope = message.envelope();
        let content = message.formatted();
        let hello = ClientId::default();
        let tls = match self.settings.tls {
            SmtpTls::None => None,
            SmtpTls::Tls | SmtpTls::StartTls => {
                Some(TlsParameters::new(self.settings.host.clone()).map_err(smtp)?)
            }
        };
        let wrapper = match self.settings.tls {
            SmtpTls::Tls => tls.clone(),
            SmtpTls::None | SmtpTls::StartTls => None,
        };
        let mut conn = AsyncSmtpConnection::connect_tokio1(
            (self.settings.host.as_str(), self.settings.port),
            Some(SMTP_TIMEOUT),
            &hello,
            wrapper,
            None,
        )
        .await
        .map_err(smtp)?;
        if let (SmtpTls::StartTls, Some(tls)) = (self.settings.tls, tls) {
            conn.starttls(tls, &hello).await.map_err(smtp)?;
        }
        if let (Some(user), Some(password)) = (&self.settings.username, &self.settings.password) {
            let credentials = Credentials::new(user.clone(), password.expose().to_string());
            conn.auth(&[Mechanism::Plain, Mechanism::Login], &credentials)
                .await
                .map_err(smtp)?;
        }
        let mut options = Vec::new();
        if !content.is_ascii() {
            if !conn.server_info().supports_feature(Extension::EightBitMime) {
                return Err(MailError::Smtp(
                    "the message is not ASCII and the relay does not take 8BITMIME".into(),
                ));
            }
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        conn.command(Mail::new(envelope.from().cloned(), options))
            .await
            .map_err(smtp)?;
        for to in envelope.to() {
            conn.command(Rcpt::new(to.clone(), Vec::new()))
                .await
                .map_err(smtp)?;
        }
        conn.command(Data).await.map_err(smtp)?;
        Ok(Box::new(PreparedSmtp {
            conn,
            content,
            host: self.host.clone(),
        }))
    }
}

/// An SMTP session after `DATA`: the relay waits for the content.
struct PreparedSmtp {
    conn: AsyncSmtpConnection,
    content: Vec<u8>,
    host: String,
}

#[async_trait]
impl Prepared for PreparedSmtp {
    fn destination(&self) -> String {
        self.host.clone()
    }

    async fn finish(mut self: Box<Self>) -> Result<String, MailError> {
        self.conn
            .message(&self.content)
            .await
            .map_err(|e| MailError::Smtp(e.to_string()))?;
        // The relay has the message: the connection is closed without waiting for the answer
        // to a QUIT, so that the sender records the delivery at once.
        Ok(self.host.clone())
    }
}

/// Writes each message as an `.eml` file (demo mode, no relay configured).
pub struct FileMailer {
    dir: PathBuf,
}

impl FileMailer {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }
}

#[async_trait]
impl Mailer for FileMailer {
    async fn prepare(&self, message: &Message) -> Result<Box<dyn Prepared>, MailError> {
        tokio::fs::create_dir_all(&self.dir).await?;
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
        Ok(Box::new(PreparedFile {
            path: self
                .dir
                .join(format!("{stamp}-{}.eml", uuid::Uuid::new_v4().simple())),
            content: message.formatted(),
        }))
    }
}

/// A message for the folder, written by [`Prepared::finish`].
struct PreparedFile {
    path: PathBuf,
    content: Vec<u8>,
}

#[async_trait]
impl Prepared for PreparedFile {
    fn destination(&self) -> String {
        self.path.display().to_string()
    }

    async fn finish(self: Box<Self>) -> Result<String, MailError> {
        tokio::fs::write(&self.path, &self.content).await?;
        tracing::info!(path = %self.path.display(), "e-mail written to file");
        Ok(self.path.display().to_string())
    }
}
