use std::time::Duration;

use serde_json::{json, Value};

use crate::common::*;

const TASK_KEYS: &[&str] = &[
    "data",
    "date_created",
    "date_modified",
    "entries",
    "error_details",
    "failure",
    "field",
    "method",
    "partner_sid",
    "processed",
    "review",
    "status",
    "success",
    "task_sid",
    "total",
    "type",
];

const SEED_NUMBERS: [&str; 2] = ["18053355112", "18053355280"];

/// Numbers in the inventory.
async fn stock(app: &TestApp, numbers: &[String]) {
    for chunk in numbers.chunks(5000) {
        let items: Vec<Value> = chunk.iter().map(|n| json!({"phonenumber": n})).collect();
        app.post("/core/v2/admin/dids").actor(root()).json(json!(items)).ok().await;
    }
}

fn range(first: u64, n: u64) -> Vec<String> {
    (first..first + n).map(|x| x.to_string()).collect()
}

/// A partner with the seed's two numbers rented and a trunk group.
async fn seed_partner(app: &TestApp, login: &str) -> (Value, String, Value) {
    stock(app, &SEED_NUMBERS.map(String::from)).await;
    let (p, tok) = app.partner(&root(), login, None).await;
    for n in SEED_NUMBERS {
        app.post("/core/v2/phonenumber/dids").actor(bearer(&tok)).json(json!({"phonenumber": n})).ok().await;
    }
    let tg = app.post("/core/v2/trunk_groups").actor(bearer(&tok)).json(json!({})).ok().await;
    (p, tok, tg)
}

/// A reviewed task moving the seed's numbers to `tg`, its review computed.
async fn reviewed_move(app: &TestApp, tok: &str, tg: &Value) -> Value {
    let t = app
        .post("/core/v2/batch/tasks")
        .actor(bearer(tok))
        .json(json!({"method": "PATCH", "type": "phonenumber", "field": "phonenumber", "entries": SEED_NUMBERS,
                     "review": true, "data": {"trunk_group_sid": tg["trunk_group_sid"]}}))
        .ok()
        .await;
    app.run_batch().await;
    t
}

fn task_path(t: &Value) -> String {
    format!("/core/v2/batch/tasks/{}", t["task_sid"].as_str().unwrap())
}

async fn did(app: &TestApp, tok: &str, number: &str) -> Value {
    let r = app.get(&format!("/core/v2/phonenumber/dids?filter=phonenumber+eq+{number}")).actor(bearer(tok)).ok().await;
    r["items"][0].clone()
}

/// Polls a task until `done` holds (bounded: never a fixed sleep).
async fn wait_until(app: &TestApp, path: &str, limit: Duration, done: impl Fn(&Value) -> bool) -> Value {
    eventually(limit, &format!("the task {path} got there"), || async {
        let t = app.get(path).actor(root()).ok().await;
        done(&t).then_some(t)
    })
    .await
}

#[tokio::test]
async fn the_seed_sample_task_is_created_reviewed_and_approved() {
    let app = TestApp::new().await;
    let (p, tok, tg) = seed_partner(&app, "batcher").await;
    let tg_sid = tg["trunk_group_sid"].as_str().unwrap();
    let t = app
        .post("/core/v2/batch/tasks")
        .actor(bearer(&tok))
        .json(json!({"method": "PATCH", "type": "phonenumber", "field": "phonenumber", "review": true,
                     "entries": SEED_NUMBERS, "data": {"trunk_group_sid": tg_sid}}))
        .ok()
        .await;
    // The create sample: status created, counters null.
    assert_eq!(keys(&t), TASK_KEYS);
    assert_eq!(t["data"], json!({"trunk_group_sid": tg_sid}));
    assert_eq!(t["entries"], json!(SEED_NUMBERS));
    assert_eq!(t["error_details"], json!([]));
    assert_eq!(t["field"], "phonenumber");
    assert_eq!(t["method"], "PATCH");
    assert_eq!(t["partner_sid"], p["partner_sid"]);
    assert_eq!(t["review"], true);
    assert_eq!(t["status"], "created");
    assert_eq!(t["type"], "phonenumber");
    for k in ["failure", "processed", "success", "total"] {
        assert_eq!(t[k], Value::Null, "{k}");
    }
    assert!(t["date_created"].as_str().unwrap().ends_with('Z'));

    // The worker computes the review: pending_review with the counters of the GET sample.
    app.run_batch().await;
    let path = task_path(&t);
    let got = app.get(&path).actor(bearer(&tok)).ok().await;
    assert_eq!(keys(&got), TASK_KEYS);
    assert_eq!(got["status"], "pending_review");
    assert_eq!((got["total"].clone(), got["processed"].clone()), (json!(2), json!(0)));
    assert_eq!((got["success"].clone(), got["failure"].clone()), (json!(0), json!(0)));
    let list = app.get("/core/v2/batch/tasks").actor(bearer(&tok)).ok().await;
    assert_eq!(keys(&list), ["count", "has_more", "items", "limit", "offset", "pagination", "total"]);
    assert_eq!((list["count"].clone(), list["total"].clone()), (json!(1), json!(1)));
    assert_eq!(list["items"][0], got);
    assert_eq!(list["pagination"], json!({}));

    // The review sample: one item per entry, the change as [old, new], the DID and its version.
    let r = app.get(&format!("{path}/review_items")).actor(bearer(&tok)).ok().await;
    assert_eq!(keys(&r), ["method", "review_items", "type"]);
    assert_eq!((r["method"].clone(), r["type"].clone()), (json!("PATCH"), json!("phonenumber")));
    let items = r["review_items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    for (item, number) in items.iter().zip(SEED_NUMBERS) {
        assert_eq!(keys(item), ["description", "fields", "sid", "version"]);
        assert_eq!(item["description"], number);
        assert_eq!(item["fields"], json!({"trunk_group_sid": [null, tg_sid]}));
        assert_eq!(item["sid"], did(&app, &tok, number).await["did_sid"]);
        // Added to the inventory (version 1), rented (2).
        assert_eq!(item["version"], 2);
    }
    // Nothing changed yet.
    assert_eq!(did(&app, &tok, SEED_NUMBERS[0]).await["trunk_group_sid"], Value::Null);

    // The update sample: approved, then run.
    let approved = app.patch(&path).actor(bearer(&tok)).json(json!({"status": "approved"})).ok().await;
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["total"], 2);
    app.run_batch().await;
    let done = app.get(&path).actor(bearer(&tok)).ok().await;
    assert_eq!(done["status"], "completed");
    assert_eq!((done["processed"].clone(), done["success"].clone()), (json!(2), json!(2)));
    assert_eq!(done["failure"], 0);
    for n in SEED_NUMBERS {
        assert_eq!(did(&app, &tok, n).await["trunk_group_sid"], tg_sid);
    }

    // The delete sample.
    let r = app.delete(&path).actor(bearer(&tok)).send().await;
    assert_eq!(r.status.as_u16(), 204);
    assert!(r.bytes.is_empty());
    assert_eq!(app.get(&path).actor(bearer(&tok)).send().await.status, 404);
}

