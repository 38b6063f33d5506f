//! Push applications, devices and deliveries: all their SQL.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::types::{Application, Delivery, Device};
use crate::db::listing::{self, Field, FieldType as T, ListQuery, ListSpec, Page};
use crate::db::RepoResult;
use crate::db::Tenancy;

const APP_COLUMNS: &str = "a.application_sid, a.partner_sid, a.name, a.apns_id, a.apns_key_id, a.apns_team_id, \
    a.apns_topic, a.apns_p12_expiration, a.google_id, a.secrets, p.tree_path";
const APP_FROM: &str = "push_applications a JOIN partners p ON p.partner_sid = a.partner_sid";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ApplicationRow {
    pub application_sid: Uuid,
    pub partner_sid: Uuid,
    pub name: String,
    pub apns_id: Option<String>,
    pub apns_key_id: Option<String>,
    pub apns_team_id: Option<String>,
    pub apns_topic: Option<String>,
    pub apns_p12_expiration: Option<DateTime<Utc>>,
    pub google_id: Option<String>,
    /// `{"<field>": {"hash": ..., "mask": ...}}`.
    pub secrets: Value,
    pub tree_path: String,
}

impl ApplicationRow {
    /// A secret's mask, if it is set.
    pub fn mask(&self, field: &str) -> Option<String> {
        self.secrets.get(field).and_then(|s| s.get("mask")).and_then(Value::as_str).map(str::to_owned)
    }

    pub fn has(&self, field: &str) -> bool {
        self.secrets.get(field).is_some()
    }

    pub fn to_wire(&self) -> Application {
        Application {
            apns_id: self.apns_id.clone(),
            apns_key_id: self.apns_key_id.clone(),
            apns_p8: self.mask("apns_p8"),
            apns_p12: self.mask("apns_p12"),
            apns_p12_expiration: self.apns_p12_expiration.map(Into::into),
            apns_p12_password: self.mask("apns_p12_password"),
            apns_team_id: self.apns_team_id.clone(),
            apns_topic: self.apns_topic.clone(),
            application_sid: self.application_sid,
            google_credentials: self.mask("google_credentials"),
            google_id: self.google_id.clone(),
            google_key: self.mask("google_key"),
            name: self.name.clone(),
            partner: None,
            partner_sid: self.partner_sid,
        }
    }
}

const DEVICE_COLUMNS: &str = "d.device_sid, d.partner_sid, d.application_sid, d.application_version, d.environment, \
    d.os_version, d.token, d.type, p.tree_path";
const DEVICE_FROM: &str = "push_devices d JOIN partners p ON p.partner_sid = d.partner_sid";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DeviceRow {
    pub device_sid: Uuid,
    pub partner_sid: Uuid,
    pub application_sid: Uuid,
    pub application_version: String,
    pub environment: String,
    pub os_version: String,
    pub token: String,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub tree_path: String,
}

impl DeviceRow {
    pub fn to_wire(&self) -> Device {
        Device {
            application_sid: self.application_sid,
            application_version: self.application_version.clone(),
            device_sid: self.device_sid,
            environment: self.environment.clone(),
            os_version: self.os_version.clone(),
            partner: None,
            partner_sid: self.partner_sid,
            token: self.token.clone(),
            kind: self.kind.clone(),
        }
    }
}

crate::resources::shared::owned_rows!(ApplicationRow, DeviceRow);
crate::resources::shared::cached_rows!(ApplicationRow => "push_applications", DeviceRow => "push_devices");

pub const APP_LIST: ListSpec = ListSpec {
    fields: &[
        Field::new("apns_id", "a.apns_id", T::Text),
        Field::new("apns_key_id", "a.apns_key_id", T::Text),
        Field::new("apns_team_id", "a.apns_team_id", T::Text),
        Field::new("apns_topic", "a.apns_topic", T::Text),
        Field::new("application_sid", "a.application_sid", T::Uuid),
        Field::new("name", "a.name", T::Text),
        Field::new("partner_sid", "a.partner_sid", T::Uuid),
    ],
    sid: "a.application_sid",
    default_order: "a.id",
    default_limit: 10,
    total: true,
    keyset: None,
};

pub const DEVICE_LIST: ListSpec = ListSpec {
    fields: &[
        Field::new("application_sid", "d.application_sid", T::Uuid),
        Field::new("application_version", "d.application_version", T::Text),
        Field::new("device_sid", "d.device_sid", T::Uuid),
        Field::new("environment", "d.environment", T::Text),
        Field::new("os_version", "d.os_version", T::Text),
        Field::new("partner_sid", "d.partner_sid", T::Uuid),
        Field::new("token", "d.token", T::Text),
        Field::new("type", "d.type", T::Text),
    ],
    sid: "d.device_sid",
    default_order: "d.id",
    default_limit: 10,
    total: true,
    keyset: None,
};

