//! Reading a request body the witness's own way: the JSON types each
//! operation's members must have (from the API model), checked up front but
//! reported last, and lookups that treat `null` as absent (§1).

use serde_json::{Map, Value};

/// The JSON type a member must have.
#[derive(Clone, Copy)]
pub enum Ty {
    Text,
    Integer,
    Boolean,
    Destinations,
    Tags,
    Selectors,
}

/// The members the model gives each operation's input, with their types.
pub fn members(operation: &str) -> &'static [(&'static str, Ty)] {
    use Ty::*;
    match operation {
        "CreateChannel" => &[
            ("Name", Text),
            ("Source", Text),
            ("Destinations", Destinations),
            ("Tags", Tags),
        ],
        "UpdateChannel" => &[
            ("Channel", Text),
            ("Name", Text),
            ("Destinations", Destinations),
        ],
        "GetChannel" | "DeleteChannel" => &[("Channel", Text)],
        "ListChannels" | "ListEventDataStores" => &[("MaxResults", Integer), ("NextToken", Text)],
        "CreateEventDataStore" => &[
            ("Name", Text),
            ("AdvancedEventSelectors", Selectors),
            ("MultiRegionEnabled", Boolean),
            ("OrganizationEnabled", Boolean),
            ("RetentionPeriod", Integer),
            ("TerminationProtectionEnabled", Boolean),
            ("TagsList", Tags),
            ("KmsKeyId", Text),
            ("StartIngestion", Boolean),
            ("BillingMode", Text),
        ],
        "GetEventDataStore"
        | "DeleteEventDataStore"
        | "StopEventDataStoreIngestion"
        | "StartEventDataStoreIngestion" => &[("EventDataStore", Text)],
        _ => &[],
    }
}

fn text_or_null(value: Option<&Value>) -> bool {
    value.is_none_or(|v| v.is_null() || v.is_string())
}

/// Each element an object whose listed members are strings (or null/absent).
fn objects_of_text(value: &Value, keys: &[&str]) -> bool {
    value.as_array().is_some_and(|items| {
        items.iter().all(|item| {
            item.as_object()
                .is_some_and(|o| keys.iter().all(|k| text_or_null(o.get(*k))))
        })
    })
}

fn conforms(value: &Value, ty: Ty) -> bool {
    match ty {
        Ty::Text => value.is_string(),
        Ty::Integer => value.is_i64() || value.is_u64(),
        Ty::Boolean => value.is_boolean(),
        Ty::Destinations => objects_of_text(value, &["Type", "Location"]),
        Ty::Tags => objects_of_text(value, &["Key", "Value"]),
        Ty::Selectors => value.as_array().is_some_and(|selectors| {
            selectors.iter().all(|selector| {
                let Some(selector) = selector.as_object() else {
                    return false;
                };
                text_or_null(selector.get("Name"))
                    && match selector.get("FieldSelectors") {
                        None | Some(Value::Null) => true,
                        Some(fields) => fields.as_array().is_some_and(|fields| {
                            fields.iter().all(|field| {
                                field.as_object().is_some_and(|f| {
                                    f.iter().all(|(k, v)| match k.as_str() {
                                        "Field" => v.is_null() || v.is_string(),
                                        _ => {
                                            v.is_null()
                                                || v.as_array().is_some_and(|values| {
                                                    values.iter().all(Value::is_string)
                                                })
                                        }
                                    })
                                })
                            })
                        }),
                    }
            })
        }),
    }
}

/// A parsed input object: its members, and those of the wrong JSON type
/// (whose rules are not checked; their error comes last).
pub struct Input {
    pub body: Map<String, Value>,
    pub wrong_type: Vec<&'static str>,
}

impl Input {
    pub fn new(operation: &str, body: Map<String, Value>) -> Input {
        let wrong_type = members(operation)
            .iter()
            .filter(|(name, ty)| {
                body.get(*name)
                    .is_some_and(|v| !v.is_null() && !conforms(v, *ty))
            })
            .map(|(name, _)| *name)
            .collect();
        Input { body, wrong_type }
    }

    /// A member that is present, not null and of its type.
    pub fn get(&self, name: &str) -> Option<&Value> {
        if self.wrong_type.contains(&name) {
            return None;
        }
        self.body.get(name).filter(|v| !v.is_null())
    }

    pub fn is_wrong(&self, name: &str) -> bool {
        self.wrong_type.contains(&name)
    }

    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

    pub fn list(&self, name: &str) -> Option<&Vec<Value>> {
        self.get(name).and_then(Value::as_array)
    }
}

/// A member of a nested object, `null` being absent.
pub fn field<'a>(object: &'a Value, name: &str) -> Option<&'a str> {
    object.get(name).and_then(Value::as_str)
}
