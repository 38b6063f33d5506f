//! Mail: written to the `mail_outbox` table in the transaction that causes it, delivered by a
//! background job (safe with several instances: rows are claimed with `SKIP LOCKED`) to
//! `CARRIERX_SMTP_URL` (with `lettre`), or written as `.eml` files under `<data_dir>/outbox/`.

use std::path::Path;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use crate::config::Config;
use crate::db::RepoResult;
use crate::resources::mail::repo::{self, PendingMail};

/// A mail to send.
#[derive(Clone, Debug, Default)]
pub struct Mail {
    pub partner_sid: Option<Uuid>,
    pub recipients: Vec<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub attachment: Option<(String, String, Vec<u8>)>,
}

/// Queues a mail in the caller's transaction; answers its sid.
pub async fn enqueue<'e>(db: impl PgExecutor<'e>, mail: &Mail) -> RepoResult<Uuid> {
    repo::enqueue(db, mail).await
}

/// Delivers what is due; returns how many were sent. Mails are claimed for five minutes (several
/// instances never send one twice at once) and sent outside any transaction; one whose sending
/// is cut short by a crash is sent again when its claim lapses (at least once).
pub async fn deliver_due(pool: &PgPool, config: &Config) -> RepoResult<usize> {
    let due = repo::claim_due(pool).await?;
    let mut sent = 0;
    for m in &due {
        let result = match build(m, &config.mail_from) {
            Err(e) => Err(e),
            Ok(message) if config.smtp_url.is_empty() => write_eml(&config.data_dir, m, &message.formatted()).await,
            Ok(message) => smtp_send(&config.smtp_url, message).await,
        };
        match result {
            Ok(()) => {
                sent += 1;
                repo::mark_sent(pool, m.id).await?;
            }
            Err(e) => {
                tracing::warn!(mail_sid = %m.mail_sid, error = %e, "mail delivery failed; will retry");
                let backoff = 2i64.pow((m.attempts as u32).min(10)) * 5;
                repo::mark_failed(pool, m.id, &e, backoff as f64).await?;
            }
        }
    }
    Ok(sent)
}

/// The MIME message of a mail: text (and HTML) body, the attachment if any.
fn build(m: &PendingMail, from: &str) -> Result<Message, String> {
    let mut b = Message::builder()
        .from(from.parse::<Mailbox>().map_err(|e| format!("CARRIERX_MAIL_FROM: {e}"))?)
        .subject(m.subject.clone())
        .message_id(Some(format!("<{}@carrierx-core>", m.mail_sid)));
    for r in &m.recipients {
        b = b.to(r.trim().parse::<Mailbox>().map_err(|e| format!("recipient {r}: {e}"))?);
    }
    let body = match &m.body_html {
        Some(html) => MultiPart::alternative_plain_html(m.body_text.clone(), html.clone()),
        None => MultiPart::mixed().singlepart(SinglePart::plain(m.body_text.clone())),
    };
    let mut mixed = MultiPart::mixed().multipart(body);
    if let (Some(name), Some(ty), Some(data)) = (&m.attachment_name, &m.attachment_type, &m.attachment) {
        let ty = ContentType::parse(ty).map_err(|e| format!("attachment type: {e}"))?;
        mixed = mixed.singlepart(Attachment::new(name.clone()).body(data.clone(), ty));
    }
    b.multipart(mixed).map_err(|e| e.to_string())
}

async fn write_eml(data_dir: &Path, m: &PendingMail, message: &[u8]) -> Result<(), String> {
    let dir = data_dir.join("outbox");
    tokio::fs::create_dir_all(&dir).await.map_err(|e| e.to_string())?;
    let path = dir.join(format!("{}.eml", m.mail_sid));
    tokio::fs::write(&path, message).await.map_err(|e| e.to_string())?;
    tracing::info!(mail_sid = %m.mail_sid, subject = %m.subject, file = %path.display(), "mail written to the outbox");
    Ok(())
}

/// Plain SMTP (no TLS, no authentication): what local mail catchers speak.
async fn smtp_send(url: &str, message: Message) -> Result<(), String> {
    let hostport = url.trim_start_matches("smtp://").trim_end_matches('/');
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().map_err(|_| format!("bad SMTP port in {url}"))?),
        None => (hostport, 25),
    };
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .timeout(Some(Duration::from_secs(30)))
        .build();
    transport.send(message).await.map(|_| ()).map_err(|e| format!("smtp: {e}"))
}