pub async fn list_applications<'e>(
    db: impl PgExecutor<'e> + Copy,
    t: Tenancy<'_>,
    q: &ListQuery,
) -> RepoResult<Page<ApplicationRow>> {
    let pattern = t.subtree_pattern();
    listing::fetch::<ApplicationRow, _>(db, &APP_LIST, q, APP_COLUMNS, APP_FROM, &move |qb| {
        qb.push(" AND p.status <> 'deleted' AND p.tree_path LIKE ").push_bind(pattern.clone());
    })
    .await
}

pub async fn get_application<'e>(db: impl PgExecutor<'e>, sid: Uuid, lock: bool) -> RepoResult<Option<ApplicationRow>> {
    let lock = if lock { " FOR UPDATE OF a" } else { "" };
    Ok(sqlx::query_as(&format!(
        "SELECT {APP_COLUMNS} FROM {APP_FROM} WHERE a.application_sid = $1 AND p.status <> 'deleted'{lock}"
    ))
    .bind(sid)
    .fetch_optional(db)
    .await?)
}

pub async fn save_application(db: &mut PgConnection, a: &ApplicationRow) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO push_applications (application_sid, partner_sid, name, apns_id, apns_key_id, apns_team_id, apns_topic,
             google_id, secrets)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (application_sid) DO UPDATE SET name = $3, apns_id = $4, apns_key_id = $5, apns_team_id = $6,
             apns_topic = $7, google_id = $8, secrets = $9",
    )
    .bind(a.application_sid)
    .bind(a.partner_sid)
    .bind(&a.name)
    .bind(&a.apns_id)
    .bind(&a.apns_key_id)
    .bind(&a.apns_team_id)
    .bind(&a.apns_topic)
    .bind(&a.google_id)
    .bind(&a.secrets)
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes an application and its devices.
pub async fn delete_application<'e>(db: impl PgExecutor<'e>, sid: Uuid) -> RepoResult<()> {
    sqlx::query("DELETE FROM push_applications WHERE application_sid = $1").bind(sid).execute(db).await?;
    Ok(())
}

pub async fn list_devices<'e>(
    db: impl PgExecutor<'e> + Copy,
    t: Tenancy<'_>,
    q: &ListQuery,
) -> RepoResult<Page<DeviceRow>> {
    let pattern = t.subtree_pattern();
    listing::fetch::<DeviceRow, _>(db, &DEVICE_LIST, q, DEVICE_COLUMNS, DEVICE_FROM, &move |qb| {
        qb.push(" AND p.status <> 'deleted' AND p.tree_path LIKE ").push_bind(pattern.clone());
    })
    .await
}

pub async fn get_device<'e>(db: impl PgExecutor<'e>, sid: Uuid, lock: bool) -> RepoResult<Option<DeviceRow>> {
    let lock = if lock { " FOR UPDATE OF d" } else { "" };
    Ok(sqlx::query_as(&format!(
        "SELECT {DEVICE_COLUMNS} FROM {DEVICE_FROM} WHERE d.device_sid = $1 AND p.status <> 'deleted'{lock}"
    ))
    .bind(sid)
    .fetch_optional(db)
    .await?)
}

/// `?reuse=true`: the partner's device with the same token, type and environment.
pub async fn reusable_device<'e>(
    db: impl PgExecutor<'e>,
    partner: Uuid,
    token: &str,
    kind: &str,
    environment: &str,
) -> RepoResult<Option<DeviceRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {DEVICE_COLUMNS} FROM {DEVICE_FROM}
          WHERE d.partner_sid = $1 AND d.token = $2 AND d.type = $3 AND d.environment = $4 ORDER BY d.id LIMIT 1"
    ))
    .bind(partner)
    .bind(token)
    .bind(kind)
    .bind(environment)
    .fetch_optional(db)
    .await?)
}

pub async fn save_device(db: &mut PgConnection, d: &DeviceRow) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO push_devices (device_sid, partner_sid, application_sid, application_version, environment, os_version,
             token, type)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (device_sid) DO UPDATE SET application_version = $4, environment = $5, os_version = $6, token = $7",
    )
    .bind(d.device_sid)
    .bind(d.partner_sid)
    .bind(d.application_sid)
    .bind(&d.application_version)
    .bind(&d.environment)
    .bind(&d.os_version)
    .bind(&d.token)
    .bind(&d.kind)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn delete_device<'e>(db: impl PgExecutor<'e>, sid: Uuid) -> RepoResult<()> {
    sqlx::query("DELETE FROM push_devices WHERE device_sid = $1").bind(sid).execute(db).await?;
    Ok(())
}