#[tokio::test]
async fn a_task_without_review_is_queued_and_runs_and_put_approves() {
    let app = TestApp::new().await;
    let (_, tok, tg) = seed_partner(&app, "noreview").await;
    let t = app
        .post("/core/v2/batch/tasks")
        .actor(bearer(&tok))
        .json(json!({"method": "PATCH", "type": "phonenumber", "field": "phonenumber", "entries": SEED_NUMBERS,
                     "data": {"name": "bulk", "attributes": {"team": "a"}}}))
        .ok()
        .await;
    assert_eq!(t["review"], false);
    app.run_batch().await;
    let done = app.get(&task_path(&t)).actor(bearer(&tok)).ok().await;
    assert_eq!(done["status"], "completed");
    assert_eq!((done["total"].clone(), done["success"].clone()), (json!(2), json!(2)));
    let d = did(&app, &tok, SEED_NUMBERS[1]).await;
    assert_eq!((d["name"].clone(), d["attributes"].clone()), (json!("bulk"), json!({"team": "a"})));
    // No review items without a review.
    let r = app.get(&format!("{}/review_items", task_path(&t))).actor(bearer(&tok)).ok().await;
    assert_eq!(r["review_items"], json!([]));

    // PUT approves too; the nested attributes merge as a PATCH of each DID does.
    let t = app
        .post("/core/v2/batch/tasks")
        .actor(bearer(&tok))
        .json(json!({"method": "PATCH", "type": "phonenumber", "field": "phonenumber", "entries": SEED_NUMBERS,
                     "review": true, "data": {"attributes": {"floor": "2"}, "trunk_group_sid": tg["trunk_group_sid"]}}))
        .ok()
        .await;
    app.run_batch().await;
    let r = app.get(&format!("{}/review_items", task_path(&t))).actor(bearer(&tok)).ok().await;
    assert_eq!(
        r["review_items"][0]["fields"],
        json!({"attributes": [{"team": "a"}, {"floor": "2", "team": "a"}],
               "trunk_group_sid": [null, tg["trunk_group_sid"]]})
    );
    // The whole object sent back with the new status is accepted (the rest unchanged).
    let mut whole = app.get(&task_path(&t)).actor(bearer(&tok)).ok().await;
    whole["status"] = json!("approved");
    let put = app.put(&task_path(&t)).actor(bearer(&tok)).json(whole).ok().await;
    assert_eq!(put["status"], "approved");
    app.run_batch().await;
    assert_eq!(app.get(&task_path(&t)).actor(bearer(&tok)).ok().await["status"], "completed");
    assert_eq!(did(&app, &tok, SEED_NUMBERS[0]).await["attributes"], json!({"floor": "2", "team": "a"}));
}

