//! Storage: containers, quotas, and files uploaded and downloaded byte for byte.

use axum::body::Body;
use axum::http::{header, Request};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::common::*;

/// The keys of the reference's container sample, in its order.
const CONTAINER_KEYS: &[&str] = &[
    "allow_publish",
    "allowed_classifications",
    "available_bytes_percent",
    "available_files_percent",
    "blocked_classifications",
    "container_sid",
    "default_file_lifecycle_action",
    "default_file_lifecycle_ttl",
    "default_file_publish",
    "default_file_threshold_include",
    "default_file_unique",
    "durability_class",
    "encrypted",
    "external_attributes",
    "integer_key_1",
    "integer_key_2",
    "name",
    "parent_container_sid",
    "partner_sid",
    "publish_domain",
    "quota_bytes",
    "quota_files",
    "string_key_1",
    "string_key_2",
    "string_key_3",
    "string_key_4",
    "threshold_action",
    "threshold_available_bytes_percent",
    "threshold_available_files_percent",
    "threshold_bytes",
    "threshold_bytes_target",
    "threshold_files",
    "threshold_files_target",
    "threshold_grace_period",
    "threshold_total_bytes",
    "threshold_total_files",
    "total_bytes",
    "total_files",
    "type",
    "unique",
];

/// The keys of the reference's file sample, in its order.
const FILE_KEYS: &[&str] = &[
    "container_sid",
    "content_classification",
    "content_duration",
    "content_format",
    "content_transcoding_progress",
    "date_last_accessed",
    "date_modified",
    "desired_bitrate",
    "desired_format",
    "file_access_name",
    "file_bytes",
    "file_sid",
    "integer_key_1",
    "integer_key_2",
    "lifecycle_action",
    "lifecycle_ttl",
    "mime_type",
    "name",
    "parent_file_sid",
    "partner_sid",
    "publish",
    "publish_uri",
    "string_key_1",
    "string_key_2",
    "string_key_3",
    "string_key_4",
    "threshold_include",
    "type",
    "unique",
];

const BOUNDARY: &str = "carrierx-test-boundary-7f3a";

/// A multipart body as `curl -F 'file_object=...' -F 'data=@file'` sends it.
fn multipart(file_object: &Value, filename: &str, data_type: &str, data: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file_object\"\r\nContent-Type: application/json\r\n\r\n{file_object}\r\n").as_bytes());
    b.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"data\"; filename=\"{filename}\"\r\nContent-Type: {data_type}\r\n\r\n").as_bytes());
    b.extend_from_slice(data);
    b.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    b
}

async fn upload(app: &TestApp, who: &Actor, body: Vec<u8>) -> Resp {
    app.post("/core/v2/storage/files")
        .actor(who.clone())
        .raw_bytes(body, &format!("multipart/form-data; boundary={BOUNDARY}"))
        .send()
        .await
}

async fn download(app: &TestApp, who: &Actor, file: &Value) -> Resp {
    app.get(&format!("/core/v2/storage/files/{}/data", file["file_sid"].as_str().unwrap()))
        .actor(who.clone())
        .send()
        .await
}

fn every_byte(times: usize) -> Vec<u8> {
    (0..times).flat_map(|_| 0u8..=255).collect()
}

async fn container(app: &TestApp, who: &Actor, body: Value) -> Value {
    app.post("/core/v2/storage/containers").actor(who.clone()).json(body).ok().await
}

