use axum::body::Body as HttpBody;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::StreamExt;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::repo::{self, ContainerRow, FileRow};
use super::types::{
    ContainerInput, FileInput, BITRATES, CLASSIFICATIONS, CONTAINER_UPDATABLE, FILE_UPDATABLE, LIFECYCLE_ACTIONS,
    PUBLISH,
};
use crate::domain::scopes::Scope;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult, FieldError};
use crate::http::extract::{Body, PathParams, QueryParams};
use crate::http::input::{parse_into, Maybe, Problems};
use crate::http::listing::{ListQuery, RequestUrl};
use crate::http::openapi::{Input, Inputs};
use crate::http::patch::Update;
use crate::http::respond;
use crate::resources::partners;
use crate::resources::shared::{find_cached, find_visible, respond_cached};
use crate::state::AppState;

/// The bytes of a file are stored in chunks of this size.
const CHUNK: usize = 1 << 20;

fn int_key(v: &Maybe<Value>, field: &str, p: &mut Problems) -> Option<i64> {
    match v.value() {
        None => None,
        Some(Value::Number(n)) if n.is_i64() => n.as_i64(),
        Some(Value::String(s)) if s.trim().parse::<i64>().is_ok() => s.trim().parse().ok(),
        Some(_) => {
            p.add(field, "must be an integer");
            None
        }
    }
}

fn classifications(v: &Maybe<Vec<String>>, field: &str, p: &mut Problems) -> Vec<String> {
    let list = v.value().cloned().unwrap_or_default();
    for (i, c) in list.iter().enumerate() {
        if !CLASSIFICATIONS.contains(&c.as_str()) {
            p.add(format!("{field}[{i}]"), format!("must be one of {}", CLASSIFICATIONS.join(", ")));
        }
    }
    list
}

fn one_of(v: &Maybe<String>, field: &str, default: &str, allowed: &[&str], p: &mut Problems) -> String {
    match v.value() {
        None => default.to_owned(),
        Some(s) if allowed.contains(&s.as_str()) => s.clone(),
        Some(_) => {
            p.add(field, format!("must be one of {}", allowed.join(", ")));
            default.to_owned()
        }
    }
}

/// This server's own origin: where published files are read by default.
fn own_origin(state: &AppState) -> String {
    match state.config.public_url() {
        Some(u) => u.trim_end_matches("/core/v2").to_owned(),
        None => format!("http://{}", state.config.bind),
    }
}

fn build_container(
    caller: &Caller,
    input: &ContainerInput,
    mut c: ContainerRow,
    creating: bool,
    p: &mut Problems,
) -> ApiResult<ContainerRow> {
    c.name = input.name.value().cloned().unwrap_or_else(|| "N/A".into());
    c.allow_publish = input.allow_publish.value().copied().unwrap_or(true);
    c.allowed_classifications = classifications(&input.allowed_classifications, "allowed_classifications", p);
    c.blocked_classifications = classifications(&input.blocked_classifications, "blocked_classifications", p);
    c.default_file_lifecycle_action = one_of(
        &input.default_file_lifecycle_action,
        "default_file_lifecycle_action",
        "no_action",
        LIFECYCLE_ACTIONS,
        p,
    );
    c.default_file_lifecycle_ttl = match input.default_file_lifecycle_ttl.value() {
        None => -1,
        Some(n) if (-1..=i32::MAX as i64).contains(n) => *n as i32,
        Some(_) => {
            p.add("default_file_lifecycle_ttl", "must be -1 (none) or a number of seconds");
            -1
        }
    };
    c.default_file_publish = one_of(&input.default_file_publish, "default_file_publish", "file_sid", PUBLISH, p);
    c.default_file_threshold_include = input.default_file_threshold_include.value().copied().unwrap_or(true);
    c.default_file_unique = input.default_file_unique.value().copied().unwrap_or(false);
    c.integer_key_1 = int_key(&input.integer_key_1, "integer_key_1", p);
    c.integer_key_2 = int_key(&input.integer_key_2, "integer_key_2", p);
    c.string_key_1 = input.string_key_1.value().cloned();
    c.string_key_2 = input.string_key_2.value().cloned();
    c.string_key_3 = input.string_key_3.value().cloned();
    c.string_key_4 = input.string_key_4.value().cloned();
    if let Some(d) = input.publish_domain.value() {
        p.check(d.starts_with("http://") || d.starts_with("https://"), "publish_domain", "must be an http(s) URL");
        c.publish_domain = d.trim_end_matches('/').to_owned();
    }
    if creating {
        c.unique = input.unique.value().copied().unwrap_or(false);
    }
    // Quotas are the platform's to set: an admin's credentials set them.
    for (field, v, slot) in [
        ("quota_bytes", &input.quota_bytes, &mut c.quota_bytes),
        ("quota_files", &input.quota_files, &mut c.quota_files),
    ] {
        if let Some(n) = v.value() {
            if *n != *slot && !caller.scopes().grants(Scope::AdminUpdate) {
                return Err(ApiError::Forbidden);
            }
            if *n < 0 {
                p.add(field, "must not be negative");
            } else {
                *slot = *n;
            }
        }
    }
    Ok(c)
}