#[tokio::test]
async fn a_cancelled_task_never_runs_and_status_changes_only_from_pending_review() {
    let app = TestApp::new().await;
    let (_, tok, _) = seed_partner(&app, "canceller").await;
    let body = json!({"method": "DELETE", "type": "phonenumber", "field": "phonenumber",
                      "entries": SEED_NUMBERS, "review": true});
    let t = app.post("/core/v2/batch/tasks").actor(bearer(&tok)).json(body.clone()).ok().await;
    let path = task_path(&t);
    // Still `created`: nothing to approve yet.
    app.patch(&path).actor(bearer(&tok)).json(json!({"status": "approved"})).send().await.assert_error(422, "status");
    app.run_batch().await;
    let r = app.get(&format!("{path}/review_items")).actor(bearer(&tok)).ok().await;
    let (p, _) = (r["review_items"][0]["fields"]["partner_sid"].clone(), ());
    assert!(p[0].is_string() && p[1].is_null(), "{r}");
    // Admin-only attributes stay out of a partner's review.
    assert!(r["review_items"][0]["fields"].get("status").is_none(), "{r}");
    // Only approved or cancelled; nothing but the status changes.
    app.patch(&path).actor(bearer(&tok)).json(json!({"status": "running"})).send().await.assert_error(422, "status");
    app.patch(&path).actor(bearer(&tok)).json(json!({"status": "completed"})).send().await.assert_error(422, "status");
    app.patch(&path).actor(bearer(&tok)).json(json!({"type": "prefix"})).send().await.assert_error(422, "type");
    app.patch(&path)
        .actor(bearer(&tok))
        .json(json!({"status": "approved", "entries": ["18053355112"]}))
        .send()
        .await
        .assert_error(422, "entries");
    app.put(&path).actor(bearer(&tok)).json(json!({"review": true})).send().await.assert_error(422, "status");
    app.patch(&path)
        .actor(bearer(&tok))
        .json(json!({"status": "approved", "colour": 1}))
        .send()
        .await
        .assert_error(422, "colour");
    // Read-only attributes are ignored; an unchanged task answers as it is.
    let same = app.patch(&path).actor(bearer(&tok)).json(json!({"total": 99, "success": 5})).ok().await;
    assert_eq!((same["status"].clone(), same["total"].clone()), (json!("pending_review"), json!(2)));

    let c = app.patch(&path).actor(bearer(&tok)).json(json!({"status": "cancelled"})).ok().await;
    assert_eq!(c["status"], "cancelled");
    app.run_batch().await;
    let after = app.get(&path).actor(bearer(&tok)).ok().await;
    assert_eq!((after["status"].clone(), after["processed"].clone()), (json!("cancelled"), json!(0)));
    assert_eq!(did(&app, &tok, SEED_NUMBERS[0]).await["phonenumber"], SEED_NUMBERS[0]);
    app.patch(&path).actor(bearer(&tok)).json(json!({"status": "approved"})).send().await.assert_error(422, "status");

    // A completed task cannot be approved again; a running one cannot be deleted.
    let t = app
        .post("/core/v2/batch/tasks")
        .actor(bearer(&tok))
        .json(json!({"method": "DELETE", "type": "phonenumber",
        "field": "phonenumber", "entries": [SEED_NUMBERS[0]]}))
        .ok()
        .await;
    app.run_batch().await;
    let done = app.get(&task_path(&t)).actor(bearer(&tok)).ok().await;
    assert_eq!((done["status"].clone(), done["success"].clone()), (json!("completed"), json!(1)));
    app.put(&task_path(&t))
        .actor(bearer(&tok))
        .json(json!({"status": "approved"}))
        .send()
        .await
        .assert_error(422, "status");
    sqlx::query("UPDATE batch_tasks SET status = 'running' WHERE task_sid = $1::uuid")
        .bind(t["task_sid"].as_str().unwrap())
        .execute(&app.state.pool)
        .await
        .unwrap();
    app.delete(&task_path(&t)).actor(bearer(&tok)).send().await.assert_error(409, "status");
}

#[tokio::test]
async fn good_and_bad_entries_give_exact_counters_and_error_details() {
    let app = TestApp::new().await;
    let (_, tok, tg) = seed_partner(&app, "mixer").await;
    stock(&app, &["13125550100".to_owned()]).await;
    let (_, other) = app.partner(&root(), "neighbour", None).await;
    let theirs = app.post("/core/v2/phonenumber/dids").actor(bearer(&other)).json(json!({})).ok().await;
    let entries = json!([SEED_NUMBERS[0], "13125550100", "19995550000", SEED_NUMBERS[1]]);
    let t = app
        .post("/core/v2/batch/tasks")
        .actor(bearer(&tok))
        .json(json!({"method": "PATCH", "type": "phonenumber", "field": "phonenumber", "entries": entries,
                     "data": {"trunk_group_sid": tg["trunk_group_sid"]}}))
        .ok()
        .await;
    app.run_batch().await;
    let done = app.get(&task_path(&t)).actor(bearer(&tok)).ok().await;
    assert_eq!(done["status"], "completed");
    assert_eq!(
        [&done["total"], &done["processed"], &done["success"], &done["failure"]],
        [&json!(4), &json!(4), &json!(2), &json!(2)]
    );
    let details = done["error_details"].as_array().unwrap();
    assert_eq!(details.len(), 2);
    assert_eq!(keys(&details[0]), ["error", "key"]);
    assert_eq!(details[0]["key"], "13125550100");
    assert_eq!(details[1]["key"], "19995550000");
    for d in details {
        assert_eq!(d["error"]["message"], "no item error");
        assert_eq!(d["error"]["errors"][0]["message"], "cannot find did");
    }
    // The neighbour's number was not touched.
    let n = app
        .get(&format!("/core/v2/phonenumber/dids/{}", theirs["did_sid"].as_str().unwrap()))
        .actor(bearer(&other))
        .ok()
        .await;
    assert_eq!(n["trunk_group_sid"], Value::Null);
    // The errors, paged.
    let e = app.get(&format!("{}/errors?limit=1", task_path(&t))).actor(bearer(&tok)).ok().await;
    assert_eq!((e["count"].clone(), e["total"].clone(), e["has_more"].clone()), (json!(1), json!(2), json!(true)));
    assert_eq!(e["items"][0], details[0]);
    assert!(e["pagination"]["next"].as_str().unwrap().contains("offset=1"));
    let e2 = app.get(&format!("{}/errors?limit=1&offset=1", task_path(&t))).actor(bearer(&tok)).ok().await;
    assert_eq!(e2["items"][0], details[1]);
    app.get(&format!("{}/errors?filter=key+eq+1", task_path(&t)))
        .actor(bearer(&tok))
        .send()
        .await
        .assert_error(400, "filter");
}