#[tokio::test]
async fn containers_as_the_reference_shows_them() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "storer", None).await;
    let tok = bearer(&tok);
    let c = container(&app, &tok, json!({})).await;
    assert_eq!(keys(&c), CONTAINER_KEYS);
    let mut want = json!({
        "allow_publish": true, "allowed_classifications": [], "available_bytes_percent": 100,
        "available_files_percent": 100, "blocked_classifications": [], "container_sid": c["container_sid"],
        "default_file_lifecycle_action": "no_action", "default_file_lifecycle_ttl": -1,
        "default_file_publish": "file_sid", "default_file_threshold_include": true,
        "default_file_unique": false, "durability_class": "unassigned", "encrypted": false,
        "external_attributes": {}, "integer_key_1": null, "integer_key_2": null, "name": "N/A",
        "parent_container_sid": null, "partner_sid": p["partner_sid"],
        "publish_domain": c["publish_domain"], "quota_bytes": 1073741824, "quota_files": 100,
        "string_key_1": null, "string_key_2": null, "string_key_3": null, "string_key_4": null,
        "threshold_action": null, "threshold_available_bytes_percent": null,
        "threshold_available_files_percent": null, "threshold_bytes": null, "threshold_bytes_target": null,
        "threshold_files": null, "threshold_files_target": null, "threshold_grace_period": 0,
        "threshold_total_bytes": 0, "threshold_total_files": 0, "total_bytes": 0, "total_files": 0,
        "type": "internal", "unique": false
    });
    assert_eq!(c, want);
    assert!(c["publish_domain"].as_str().unwrap().starts_with("http"), "this server: {}", c["publish_domain"]);
    let path = format!("/core/v2/storage/containers/{}", c["container_sid"].as_str().unwrap());
    // A string key sent as a string comes back an integer (the reference's update sample).
    let u = app.patch(&path).actor(tok.clone()).json(json!({"integer_key_1": "39984", "name": "media"})).ok().await;
    want["integer_key_1"] = json!(39984);
    want["name"] = json!("media");
    assert_eq!(u, want);
    let list = app.get("/core/v2/storage/containers").actor(tok.clone()).ok().await;
    assert_eq!((list["total"].clone(), list["limit"].clone()), (json!(1), json!(1000)));
    // Quotas are an admin's to set.
    assert_eq!(app.patch(&path).actor(tok.clone()).json(json!({"quota_bytes": 5})).send().await.status, 403);
    let q = app.patch(&path).actor(root()).json(json!({"quota_bytes": 2048, "quota_files": 3})).ok().await;
    assert_eq!((q["quota_bytes"].clone(), q["quota_files"].clone()), (json!(2048), json!(3)));
    // Two containers a partner, by default; bad fields named.
    container(&app, &tok, json!({"name": "second"})).await;
    app.post("/core/v2/storage/containers")
        .actor(tok.clone())
        .json(json!({}))
        .send()
        .await
        .assert_error(422, "partner_sid");
    let r = app
        .patch(&path)
        .actor(tok.clone())
        .json(json!({"allowed_classifications": ["movies"], "default_file_publish": "x", "integer_key_2": "two"}))
        .send()
        .await;
    for f in ["allowed_classifications[0]", "default_file_publish", "integer_key_2"] {
        r.assert_error(422, f);
    }
    let (_, stranger) = app.partner(&root(), "storage-stranger", None).await;
    assert_eq!(app.get(&path).actor(bearer(&stranger)).send().await.status, 404);
}

#[tokio::test]
async fn files_come_back_byte_for_byte() {
    let app = TestApp::new().await;
    let (_, tok) = app.partner(&root(), "uploader", None).await;
    let tok = bearer(&tok);
    let c = container(&app, &tok, json!({})).await;
    let data = every_byte(300);
    let r = upload(
        &app,
        &tok,
        multipart(&json!({"container_sid": c["container_sid"]}), "my_audio.mp3", "audio/mpeg", &data),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let f = r.json;
    assert_eq!(keys(&f), FILE_KEYS);
    let sid = f["file_sid"].as_str().unwrap();
    assert_eq!(
        (f["name"].clone(), f["mime_type"].clone(), f["content_format"].clone(), f["content_classification"].clone()),
        (json!("my_audio.mp3"), json!("audio/mpeg"), json!("mp3"), json!("media"))
    );
    assert_eq!(
        (f["file_bytes"].clone(), f["file_access_name"].clone()),
        (json!(data.len()), json!(format!("{sid}.mp3")))
    );
    assert_eq!(
        (f["lifecycle_action"].clone(), f["lifecycle_ttl"].clone(), f["publish"].clone(), f["type"].clone()),
        (json!("no_action"), json!(-1), json!("file_sid"), json!("file"))
    );
    assert!(f["publish_uri"].as_str().unwrap().ends_with(&format!("/f/{sid}")));
    let got = download(&app, &tok, &f).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.headers[header::CONTENT_TYPE], "audio/mpeg");
    assert!(got.bytes == data, "the bytes as uploaded");
    // Published: read without credentials.
    let public = app.get(&format!("/f/{sid}")).send().await;
    assert!(public.status == 200 && public.bytes == data);
    // Raw bytes with the attributes in the query; an empty file.
    let raw = app
        .post(&format!("/core/v2/storage/files?container_sid={}&name=notes.txt", c["container_sid"].as_str().unwrap()))
        .actor(tok.clone())
        .raw_bytes(b"hello\x00world".to_vec(), "application/octet-stream")
        .send()
        .await;
    assert_eq!(raw.status, 201, "{}", raw.text());
    assert_eq!(
        (raw.json["mime_type"].clone(), raw.json["content_classification"].clone(), raw.json["file_bytes"].clone()),
        (json!("text/plain"), json!("document"), json!(11))
    );
    assert_eq!(download(&app, &tok, &raw.json).await.bytes, b"hello\x00world");
    let empty = upload(
        &app,
        &tok,
        multipart(
            &json!({"container_sid": c["container_sid"], "name": "empty.bin"}),
            "x",
            "application/octet-stream",
            b"",
        ),
    )
    .await;
    assert_eq!((empty.status.as_u16(), empty.json["file_bytes"].clone()), (201, json!(0)));
    assert!(download(&app, &tok, &empty.json).await.bytes.is_empty());
    // The container counts them; metadata changes; deleting gives the room back.
    let cpath = format!("/core/v2/storage/containers/{}", c["container_sid"].as_str().unwrap());
    let counted = app.get(&cpath).actor(tok.clone()).ok().await;
    assert_eq!((counted["total_files"].clone(), counted["total_bytes"].clone()), (json!(3), json!(data.len() + 11)));
    let fpath = format!("/core/v2/storage/files/{sid}");
    let u = app.patch(&fpath).actor(tok.clone()).json(json!({"name": "renamed.mp3", "string_key_1": "k"})).ok().await;
    assert_eq!(
        (u["name"].clone(), u["string_key_1"].clone(), u["file_bytes"].clone()),
        (json!("renamed.mp3"), json!("k"), json!(data.len()))
    );
    assert_eq!(app.delete(&cpath).actor(tok.clone()).send().await.status, 409, "a container with files stays");
    assert_eq!(app.delete(&fpath).actor(tok.clone()).send().await.status, 204);
    assert_eq!(download(&app, &tok, &f).await.status, 404);
    let after = app.get(&cpath).actor(tok.clone()).ok().await;
    assert_eq!((after["total_files"].clone(), after["total_bytes"].clone()), (json!(2), json!(11)));
    let list = app.get("/core/v2/storage/files").actor(tok.clone()).ok().await;
    assert_eq!(list["total"], 2);
    let (_, stranger) = app.partner(&root(), "file-stranger", None).await;
    assert_eq!(download(&app, &bearer(&stranger), &raw.json).await.status, 404);
}

