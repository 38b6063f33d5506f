use std::sync::Arc;

use uuid::Uuid;

use super::*;

struct Row(u32);
impl Cacheable for Row {
    const TABLE: &'static str = "rows";
}

struct Other(u32);
impl Cacheable for Other {
    const TABLE: &'static str = "others";
}

#[test]
fn each_row_type_has_its_own_cache_found_again_by_type() {
    let objects = Objects::default();
    objects.set_live(true);
    let sid = Uuid::new_v4();
    let rows = objects.of::<Row>();
    rows.put(sid, Arc::new(Cached::new(Row(7))), rows.generation());
    assert_eq!(objects.of::<Row>().get(&sid).map(|r| r.0), Some(7));
    assert!(objects.of::<Other>().get(&sid).is_none());
}

#[test]
fn a_notification_drops_the_row_of_its_table_only() {
    let objects = Objects::default();
    objects.set_live(true);
    let sid = Uuid::new_v4();
    let (rows, others) = (objects.of::<Row>(), objects.of::<Other>());
    rows.put(sid, Arc::new(Cached::new(Row(1))), rows.generation());
    others.put(sid, Arc::new(Cached::new(Other(2))), others.generation());
    objects.on_notification(&format!("rows:{sid}"));
    assert!(rows.get(&sid).is_none());
    assert_eq!(others.get(&sid).map(|o| o.0), Some(2));
    // A payload that names nothing clearly drops everything.
    objects.on_notification("garbled:not-a-sid");
    assert!(others.get(&sid).is_none());
}

#[test]
fn a_row_read_while_it_was_invalidated_is_not_stored() {
    let objects = Objects::default();
    objects.set_live(true);
    let sid = Uuid::new_v4();
    let rows = objects.of::<Row>();
    let before = rows.generation();
    objects.invalidate("rows", &sid);
    rows.put(sid, Arc::new(Cached::new(Row(3))), before);
    assert!(rows.get(&sid).is_none());
}

#[test]
fn nothing_is_cached_while_the_notifications_are_not_heard() {
    let objects = Objects::default();
    let sid = Uuid::new_v4();
    let rows = objects.of::<Row>();
    rows.put(sid, Arc::new(Cached::new(Row(1))), rows.generation());
    assert!(rows.get(&sid).is_none());
    objects.set_live(true);
    rows.put(sid, Arc::new(Cached::new(Row(2))), rows.generation());
    assert_eq!(rows.get(&sid).map(|r| r.0), Some(2));
    objects.set_live(false);
    assert!(rows.get(&sid).is_none());
}

#[test]
fn a_notification_naming_a_table_only_drops_that_table() {
    let objects = Objects::default();
    objects.set_live(true);
    let sid = Uuid::new_v4();
    let (rows, others) = (objects.of::<Row>(), objects.of::<Other>());
    rows.put(sid, Arc::new(Cached::new(Row(1))), rows.generation());
    others.put(sid, Arc::new(Cached::new(Other(2))), others.generation());
    objects.on_notification("rows");
    assert!(rows.get(&sid).is_none());
    assert_eq!(others.get(&sid).map(|o| o.0), Some(2));
}