pub async fn create_container(
    State(state): State<AppState>,
    caller: Caller,
    Body { input, problems: mut p, .. }: Body<ContainerInput>,
) -> ApiResult<Response> {
    let owner = partners::ops::owner(&state, &caller, input.partner_sid.value(), &mut p).await?;
    let parent = match input.parent_container_sid.value().filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => {
            let found = match Uuid::parse_str(raw) {
                Ok(sid) => repo::get_container(&state.pool, sid, false).await?.filter(|c| caller.sees(&c.tree_path)),
                Err(_) => None,
            };
            if found.is_none() {
                p.add("parent_container_sid", "cannot find container");
            }
            found.map(|c| c.container_sid)
        }
    };
    let Some(owner) = owner else {
        p.finish()?;
        return Err(ApiError::internal("owner checked above"));
    };
    let blank = ContainerRow {
        container_sid: Uuid::new_v4(),
        partner_sid: owner.partner_sid,
        name: String::new(),
        allow_publish: true,
        allowed_classifications: Vec::new(),
        blocked_classifications: Vec::new(),
        default_file_lifecycle_action: String::new(),
        default_file_lifecycle_ttl: -1,
        default_file_publish: String::new(),
        default_file_threshold_include: true,
        default_file_unique: false,
        integer_key_1: None,
        integer_key_2: None,
        parent_container_sid: parent,
        publish_domain: own_origin(&state),
        quota_bytes: 1 << 30,
        quota_files: 100,
        string_key_1: None,
        string_key_2: None,
        string_key_3: None,
        string_key_4: None,
        total_bytes: 0,
        total_files: 0,
        threshold_total_bytes: 0,
        threshold_total_files: 0,
        unique: false,
        tree_path: owner.tree_path.clone(),
    };
    let c = build_container(&caller, &input, blank, true, &mut p)?;
    p.finish()?;
    let mut tx = state.pool.begin().await?;
    let limit = state.config.storage_max_containers as i64;
    if limit > 0 && repo::count_containers(&mut tx, c.partner_sid).await? >= limit {
        return Err(ApiError::invalid(
            "partner_sid",
            format!("a partner may have at most {limit} containers (CARRIERX_STORAGE_MAX_CONTAINERS)"),
        ));
    }
    repo::save_container(&mut tx, &c).await?;
    tx.commit().await?;
    Ok(Json(c.to_wire()).into_response())
}

pub async fn list_containers(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::CONTAINER_LIST)?;
    let page = repo::list_containers(&state.pool, caller.tenancy(), &q).await?;
    respond::list(page.map(|c| c.to_wire()), &q, &url, "container_sid")
}

pub async fn get_container(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let c = find_cached(&state, &caller, &raw, "container", |s| repo::get_container(&state.pool, s, false)).await?;
    respond_cached(&c, &query, repo::ContainerRow::to_wire)
}