#[tokio::test]
async fn quotas_hold_even_for_concurrent_uploads_and_refusals_leave_nothing() {
    let app = TestApp::new().await;
    let (_, tok) = app.partner(&root(), "quota", None).await;
    let tok = bearer(&tok);
    let c = container(&app, &tok, json!({"blocked_classifications": ["executable"]})).await;
    let cpath = format!("/core/v2/storage/containers/{}", c["container_sid"].as_str().unwrap());
    app.patch(&cpath).actor(root()).json(json!({"quota_bytes": 1000, "quota_files": 50})).ok().await;
    let meta = json!({"container_sid": c["container_sid"]});
    // Ten uploads of 300 bytes at once into 1,000 bytes: exactly three fit.
    let app_ref = &app;
    let tries = (0..10).map(|i| {
        let body = multipart(&meta, &format!("part{i}.bin"), "application/octet-stream", &every_byte(300)[..300]);
        let tok = tok.clone();
        async move { upload(app_ref, &tok, body).await }
    });
    let results = futures_util::future::join_all(tries).await;
    assert_eq!(results.iter().filter(|r| r.status == 201).count(), 3);
    for r in results.iter().filter(|r| r.status != 201) {
        r.assert_error(422, "quota_bytes");
    }
    let counted = app.get(&cpath).actor(tok.clone()).ok().await;
    assert_eq!(
        (counted["total_bytes"].clone(), counted["total_files"].clone(), counted["available_bytes_percent"].clone()),
        (json!(900), json!(3), json!(10))
    );
    // A blocked class; no container; every refusal leaves no bytes behind.
    upload(&app, &tok, multipart(&meta, "run.sh", "application/x-sh", b"echo hi"))
        .await
        .assert_error(422, "content_classification");
    upload(&app, &tok, multipart(&json!({"name": "x"}), "x.txt", "text/plain", b"x"))
        .await
        .assert_error(422, "container_sid");
    let chunks: i64 =
        sqlx::query_scalar("SELECT count(*) FROM storage_chunks").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(chunks, 3, "only the stored files' bytes");
}

