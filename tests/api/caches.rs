//! Objects read by secure ID come from each instance's object cache: every instance reads the
//! same object, an instance reads its own writes at once (even of rows its request did not name:
//! cascades, batch tasks), and another instance sees a change within a second.

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::*;

/// `path` reads the same on both instances; changed on A by `change` (PATCH), A reads the change
/// at once and B within a second.
async fn shared_object(a: &TestApp, b: &TestApp, who: &Actor, path: &str, change: Value) {
    let first = a.get(path).actor(who.clone()).ok().await;
    assert_eq!(b.get(path).actor(who.clone()).ok().await, first, "{path}: B reads what A reads");
    assert_eq!(b.get(path).actor(who.clone()).ok().await, first, "{path}: B reads it again from its cache");
    let changed = a.patch(path).actor(who.clone()).json(change.clone()).ok().await;
    for (field, want) in change.as_object().unwrap() {
        assert_eq!(&changed[field], want, "{path}: the PATCH answer");
    }
    assert_eq!(a.get(path).actor(who.clone()).ok().await, changed, "{path}: A reads its write at once");
    eventually(Duration::from_secs(1), &format!("B sees the change of {path}"), || async {
        b.get(path).actor(who.clone()).ok().await == changed
    })
    .await;
    // Field filtering applies to the cached object.
    let (field, want) = change.as_object().unwrap().iter().next().unwrap();
    let some = b.get(&format!("{path}?include_fields={field}")).actor(who.clone()).ok().await;
    assert_eq!(some, json!({ field.as_str(): want }), "{path}: include_fields");
}

/// Deleted on A: not found on A at once, nor on B within a second.
async fn deleted_everywhere(a: &TestApp, b: &TestApp, who: &Actor, path: &str) {
    assert_eq!(a.delete(path).actor(who.clone()).send().await.status, 204, "{path}: deleted");
    assert_eq!(a.get(path).actor(who.clone()).send().await.status, 404, "{path}: gone on A");
    eventually(Duration::from_secs(1), &format!("B forgets {path}"), || async {
        b.get(path).actor(who.clone()).send().await.status == 404
    })
    .await;
}

fn sid_path(base: &str, obj: &Value, key: &str) -> String {
    format!("/core/v2/{base}/{}", obj[key].as_str().unwrap())
}