/// The devices among `sids` with their application's secrets (which push services it can use).
pub async fn recipients<'e>(db: impl PgExecutor<'e>, sids: &[Uuid]) -> RepoResult<Vec<(DeviceRow, ApplicationRow)>> {
    #[derive(sqlx::FromRow)]
    struct Both {
        #[sqlx(flatten)]
        device: DeviceRow,
        a_application_sid: Uuid,
        a_partner_sid: Uuid,
        a_name: String,
        a_apns_id: Option<String>,
        a_apns_key_id: Option<String>,
        a_apns_team_id: Option<String>,
        a_apns_topic: Option<String>,
        a_google_id: Option<String>,
        a_secrets: Value,
    }
    let rows: Vec<Both> = sqlx::query_as(&format!(
        "SELECT {DEVICE_COLUMNS}, a.application_sid AS a_application_sid, a.partner_sid AS a_partner_sid, a.name AS a_name,
                a.apns_id AS a_apns_id, a.apns_key_id AS a_apns_key_id, a.apns_team_id AS a_apns_team_id,
                a.apns_topic AS a_apns_topic, a.google_id AS a_google_id, a.secrets AS a_secrets
           FROM {DEVICE_FROM} JOIN push_applications a ON a.application_sid = d.application_sid
          WHERE d.device_sid = ANY($1) AND p.status <> 'deleted'"
    ))
    .bind(sids)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|b| {
            let tree_path = b.device.tree_path.clone();
            let app = ApplicationRow {
                application_sid: b.a_application_sid,
                partner_sid: b.a_partner_sid,
                name: b.a_name,
                apns_id: b.a_apns_id,
                apns_key_id: b.a_apns_key_id,
                apns_team_id: b.a_apns_team_id,
                apns_topic: b.a_apns_topic,
                apns_p12_expiration: None,
                google_id: b.a_google_id,
                secrets: b.a_secrets,
                tree_path,
            };
            (b.device, app)
        })
        .collect())
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DeliveryRow {
    pub delivery_sid: Uuid,
    pub notification_sid: Uuid,
    pub partner_sid: Uuid,
    pub device_sid: Uuid,
    pub application_sid: Option<Uuid>,
    pub device_type: Option<String>,
    pub result: String,
    pub notification: Value,
    pub date_created: DateTime<Utc>,
}

impl DeliveryRow {
    pub fn to_wire(&self) -> Delivery {
        Delivery {
            application_sid: self.application_sid,
            date_created: self.date_created.into(),
            delivery_sid: self.delivery_sid,
            device_sid: self.device_sid,
            device_type: self.device_type.clone(),
            notification: self.notification.clone(),
            notification_sid: self.notification_sid,
            partner_sid: self.partner_sid,
            result: self.result.clone(),
        }
    }
}

pub const DELIVERY_LIST: ListSpec = ListSpec {
    fields: &[
        Field::new("application_sid", "x.application_sid", T::Uuid),
        Field::new("date_created", "x.date_created", T::Timestamp),
        Field::new("delivery_sid", "x.delivery_sid", T::Uuid),
        Field::new("device_sid", "x.device_sid", T::Uuid),
        Field::new("device_type", "x.device_type", T::Text),
        Field::new("notification_sid", "x.notification_sid", T::Uuid),
        Field::new("partner_sid", "x.partner_sid", T::Uuid),
        Field::new("result", "x.result", T::Text),
    ],
    sid: "x.delivery_sid",
    default_order: "x.id",
    default_limit: 10,
    total: true,
    keyset: None,
};

pub async fn list_deliveries<'e>(db: impl PgExecutor<'e> + Copy, q: &ListQuery) -> RepoResult<Page<DeliveryRow>> {
    listing::fetch::<DeliveryRow, _>(
        db,
        &DELIVERY_LIST,
        q,
        "x.delivery_sid, x.notification_sid, x.partner_sid, x.device_sid, x.application_sid, x.device_type, x.result, \
         x.notification, x.date_created",
        "push_deliveries x",
        &|_| {},
    )
    .await
}

pub async fn insert_deliveries(db: &mut PgConnection, rows: &[DeliveryRow]) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO push_deliveries (delivery_sid, notification_sid, partner_sid, device_sid, application_sid, device_type,
                                      result, notification)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::text[], $7::text[], $8::jsonb[])",
    )
    .bind(rows.iter().map(|r| r.delivery_sid).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.notification_sid).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.partner_sid).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.device_sid).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.application_sid).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.device_type.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.result.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.notification.clone()).collect::<Vec<_>>())
    .execute(db)
    .await?;
    Ok(())
}
