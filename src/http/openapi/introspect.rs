//! The fields an input type accepts, read from its `Deserialize` implementation: the request
//! bodies of the document are what the handlers actually parse, not a list kept beside them.

use std::cell::Cell;

use serde::de::{self, DeserializeOwned, Deserializer, IntoDeserializer, MapAccess, Visitor};

#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("introspection")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Stop
    }
}

/// Records the field names a struct asks for, then stops.
struct Names<'a>(&'a Cell<&'static [&'static str]>);

impl<'de> Deserializer<'de> for Names<'_> {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        self.0.set(fields);
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// A value that only a read-only field (`Ignored`: an optional `IgnoredAny`) takes.
struct Probe;

impl<'de> Deserializer<'de> for Probe {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Stop> {
        v.visit_some(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Stop> {
        v.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
    }
}

/// A body of one field whose value is a [`Probe`].
struct OneField(Option<&'static str>);

impl<'de> Deserializer<'de> for OneField {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Stop> {
        v.visit_map(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de> MapAccess<'de> for OneField {
    type Error = Stop;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Stop> {
        match self.0.take() {
            Some(name) => seed.deserialize(name.into_deserializer()).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<S: de::DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Stop> {
        seed.deserialize(Probe)
    }
}

/// The fields of the input struct `T` that a client sets, in declaration order (its read-only
/// fields, accepted and ignored, are left out).
pub fn writable_fields<T: DeserializeOwned>() -> Vec<&'static str> {
    let names = Cell::new(&[][..]);
    let _ = T::deserialize(Names(&names));
    names.get().iter().copied().filter(|f| T::deserialize(OneField(Some(f))).is_err()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::input::{Ignored, Maybe};

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        #[serde(default)]
        name: Maybe<String>,
        #[serde(default)]
        attributes: Maybe<serde_json::Value>,
        #[serde(default)]
        sid: Ignored,
        #[serde(default)]
        count: Maybe<i64>,
    }

    #[test]
    fn writable_fields_leave_the_read_only_ones_out() {
        assert_eq!(writable_fields::<Sample>(), ["name", "attributes", "count"]);
        assert_eq!(
            writable_fields::<crate::resources::dids::types::DidInput>(),
            [
                "attributes",
                "callback_url",
                "classification_sid",
                "did_group_sid",
                "name",
                "phonenumber",
                "string_key_1",
                "string_key_2",
                "transformations",
                "trunk_group_sid"
            ]
        );
    }
}