pub async fn update_container(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    update: Update<ContainerInput>,
) -> ApiResult<Response> {
    let mut tx = state.pool.begin().await?;
    let current = find_visible(&caller, &raw, "container", |sid| repo::get_container(&mut *tx, sid, true)).await?;
    let (input, mut p) = update.input(&current.to_wire(), CONTAINER_UPDATABLE)?;
    let c = build_container(&caller, &input, current, false, &mut p)?;
    p.finish()?;
    repo::save_container(&mut tx, &c).await?;
    tx.commit().await?;
    Ok(Json(c.to_wire()).into_response())
}

pub async fn delete_container(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
) -> ApiResult<Response> {
    let mut tx = state.pool.begin().await?;
    let c = find_visible(&caller, &raw, "container", |sid| repo::get_container(&mut *tx, sid, true)).await?;
    if !repo::delete_container(&mut tx, c.container_sid).await? {
        return Err(ApiError::conflict("container_sid", "the container holds files: delete them first"));
    }
    tx.commit().await?;
    Ok(respond::no_content())
}

// ---- files ----

/// The class of a file by its MIME type and name.
pub fn classify(mime: &str, name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let top = mime.split('/').next().unwrap_or("");
    match (top, mime, ext.as_str()) {
        ("audio" | "video" | "image", _, _) => "media",
        (_, _, "mp3" | "wav" | "ogg" | "mp4" | "m4a" | "webm" | "png" | "jpg" | "jpeg" | "gif") => "media",
        (_, "application/zip" | "application/gzip" | "application/x-tar" | "application/x-7z-compressed", _) => {
            "archive"
        }
        (_, _, "zip" | "gz" | "tgz" | "tar" | "7z" | "rar") => "archive",
        (_, "application/x-msdownload" | "application/x-executable" | "application/x-sh", _) => "executable",
        (_, _, "exe" | "dll" | "so" | "sh" | "bat" | "msi") => "executable",
        ("text", _, _) => "document",
        (_, "application/pdf" | "application/json" | "application/msword" | "application/rtf", _) => "document",
        (_, _, "pdf" | "doc" | "docx" | "txt" | "csv" | "json" | "xml" | "rtf" | "odt" | "xls" | "xlsx") => "document",
        _ => "unknown",
    }
}

fn extension(name: &str) -> Option<String> {
    name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).filter(|e| !e.is_empty() && e.len() <= 10)
}

fn guess_mime(name: &str) -> &'static str {
    match extension(name).as_deref() {
        Some("mp3") => "audio/mpeg",
        Some("wav") => "audio/wav",
        Some("ogg") => "audio/ogg",
        Some("mp4") => "video/mp4",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("pdf") => "application/pdf",
        Some("txt") => "text/plain",
        Some("json") => "application/json",
        Some("zip") => "application/zip",
        _ => "application/octet-stream",
    }
}