#[tokio::test]
async fn tasks_are_checked_up_front_with_the_single_object_validators() {
    let app = TestApp::new().await;
    let (_, tok, _) = seed_partner(&app, "checker").await;
    let (_, other) = app.partner(&root(), "stranger", None).await;
    let their_tg = app.post("/core/v2/trunk_groups").actor(bearer(&other)).json(json!({})).ok().await;
    let post = |body: Value| app.post("/core/v2/batch/tasks").actor(bearer(&tok)).json(body);
    // Required fields per method.
    let r = post(json!({})).send().await;
    r.assert_error(422, "type");
    r.assert_error(422, "method");
    let r = post(json!({"method": "PATCH", "type": "phonenumber"})).send().await;
    for f in ["field", "entries", "data"] {
        r.assert_error(422, f);
    }
    let r = post(json!({"method": "DELETE", "type": "phonenumber"})).send().await;
    r.assert_error(422, "field");
    r.assert_error(422, "entries");
    post(json!({"method": "POST", "type": "phonenumber"})).send().await.assert_error(422, "data");
    // Wrong values.
    post(json!({"method": "PUT", "type": "phonenumber", "data": [{}]})).send().await.assert_error(422, "method");
    post(json!({"method": "POST", "type": "file", "data": [{}]})).send().await.assert_error(422, "type");
    post(json!({"method": "DELETE", "type": "phonenumber", "field": "name", "entries": ["1"]}))
        .send()
        .await
        .assert_error(422, "field");
    let r = post(json!({"method": "DELETE", "type": "phonenumber", "field": "phonenumber",
                        "entries": ["18053355112", "call me", "18053355112"]}))
    .send()
    .await;
    r.assert_error(422, "entries[1]");
    r.assert_error(422, "entries[2]");
    post(json!({"method": "DELETE", "type": "phonenumber", "field": "did_sid", "entries": ["18053355112"]}))
        .send()
        .await
        .assert_error(422, "entries[0]");
    post(json!({"method": "DELETE", "type": "phonenumber", "field": "phonenumber", "entries": ["18053355112"],
                "data": {"name": "x"}}))
    .send()
    .await
    .assert_error(422, "data");
    post(json!({"method": "POST", "type": "phonenumber", "field": "phonenumber", "data": [{}]}))
        .send()
        .await
        .assert_error(422, "field");
    post(json!({"method": "PATCH", "type": "phonenumber", "field": "phonenumber", "entries": ["18053355112"],
                "data": [{"name": "x"}]}))
    .send()
    .await
    .assert_error(422, "data");
    // The data goes through the validators of the single routes.
    post(json!({"method": "PATCH", "type": "phonenumber", "field": "phonenumber", "entries": ["18053355112"],
                "data": {"trunk_group_sid": their_tg["trunk_group_sid"]}}))
    .send()
    .await
    .assert_error(422, "data.trunk_group_sid");
    let r = post(json!({"method": "POST", "type": "phonenumber", "data": [
        {"phonenumber": "15162065319"},
        {"transformations": [{"action": "explode", "operands": []}]},
        {"callback_url": "ftp://x"},
        {"phonenumber": "15162065319"},
        {"colour": "red"},
        7
    ]}))
    .send()
    .await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.text());
    let fields: Vec<&str> = r.json["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert!(fields.iter().any(|f| f.starts_with("data[1].transformations")), "{fields:?}");
    for f in ["data[2].callback_url", "data[3].phonenumber", "data[4].colour", "data[5]"] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    post(json!({"method": "POST", "type": "prefix", "data": [{"prefix": "1x"}]}))
        .send()
        .await
        .assert_error(422, "data[0].prefix");
    post(json!({"method": "PATCH", "type": "prefix", "field": "prefix", "entries": ["1"], "data": {"prefix": ""}}))
        .send()
        .await
        .assert_error(422, "data.prefix");
    app.post("/core/v2/batch/tasks?filter=colour+eq+red")
        .actor(bearer(&tok))
        .json(json!({"method": "POST", "type": "phonenumber", "data": [{}]}))
        .send()
        .await
        .assert_error(400, "filter");
    // Nothing was stored.
    assert_eq!(app.get("/core/v2/batch/tasks").actor(bearer(&tok)).ok().await["total"], 0);
    // More entries than a task holds.
    let many: Vec<String> = range(10_000_000_000, 10_001);
    post(json!({"method": "DELETE", "type": "phonenumber", "field": "phonenumber", "entries": many}))
        .send()
        .await
        .assert_error(422, "entries");
}

#[tokio::test]
async fn batch_scopes_and_the_scopes_of_the_change() {
    let app = TestApp::new().await;
    let (p, _, _) = seed_partner(&app, "scoped").await;
    let sid = p["partner_sid"].as_str().unwrap();
    let body = json!({"method": "DELETE", "type": "phonenumber", "field": "phonenumber", "entries": SEED_NUMBERS});
    let read_only = app.token_for(&root(), sid, Some("batch.read phonenumber.manage")).await;
    app.post("/core/v2/batch/tasks")
        .actor(bearer(&read_only))
        .json(body.clone())
        .send()
        .await
        .assert_error(403, "cause");
    let no_numbers = app.token_for(&root(), sid, Some("batch.manage phonenumber.read")).await;
    app.post("/core/v2/batch/tasks")
        .actor(bearer(&no_numbers))
        .json(body.clone())
        .send()
        .await
        .assert_error(403, "cause");
    let ok = app.token_for(&root(), sid, Some("batch.create phonenumber.delete")).await;
    let t = app.post("/core/v2/batch/tasks").actor(bearer(&ok)).json(body).ok().await;
    app.get(&task_path(&t)).actor(bearer(&ok)).send().await.assert_error(403, "cause");
    let reader = app.token_for(&root(), sid, Some("batch.read")).await;
    app.get(&task_path(&t)).actor(bearer(&reader)).ok().await;
    app.delete(&task_path(&t)).actor(bearer(&reader)).send().await.assert_error(403, "cause");
}

