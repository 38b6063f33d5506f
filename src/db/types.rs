//! Column types of the domain: a `text[]` of scope names read straight into a [`ScopeSet`]
//! (no string allocated per scope), and written back as the sorted names.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueFormat, PgValueRef};
use sqlx::{Decode, Encode, Postgres, Type};

use crate::domain::scopes::{Scope, ScopeSet};

impl Type<Postgres> for ScopeSet {
    fn type_info() -> PgTypeInfo {
        <Vec<String> as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <Vec<String> as Type<Postgres>>::compatible(ty)
    }
}

impl Encode<'_, Postgres> for ScopeSet {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        let names: Vec<&str> = self.sorted().map(Scope::as_str).collect();
        <Vec<&str> as Encode<Postgres>>::encode_by_ref(&names, buf)
    }
}

impl<'r> Decode<'r, Postgres> for ScopeSet {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        let mut set = ScopeSet::EMPTY;
        match value.format() {
            PgValueFormat::Binary => {
                let mut b = value.as_bytes()?;
                let mut take = |n: usize| -> Result<&[u8], BoxDynError> {
                    if b.len() < n {
                        return Err("truncated array".into());
                    }
                    let (head, rest) = b.split_at(n);
                    b = rest;
                    Ok(head)
                };
                let i32_of = |s: &[u8]| i32::from_be_bytes([s[0], s[1], s[2], s[3]]);
                let ndim = i32_of(take(4)?);
                take(8)?; // has-nulls flag and element type
                if ndim == 0 {
                    return Ok(set);
                }
                if ndim != 1 {
                    return Err("a list of scopes has one dimension".into());
                }
                let len = i32_of(take(4)?);
                take(4)?; // lower bound
                for _ in 0..len {
                    let n = i32_of(take(4)?);
                    if n < 0 {
                        continue;
                    }
                    let name = std::str::from_utf8(take(n as usize)?)?;
                    if let Some(s) = Scope::parse(name) {
                        set.insert(s);
                    }
                }
            }
            PgValueFormat::Text => {
                let text = value.as_str()?;
                let inner = text.trim().trim_start_matches('{').trim_end_matches('}');
                for item in inner.split(',') {
                    if let Some(s) = Scope::parse(item.trim().trim_matches('"')) {
                        set.insert(s);
                    }
                }
            }
        }
        Ok(set)
    }
}