/// A file's changeable attributes from a body (defaults from its container for a new one).
fn build_file(input: &FileInput, mut f: FileRow, p: &mut Problems) -> FileRow {
    if let Some(n) = input.name.value() {
        p.check(!n.is_empty() && n.len() <= 1024, "name", "must be 1 to 1024 characters");
        f.name = n.clone();
    }
    f.mime_type = input.mime_type.value().cloned().filter(|m| !m.is_empty()).unwrap_or_else(|| f.mime_type.clone());
    p.check(f.mime_type.contains('/') && f.mime_type.len() <= 255, "mime_type", "must be a MIME type");
    f.desired_bitrate = match input.desired_bitrate.value() {
        None => None,
        Some(b) if BITRATES.contains(b) => Some(*b as i32),
        Some(_) => {
            p.add(
                "desired_bitrate",
                "must be one of 8, 16, 24, 32, 40, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320",
            );
            None
        }
    };
    f.desired_format = input.desired_format.value().cloned().filter(|s| !s.is_empty());
    if let Some(a) = input.file_access_name.value().filter(|s| !s.is_empty()) {
        p.check(a.len() <= 1024 && !a.contains(['/', '\\']), "file_access_name", "must be a file name without '/'");
        f.file_access_name = a.clone();
    }
    f.integer_key_1 = int_key(&input.integer_key_1, "integer_key_1", p);
    f.integer_key_2 = int_key(&input.integer_key_2, "integer_key_2", p);
    f.lifecycle_action =
        one_of(&input.lifecycle_action, "lifecycle_action", &f.lifecycle_action.clone(), LIFECYCLE_ACTIONS, p);
    if let Some(t) = input.lifecycle_ttl.value() {
        p.check((-1..=i32::MAX as i64).contains(t), "lifecycle_ttl", "must be -1 (none) or a number of seconds");
        f.lifecycle_ttl = (*t).clamp(-1, i32::MAX as i64) as i32;
    }
    f.publish = one_of(&input.publish, "publish", &f.publish.clone(), PUBLISH, p);
    f.string_key_1 = input.string_key_1.value().cloned();
    f.string_key_2 = input.string_key_2.value().cloned();
    f.string_key_3 = input.string_key_3.value().cloned();
    f.string_key_4 = input.string_key_4.value().cloned();
    if let Some(t) = input.threshold_include.value() {
        f.threshold_include = *t;
    }
    if let Some(u) = input.unique.value() {
        f.unique = *u;
    }
    f.content_classification = classify(&f.mime_type, &f.name).to_owned();
    f.content_format = extension(&f.name).or_else(|| f.mime_type.split('/').nth(1).map(str::to_owned));
    f
}

/// An upload's body, read as it arrives (`multipart/form-data` or `application/octet-stream`).
pub struct Upload {
    headers: HeaderMap,
    body: HttpBody,
}

impl FromRequest<AppState> for Upload {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &AppState) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        Ok(Upload { headers: parts.headers, body })
    }
}

impl Input for Upload {
    fn describe(i: &mut Inputs) {
        i.upload = true;
    }
}

/// Counts an upload in progress in the metric `storage_uploads_in_progress` while it lives.
struct InProgress;

impl InProgress {
    fn start() -> Self {
        metrics::gauge!("storage_uploads_in_progress").increment(1.0);
        InProgress
    }
}

impl Drop for InProgress {
    fn drop(&mut self) {
        metrics::gauge!("storage_uploads_in_progress").decrement(1.0);
    }
}

/// This instance's uploads in progress, at most `storage_uploads` (each holds a connection).
struct Uploads(tokio::sync::Semaphore);

type Tx = sqlx::Transaction<'static, sqlx::Postgres>;

/// Writes the bytes of `stream` as the chunks of `file` in the transaction, the next chunk read
/// while the last is written (a writer task holds the transaction and gives it back); answers it
/// and the count of bytes. A stream that fails or passes `max` leaves the chunks to the rollback.
async fn write_bytes<S, E>(tx: Tx, file: Uuid, mut stream: S, max: u64) -> ApiResult<(Tx, i64)>
where
    S: futures_util::Stream<Item = Result<axum::body::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let (send, mut recv) = tokio::sync::mpsc::channel::<(i32, Vec<u8>)>(2);
    let writer = tokio::spawn(async move {
        let mut tx = tx;
        let mut chunks = repo::ChunkWriter::start(&mut tx, file).await?;
        while let Some((seq, buf)) = recv.recv().await {
            if let Err(e) = chunks.write(seq, &buf).await {
                chunks.abort().await;
                return Err(e.into());
            }
        }
        chunks.finish().await?;
        Ok::<_, ApiError>(tx)
    });
    let read = async {
        let mut buf: Vec<u8> = Vec::with_capacity(CHUNK);
        let (mut total, mut seq) = (0u64, 0i32);
        while let Some(piece) = stream.next().await {
            let piece = piece.map_err(|e| ApiError::bad_param("data", format!("the upload was cut: {e}")))?;
            total += piece.len() as u64;
            if total > max {
                return Err(ApiError::PayloadTooLarge);
            }
            let mut rest: &[u8] = &piece;
            while !rest.is_empty() {
                let take = (CHUNK - buf.len()).min(rest.len());
                buf.extend_from_slice(&rest[..take]);
                rest = &rest[take..];
                if buf.len() == CHUNK {
                    let full = std::mem::replace(&mut buf, Vec::with_capacity(CHUNK));
                    if send.send((seq, full)).await.is_err() {
                        // The writer stopped: its error is the answer.
                        return Ok(total);
                    }
                    seq += 1;
                }
            }
        }
        if !buf.is_empty() {
            let _ = send.send((seq, buf)).await;
        }
        Ok(total)
    };
    let total = read.await;
    drop(send);
    let tx = writer.await.map_err(|e| ApiError::internal(format!("the upload writer: {e}")))??;
    Ok((tx, total? as i64))
}