#[tokio::test]
async fn another_partners_task_is_not_found_and_admin_sees_all() {
    let app = TestApp::new().await;
    let (_, tok, _) = seed_partner(&app, "owner").await;
    let (_, other) = app.partner(&root(), "intruder", None).await;
    let t = app
        .post("/core/v2/batch/tasks")
        .actor(bearer(&tok))
        .json(json!({"method": "DELETE", "type": "phonenumber", "field": "phonenumber", "entries": SEED_NUMBERS,
                     "review": true}))
        .ok()
        .await;
    let path = task_path(&t);
    app.run_batch().await;
    for r in [
        app.get(&path).actor(bearer(&other)).send().await,
        app.patch(&path).actor(bearer(&other)).json(json!({"status": "approved"})).send().await,
        app.delete(&path).actor(bearer(&other)).send().await,
        app.get(&format!("{path}/review_items")).actor(bearer(&other)).send().await,
        app.get(&format!("{path}/review_items.csv")).actor(bearer(&other)).send().await,
        app.get(&format!("{path}/errors")).actor(bearer(&other)).send().await,
    ] {
        assert_eq!(r.status.as_u16(), 404, "{}", r.text());
        assert_eq!(r.json["message"], "no item error");
    }
    assert_eq!(app.get("/core/v2/batch/tasks").actor(bearer(&other)).ok().await["total"], 0);
    // The intruder's own task cannot reach the owner's numbers.
    let t2 = app
        .post("/core/v2/batch/tasks")
        .actor(bearer(&other))
        .json(json!({"method": "DELETE", "type": "phonenumber", "field": "phonenumber", "entries": SEED_NUMBERS}))
        .ok()
        .await;
    app.run_batch().await;
    let done = app.get(&task_path(&t2)).actor(bearer(&other)).ok().await;
    assert_eq!((done["success"].clone(), done["failure"].clone()), (json!(0), json!(2)));
    assert_eq!(did(&app, &tok, SEED_NUMBERS[0]).await["phonenumber"], SEED_NUMBERS[0]);
    // The admin routes see every task; the parent sees its children's.
    let all = app.get("/core/v2/admin/batch/tasks?filter=status+eq+completed").actor(root()).ok().await;
    assert_eq!(all["total"], 1);
    assert_eq!(app.get("/core/v2/batch/tasks").actor(root()).ok().await["total"], 2);
    app.get(&format!("/core/v2/admin/batch/tasks/{}", t["task_sid"].as_str().unwrap())).actor(root()).ok().await;
}

#[tokio::test]
async fn renting_releasing_and_moving_numbers_by_task() {
    let app = TestApp::new().await;
    stock(&app, &range(13125550100, 10)).await;
    stock(&app, &range(16465550100, 5)).await;
    let (p, tok) = app.partner(&root(), "renter", None).await;
    let (_, other) = app.partner(&root(), "early", None).await;
    app.post("/core/v2/phonenumber/dids").actor(bearer(&other)).json(json!({"phonenumber": "13125550105"})).ok().await;
    let tg = app.post("/core/v2/trunk_groups").actor(bearer(&tok)).json(json!({})).ok().await;
    // Two listed numbers (one taken already), two first-available ones matching the filter.
    let t = app
        .post("/core/v2/batch/tasks?filter=phonenumber+like+%271646%25%27")
        .actor(bearer(&tok))
        .json(json!({"method": "POST", "type": "phonenumber", "data": [
            {"phonenumber": "13125550101", "name": "main", "trunk_group_sid": tg["trunk_group_sid"]},
            {"phonenumber": "13125550105"},
            {"name": "first"},
            {"name": "second"}
        ]}))
        .ok()
        .await;
    assert_eq!((t["entries"].clone(), t["field"].clone()), (Value::Null, Value::Null));
    app.run_batch().await;
    let done = app.get(&task_path(&t)).actor(bearer(&tok)).ok().await;
    assert_eq!([&done["success"], &done["failure"]], [&json!(3), &json!(1)]);
    assert_eq!(done["error_details"][0]["key"], json!({"phonenumber": "13125550105"}));
    assert_eq!(done["error_details"][0]["error"]["message"], "conflict");
    assert_eq!(done["error_details"][0]["error"]["errors"][0]["field"], "phonenumber");
    let mine = app.get("/core/v2/phonenumber/dids?order=phonenumber").actor(bearer(&tok)).ok().await;
    let numbers: Vec<&str> =
        mine["items"].as_array().unwrap().iter().map(|d| d["phonenumber"].as_str().unwrap()).collect();
    assert_eq!(numbers, ["13125550101", "16465550100", "16465550101"]);
    assert_eq!(mine["items"][0]["name"], "main");
    assert_eq!(mine["items"][0]["trunk_group_sid"], tg["trunk_group_sid"]);
    assert_eq!(mine["items"][1]["partner_sid"], p["partner_sid"]);

    // Release two by did_sid, reviewed first.
    let sids: Vec<Value> = mine["items"].as_array().unwrap()[1..].iter().map(|d| d["did_sid"].clone()).collect();
    let t = app
        .post("/core/v2/batch/tasks")
        .actor(bearer(&tok))
        .json(json!({"method": "DELETE", "type": "phonenumber", "field": "did_sid", "entries": sids, "review": true}))
        .ok()
        .await;
    app.run_batch().await;
    let r = app.get(&format!("{}/review_items", task_path(&t))).actor(bearer(&tok)).ok().await;
    assert_eq!(r["review_items"][0]["sid"], sids[0]);
    assert_eq!(r["review_items"][0]["fields"]["partner_sid"], json!([p["partner_sid"], null]));
    app.patch(&task_path(&t)).actor(bearer(&tok)).json(json!({"status": "approved"})).ok().await;
    app.run_batch().await;
    assert_eq!(app.get(&task_path(&t)).actor(bearer(&tok)).ok().await["success"], 2);
    let gone =
        app.get(&format!("/core/v2/phonenumber/dids/{}", sids[0].as_str().unwrap())).actor(bearer(&tok)).send().await;
    assert_eq!(gone.status, 404);
    let aged = app.get(&format!("/core/v2/admin/dids/{}", sids[0].as_str().unwrap())).actor(root()).ok().await;
    assert_eq!(aged["status"], "aging");
}