#[tokio::test]
async fn a_cut_upload_or_one_too_large_leaves_nothing() {
    let app = TestApp::with_config(|c| c.storage_max_file_bytes = 4 * 1024 * 1024).await;
    let (_, tok) = app.partner(&root(), "cutter", None).await;
    let c = container(&app, &bearer(&tok), json!({})).await;
    // The connection breaks after 2 MB of a file: the body ends in an error.
    let head = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file_object\"\r\n\r\n{}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"data\"; filename=\"big.bin\"\r\n\r\n",
        json!({"container_sid": c["container_sid"]})
    );
    let pieces: Vec<Result<Vec<u8>, std::io::Error>> = vec![
        Ok(head.into_bytes()),
        Ok(vec![7u8; 1 << 20]),
        Ok(vec![8u8; 1 << 20]),
        Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "connection reset")),
    ];
    let req = Request::post("/core/v2/storage/files")
        .header(header::HOST, "api.test")
        .header(header::AUTHORIZATION, format!("Bearer {tok}"))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(Body::from_stream(futures_util::stream::iter(pieces)))
        .unwrap();
    let resp = app.router.clone().oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    // Over the largest file the server takes: 413, before or while reading.
    let big = multipart(
        &json!({"container_sid": c["container_sid"]}),
        "big.bin",
        "application/octet-stream",
        &vec![1u8; 4 * 1024 * 1024 + 1],
    );
    let r = upload(&app, &bearer(&tok), big).await;
    assert_eq!(r.status, 413, "{}", r.text());
    // The attributes part is bounded too.
    let huge = json!({"container_sid": c["container_sid"], "name": "x".repeat(70 * 1024)});
    let r = upload(&app, &bearer(&tok), multipart(&huge, "a.bin", "application/octet-stream", b"a")).await;
    r.assert_error(400, "file_object");
    // Just under it: stored whole.
    let near = vec![9u8; 4 * 1024 * 1024 - 100];
    let ok = upload(
        &app,
        &bearer(&tok),
        multipart(&json!({"container_sid": c["container_sid"]}), "near.bin", "application/octet-stream", &near),
    )
    .await;
    assert_eq!(ok.status, 201, "{}", ok.text());
    assert!(download(&app, &bearer(&tok), &ok.json).await.bytes == near);
    let files: i64 = sqlx::query_scalar("SELECT count(*) FROM storage_files").fetch_one(&app.state.pool).await.unwrap();
    let chunks: i64 =
        sqlx::query_scalar("SELECT count(*) FROM storage_chunks").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!((files, chunks), (1, 4), "only the file under the limit, in 1 MiB chunks");
}

#[tokio::test]
async fn endpoints_keep_their_files_in_a_container_of_their_partner() {
    let app = TestApp::new().await;
    let (_, tok) = app.partner(&root(), "vm", None).await;
    let tok = bearer(&tok);
    let c = container(&app, &tok, json!({"name": "voicemail"})).await;
    let e = app
        .post("/core/v2/endpoints")
        .actor(tok.clone())
        .json(json!({"name": "vm", "type": "voicemail", "properties": {"container_sid": c["container_sid"]}}))
        .ok()
        .await;
    assert_eq!(e["properties"]["container_sid"], c["container_sid"]);
    let (_, other) = app.partner(&root(), "vm-other", None).await;
    let theirs = container(&app, &bearer(&other), json!({})).await;
    let path = format!("/core/v2/endpoints/{}", e["endpoint_sid"].as_str().unwrap());
    app.patch(&path)
        .actor(tok.clone())
        .json(json!({"properties": {"container_sid": theirs["container_sid"]}}))
        .send()
        .await
        .assert_error(422, "properties.container_sid");
    app.post("/core/v2/endpoints")
        .actor(tok.clone())
        .json(json!({"name": "conf", "type": "conference", "properties": {"container_sid": new_uuid()}}))
        .send()
        .await
        .assert_error(422, "properties.container_sid");
}

#[tokio::test]
async fn a_connection_cut_mid_upload_leaves_nothing_on_the_real_server() {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::new().await;
    let (_, tok) = app.partner(&root(), "tcp-cut", None).await;
    let c = container(&app, &bearer(&tok), json!({})).await;
    let server = Server::start(&app, &[]);
    server.ready().await;
    let head = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file_object\"\r\n\r\n{}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"data\"; filename=\"cut.bin\"\r\n\r\n",
        json!({"container_sid": c["container_sid"]})
    );
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", server.port)).await.unwrap();
    let request = format!(
        "POST /core/v2/storage/files HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {tok}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {}\r\n\r\n",
        head.len() + 3 * 1024 * 1024
    );
    s.write_all(request.as_bytes()).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&vec![5u8; 1536 * 1024]).await.unwrap();
    // The upload is under way on the server; then the connection is gone.
    eventually(std::time::Duration::from_secs(20), "the server is receiving the upload", || async {
        server.metric("storage_uploads_in_progress").await >= 1.0
    })
    .await;
    drop(s);
    eventually(std::time::Duration::from_secs(20), "the server gives the cut upload up", || async {
        server.metric("storage_uploads_in_progress").await == 0.0
    })
    .await;
    let files: i64 = sqlx::query_scalar("SELECT count(*) FROM storage_files").fetch_one(&app.state.pool).await.unwrap();
    let chunks: i64 =
        sqlx::query_scalar("SELECT count(*) FROM storage_chunks").fetch_one(&app.state.pool).await.unwrap();
    let used: i64 =
        sqlx::query_scalar("SELECT total_bytes FROM storage_containers").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!((files, chunks, used), (0, 0, 0), "no file, no bytes, no usage");
    server.terminate().await;
}
