//! Filter conditions to SQL, with bound values only, through a resource's allow-list.

use rust_decimal::Decimal;
use sqlx::{Postgres, QueryBuilder};

use super::filter::{Condition, Literal, Op};
use crate::domain::time::parse_instant;

/// How a field's values compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    Text,
    Int,
    Decimal,
    Bool,
    Timestamp,
    Uuid,
    /// `text[]` (e.g. scopes): `eq` tests membership.
    TextArray,
    /// `jsonb`: dot paths reach nested objects and arrays of objects.
    Json,
}

/// One filterable/sortable attribute: its wire name, SQL expression and type.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub name: &'static str,
    pub sql: &'static str,
    pub ty: FieldType,
}

impl Field {
    pub const fn new(name: &'static str, sql: &'static str, ty: FieldType) -> Self {
        Field { name, sql, ty }
    }

    pub fn sortable(&self) -> bool {
        !matches!(self.ty, FieldType::Json | FieldType::TextArray)
    }
}

pub type Qb<'a> = QueryBuilder<'a, Postgres>;

/// Appends ` AND <condition>` for each condition; the error names what is wrong.
pub fn push_conditions(qb: &mut Qb<'_>, fields: &[Field], conds: &[Condition]) -> Result<(), String> {
    for c in conds {
        let field =
            fields.iter().find(|f| f.name == c.path[0]).ok_or_else(|| format!("unknown field '{}'", c.field()))?;
        let sub = &c.path[1..];
        if !sub.is_empty() && field.ty != FieldType::Json {
            return Err(format!("unknown field '{}'", c.field()));
        }
        if c.op == Op::Nearby {
            return Err(format!("operator nearby is not available for '{}'", c.field()));
        }
        qb.push(" AND ");
        push_one(qb, field, sub, c)?;
    }
    Ok(())
}

fn bad_value(l: &Literal, field: &str, what: &str) -> String {
    format!("value '{}' of '{}' must be {}", l.text, field, what)
}

fn cmp_op(op: Op) -> &'static str {
    match op {
        Op::Eq => " = ",
        Op::Ne => " IS DISTINCT FROM ",
        Op::Gt => " > ",
        Op::Ge => " >= ",
        Op::Lt => " < ",
        Op::Le => " <= ",
        _ => unreachable!("not a comparison"),
    }
}

fn single(c: &Condition) -> Result<&Literal, String> {
    match &c.value {
        super::filter::Operand::One(l) => Ok(l),
        super::filter::Operand::List(_) => Err(format!("operator {} takes one value, not a list", c.op.as_str())),
    }
}