#[tokio::test]
async fn a_change_after_the_review_fails_its_entry() {
    let app = TestApp::new().await;
    let (_, tok, tg) = seed_partner(&app, "racer").await;
    let t = reviewed_move(&app, &tok, &tg).await;
    let d = did(&app, &tok, SEED_NUMBERS[1]).await;
    app.patch(&format!("/core/v2/phonenumber/dids/{}", d["did_sid"].as_str().unwrap()))
        .actor(bearer(&tok))
        .json(json!({"name": "changed meanwhile"}))
        .ok()
        .await;
    // An update that changes nothing keeps the version.
    let d0 = did(&app, &tok, SEED_NUMBERS[0]).await;
    app.patch(&format!("/core/v2/phonenumber/dids/{}", d0["did_sid"].as_str().unwrap()))
        .actor(bearer(&tok))
        .json(json!({"name": "N/A"}))
        .ok()
        .await;
    app.patch(&task_path(&t)).actor(bearer(&tok)).json(json!({"status": "approved"})).ok().await;
    app.run_batch().await;
    let done = app.get(&task_path(&t)).actor(bearer(&tok)).ok().await;
    assert_eq!([&done["success"], &done["failure"]], [&json!(1), &json!(1)]);
    assert_eq!(done["error_details"][0]["key"], SEED_NUMBERS[1]);
    let msg = done["error_details"][0]["error"]["errors"][0]["message"].as_str().unwrap();
    assert!(msg.contains("changed after the review"), "{msg}");
    assert_eq!(did(&app, &tok, SEED_NUMBERS[1]).await["trunk_group_sid"], Value::Null);
    assert_eq!(did(&app, &tok, SEED_NUMBERS[0]).await["trunk_group_sid"], tg["trunk_group_sid"]);
}

#[tokio::test]
async fn prefixes_are_created_changed_and_deleted_by_task() {
    let app = TestApp::new().await;
    let (_, tok) = app.partner(&root(), "prefixes", None).await;
    let tg = app.post("/core/v2/trunk_groups").actor(bearer(&tok)).json(json!({})).ok().await;
    let t = app
        .post("/core/v2/batch/tasks")
        .actor(bearer(&tok))
        .json(json!({"method": "POST", "type": "prefix", "review": true, "data": [
            {"prefix": "51625", "trunk_group_sid": tg["trunk_group_sid"]}, {"prefix": "999", "name": "nines"}, {"prefix": "777"}
        ]}))
        .ok()
        .await;
    app.run_batch().await;
    let r = app.get(&format!("{}/review_items", task_path(&t))).actor(bearer(&tok)).ok().await;
    assert_eq!(r["type"], "prefix");
    assert_eq!(r["review_items"][1]["description"], "999");
    assert_eq!(r["review_items"][1]["fields"]["name"], json!([null, "nines"]));
    assert_eq!(
        (r["review_items"][1]["sid"].clone(), r["review_items"][1]["version"].clone()),
        (Value::Null, Value::Null)
    );
    assert_eq!(app.get("/core/v2/phonenumber/prefixes").actor(bearer(&tok)).ok().await["total"], 0);
    app.patch(&task_path(&t)).actor(bearer(&tok)).json(json!({"status": "approved"})).ok().await;
    app.run_batch().await;
    let list = app.get("/core/v2/phonenumber/prefixes").actor(bearer(&tok)).ok().await;
    assert_eq!(list["total"], 3);
    assert_eq!(list["items"][0]["trunk_group_sid"], tg["trunk_group_sid"]);
    let sid_999 = list["items"][1]["prefix_sid"].clone();

    // PATCH by prefix and by prefix_sid.
    let t = app
        .post("/core/v2/batch/tasks")
        .actor(bearer(&tok))
        .json(json!({"method": "PATCH", "type": "prefix", "field": "prefix", "entries": ["51625", "777", "4"],
                     "data": {"callback_url": "https://example.com/cb"}}))
        .ok()
        .await;
    app.run_batch().await;
    let done = app.get(&task_path(&t)).actor(bearer(&tok)).ok().await;
    assert_eq!([&done["success"], &done["failure"]], [&json!(2), &json!(1)]);
    assert_eq!(done["error_details"][0]["error"]["errors"][0]["message"], "cannot find prefix");
    let x = app.get("/core/v2/phonenumber/prefixes?filter=prefix+eq+777").actor(bearer(&tok)).ok().await;
    assert_eq!(x["items"][0]["callback_url"], "https://example.com/cb");
    let t = app
        .post("/core/v2/batch/tasks")
        .actor(bearer(&tok))
        .json(json!({"method": "DELETE", "type": "prefix", "field": "prefix_sid", "entries": [sid_999]}))
        .ok()
        .await;
    app.run_batch().await;
    assert_eq!(app.get(&task_path(&t)).actor(bearer(&tok)).ok().await["success"], 1);
    assert_eq!(app.get("/core/v2/phonenumber/prefixes").actor(bearer(&tok)).ok().await["total"], 2);
}