#[tokio::test]
async fn every_cached_object_is_shared_by_the_instances() {
    let a = TestApp::new().await;
    let b = a.another_instance().await;
    let (p, tok) = a.partner(&root(), "cache-tenant", None).await;
    let tok = bearer(&tok);

    // Phone numbers: rented, renamed, released.
    let did = a.rent_numbers(&tok, &["15165550101"], 31).await.remove(0);
    let did_path = sid_path("phonenumber/dids", &did, "did_sid");
    shared_object(&a, &b, &tok, &did_path, json!({"name": "front desk"})).await;
    // The inventory's view of a number shares the cache: rented, it is not available.
    let available = sid_path("phonenumber/available_dids", &did, "did_sid");
    assert_eq!(b.get(&available).actor(tok.clone()).send().await.status, 404);

    // Trunk groups' trunks.
    let g = a
        .post("/core/v2/trunk_groups?with_trunks=true")
        .actor(tok.clone())
        .json(json!({"name": "office", "trunks": [{"name": "t1"}]}))
        .ok()
        .await;
    let trunk = &g["trunks"][0];
    let trunk_path = format!(
        "/core/v2/trunk_groups/{}/trunks/{}",
        g["trunk_group_sid"].as_str().unwrap(),
        trunk["trunk_sid"].as_str().unwrap()
    );
    shared_object(&a, &b, &tok, &trunk_path, json!({"name": "renamed trunk", "priority": 3})).await;
    deleted_everywhere(&a, &b, &tok, &trunk_path).await;

    // DID groups, routing and LRN prefixes.
    let dg = a.post("/core/v2/phonenumber/did_groups").actor(tok.clone()).json(json!({"name": "sales"})).ok().await;
    let dg_path = sid_path("phonenumber/did_groups", &dg, "did_group_sid");
    shared_object(&a, &b, &tok, &dg_path, json!({"name": "support"})).await;
    let x = a.post("/core/v2/phonenumber/prefixes").actor(tok.clone()).json(json!({"prefix": "51625"})).ok().await;
    let x_path = sid_path("phonenumber/prefixes", &x, "prefix_sid");
    shared_object(&a, &b, &tok, &x_path, json!({"name": "long island"})).await;
    // A routing prefix is no LRN prefix, even once cached.
    let as_lrn = sid_path("phonenumber/lrn_prefixes", &x, "prefix_sid");
    assert_eq!(b.get(&as_lrn).actor(tok.clone()).send().await.status, 404);
    deleted_everywhere(&a, &b, &tok, &x_path).await;
    let l = a.post("/core/v2/phonenumber/lrn_prefixes").actor(tok.clone()).json(json!({"prefix": "1520"})).ok().await;
    let l_path = sid_path("phonenumber/lrn_prefixes", &l, "lrn_prefix_sid");
    shared_object(&a, &b, &tok, &l_path, json!({"name": "lrn block"})).await;

    // Short codes (made by an admin).
    let sc = a
        .post("/core/v2/admin/phonenumber/short_codes")
        .actor(root())
        .json(json!({"partner_sid": p["partner_sid"], "short_code": "26399", "name": "codes"}))
        .ok()
        .await;
    let sc_path = sid_path("phonenumber/short_codes", &sc, "short_code_sid");
    shared_object(&a, &b, &tok, &sc_path, json!({"name": "alerts"})).await;

    // Push applications and devices.
    let app = a
        .post("/core/v2/push/applications")
        .actor(tok.clone())
        .json(json!({"google_credentials": "c2VjcmV0LWNyZWRlbnRpYWxz", "name": "app"}))
        .ok()
        .await;
    let app_path = sid_path("push/applications", &app, "application_sid");
    shared_object(&a, &b, &tok, &app_path, json!({"name": "renamed app"})).await;
    let dev = a
        .post("/core/v2/push/devices")
        .actor(tok.clone())
        .json(json!({"application_sid": app["application_sid"], "type": "android", "token": "t-1"}))
        .ok()
        .await;
    let dev_path = sid_path("push/devices", &dev, "device_sid");
    shared_object(&a, &b, &tok, &dev_path, json!({"os_version": "14.1"})).await;
    deleted_everywhere(&a, &b, &tok, &dev_path).await;

    // Storage: a container, and a file in it whose upload changes the container's usage.
    let c = a.post("/core/v2/storage/containers").actor(tok.clone()).json(json!({"name": "box"})).ok().await;
    let c_path = sid_path("storage/containers", &c, "container_sid");
    shared_object(&a, &b, &tok, &c_path, json!({"name": "renamed box"})).await;
    let f = a
        .post(&format!("/core/v2/storage/files?container_sid={}&name=hello.txt", c["container_sid"].as_str().unwrap()))
        .actor(tok.clone())
        .raw_bytes(b"hello".to_vec(), "application/octet-stream")
        .send()
        .await;
    assert_eq!(f.status, 201);
    let f = f.json;
    assert_eq!(a.get(&c_path).actor(tok.clone()).ok().await["total_bytes"], 5, "A reads the usage at once");
    eventually(Duration::from_secs(1), "B reads the container's new usage", || async {
        b.get(&c_path).actor(tok.clone()).ok().await["total_bytes"] == 5
    })
    .await;
    let f_path = sid_path("storage/files", &f, "file_sid");
    shared_object(&a, &b, &tok, &f_path, json!({"name": "renamed.txt"})).await;
    deleted_everywhere(&a, &b, &tok, &f_path).await;

    // OAuth tokens: another of the partner's, read with the first (a token read with itself
    // shows its last use, which moves with every request).
    let second = a.token_for(&root(), p["partner_sid"].as_str().unwrap(), None).await;
    let tokens = a.get("/core/v2/oauth/tokens?limit=100").actor(tok.clone()).ok().await;
    let t2 = tokens["items"].as_array().unwrap().iter().find(|t| t["access_token"] == second.as_str()).unwrap().clone();
    let t_path = sid_path("oauth/tokens", &t2, "token_sid");
    shared_object(&a, &b, &tok, &t_path, json!({"name": "renamed token"})).await;
    // Used on A, its last use shows on A at once (and in the database within seconds).
    a.get("/core/v2/oauth/whoami").actor(bearer(&second)).ok().await;
    assert_ne!(a.get(&t_path).actor(tok.clone()).ok().await["date_last_accessed"], Value::Null);
    // Partner logins.
    let login = a
        .post("/core/v2/oauth/logins")
        .actor(tok.clone())
        .json(json!({"login": "cache-tenant_ops", "password": "Cache-login-pass-1", "token_scopes": ["partners.read"]}))
        .ok()
        .await;
    let login_path = sid_path("oauth/logins", &login, "login_sid");
    shared_object(&a, &b, &tok, &login_path, json!({"token_scopes": ["calls.read", "partners.read"]})).await;
    deleted_everywhere(&a, &b, &tok, &login_path).await;

    // Shortener domains and links (a link shows its domain's name and its hits).
    let dom =
        a.post("/core/v2/shortener/domains").actor(tok.clone()).json(json!({"domain_name": "cache.test"})).ok().await;
    let dom_path = sid_path("shortener/domains", &dom, "domain_sid");
    let link = a
        .post("/core/v2/shortener/links")
        .actor(tok.clone())
        .json(json!({"domain_sid": dom["domain_sid"], "destination_url": "https://example.com/a"}))
        .ok()
        .await;
    let link_path = sid_path("shortener/links", &link, "link_sid");
    shared_object(&a, &b, &tok, &link_path, json!({"destination_url": "https://example.com/b"})).await;
    shared_object(&a, &b, &tok, &dom_path, json!({"minimum_length": 9})).await;
    deleted_everywhere(&a, &b, &tok, &link_path).await;
    deleted_everywhere(&a, &b, &tok, &dom_path).await;
    // Rate plans (admin).
    let plan = a
        .post("/core/v2/admin/calls/rates_plans")
        .actor(root())
        .json(json!({"name": "cached", "items": [{"prefix": "1", "price": "0.01"}]}))
        .ok()
        .await;
    let plan_path = sid_path("admin/calls/rates_plans", &plan, "rates_plan_sid");
    assert_eq!(b.get(&plan_path).actor(root()).ok().await, a.get(&plan_path).actor(root()).ok().await);
    deleted_everywhere(&a, &b, &root(), &plan_path).await;

    // System objects read by everyone: the same on both instances.
    for list in ["phonenumber/classifications", "verification/email/templates"] {
        let items = a.get(&format!("/core/v2/{list}")).actor(tok.clone()).ok().await;
        let first = &items["items"][0];
        let key = first.as_object().unwrap().keys().find(|k| k.ends_with("_sid")).unwrap().clone();
        let path = sid_path(list, first, &key);
        assert_eq!(&b.get(&path).actor(tok.clone()).ok().await, first, "{path}");
        assert_eq!(&b.get(&path).actor(tok.clone()).ok().await, first, "{path} again");
    }
}

