//! Push: applications (secrets masked), devices (reuse), notifications on the simulated push network.

use serde_json::{json, Value};

use crate::common::*;

const APP_KEYS: &[&str] = &[
    "apns_id",
    "apns_key_id",
    "apns_p8",
    "apns_p12",
    "apns_p12_expiration",
    "apns_p12_password",
    "apns_team_id",
    "apns_topic",
    "application_sid",
    "google_credentials",
    "name",
    "partner_sid",
];

const DEVICE_KEYS: &[&str] = &[
    "application_sid",
    "application_version",
    "device_sid",
    "environment",
    "os_version",
    "partner_sid",
    "token",
    "type",
];

const CREDENTIALS: &str = "L2hvbWUvdXNlci9Eb3dubG9hZHMvc2VydmljZS1hY2NvdW50LWZpbGUuanNvbgo=";

#[tokio::test]
async fn applications_keep_their_secrets_and_show_them_masked() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "pusher", None).await;
    let tok = bearer(&tok);
    let a = app
        .post("/core/v2/push/applications")
        .actor(tok.clone())
        .json(json!({"google_credentials": CREDENTIALS}))
        .ok()
        .await;
    assert_eq!(keys(&a), APP_KEYS);
    assert_eq!(
        a,
        json!({"apns_id": null, "apns_key_id": null, "apns_p8": null, "apns_p12": null, "apns_p12_expiration": null,
               "apns_p12_password": null, "apns_team_id": null, "apns_topic": null, "application_sid": a["application_sid"],
               "google_credentials": "****bgo=", "name": "N/A", "partner_sid": p["partner_sid"]})
    );
    let stored: String =
        sqlx::query_scalar("SELECT secrets::text FROM push_applications").fetch_one(&app.state.pool).await.unwrap();
    assert!(!stored.contains(CREDENTIALS) && stored.contains("$argon2"), "stored hashed: {stored}");
    let path = format!("/core/v2/push/applications/{}", a["application_sid"].as_str().unwrap());
    // A change elsewhere keeps the secret; a new one replaces it; null clears it.
    let u =
        app.patch(&path).actor(tok.clone()).json(json!({"name": "My App", "apns_p12_password": "hunter2"})).ok().await;
    assert_eq!(
        (u["name"].clone(), u["google_credentials"].clone(), u["apns_p12_password"].clone()),
        (json!("My App"), json!("****bgo="), json!("****"))
    );
    let u = app.patch(&path).actor(tok.clone()).json(json!({"google_credentials": null})).ok().await;
    assert_eq!(u["google_credentials"], Value::Null);
    assert_eq!(app.get(&path).actor(tok.clone()).ok().await, u);
    // The old site's fields.
    let old = app
        .post("/core/v2/push/applications")
        .actor(tok.clone())
        .json(json!({"google_id": "_GOOGLE_DEVELOPER_ID_", "google_key": "_GOOGLE_SECRET_KEY_", "name": "My First Application"}))
        .ok()
        .await;
    assert_eq!(
        (old["google_id"].clone(), old["google_key"].clone()),
        (json!("_GOOGLE_DEVELOPER_ID_"), json!("****KEY_"))
    );
    let list = app.get("/core/v2/push/applications?with_related=true").actor(tok.clone()).ok().await;
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"][0]["partner"]["partner_sid"], p["partner_sid"]);
    let (_, stranger) = app.partner(&root(), "push-stranger", None).await;
    assert_eq!(app.get(&path).actor(bearer(&stranger)).send().await.status, 404);
}