/// Query arguments as a JSON object: numbers and booleans as such, the rest as strings.
fn query_object(query: &QueryParams) -> Map<String, Value> {
    query
        .0
        .iter()
        .filter(|(k, _)| k != "include_fields" && k != "exclude_fields")
        .map(|(k, v)| {
            let value = match serde_json::from_str::<Value>(v) {
                Ok(x @ (Value::Number(_) | Value::Bool(_))) => x,
                _ => Value::String(v.clone()),
            };
            (k.clone(), value)
        })
        .collect()
}

/// `POST /storage/files`: the bytes stream into the database as they arrive (never whole in
/// memory); the file, its bytes and its container's usage are one transaction: a refused, cut or
/// failed upload leaves nothing.
pub async fn upload_file(
    State(state): State<AppState>,
    caller: Caller,
    query: QueryParams,
    upload: Upload,
) -> ApiResult<Response> {
    let content_type = upload.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let max = state.config.storage_max_file_bytes;
    if let Some(len) =
        upload.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok())
    {
        // The multipart envelope adds a few hundred bytes at most.
        if len > max.saturating_add(64 * 1024) {
            return Err(ApiError::PayloadTooLarge);
        }
    }
    let uploads =
        state.services.get_or_init(|| Uploads(tokio::sync::Semaphore::new(state.config.storage_uploads as usize)));
    let _permit = uploads.0.acquire().await.map_err(|_| ApiError::internal("the upload limiter closed"))?;
    let _counted = InProgress::start();
    let file_sid = Uuid::new_v4();
    let mut tx = state.pool.begin().await?;
    let (meta, bytes, part_type, part_name) = match essence.as_str() {
        "multipart/form-data" => {
            let boundary = multer::parse_boundary(&content_type)
                .map_err(|_| ApiError::bad_param("Content-Type", "a multipart body needs its boundary"))?;
            // The attributes part is small; the data part is bounded as it is written.
            let limits = multer::Constraints::new().size_limit(
                multer::SizeLimit::new()
                    .for_field("file_object", 64 * 1024)
                    .whole_stream(max.saturating_add(1024 * 1024)),
            );
            let mut mp = multer::Multipart::with_constraints(upload.body.into_data_stream(), boundary, limits);
            let (mut meta, mut bytes, mut part_type, mut part_name) = (None, None, None, None);
            loop {
                let field = mp
                    .next_field()
                    .await
                    .map_err(|e| ApiError::bad_param("data", format!("the upload was cut: {e}")))?;
                let Some(field) = field else { break };
                match field.name() {
                    Some("file_object") => {
                        let text = field.text().await.map_err(|e| ApiError::bad_param("file_object", e.to_string()))?;
                        match serde_json::from_str::<Value>(&text) {
                            Ok(Value::Object(m)) => meta = Some(m),
                            _ => return Err(ApiError::invalid("file_object", "must be a JSON object")),
                        }
                    }
                    Some("data") if bytes.is_none() => {
                        part_type = field.content_type().map(|m| m.essence_str().to_owned());
                        part_name = field.file_name().map(str::to_owned);
                        let (back, n) = write_bytes(tx, file_sid, field, max).await?;
                        tx = back;
                        bytes = Some(n);
                    }
                    _ => {}
                }
            }
            let Some(bytes) = bytes else { return Err(ApiError::invalid("data", "the upload needs a data part")) };
            (meta.unwrap_or_default(), bytes, part_type, part_name)
        }
        "application/octet-stream" => {
            let (back, bytes) = write_bytes(tx, file_sid, upload.body.into_data_stream(), max).await?;
            tx = back;
            (query_object(&query), bytes, None, None)
        }
        _ => return Err(ApiError::UnsupportedMediaType("multipart/form-data or application/octet-stream")),
    };
    let mut p = Problems::new();
    let input: FileInput = parse_into(&meta, &mut p)?;
    p.required("container_sid", &input.container_sid);
    let container = match input.container_sid.value() {
        Some(raw) => {
            let found = match Uuid::parse_str(raw) {
                Ok(sid) => repo::get_container(&mut *tx, sid, false).await?.filter(|c| caller.sees(&c.tree_path)),
                Err(_) => None,
            };
            if found.is_none() {
                p.add("container_sid", "cannot find container");
            }
            found
        }
        None => None,
    };
    let parent = match input.parent_file_sid.value().filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => {
            let found = match Uuid::parse_str(raw) {
                Ok(sid) => repo::get_file(&mut *tx, sid, false).await?.filter(|f| caller.sees(&f.tree_path)),
                Err(_) => None,
            };
            if found.is_none() {
                p.add("parent_file_sid", "cannot find file");
            }
            found.map(|f| f.file_sid)
        }
    };
    let Some(c) = container else {
        p.finish()?;
        return Err(ApiError::internal("checked above"));
    };
    let name = input.name.value().cloned().or(part_name).unwrap_or_else(|| "N/A".into());
    let mime = part_type.filter(|m| m != "application/octet-stream").unwrap_or_else(|| guess_mime(&name).to_owned());
    let now = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 3);
    let blank = FileRow {
        file_sid,
        partner_sid: c.partner_sid,
        container_sid: c.container_sid,
        name: name.clone(),
        content_classification: String::new(),
        content_format: None,
        desired_bitrate: None,
        desired_format: None,
        file_access_name: match extension(&name) {
            Some(e) => format!("{file_sid}.{e}"),
            None => file_sid.to_string(),
        },
        file_bytes: bytes,
        integer_key_1: None,
        integer_key_2: None,
        lifecycle_action: c.default_file_lifecycle_action.clone(),
        lifecycle_ttl: c.default_file_lifecycle_ttl,
        mime_type: mime,
        parent_file_sid: parent,
        publish: c.default_file_publish.clone(),
        string_key_1: None,
        string_key_2: None,
        string_key_3: None,
        string_key_4: None,
        threshold_include: c.default_file_threshold_include,
        kind: input.kind.value().cloned().filter(|k| !k.is_empty()).unwrap_or_else(|| "file".into()),
        unique: c.default_file_unique,
        date_last_accessed: None,
        date_modified: now,
        date_created: now,
        publish_domain: c.publish_domain.clone(),
        tree_path: c.tree_path.clone(),
    };
    let f = build_file(&input, blank, &mut p);
    let class = f.content_classification.as_str();
    if c.blocked_classifications.iter().any(|b| b == class)
        || (!c.allowed_classifications.is_empty() && !c.allowed_classifications.iter().any(|a| a == class))
    {
        p.add("content_classification", format!("the container does not take {class} files"));
    }
    p.finish()?;
    if let Some(quota) = repo::take_room(&mut tx, f.container_sid, f.file_bytes, f.threshold_include).await? {
        let (limit, what) = if quota == "quota_bytes" { (c.quota_bytes, "bytes") } else { (c.quota_files, "files") };
        return Err(ApiError::Validation(vec![FieldError::new(
            quota,
            format!("the container's quota of {limit} {what} would be passed"),
        )
        .with_reference(c.container_sid.to_string())]));
    }
    repo::save_file(&mut tx, &f).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(f.to_wire())).into_response())
}