#[tokio::test]
async fn an_instance_reads_at_once_the_rows_its_writes_changed_indirectly() {
    let a = TestApp::new().await;
    let b = a.another_instance().await;
    let (_, tok) = a.partner(&root(), "cascade", None).await;
    let tok = bearer(&tok);
    let did = a.rent_numbers(&tok, &["15165550102"], 31).await.remove(0);
    let did_path = sid_path("phonenumber/dids", &did, "did_sid");
    let dg = a.post("/core/v2/phonenumber/did_groups").actor(tok.clone()).json(json!({"name": "sales"})).ok().await;
    a.patch(&did_path).actor(tok.clone()).json(json!({"did_group_sid": dg["did_group_sid"]})).ok().await;
    // Both instances cache the number in its group.
    assert_eq!(a.get(&did_path).actor(tok.clone()).ok().await["did_group_sid"], dg["did_group_sid"]);
    assert_eq!(b.get(&did_path).actor(tok.clone()).ok().await["did_group_sid"], dg["did_group_sid"]);
    // Deleting the group takes the number out of it (a foreign key's cascade, no handler names
    // the number): A's next read shows it, B's within a second.
    let dg_path = sid_path("phonenumber/did_groups", &dg, "did_group_sid");
    assert_eq!(a.delete(&dg_path).actor(tok.clone()).send().await.status, 204);
    assert_eq!(a.get(&did_path).actor(tok.clone()).ok().await["did_group_sid"], Value::Null);
    eventually(Duration::from_secs(1), "B reads the number out of the deleted group", || async {
        b.get(&did_path).actor(tok.clone()).ok().await["did_group_sid"] == Value::Null
    })
    .await;

    // A batch task changes the number: once the task reads completed, so does the number.
    let t = a
        .post("/core/v2/batch/tasks")
        .actor(tok.clone())
        .json(json!({"method": "PATCH", "type": "phonenumber", "field": "phonenumber", "review": false,
                     "entries": ["15165550102"], "data": {"name": "batched"}}))
        .ok()
        .await;
    let task_path = sid_path("batch/tasks", &t, "task_sid");
    assert_eq!(b.get(&task_path).actor(tok.clone()).ok().await["status"], "created");
    a.run_batch().await;
    assert_eq!(a.get(&task_path).actor(tok.clone()).ok().await["status"], "completed");
    assert_eq!(a.get(&did_path).actor(tok.clone()).ok().await["name"], "batched");
    eventually(Duration::from_secs(1), "B reads the task completed and the number changed", || async {
        b.get(&task_path).actor(tok.clone()).ok().await["status"] == "completed"
            && b.get(&did_path).actor(tok.clone()).ok().await["name"] == "batched"
    })
    .await;
}