#[tokio::test]
async fn devices_register_once_and_notifications_reach_them() {
    let app = TestApp::new().await;
    let (_, tok) = app.partner(&root(), "devices", None).await;
    let tok = bearer(&tok);
    let android = app
        .post("/core/v2/push/applications")
        .actor(tok.clone())
        .json(json!({"google_credentials": CREDENTIALS}))
        .ok()
        .await;
    let bare =
        app.post("/core/v2/push/applications").actor(tok.clone()).json(json!({"name": "no credentials"})).ok().await;
    let d = app
        .post("/core/v2/push/devices")
        .actor(tok.clone())
        .json(json!({"application_sid": android["application_sid"], "type": "android", "token": "1111"}))
        .ok()
        .await;
    assert_eq!(keys(&d), DEVICE_KEYS);
    assert_eq!(
        (d["environment"].clone(), d["application_version"].clone(), d["os_version"].clone()),
        (json!("production"), json!(""), json!(""))
    );
    // reuse (by default): the same device; reuse=false: another.
    let body = json!({"application_sid": android["application_sid"], "type": "android", "token": "1111"});
    let same = app.post("/core/v2/push/devices").actor(tok.clone()).json(body.clone()).ok().await;
    assert_eq!(same["device_sid"], d["device_sid"]);
    let second = app.post("/core/v2/push/devices?reuse=false").actor(tok.clone()).json(body).ok().await;
    assert_ne!(second["device_sid"], d["device_sid"]);
    let ios = app
        .post("/core/v2/push/devices")
        .actor(tok.clone())
        .json(json!({"application_sid": bare["application_sid"], "type": "ios", "token": "2222", "environment": "development"}))
        .ok()
        .await;
    let r = app
        .post("/core/v2/push/devices")
        .actor(tok.clone())
        .json(json!({"type": "fridge", "environment": "x"}))
        .send()
        .await;
    for f in ["application_sid", "token", "type", "environment"] {
        r.assert_error(422, f);
    }
    // The reference's sample send: two devices, both reached.
    let sent = app
        .post("/core/v2/push/notifications")
        .actor(tok.clone())
        .json(json!({"title": "Notification for two recipients", "body": "This is a test push notification for two registered devices.",
                     "ttl": 5, "priority": "normal", "recipients": [d["device_sid"], second["device_sid"]]}))
        .ok()
        .await;
    let mut results = serde_json::Map::new();
    results.insert(d["device_sid"].as_str().unwrap().into(), json!("success"));
    results.insert(second["device_sid"].as_str().unwrap().into(), json!("success"));
    assert_eq!(sent, json!({"failure": 0, "results": results, "success": 2}));
    // A device without its service's credentials, and one that does not exist, fail.
    let ghost = new_uuid();
    let sent = app
        .post("/core/v2/push/notifications")
        .actor(tok.clone())
        .json(json!({"title": "x", "recipients": [ios["device_sid"], ghost]}))
        .ok()
        .await;
    assert_eq!((sent["success"].clone(), sent["failure"].clone()), (json!(0), json!(2)));
    assert_eq!(sent["results"][ios["device_sid"].as_str().unwrap()], "no_credentials");
    assert_eq!(sent["results"][ghost.as_str()], "not_found");
    // What the simulated push network carried.
    let carried = app
        .get(&format!("/core/v2/admin/simulator/push?filter=device_sid+eq+{}", d["device_sid"].as_str().unwrap()))
        .actor(root())
        .ok()
        .await;
    assert_eq!(carried["total"], 1);
    assert_eq!(carried["items"][0]["notification"]["title"], "Notification for two recipients");
    assert_eq!(carried["items"][0]["result"], "success");
    // Every bad field at once; at most 100 recipients.
    let many: Vec<String> = (0..101).map(|_| new_uuid()).collect();
    let r = app
        .post("/core/v2/push/notifications")
        .actor(tok.clone())
        .json(json!({"recipients": many, "priority": "urgent", "ttl": -1}))
        .send()
        .await;
    for f in ["recipients", "priority", "ttl"] {
        r.assert_error(422, f);
    }
    app.post("/core/v2/push/notifications")
        .actor(tok.clone())
        .json(json!({"title": "x"}))
        .send()
        .await
        .assert_error(422, "recipients");
    // Deleting an application removes its devices.
    let apath = format!("/core/v2/push/applications/{}", android["application_sid"].as_str().unwrap());
    assert_eq!(app.delete(&apath).actor(tok.clone()).send().await.status, 204);
    let dpath = format!("/core/v2/push/devices/{}", d["device_sid"].as_str().unwrap());
    assert_eq!(app.get(&dpath).actor(tok.clone()).send().await.status, 404);
}