#[tokio::test]
async fn the_review_items_download_as_csv_with_field_filtering() {
    let app = TestApp::new().await;
    let (_, tok, tg) = seed_partner(&app, "csv").await;
    let t = app
        .post("/core/v2/batch/tasks")
        .actor(bearer(&tok))
        .json(json!({"method": "PATCH", "type": "phonenumber", "field": "phonenumber", "entries": SEED_NUMBERS,
                     "review": true, "data": {"trunk_group_sid": tg["trunk_group_sid"], "name": "a, \"quoted\" name"}}))
        .ok()
        .await;
    app.run_batch().await;
    let r = app.get(&format!("{}/review_items.csv", task_path(&t))).actor(bearer(&tok)).send().await;
    assert_eq!(r.status.as_u16(), 200);
    assert_eq!(r.headers["content-type"], "text/csv; charset=utf-8");
    assert!(r.headers["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let mut reader = csv::Reader::from_reader(r.bytes.as_slice());
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), ["description", "fields", "sid", "version"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][0], SEED_NUMBERS[0]);
    let fields: Value = serde_json::from_str(&rows[0][1]).unwrap();
    assert_eq!(fields["name"], json!(["N/A", "a, \"quoted\" name"]));
    assert_eq!(&rows[0][3], "2");
    let r = app
        .get(&format!("{}/review_items.csv?include_fields=description,sid", task_path(&t)))
        .actor(bearer(&tok))
        .send()
        .await;
    let mut reader = csv::Reader::from_reader(r.bytes.as_slice());
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), ["description", "sid"]);
    let r =
        app.get(&format!("{}/review_items?exclude_fields=review_items", task_path(&t))).actor(bearer(&tok)).ok().await;
    assert_eq!(keys(&r), ["method", "type"]);
}

#[tokio::test]
async fn two_workers_on_one_database_run_every_task_exactly_once() {
    let app = TestApp::new().await;
    stock(&app, &range(14155550000, 400)).await;
    let (_, tok) = app.partner(&root(), "twoworkers", None).await;
    let second = app.another_instance().await;
    let w1 = tokio::spawn(carrierx_core::jobs::batch::run(app.state.clone()));
    let w2 = tokio::spawn(carrierx_core::jobs::batch::run(second.state.clone()));
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let data: Vec<Value> = (0..75).map(|_| json!({})).collect();
        let t = app
            .post("/core/v2/batch/tasks")
            .actor(bearer(&tok))
            .json(json!({"method": "POST", "type": "phonenumber", "data": data}))
            .ok()
            .await;
        tasks.push(task_path(&t));
    }
    for path in &tasks {
        let t = wait_until(&app, path, Duration::from_secs(60), |t| t["status"] == "completed").await;
        assert_eq!(t["total"], 75);
        assert_eq!([&t["processed"], &t["success"], &t["failure"]], [&json!(75), &json!(75), &json!(0)]);
    }
    w1.abort();
    w2.abort();
    let mine = app.get("/core/v2/phonenumber/dids?limit=1").actor(bearer(&tok)).ok().await;
    assert_eq!(mine["total"], 300);
    let left = app.get("/core/v2/phonenumber/available_dids?limit=1000").actor(bearer(&tok)).ok().await;
    assert_eq!(left["count"], 100);
}

/// Small chunks with a pause between them, a short claim: the kill lands mid-task and the
/// restarted server takes over quickly.
const CRASH_SETTINGS: &[(&str, &str)] = &[
    ("CARRIERX_BATCH_CHUNK_SIZE", "5"),
    ("CARRIERX_BATCH_CHUNK_PAUSE_MS", "40"),
    ("CARRIERX_BATCH_CLAIM_TIMEOUT_SECONDS", "2"),
    ("CARRIERX_BATCH_POLL_MS", "50"),
];

#[tokio::test]
async fn a_server_killed_mid_task_resumes_without_losing_or_repeating_entries() {
    let app = TestApp::new().await;
    stock(&app, &range(12125550000, 400)).await;
    let (_, tok) = app.partner(&root(), "crashy", None).await;
    let data: Vec<Value> = (0..300).map(|i| json!({"name": format!("n{i}")})).collect();
    let t = app
        .post("/core/v2/batch/tasks")
        .actor(bearer(&tok))
        .json(json!({"method": "POST", "type": "phonenumber", "data": data}))
        .ok()
        .await;
    let path = task_path(&t);
    let mut server = Server::start(&app, CRASH_SETTINGS);
    let running =
        wait_until(&app, &path, Duration::from_secs(60), |t| t["processed"].as_i64().unwrap_or(0) >= 20).await;
    assert_eq!(running["status"], "running");
    // SIGKILL: no shutdown, a chunk may be half applied in its open transaction.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let at_kill = app.get(&path).actor(root()).ok().await;
    let processed = at_kill["processed"].as_i64().unwrap();
    assert!(processed < 300, "the task finished before the kill: {at_kill}");
    assert_eq!(at_kill["status"], "running");
    // Every committed chunk is counted, and nothing else was applied.
    let mine = app.get("/core/v2/phonenumber/dids?limit=1").actor(bearer(&tok)).ok().await;
    assert_eq!(mine["total"].as_i64().unwrap(), processed);

    // Restarted, the server takes the stale claim over and finishes the task.
    let _server = Server::start(&app, CRASH_SETTINGS);
    let done = wait_until(&app, &path, Duration::from_secs(90), |t| t["status"] == "completed").await;
    assert_eq!([&done["total"], &done["processed"], &done["success"]], [&json!(300), &json!(300), &json!(300)]);
    assert_eq!(done["failure"], 0);
    let mine = app.get("/core/v2/phonenumber/dids?limit=1000&order=name").actor(bearer(&tok)).ok().await;
    assert_eq!(mine["total"], 300);
    let mut names: Vec<String> =
        mine["items"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap().to_owned()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 300, "every data object rented exactly one number");
    let left = app.get("/core/v2/phonenumber/available_dids?limit=1000").actor(bearer(&tok)).ok().await;
    assert_eq!(left["count"], 100);
}