#[tokio::test]
async fn messages_and_their_records_change_status_on_every_instance() {
    let a = TestApp::new().await;
    let b = a.another_instance().await;
    let (_, tok) = a.partner(&root(), "texter", None).await;
    let tok = bearer(&tok);
    a.rent_numbers(&tok, &["15162065577", "15162065578"], 31).await;
    let m = a
        .post("/core/v2/sms/messages")
        .actor(tok.clone())
        .json(json!({"from": "15162065577", "to": "15162065578", "message": "hi"}))
        .ok()
        .await;
    let m_path = sid_path("sms/messages", &m, "message_sid");
    let drs = a.get("/core/v2/sms/message_drs?filter=direction+eq+outbound").actor(tok.clone()).ok().await;
    assert_eq!(drs["count"], 1);
    let dr = drs["items"][0].clone();
    let dr_path = sid_path("sms/message_drs", &dr, "dr_sid");
    // B caches both views while the message is queued.
    assert_eq!(b.get(&m_path).actor(tok.clone()).ok().await["status"], "queued");
    assert_eq!(b.get(&dr_path).actor(tok.clone()).ok().await["status"], "queued");
    // A message's secure ID is no record's, and the other way round, even cached.
    let crossed = format!("/core/v2/sms/messages/{}", dr["dr_sid"].as_str().unwrap());
    assert_eq!(b.get(&crossed).actor(tok.clone()).send().await.status, 404);
    let _net = a.network();
    eventually(Duration::from_secs(10), "B reads the message and its record delivered", || async {
        b.get(&m_path).actor(tok.clone()).ok().await["status"] == "delivered"
            && b.get(&dr_path).actor(tok.clone()).ok().await["status"] == "delivered"
    })
    .await;
}

#[tokio::test]
async fn invoices_and_call_records_are_shared_by_the_instances() {
    let a = TestApp::new().await;
    let b = a.another_instance().await;
    let (p, tok) = a.partner(&root(), "billed", None).await;
    let tok = bearer(&tok);
    let list = a.get("/core/v2/invoices?filter=status+eq+open").actor(tok.clone()).ok().await;
    let path = sid_path("invoices", &list["items"][0], "invoice_sid");
    let before = a.get(&path).actor(tok.clone()).ok().await;
    assert_eq!(b.get(&path).actor(tok.clone()).ok().await, before);
    assert_eq!(before["invoice_items"], json!([]));
    // A charge adds a line to the open invoice (its own table): read at once on A, soon on B.
    a.post("/core/v2/admin/calls/call_drs")
        .actor(root())
        .json(json!({"partner_sid": p["partner_sid"], "date_stop": "2026-11-20T11:00:00Z", "direction": "outbound",
                     "price": "0.02", "rate": "0.01", "duration_billing": "120", "number_src": "15162065001",
                     "number_dst": "18005550100"}))
        .ok()
        .await;
    let after = a.get(&path).actor(tok.clone()).ok().await;
    assert_eq!(after["invoice_items"].as_array().unwrap().len(), 1, "A reads the new line at once: {after}");
    eventually(Duration::from_secs(1), "B reads the invoice's new line", || async {
        b.get(&path).actor(tok.clone()).ok().await == after
    })
    .await;
    // The record itself reads the same on both instances.
    let drs = a.get("/core/v2/calls/call_drs").actor(tok.clone()).ok().await;
    let dr_path = sid_path("calls/call_drs", &drs["items"][0], "dr_sid");
    let dr = a.get(&dr_path).actor(tok.clone()).ok().await;
    assert_eq!(dr, drs["items"][0]);
    assert_eq!(b.get(&dr_path).actor(tok.clone()).ok().await, dr);
    assert_eq!(b.get(&dr_path).actor(tok.clone()).ok().await, dr);
}

