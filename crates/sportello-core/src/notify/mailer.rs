//! Mail delivery: an SMTP relay (lettre), or `.eml` files when no relay is configured.

use crate::config::{Config, MailTransport, SmtpSettings, SmtpTls};
use crate::notify::EmailAttachment;
use async_trait::async_trait;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
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

/// Something that delivers a built message; returns where it went (for the outbox row).
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn deliver(&self, message: &Message) -> Result<String, MailError>;
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

/// Delivers through an SMTP relay.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    host: String,
}

impl SmtpMailer {
    pub fn new(settings: &SmtpSettings) -> Result<Self, MailError> {
        let smtp = |e: lettre::transport::smtp::Error| MailError::Smtp(e.to_string());
        let mut builder = match settings.tls {
            SmtpTls::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            }
            SmtpTls::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)
                    .map_err(smtp)?
            }
            SmtpTls::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host).map_err(smtp)?
            }
        }
        .port(settings.port)
        .timeout(Some(std::time::Duration::from_secs(30)));
        if let (Some(user), Some(password)) = (&settings.username, &settings.password) {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose().to_string(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
            host: format!("smtp://{}:{}", settings.host, settings.port),
        })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn deliver(&self, message: &Message) -> Result<String, MailError> {
        self.transport
            .send(message.clone())
            .await
            .map_err(|e| MailError::Smtp(e.to_string()))?;
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
    async fn deliver(&self, message: &Message) -> Result<String, MailError> {
        tokio::fs::create_dir_all(&self.dir).await?;
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
        let path = self
            .dir
            .join(format!("{stamp}-{}.eml", uuid::Uuid::new_v4().simple()));
        tokio::fs::write(&path, message.formatted()).await?;
        tracing::info!(path = %path.display(), "e-mail written to file");
        Ok(path.display().to_string())
    }
}