pub async fn list_files(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::FILE_LIST)?;
    let page = repo::list_files(&state.pool, caller.tenancy(), &q).await?;
    respond::list(page.map(|f| f.to_wire()), &q, &url, "file_sid")
}

pub async fn get_file(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let f = find_cached(&state, &caller, &raw, "file", |s| repo::get_file(&state.pool, s, false)).await?;
    respond_cached(&f, &query, repo::FileRow::to_wire)
}

pub async fn update_file(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    update: Update<FileInput>,
) -> ApiResult<Response> {
    let mut tx = state.pool.begin().await?;
    let current = find_visible(&caller, &raw, "file", |sid| repo::get_file(&mut *tx, sid, true)).await?;
    let (input, mut p) = update.input(&current.to_wire(), FILE_UPDATABLE)?;
    let mut f = build_file(&input, current, &mut p);
    p.finish()?;
    f.date_modified = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 3);
    repo::save_file(&mut tx, &f).await?;
    tx.commit().await?;
    Ok(Json(f.to_wire()).into_response())
}

pub async fn delete_file(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
) -> ApiResult<Response> {
    let mut tx = state.pool.begin().await?;
    let f = find_visible(&caller, &raw, "file", |sid| repo::get_file(&mut *tx, sid, true)).await?;
    repo::delete_file(&mut tx, &f).await?;
    tx.commit().await?;
    Ok(respond::no_content())
}

