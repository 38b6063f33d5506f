//! Mail: written to the `mail_outbox` table in the transaction that causes it, delivered by a
//! background job (safe with several instances: rows are claimed with `SKIP LOCKED`) to
//! `CARRIERX_SMTP_URL`, or written as `.eml` files under `<data_dir>/outbox/`.

use std::path::Path;
use std::time::Duration;

use sqlx::{PgExecutor, PgPool};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use uuid::Uuid;

use crate::config::Config;

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

pub async fn enqueue<'e>(db: impl PgExecutor<'e>, mail: &Mail) -> Result<Uuid, sqlx::Error> {
    let sid = Uuid::new_v4();
    let (an, at, ab) = match &mail.attachment {
        Some((n, t, b)) => (Some(n.clone()), Some(t.clone()), Some(b.clone())),
        None => (None, None, None),
    };
    sqlx::query(
        "INSERT INTO mail_outbox (mail_sid, partner_sid, recipients, subject, body_text, body_html,
                                  attachment_name, attachment_type, attachment)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(sid)
    .bind(mail.partner_sid)
    .bind(&mail.recipients)
    .bind(&mail.subject)
    .bind(&mail.body_text)
    .bind(&mail.body_html)
    .bind(an)
    .bind(at)
    .bind(ab)
    .execute(db)
    .await?;
    Ok(sid)
}

#[derive(sqlx::FromRow)]
struct Pending {
    id: i64,
    mail_sid: Uuid,
    recipients: Vec<String>,
    subject: String,
    body_text: String,
    body_html: Option<String>,
    attachment_name: Option<String>,
    attachment_type: Option<String>,
    attachment: Option<Vec<u8>>,
    attempts: i32,
}