#[tokio::test]
async fn the_unfinished_tasks_of_a_deleted_partner_are_cancelled() {
    let app = TestApp::new().await;
    let (p, tok, tg) = seed_partner(&app, "leaver").await;
    let t = reviewed_move(&app, &tok, &tg).await;
    let r = app.delete(&format!("/core/v2/partners/{}", p["partner_sid"].as_str().unwrap())).actor(root()).send().await;
    assert_eq!(r.status.as_u16(), 204, "{}", r.text());
    let admin_path = format!("/core/v2/admin/batch/tasks/{}", t["task_sid"].as_str().unwrap());
    let after = app.get(&admin_path).actor(root()).ok().await;
    assert_eq!((after["status"].clone(), after["processed"].clone()), (json!("cancelled"), json!(0)));
    app.patch(&admin_path).actor(root()).json(json!({"status": "approved"})).send().await.assert_error(422, "status");
}

#[tokio::test]
async fn the_review_binds_the_approval() {
    let app = TestApp::new().await;
    let (p, tok, tg) = seed_partner(&app, "bound").await;
    let sid = p["partner_sid"].as_str().unwrap();
    // A misspelled change is refused as a PATCH of one number refuses it.
    app.post("/core/v2/batch/tasks")
        .actor(bearer(&tok))
        .json(json!({"method": "PATCH", "type": "phonenumber", "field": "phonenumber", "entries": SEED_NUMBERS,
                     "data": {"nmae": "x"}}))
        .send()
        .await
        .assert_error(422, "data.nmae");
    // An entry the review finds failing is not applied after approval, even if it would work then.
    stock(&app, &["13125550777".to_owned()]).await;
    let (_, other) = app.partner(&root(), "holder", None).await;
    let held = app
        .post("/core/v2/phonenumber/dids")
        .actor(bearer(&other))
        .json(json!({"phonenumber": "13125550777"}))
        .ok()
        .await;
    let t = app
        .post("/core/v2/batch/tasks")
        .actor(bearer(&tok))
        .json(
            json!({"method": "POST", "type": "phonenumber", "review": true, "data": [{"phonenumber": "13125550777"}]}),
        )
        .ok()
        .await;
    app.run_batch().await;
    let r = app.get(&format!("{}/review_items", task_path(&t))).actor(bearer(&tok)).ok().await;
    let item = &r["review_items"][0];
    assert!(item["description"].as_str().unwrap().contains("fails"), "{r}");
    assert_eq!(item["version"], 0);
    app.delete(&format!("/core/v2/phonenumber/dids/{}", held["did_sid"].as_str().unwrap()))
        .actor(bearer(&other))
        .send()
        .await;
    sqlx::query("UPDATE dids SET status = 'available', aging_until = NULL WHERE phonenumber = '13125550777'")
        .execute(&app.state.pool)
        .await
        .unwrap();
    // Approving needs the right to do what the task does.
    let approver = app.token_for(&root(), sid, Some("batch.update")).await;
    let r = app.patch(&task_path(&t)).actor(bearer(&approver)).json(json!({"status": "approved"})).send().await;
    assert_eq!(r.status.as_u16(), 403, "{}", r.text());
    app.patch(&task_path(&t)).actor(bearer(&tok)).json(json!({"status": "approved"})).ok().await;
    app.run_batch().await;
    let done = app.get(&task_path(&t)).actor(bearer(&tok)).ok().await;
    assert_eq!([&done["success"], &done["failure"]], [&json!(0), &json!(1)]);
    let msg = done["error_details"][0]["error"]["errors"][0]["message"].as_str().unwrap();
    assert!(msg.contains("review found"), "{msg}");

    // A task made through the admin routes acts on every partner: only the admin routes see it.
    let a = app
        .post("/core/v2/admin/batch/tasks")
        .actor(root())
        .json(json!({"method": "PATCH", "type": "phonenumber", "field": "phonenumber", "entries": SEED_NUMBERS,
                     "review": true, "data": {"name": "by admin"}}))
        .ok()
        .await;
    let plain = format!("/core/v2/batch/tasks/{}", a["task_sid"].as_str().unwrap());
    assert_eq!(app.get(&plain).actor(root()).send().await.status, 404);
    assert_eq!(
        app.get(&format!("/core/v2/admin/batch/tasks/{}", a["task_sid"].as_str().unwrap())).actor(root()).ok().await
            ["task_sid"],
        a["task_sid"]
    );
    let listed = app
        .get(&format!("/core/v2/batch/tasks?filter=task_sid+eq+{}", a["task_sid"].as_str().unwrap()))
        .actor(root())
        .ok()
        .await;
    assert_eq!(listed["total"], 0);
    let _ = tg;
}