/// Chunks of a download read at once (each on a pool connection of its own, for the time of one
/// short query).
const READ_AHEAD: usize = 2;

/// A file's bytes, streamed a chunk at a time (one short query each, the next ones read while the
/// last is sent; no connection held between them).
fn stream_bytes(state: &AppState, f: &FileRow) -> Response {
    let pool = state.pool.clone();
    let file = f.file_sid;
    let count = (f.file_bytes as u64).div_ceil(CHUNK as u64) as i32;
    let chunks = futures_util::stream::iter(0..count)
        .map(move |seq| {
            let pool = pool.clone();
            async move {
                match repo::chunk(&pool, file, seq).await {
                    Ok(Some(data)) => Ok(axum::body::Bytes::from(data)),
                    Ok(None) => Err(std::io::Error::other("the file changed while it was read")),
                    Err(e) => Err(std::io::Error::other(e.to_string())),
                }
            }
        })
        .buffered(READ_AHEAD);
    let mut resp = Response::new(HttpBody::from_stream(chunks));
    let h = resp.headers_mut();
    if let Ok(v) = f.mime_type.parse() {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CONTENT_LENGTH, f.file_bytes.into());
    if let Ok(v) = format!("inline; filename=\"{}\"", f.name.replace(['"', '\\', '\r', '\n'], "_")).parse() {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// `GET /storage/files/{file_sid}/data`: exactly the bytes uploaded, with their content type.
pub async fn download_file(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
) -> ApiResult<Response> {
    let f = find_visible(&caller, &raw, "file", |sid| repo::get_file(&state.pool, sid, false)).await?;
    repo::accessed(&state.pool, f.file_sid).await?;
    Ok(stream_bytes(&state, &f))
}

/// `GET /f/{key}`: a published file (its container allows publishing), without credentials, as
/// its `publish_uri` names it.
pub async fn published(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    match repo::published(&state.pool, &key).await {
        Ok(Some(f)) => {
            let _ = repo::accessed(&state.pool, f.file_sid).await;
            stream_bytes(&state, &f)
        }
        Ok(None) => ApiError::NotFound("cannot find file".into()).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// Deletes the files whose lifecycle (`lifecycle_action: delete`, `lifecycle_ttl` seconds after
/// upload) has ended; safe on every instance at once. Answers how many.
pub async fn expire_files(state: &AppState) -> ApiResult<usize> {
    let mut tx = state.pool.begin().await?;
    let files = repo::expired_files(&mut tx).await?;
    for f in &files {
        repo::delete_file(&mut tx, f).await?;
    }
    tx.commit().await?;
    Ok(files.len())
}
