use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::http::input::{Ignored, Maybe, Problems};
use crate::resources::partners::types::Partner;

/// The Endpoint object. `allow_custom_caller_id`, `auth_required`, `id`, `insecure_address` and
/// `template_sid` show through the admin routes only; `partner` with `with_related=true`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Endpoint {
    pub addresses: Vec<Address>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_custom_caller_id: Option<bool>,
    #[schema(value_type = Object)]
    pub attributes: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_required: Option<bool>,
    pub capacity: i32,
    pub endpoint_sid: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insecure_address: Option<bool>,
    pub name: String,
    pub out_sip_password: Option<String>,
    pub out_sip_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner: Option<Box<Partner>>,
    pub partner_sid: Uuid,
    #[schema(value_type = Object)]
    pub properties: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_sid: Option<Option<Uuid>>,
    #[schema(value_type = Vec<crate::domain::transformations::Transformation>)]
    pub transformations: Value,
    #[serde(rename = "type")]
    pub kind: String,
    pub voip_token: Option<String>,
}

/// The Endpoint Address object, with its defaults filled in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Address {
    pub direction: String,
    pub dst_port: i64,
    pub ip: String,
    pub location_sid: Option<String>,
    pub port: i64,
    pub priority: i64,
    pub sip_password: Option<String>,
    pub sip_username: Option<String>,
    pub srtp: bool,
    pub transport: String,
}

/// An Endpoint in a request body.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointInput {
    #[serde(default)]
    pub addresses: Maybe<Vec<Value>>,
    #[serde(default)]
    pub allow_custom_caller_id: Maybe<bool>,
    #[serde(default)]
    pub attributes: Maybe<Map<String, Value>>,
    #[serde(default)]
    pub auth_required: Maybe<bool>,
    #[serde(default)]
    pub capacity: Maybe<i64>,
    #[serde(default)]
    pub insecure_address: Maybe<bool>,
    #[serde(default)]
    pub name: Maybe<String>,
    #[serde(default)]
    pub out_sip_password: Maybe<String>,
    #[serde(default)]
    pub out_sip_username: Maybe<String>,
    #[serde(default)]
    pub partner_sid: Maybe<String>,
    #[serde(default)]
    pub properties: Maybe<Map<String, Value>>,
    #[serde(default)]
    pub transformations: Maybe<Value>,
    #[serde(default, rename = "type")]
    pub kind: Maybe<String>,
    #[serde(default)]
    pub endpoint_sid: Ignored,
    #[serde(default)]
    pub id: Ignored,
    #[serde(default)]
    pub partner: Ignored,
    #[serde(default)]
    pub template_sid: Ignored,
    #[serde(default)]
    pub voip_token: Ignored,
}

pub const TYPES: &[&str] = &[
    "conference",
    "conference_playback",
    "flexml",
    "mediator",
    "peering_receiver",
    "peering_sender",
    "system_gateway",
    "third_party",
    "voicemail",
];

/// Hosted by CarrierX: generated properties, no token, and after creation only `name` and
/// `capacity` change (and `properties` for voicemail).
pub const HOSTED: &[&str] = &["conference", "conference_playback", "flexml", "mediator", "voicemail"];

pub const UPDATABLE: &[&str] = &["addresses", "attributes", "capacity", "name", "properties", "transformations"];
pub const ADMIN_UPDATABLE: &[&str] = &["allow_custom_caller_id", "auth_required", "insecure_address"];

/// The properties a user may set, per type (the others are generated and read only).
pub fn settable_properties(kind: &str) -> &'static [&'static str] {
    match kind {
        "conference" | "flexml" => &["container_sid"],
        "conference_playback" => &["conference_endpoint_sid"],
        "voicemail" => &["callback_method", "callback_url", "container_sid", "greeting", "max_duration"],
        _ => &[],
    }
}

/// The properties generated for a type, read only.
pub fn generated_properties(kind: &str) -> &'static [&'static str] {
    match kind {
        "conference" | "flexml" | "mediator" => &["account_sid", "api_url", "login", "password"],
        _ => &[],
    }
}