fn push_one(qb: &mut Qb<'_>, f: &Field, sub: &[String], c: &Condition) -> Result<(), String> {
    let name = c.field();
    if f.ty == FieldType::Json {
        return push_json(qb, f, sub, c);
    }
    // NULL tests, for any type.
    if matches!(c.op, Op::Eq | Op::Ne) {
        let l = single(c)?;
        if l.is_null() {
            qb.push(f.sql).push(if c.op == Op::Eq { " IS NULL" } else { " IS NOT NULL" });
            return Ok(());
        }
    }
    match c.op {
        Op::Like | Op::Ilike => {
            let l = single(c)?;
            let kw = if c.op == Op::Like { " LIKE " } else { " ILIKE " };
            match f.ty {
                FieldType::TextArray => {
                    qb.push("EXISTS (SELECT 1 FROM unnest(").push(f.sql).push(") AS x(v) WHERE x.v").push(kw);
                    qb.push_bind(like_pattern(&l.text)).push(")");
                }
                FieldType::Text => {
                    qb.push(f.sql).push(kw).push_bind(like_pattern(&l.text));
                }
                FieldType::Timestamp => {
                    qb.push("to_char(")
                        .push(f.sql)
                        .push(" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")
                        .push(kw);
                    qb.push_bind(like_pattern(&l.text));
                }
                _ => {
                    qb.push("(").push(f.sql).push(")::text").push(kw).push_bind(like_pattern(&l.text));
                }
            }
            Ok(())
        }
        Op::In | Op::Notin => {
            let values = c.value.values();
            if c.op == Op::Notin {
                qb.push("NOT ");
            }
            qb.push("COALESCE(");
            match f.ty {
                FieldType::TextArray => {
                    qb.push(f.sql).push(" && ").push_bind(texts(&values)).push("::text[]");
                }
                FieldType::Text => {
                    qb.push(f.sql).push(" = ANY(").push_bind(texts(&values)).push("::text[])");
                }
                FieldType::Int => {
                    let v = values.iter().map(|l| int(l, &name)).collect::<Result<Vec<_>, _>>()?;
                    qb.push(f.sql).push(" = ANY(").push_bind(v).push("::bigint[])");
                }
                FieldType::Decimal => {
                    let v = values.iter().map(|l| dec(l, &name)).collect::<Result<Vec<_>, _>>()?;
                    qb.push(f.sql).push(" = ANY(").push_bind(v).push("::numeric[])");
                }
                FieldType::Bool => {
                    let v = values.iter().map(|l| boolean(l, &name)).collect::<Result<Vec<_>, _>>()?;
                    qb.push(f.sql).push(" = ANY(").push_bind(v).push("::boolean[])");
                }
                FieldType::Timestamp => {
                    let v = values.iter().map(|l| instant(l, &name)).collect::<Result<Vec<_>, _>>()?;
                    qb.push(f.sql).push(" = ANY(").push_bind(v).push("::timestamptz[])");
                }
                FieldType::Uuid => {
                    let v: Vec<uuid::Uuid> =
                        values.iter().filter_map(|l| uuid::Uuid::parse_str(&l.text).ok()).collect();
                    qb.push(f.sql).push(" = ANY(").push_bind(v).push("::uuid[])");
                }
                FieldType::Json => unreachable!(),
            }
            qb.push(", false)");
            Ok(())
        }
        Op::Bit => {
            let l = single(c)?;
            if f.ty != FieldType::Int {
                return Err(format!("operator bit needs a numeric field, '{name}' is not"));
            }
            let v = int(l, &name)?;
            qb.push("(").push(f.sql).push(" & ").push_bind(v).push(") = ").push_bind(v);
            Ok(())
        }
        Op::Eq | Op::Ne | Op::Gt | Op::Ge | Op::Lt | Op::Le => {
            let l = single(c)?;
            let ordered = !matches!(c.op, Op::Eq | Op::Ne);
            match f.ty {
                FieldType::Text => {
                    qb.push(f.sql).push(cmp_op(c.op)).push_bind(l.text.clone());
                }
                FieldType::Int => {
                    qb.push(f.sql).push(cmp_op(c.op)).push_bind(int(l, &name)?);
                }
                FieldType::Decimal => {
                    qb.push(f.sql).push(cmp_op(c.op)).push_bind(dec(l, &name)?);
                }
                FieldType::Timestamp => {
                    qb.push(f.sql).push(cmp_op(c.op)).push_bind(instant(l, &name)?);
                }
                FieldType::Bool => {
                    if ordered {
                        return Err(format!("operator {} does not apply to the boolean '{name}'", c.op.as_str()));
                    }
                    qb.push(f.sql).push(cmp_op(c.op)).push_bind(boolean(l, &name)?);
                }
                FieldType::Uuid => match uuid::Uuid::parse_str(&l.text) {
                    Ok(u) => {
                        if ordered {
                            qb.push(f.sql).push("::text").push(cmp_op(c.op)).push_bind(u.to_string());
                        } else {
                            qb.push(f.sql).push(cmp_op(c.op)).push_bind(u);
                        }
                    }
                    Err(_) if c.op == Op::Eq => {
                        qb.push("false");
                    }
                    Err(_) if c.op == Op::Ne => {
                        qb.push("true");
                    }
                    Err(_) => {
                        qb.push(f.sql).push("::text").push(cmp_op(c.op)).push_bind(l.text.clone());
                    }
                },
                FieldType::TextArray => {
                    if ordered {
                        return Err(format!("operator {} does not apply to the list '{name}'", c.op.as_str()));
                    }
                    if c.op == Op::Ne {
                        qb.push("NOT ");
                    }
                    qb.push("COALESCE(").push_bind(l.text.clone()).push(" = ANY(").push(f.sql).push("), false)");
                }
                FieldType::Json => unreachable!(),
            }
            Ok(())
        }
        Op::Nearby => unreachable!("refused above"),
    }
}

/// A LIKE pattern whose trailing lone backslash (an error in PostgreSQL) matches a backslash.
fn like_pattern(p: &str) -> String {
    let trailing = p.chars().rev().take_while(|c| *c == '\\').count();
    if trailing % 2 == 1 {
        format!("{p}\\")
    } else {
        p.to_owned()
    }
}

fn texts(values: &[&Literal]) -> Vec<String> {
    values.iter().map(|l| l.text.clone()).collect()
}

fn int(l: &Literal, field: &str) -> Result<i64, String> {
    l.text.trim().parse::<i64>().map_err(|_| bad_value(l, field, "an integer"))
}

fn dec(l: &Literal, field: &str) -> Result<Decimal, String> {
    let t = l.text.trim();
    t.parse::<Decimal>().or_else(|_| Decimal::from_scientific(t)).map_err(|_| bad_value(l, field, "a number"))
}