/// Delivers what is due; returns how many were sent.
pub async fn deliver_due(pool: &PgPool, config: &Config) -> Result<usize, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let due: Vec<Pending> = sqlx::query_as(
        "SELECT id, mail_sid, recipients, subject, body_text, body_html, attachment_name, attachment_type, attachment, attempts
           FROM mail_outbox WHERE date_sent IS NULL AND next_attempt <= now()
          ORDER BY next_attempt LIMIT 20 FOR UPDATE SKIP LOCKED",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut sent = 0;
    for m in &due {
        let message = render(m, &config.mail_from);
        let result = if config.smtp_url.is_empty() {
            write_eml(&config.data_dir, m, &message).await
        } else {
            smtp_send(&config.smtp_url, &config.mail_from, &m.recipients, &message).await
        };
        match result {
            Ok(()) => {
                sent += 1;
                sqlx::query("UPDATE mail_outbox SET date_sent = date_trunc('milliseconds', now()), attempts = attempts + 1, last_error = NULL WHERE id = $1")
                    .bind(m.id)
                    .execute(&mut *tx)
                    .await?;
            }
            Err(e) => {
                tracing::warn!(mail_sid = %m.mail_sid, error = %e, "mail delivery failed; will retry");
                let backoff = 2i64.pow((m.attempts as u32).min(10)) * 5;
                sqlx::query(
                    "UPDATE mail_outbox SET attempts = attempts + 1, last_error = $2,
                            next_attempt = now() + make_interval(secs => $3) WHERE id = $1",
                )
                .bind(m.id)
                .bind(e)
                .bind(backoff as f64)
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(sent)
}

fn sender_address(from: &str) -> String {
    match (from.find('<'), from.find('>')) {
        (Some(a), Some(b)) if b > a => from[a + 1..b].to_owned(),
        _ => from.trim().to_owned(),
    }
}

fn header_safe(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

fn render(m: &Pending, from: &str) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let boundary = format!("carrierx-{}", m.mail_sid.simple());
    let mut out = String::new();
    out.push_str(&format!("From: {}\r\n", header_safe(from)));
    out.push_str(&format!("To: {}\r\n", header_safe(&m.recipients.join(", "))));
    out.push_str(&format!("Subject: {}\r\n", header_safe(&m.subject)));
    out.push_str(&format!("Date: {}\r\n", chrono::Utc::now().to_rfc2822()));
    out.push_str(&format!("Message-ID: <{}@carrierx-core>\r\n", m.mail_sid));
    out.push_str("MIME-Version: 1.0\r\n");
    out.push_str(&format!("Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"));
    out.push_str(&format!(
        "--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    ));
    out.push_str(&wrap(&b64.encode(m.body_text.as_bytes())));
    if let Some(html) = &m.body_html {
        out.push_str(&format!(
            "--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        ));
        out.push_str(&wrap(&b64.encode(html.as_bytes())));
    }
    if let (Some(name), Some(ty), Some(data)) = (&m.attachment_name, &m.attachment_type, &m.attachment) {
        out.push_str(&format!(
            "--{boundary}\r\nContent-Type: {}\r\nContent-Disposition: attachment; filename=\"{}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n",
            header_safe(ty),
            header_safe(name).replace('"', "")
        ));
        out.push_str(&wrap(&b64.encode(data)));
    }
    out.push_str(&format!("--{boundary}--\r\n"));
    out
}

fn wrap(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 76 * 2 + 2);
    for chunk in s.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push_str("\r\n");
    }
    out
}

async fn write_eml(data_dir: &Path, m: &Pending, message: &str) -> Result<(), String> {
    let dir = data_dir.join("outbox");
    tokio::fs::create_dir_all(&dir).await.map_err(|e| e.to_string())?;
    let path = dir.join(format!("{}.eml", m.mail_sid));
    tokio::fs::write(&path, message).await.map_err(|e| e.to_string())?;
    tracing::info!(mail_sid = %m.mail_sid, subject = %m.subject, file = %path.display(), "mail written to the outbox");
    Ok(())
}

/// A plain SMTP conversation (no TLS, no authentication): what local mail catchers speak.
async fn smtp_send(url: &str, from: &str, to: &[String], message: &str) -> Result<(), String> {
    let hostport = url.trim_start_matches("smtp://").trim_end_matches('/');
    let hostport = if hostport.contains(':') { hostport.to_owned() } else { format!("{hostport}:25") };
    let stream = tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(&hostport))
        .await
        .map_err(|_| "smtp connect timed out".to_string())?
        .map_err(|e| format!("smtp connect: {e}"))?;
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    async fn reply(r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>, expect: char) -> Result<(), String> {
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(Duration::from_secs(30), r.read_line(&mut line))
                .await
                .map_err(|_| "smtp timed out".to_string())?
                .map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("smtp connection closed".into());
            }
            if line.len() >= 4 && line.as_bytes()[3] == b'-' {
                continue;
            }
            return if line.starts_with(expect) { Ok(()) } else { Err(format!("smtp: {}", line.trim())) };
        }
    }
    async fn cmd(w: &mut tokio::net::tcp::OwnedWriteHalf, line: &str) -> Result<(), String> {
        w.write_all(line.as_bytes()).await.map_err(|e| e.to_string())?;
        w.write_all(b"\r\n").await.map_err(|e| e.to_string())
    }
    reply(&mut r, '2').await?;
    cmd(&mut w, "EHLO carrierx-core").await?;
    reply(&mut r, '2').await?;
    cmd(&mut w, &format!("MAIL FROM:<{}>", sender_address(from))).await?;
    reply(&mut r, '2').await?;
    for rcpt in to {
        cmd(&mut w, &format!("RCPT TO:<{}>", header_safe(rcpt.trim()))).await?;
        reply(&mut r, '2').await?;
    }
    cmd(&mut w, "DATA").await?;
    reply(&mut r, '3').await?;
    let mut body = String::with_capacity(message.len() + 16);
    for line in message.split("\r\n") {
        if line.starts_with('.') {
            body.push('.');
        }
        body.push_str(line);
        body.push_str("\r\n");
    }
    w.write_all(body.as_bytes()).await.map_err(|e| e.to_string())?;
    cmd(&mut w, ".").await?;
    reply(&mut r, '2').await?;
    let _ = cmd(&mut w, "QUIT").await;
    Ok(())
}