fn int_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn is_host(s: &str) -> bool {
    if s.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// Parses the addresses of a body, filling in the defaults and naming every bad field.
pub fn parse_addresses(items: &[Value], p: &mut Problems) -> Vec<Address> {
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = |f: &str| format!("addresses[{i}].{f}");
        let Value::Object(m) = item else {
            p.add(format!("addresses[{i}]"), "must be an address object");
            continue;
        };
        for k in m.keys() {
            if ![
                "direction",
                "dst_port",
                "ip",
                "location_sid",
                "port",
                "priority",
                "sip_password",
                "sip_username",
                "srtp",
                "transport",
            ]
            .contains(&k.as_str())
            {
                p.add(at(k), "unknown field");
            }
        }
        let text = |k: &str, p: &mut Problems| -> Option<String> {
            match m.get(k) {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) => {
                    p.add(at(k), "must be a string");
                    None
                }
            }
        };
        let int = |k: &str, default: i64, p: &mut Problems| -> i64 {
            match m.get(k) {
                None | Some(Value::Null) => default,
                Some(v) => int_of(v).unwrap_or_else(|| {
                    p.add(at(k), "must be an integer");
                    default
                }),
            }
        };
        let ip = text("ip", p).unwrap_or_default();
        if ip.is_empty() {
            p.add(at("ip"), "field is required");
        } else if !is_host(&ip) {
            p.add(at("ip"), "must be an IP address or a fully qualified domain name");
        }
        let direction = text("direction", p).unwrap_or_else(|| "any".into());
        p.check(
            ["any", "inbound", "outbound"].contains(&direction.as_str()),
            &at("direction"),
            "must be inbound, outbound or any",
        );
        let transport = text("transport", p).unwrap_or_else(|| "udp".into());
        p.check(["tcp", "tls", "udp"].contains(&transport.as_str()), &at("transport"), "must be tcp, tls or udp");
        let port = int("port", 5060, p);
        p.check((1..=65535).contains(&port), &at("port"), "must be a port number (1 to 65535)");
        let dst_port = int("dst_port", 5060, p);
        p.check((5060..=5069).contains(&dst_port), &at("dst_port"), "must be a port CarrierX listens on: 5060 to 5069");
        let priority = int("priority", 0, p);
        p.check(priority >= 0, &at("priority"), "must not be negative");
        let srtp = match m.get("srtp") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                p.add(at("srtp"), "must be true or false");
                false
            }
        };
        if srtp && transport != "tls" {
            p.add(at("srtp"), "SRTP needs the tls transport");
        }
        out.push(Address {
            direction,
            dst_port,
            ip,
            location_sid: text("location_sid", p),
            port,
            priority,
            sip_password: text("sip_password", p),
            sip_username: text("sip_username", p),
            srtp,
            transport,
        });
    }
    out
}

/// Checks user-set properties of a type: known keys, and their values.
pub fn check_properties(kind: &str, props: &Map<String, Value>, p: &mut Problems) {
    let settable = settable_properties(kind);
    for (k, v) in props {
        let field = format!("properties.{k}");
        if !settable.contains(&k.as_str()) {
            if generated_properties(kind).contains(&k.as_str()) {
                p.add(field, "is generated and cannot be set");
            } else {
                p.add(field, format!("unknown property for a {kind} endpoint"));
            }
            continue;
        }
        match (k.as_str(), v) {
            (_, Value::Null) => {}
            ("callback_method", Value::String(s)) if s == "POST" || s == "GET" => {}
            ("callback_method", _) => p.add(field, "must be POST or GET"),
            ("max_duration", Value::Number(n)) if n.as_f64().is_some_and(|x| x > 0.0) => {}
            ("max_duration", _) => p.add(field, "must be a positive number of seconds"),
            ("callback_url", Value::String(s))
                if s.is_empty() || s.starts_with("http://") || s.starts_with("https://") => {}
            ("callback_url", _) => p.add(field, "must be an http(s) URL"),
            (_, Value::String(_)) => {}
            _ => p.add(field, "must be a string"),
        }
    }
}

crate::resources::partners::ops::carries_partner!(Endpoint);