#[tokio::test]
async fn list_totals_follow_every_change_on_every_instance() {
    let a = TestApp::new().await;
    let b = a.another_instance().await;
    let (_, tok) = a.partner(&root(), "counted", None).await;
    let tok = bearer(&tok);
    a.rent_numbers(&tok, &["15162065591", "15162065592"], 31).await;
    async fn total(app: &TestApp, tok: &Actor) -> Value {
        app.get("/core/v2/phonenumber/dids?limit=1").actor(tok.clone()).ok().await["total"].clone()
    }
    // Counted (a page of one, more to come), then remembered by both instances.
    for _ in 0..2 {
        assert_eq!(total(&a, &tok).await, 2);
        assert_eq!(total(&b, &tok).await, 2);
    }
    // A rented number: A's next total counts it, B's within a second.
    let more = a.rent_numbers(&tok, &["15162065593"], 31).await;
    assert_eq!(total(&a, &tok).await, 3);
    eventually(Duration::from_secs(1), "B counts the rented number", || async { total(&b, &tok).await == 3 }).await;
    // A released one: the same.
    let path = sid_path("phonenumber/dids", &more[0], "did_sid");
    assert_eq!(a.delete(&path).actor(tok.clone()).send().await.status, 204);
    assert_eq!(total(&a, &tok).await, 2);
    eventually(Duration::from_secs(1), "B counts the release", || async { total(&b, &tok).await == 2 }).await;
    // Numbers added to the inventory are counted in the admins' total of every number.
    let all = "/core/v2/admin/dids?limit=1";
    let before = a.get(all).actor(root()).ok().await["total"].as_i64().unwrap();
    assert_eq!(b.get(all).actor(root()).ok().await["total"], before);
    a.post("/core/v2/admin/dids")
        .actor(root())
        .json(json!([{"phonenumber": "15162065594"}, {"phonenumber": "15162065595"}]))
        .ok()
        .await;
    assert_eq!(a.get(all).actor(root()).ok().await["total"], before + 2);
    eventually(Duration::from_secs(1), "B counts the new numbers", || async {
        b.get(all).actor(root()).ok().await["total"] == before + 2
    })
    .await;
}

#[tokio::test]
async fn a_cached_object_still_answers_admins_and_with_related_in_full() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "views", None).await;
    let tok = bearer(&tok);
    let did = app.rent_numbers(&tok, &["15162065596"], 31).await.remove(0);
    let sid = did["did_sid"].as_str().unwrap();
    let path = format!("/core/v2/phonenumber/dids/{sid}");
    // Cached by the partner's read.
    assert_eq!(app.get(&path).actor(tok.clone()).ok().await, did);
    assert_eq!(app.get(&path).actor(tok.clone()).ok().await, did);
    // The partner, with its partner object.
    let related = app.get(&format!("{path}?with_related=true")).actor(tok.clone()).ok().await;
    assert_eq!(related["partner"]["partner_sid"], p["partner_sid"]);
    assert_eq!(related["did_sid"], did["did_sid"]);
    // The admin route answers the admin's view, built for it, not the partner's cached JSON.
    let admin = app.get(&format!("/core/v2/admin/dids/{sid}")).actor(root()).ok().await;
    assert_eq!(admin["did_sid"], did["did_sid"]);
    let direct = app.get(&format!("/core/v2/admin/dids/{sid}")).actor(root()).ok().await;
    assert_eq!(admin, direct);
    for (k, v) in did.as_object().unwrap() {
        assert_eq!(&admin[k], v, "{k}: the admin sees at least what the partner sees");
    }
}
