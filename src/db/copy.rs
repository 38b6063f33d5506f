//! Bulk writes with `COPY ... FROM STDIN` (text format): ingestion routes write thousands of rows
//! per request, and a `COPY` costs a fraction of an `INSERT` of the same rows (no statement to
//! plan per row, no JSON parameter to build and parse). Values are encoded here, escaped as the
//! text format requires; a row is complete only once [`CopyRows::end_row`] is called.

use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use super::RepoResult;

/// Rows in `COPY`'s text format.
#[derive(Default)]
pub struct CopyRows {
    buf: Vec<u8>,
    first: bool,
    rows: usize,
}

/// A value `COPY` can take.
pub trait CopyValue {
    fn encode(&self, out: &mut Vec<u8>);
}

impl CopyRows {
    pub fn new() -> Self {
        CopyRows { buf: Vec::with_capacity(1 << 16), first: true, rows: 0 }
    }

    /// The next column of the current row.
    pub fn push<V: CopyValue + ?Sized>(&mut self, v: &V) -> &mut Self {
        if !self.first {
            self.buf.push(b'\t');
        }
        self.first = false;
        v.encode(&mut self.buf);
        self
    }

    pub fn end_row(&mut self) {
        self.buf.push(b'\n');
        self.first = true;
        self.rows += 1;
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Writes the rows with `COPY <table> (<columns>) FROM STDIN`, in the caller's transaction.
    pub async fn write(self, db: &mut PgConnection, table: &str, columns: &str) -> RepoResult<u64> {
        let mut stream = CopyStream::start(db, table, columns).await?;
        stream.rows = self;
        stream.finish().await
    }
}

/// How much of the rows goes out at a time: the connection's own buffer never holds a whole batch
/// again, and PostgreSQL writes the first rows while the next are made.
const SLICE: usize = 256 << 10;

/// Rows in `COPY`'s text format sent while they are made, in the caller's transaction: a slice
/// goes out whenever [`SLICE`] bytes are ready ([`CopyStream::send_ready`]).
pub struct CopyStream<'c> {
    copy: sqlx::postgres::PgCopyIn<&'c mut PgConnection>,
    rows: CopyRows,
}

impl<'c> CopyStream<'c> {
    /// Starts `COPY <table> (<columns>) FROM STDIN`.
    pub async fn start(db: &'c mut PgConnection, table: &str, columns: &str) -> RepoResult<Self> {
        let copy = db.copy_in_raw(&format!("COPY {table} ({columns}) FROM STDIN")).await?;
        Ok(CopyStream { copy, rows: CopyRows::new() })
    }

    /// The rows still to send; add to them, then call [`CopyStream::send_ready`].
    pub fn rows(&mut self) -> &mut CopyRows {
        &mut self.rows
    }

    /// Sends the rows made so far once they fill a slice.
    pub async fn send_ready(&mut self) -> RepoResult<()> {
        if self.rows.buf.len() >= SLICE {
            let ready = std::mem::replace(&mut self.rows.buf, Vec::with_capacity(SLICE + (1 << 12)));
            self.send(&ready).await?;
        }
        Ok(())
    }

    async fn send(&mut self, data: &[u8]) -> RepoResult<()> {
        for part in data.chunks(SLICE) {
            self.copy.send(part).await?;
        }
        Ok(())
    }

    /// Sends what is left and ends the statement: the count of rows written, or PostgreSQL's
    /// refusal (a key already there, ...).
    pub async fn finish(mut self) -> RepoResult<u64> {
        let rest = std::mem::take(&mut self.rows.buf);
        if let Err(e) = self.send(&rest).await {
            self.abort().await;
            return Err(e);
        }
        Ok(self.copy.finish().await?)
    }

    /// Gives the rows up (the statement fails; the transaction is the caller's to roll back).
    pub async fn abort(self) {
        let _ = self.copy.abort("the rows were given up").await;
    }
}

/// Rows streamed with `COPY ... FROM STDIN (FORMAT binary)` as they are made, in the caller's
/// transaction: one statement however many rows, no round trip per row, and a row's large last
/// value (a file's chunk) sent as it is, never copied into a buffer first.
pub struct BinaryCopy<'c> {
    copy: sqlx::postgres::PgCopyIn<&'c mut PgConnection>,
}