fn boolean(l: &Literal, field: &str) -> Result<bool, String> {
    crate::domain::parse_bool(l.text.trim()).ok_or_else(|| bad_value(l, field, "true or false"))
}

fn instant(l: &Literal, field: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    parse_instant(&l.text)
        .ok_or_else(|| bad_value(l, field, "a date or timestamp (e.g. 2024-10-30 or 2024-10-30T18:00:00Z)"))
}

/// A jsonpath string literal.
fn jp_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A LIKE pattern as an anchored regular expression.
fn like_to_regex(p: &str) -> String {
    let mut out = String::from("^");
    for ch in p.chars() {
        match ch {
            '%' => out.push_str(".*"),
            '_' => out.push('.'),
            c if "\\.^$|?*+()[]{}".contains(c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('$');
    out
}

/// A condition on a `jsonb` field: jsonpath in lax mode, so arrays of objects are searched
/// element by element (`addresses.ip eq "1.1.2.13"`). The path and the variables are bound.
fn push_json(qb: &mut Qb<'_>, f: &Field, sub: &[String], c: &Condition) -> Result<(), String> {
    let name = c.field();
    if sub.is_empty() {
        let l = single(c)?;
        if matches!(c.op, Op::Eq | Op::Ne) && l.is_null() {
            qb.push(f.sql).push(if c.op == Op::Eq { " IS NULL" } else { " IS NOT NULL" });
            return Ok(());
        }
        return Err(format!("'{name}' is an object: filter on one of its fields, e.g. {name}.key"));
    }
    let mut path = String::from("$");
    for s in sub {
        if !s.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_') {
            return Err(format!("unknown field '{name}'"));
        }
        path.push('.');
        path.push_str(&jp_string(s));
    }
    let mut vars = serde_json::Map::new();
    let mut alternatives = Vec::new();
    let mut negate = false;
    let equal_any =
        |vars: &mut serde_json::Map<String, serde_json::Value>, alts: &mut Vec<String>, i: usize, l: &Literal| {
            if l.is_null() {
                alts.push("@ == null".into());
                return;
            }
            let s = format!("s{i}");
            vars.insert(s.clone(), serde_json::Value::String(l.text.clone()));
            alts.push(format!("@ == ${s}"));
            if let Ok(n) = l.text.trim().parse::<serde_json::Number>() {
                let k = format!("n{i}");
                vars.insert(k.clone(), serde_json::Value::Number(n));
                alts.push(format!("@ == ${k}"));
            }
            if let Some(b) = crate::domain::parse_bool(l.text.trim()).filter(|_| !l.quoted) {
                let k = format!("b{i}");
                vars.insert(k.clone(), serde_json::Value::Bool(b));
                alts.push(format!("@ == ${k}"));
            }
        };
    match c.op {
        Op::Eq | Op::Ne => {
            equal_any(&mut vars, &mut alternatives, 0, single(c)?);
            negate = c.op == Op::Ne;
        }
        Op::In | Op::Notin => {
            for (i, l) in c.value.values().into_iter().enumerate() {
                equal_any(&mut vars, &mut alternatives, i, l);
            }
            negate = c.op == Op::Notin;
        }
        Op::Gt | Op::Ge | Op::Lt | Op::Le => {
            let l = single(c)?;
            let sym = match c.op {
                Op::Gt => ">",
                Op::Ge => ">=",
                Op::Lt => "<",
                _ => "<=",
            };
            if let Ok(n) = l.text.trim().parse::<serde_json::Number>() {
                vars.insert("n0".into(), serde_json::Value::Number(n));
                alternatives.push(format!("@ {sym} $n0"));
            } else {
                vars.insert("s0".into(), serde_json::Value::String(l.text.clone()));
                alternatives.push(format!("@ {sym} $s0"));
            }
        }
        Op::Like | Op::Ilike => {
            let l = single(c)?;
            let flag = if c.op == Op::Ilike { " flag \"i\"" } else { "" };
            alternatives.push(format!("@ like_regex {}{flag}", jp_string(&like_to_regex(&l.text))));
        }
        Op::Bit | Op::Nearby => {
            return Err(format!("operator {} does not apply to '{name}'", c.op.as_str()));
        }
    }
    if alternatives.is_empty() {
        qb.push(if negate { "true" } else { "false" });
        return Ok(());
    }
    let jsonpath = format!("{path} ? ({})", alternatives.join(" || "));
    if negate {
        qb.push("NOT ");
    }
    qb.push("COALESCE(jsonb_path_exists(").push(f.sql).push(", ");
    qb.push_bind(jsonpath).push("::jsonpath, ").push_bind(serde_json::Value::Object(vars)).push("::jsonb), false)");
    Ok(())
}

#[cfg(test)]
mod tests;
