//! Reading request members out of a JSON body, the way an awsJson1_1 server
//! deserialises them (contract §1): `null` is the same as absent, unknown
//! members are ignored, and a member of the wrong JSON type is a
//! serialisation error (P4) rather than a value to coerce.

use serde_json::{Map, Value};

use super::rules::RuleId;
use super::violation::Violation;

/// One member as read from the body.
#[derive(Clone, Debug, PartialEq)]
pub enum Member<T> {
    Absent,
    Present(T),
    /// Present but of another JSON type: reported once as P4, then left out
    /// of every other rule (a rule cannot judge a value it never received).
    WrongType,
}

impl<T> Member<T> {
    pub fn present(&self) -> Option<&T> {
        match self {
            Member::Present(value) => Some(value),
            _ => None,
        }
    }

    pub fn is_absent(&self) -> bool {
        matches!(self, Member::Absent)
    }
}

/// Where an object sits in the body, written out only for a message (most
/// members are read without one).
#[derive(Clone, Copy, Debug)]
enum BodyPath<'a> {
    Body,
    Item {
        parent: &'a BodyPath<'a>,
        key: &'a str,
        index: usize,
    },
}

impl std::fmt::Display for BodyPath<'_> {
    /// `Tags[1].` for the second tag; nothing for the body itself.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyPath::Body => Ok(()),
            BodyPath::Item { parent, key, index } => write!(f, "{parent}{key}[{index}]."),
        }
    }
}

/// Objects up to this many members are searched by scanning: hashing the
/// key (serde_json's map hashes with SipHash) cost more than comparing a
/// few short names, and request objects have a handful of members.
const SCAN_UP_TO: usize = 16;

/// Reads members of one JSON object, collecting type errors as it goes.
pub(super) struct Reader<'a> {
    object: &'a Map<String, Value>,
    path: BodyPath<'a>,
    errors: &'a mut Vec<Violation>,
}

impl<'a> Reader<'a> {
    /// Reads a request body (the top-level object).
    pub(super) fn new(object: &'a Map<String, Value>, errors: &'a mut Vec<Violation>) -> Self {
        Reader {
            object,
            path: BodyPath::Body,
            errors,
        }
    }

    fn member(&mut self, key: &str) -> Option<&'a Value> {
        let value = if self.object.len() <= SCAN_UP_TO {
            self.object
                .iter()
                .find_map(|(name, value)| (name == key).then_some(value))
        } else {
            self.object.get(key)
        };
        value.filter(|value| !value.is_null())
    }

    fn wrong_type<T>(&mut self, key: &str, expected: &str, found: &Value) -> Member<T> {
        self.errors.push(Violation::of(
            RuleId::P4,
            format!(
                "member {}{key} is {}, not {expected}",
                self.path,
                json_type(found)
            ),
        ));
        Member::WrongType
    }

    pub(super) fn string(&mut self, key: &str) -> Member<String> {
        match self.member(key) {
            None => Member::Absent,
            Some(Value::String(text)) => Member::Present(text.clone()),
            Some(other) => self.wrong_type(key, "a string", other),
        }
    }

    pub(super) fn integer(&mut self, key: &str) -> Member<i64> {
        match self.member(key) {
            None => Member::Absent,
            Some(Value::Number(number)) if number.is_i64() => {
                Member::Present(number.as_i64().unwrap_or_default())
            }
            Some(other) => self.wrong_type(key, "an integer", other),
        }
    }

    pub(super) fn boolean(&mut self, key: &str) -> Member<bool> {
        match self.member(key) {
            None => Member::Absent,
            Some(Value::Bool(flag)) => Member::Present(*flag),
            Some(other) => self.wrong_type(key, "a boolean", other),
        }
    }

    /// A list whose elements are objects, each read by `read`; a list with
    /// an element of another type counts as a wrong-typed member.
    pub(super) fn list_of_objects<T>(
        &mut self,
        key: &str,
        mut read: impl FnMut(&mut Reader<'_>) -> T,
    ) -> Member<Vec<T>> {
        let items = match self.member(key) {
            None => return Member::Absent,
            Some(Value::Array(items)) => items,
            Some(other) => return self.wrong_type(key, "a list", other),
        };
        let mut read_items = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            match item {
                Value::Object(object) => {
                    let mut item = Reader {
                        object,
                        path: BodyPath::Item {
                            parent: &self.path,
                            key,
                            index,
                        },
                        errors: self.errors,
                    };
                    read_items.push(read(&mut item));
                }
                other => {
                    let element = format!("{key}[{index}]");
                    return self.wrong_type(&element, "an object", other);
                }
            }
        }
        Member::Present(read_items)
    }

    /// A list kept as raw JSON (event selectors: echoed, not interpreted).
    pub(super) fn raw_list(&mut self, key: &str) -> Member<Vec<Value>> {
        match self.member(key) {
            None => Member::Absent,
            Some(Value::Array(items)) => Member::Present(items.clone()),
            Some(other) => self.wrong_type(key, "a list", other),
        }
    }
}

/// The name of a JSON value's type, for messages.
pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read<T>(body: Value, f: impl FnOnce(&mut Reader<'_>) -> T) -> (T, Vec<Violation>) {
        let mut errors = Vec::new();
        let object = body.as_object().unwrap().clone();
        let value = f(&mut Reader::new(&object, &mut errors));
        (value, errors)
    }

    #[test]
    fn small_and_large_objects_find_the_same_members() {
        for size in [1, SCAN_UP_TO, SCAN_UP_TO + 1, 40] {
            let mut body = Map::new();
            for n in 0..size {
                body.insert(format!("m{n}"), json!(format!("v{n}")));
            }
            body.insert("Gone".into(), Value::Null);
            let (found, errors) = read(Value::Object(body), |reader| {
                let mut found: Vec<_> = (0..size + 1)
                    .map(|n| reader.string(&format!("m{n}")).present().cloned())
                    .collect();
                found.push(reader.string("Gone").present().cloned());
                found
            });
            let mut expected: Vec<_> = (0..size).map(|n| Some(format!("v{n}"))).collect();
            expected.extend([None, None]);
            assert_eq!(found, expected, "{size} members");
            assert!(errors.is_empty());
        }
    }

    #[test]
    fn null_is_absent_and_unknown_members_are_ignored() {
        let (name, errors) = read(json!({"Name": null, "Other": 1}), |r| r.string("Name"));
        assert_eq!(name, Member::Absent);
        assert!(errors.is_empty());
    }

    #[test]
    fn wrong_types_are_p4_and_not_coerced() {
        let (name, errors) = read(json!({"Name": 12345}), |r| r.string("Name"));
        assert_eq!(name, Member::WrongType);
        assert_eq!(errors[0].rule, RuleId::P4);
        let (list, errors) = read(json!({"Destinations": {}}), |r| {
            r.list_of_objects("Destinations", |_| ())
        });
        assert_eq!(list, Member::WrongType);
        assert_eq!(errors.len(), 1);
        let (list, errors) = read(json!({"Tags": [{"Key": "k"}, "x"]}), |r| {
            r.list_of_objects("Tags", |t| t.string("Key"))
        });
        assert_eq!(list, Member::WrongType);
        assert!(errors[0].detail.contains("Tags[1]"));
    }

    #[test]
    fn nested_members_name_their_path() {
        let (_, errors) = read(json!({"Tags": [{"Key": 5}]}), |r| {
            r.list_of_objects("Tags", |t| t.string("Key"))
        });
        assert!(
            errors[0].detail.contains("Tags[0].Key"),
            "{}",
            errors[0].detail
        );
    }
}