/// The binary format's signature, flags and header extension (none).
const BINARY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

impl<'c> BinaryCopy<'c> {
    pub async fn start(db: &'c mut PgConnection, table: &str, columns: &str) -> RepoResult<Self> {
        let mut copy = db.copy_in_raw(&format!("COPY {table} ({columns}) FROM STDIN (FORMAT binary)")).await?;
        if let Err(e) = copy.send(BINARY_HEADER).await {
            let _ = copy.abort("the rows could not be sent").await;
            return Err(e.into());
        }
        Ok(BinaryCopy { copy })
    }

    /// One row: each column's value in PostgreSQL's binary form (`uuid`: its 16 bytes, `integer`:
    /// 4 bytes big-endian, `bytea`: the bytes), in the order of the columns named at the start.
    pub async fn row(&mut self, values: &[&[u8]]) -> RepoResult<()> {
        let Some((last, head)) = values.split_last() else { return Ok(()) };
        let mut buf = Vec::with_capacity(64);
        buf.extend_from_slice(&(values.len() as i16).to_be_bytes());
        for v in head {
            buf.extend_from_slice(&(v.len() as i32).to_be_bytes());
            buf.extend_from_slice(v);
        }
        buf.extend_from_slice(&(last.len() as i32).to_be_bytes());
        self.copy.send(buf).await?;
        self.copy.send(*last).await?;
        Ok(())
    }

    /// Ends the rows; answers how many were written.
    pub async fn finish(mut self) -> RepoResult<u64> {
        self.copy.send(&(-1i16).to_be_bytes()[..]).await?;
        Ok(self.copy.finish().await?)
    }

    /// Gives the rows up (the statement fails; the transaction is the caller's to roll back).
    pub async fn abort(self) {
        let _ = self.copy.abort("the upload was given up").await;
    }
}

/// Text, escaped: backslash, tab, newline and carriage return are the format's own characters.
fn text(s: &str, out: &mut Vec<u8>) {
    for b in s.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

impl CopyValue for str {
    fn encode(&self, out: &mut Vec<u8>) {
        text(self, out)
    }
}

impl CopyValue for String {
    fn encode(&self, out: &mut Vec<u8>) {
        text(self, out)
    }
}

impl CopyValue for Uuid {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.hyphenated().encode_lower(&mut Uuid::encode_buffer()).as_bytes())
    }
}

/// To the microsecond, as PostgreSQL keeps it (callers round first when they answer the rows).
impl CopyValue for DateTime<Utc> {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.to_rfc3339_opts(SecondsFormat::Micros, true).as_bytes())
    }
}

impl CopyValue for Decimal {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.to_string().as_bytes())
    }
}

impl CopyValue for i32 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.to_string().as_bytes())
    }
}

impl CopyValue for i64 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.to_string().as_bytes())
    }
}

impl CopyValue for bool {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(if *self { b't' } else { b'f' })
    }
}

/// JSON (for `json`/`jsonb` columns).
impl CopyValue for serde_json::Value {
    fn encode(&self, out: &mut Vec<u8>) {
        text(&self.to_string(), out)
    }
}

/// `NULL` when absent.
impl<V: CopyValue> CopyValue for Option<V> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Some(v) => v.encode(out),
            None => out.extend_from_slice(b"\\N"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_and_nulls_marked() {
        let mut rows = CopyRows::new();
        rows.push("a\tb\\c\nd\re").push(&None::<String>).push(&Some(7i32)).push(&true);
        rows.end_row();
        rows.push(&Uuid::nil()).push(&serde_json::json!({"k": "v\t"}));
        rows.end_row();
        assert_eq!(rows.rows(), 2);
        assert_eq!(
            String::from_utf8(rows.buf).unwrap(),
            "a\\tb\\\\c\\nd\\re\t\\N\t7\tt\n00000000-0000-0000-0000-000000000000\t{\"k\":\"v\\\\t\"}\n"
        );
    }

    #[test]
    fn times_keep_their_microseconds_in_utc() {
        let t = DateTime::parse_from_rfc3339("2024-11-01T10:00:00.123456+02:00").unwrap().with_timezone(&Utc);
        let mut out = Vec::new();
        t.encode(&mut out);
        assert_eq!(String::from_utf8(out).unwrap(), "2024-11-01T08:00:00.123456Z");
    }
}
