//! Every object the sandbox answers or sends carries every field Stripe documents for it at the
//! pinned API version: the field lists come from the typed classes of the official `stripe`
//! Python library (`shapes/generate.py` writes `shapes/shapes.json`), and what the sandbox has no
//! value for is filled the way Stripe fills it — null where the field is nullable, else the
//! type's empty value (the first documented value for an enum). The objects' own values are kept.

use std::sync::LazyLock;

use serde_json::{Map, Value, json};

static SHAPES: LazyLock<Value> = LazyLock::new(|| {
    let all: Value =
        serde_json::from_str(include_str!("../shapes/shapes.json")).expect("shapes.json is JSON");
    assert_eq!(
        all["api_version"],
        crate::webhook::API_VERSION,
        "shapes.json was generated for the API version the sandbox speaks"
    );
    all["objects"].clone()
});

/// The documented fields of the object `kind` (`"invoice"`…) and their types.
pub fn fields_of(kind: &str) -> Option<&'static Map<String, Value>> {
    SHAPES.get(kind).and_then(Value::as_object)
}

/// Adds the documented fields `value` lacks, for it and every object nested in it.
pub fn complete(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let kind = map.get("object").and_then(Value::as_str).map(str::to_owned);
            match kind.as_deref().and_then(|k| SHAPES.get(k)) {
                Some(Value::Object(shape)) => fill(map, shape),
                _ => map.values_mut().for_each(complete),
            }
            if kind.as_deref() == Some("event") {
                if let Some(object) = map.get_mut("data").and_then(|d| d.get_mut("object")) {
                    complete(object);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(complete),
        _ => {}
    }
}

fn fill(map: &mut Map<String, Value>, shape: &Map<String, Value>) {
    for (name, t) in shape {
        // `deleted` is only ever on a deleted object.
        if name == "deleted" {
            continue;
        }
        match map.get_mut(name) {
            Some(present) => descend(present, t),
            None => {
                map.insert(name.clone(), empty(t));
            }
        }
    }
}

/// Completes the objects inside a present value of type `t`.
fn descend(value: &mut Value, t: &Value) {
    let Some((kind, inner)) = t.as_object().and_then(|o| o.iter().next()) else {
        return;
    };
    match (kind.as_str(), value) {
        ("n", v) => descend(v, inner),
        ("o", Value::Object(map)) => {
            if let Some(shape) = inner.as_object() {
                fill(map, shape);
            }
        }
        ("l", Value::Array(items)) => items.iter_mut().for_each(|v| descend(v, inner)),
        ("m", Value::Object(map)) => map.values_mut().for_each(|v| descend(v, inner)),
        ("x" | "r", v @ Value::Object(_)) => complete(v),
        ("L", Value::Object(map)) => {
            if let Some(Value::Array(items)) = map.get_mut("data") {
                items.iter_mut().for_each(|v| descend(v, inner));
            }
        }
        _ => {}
    }
}

/// What Stripe sends for a field it has nothing for.
fn empty(t: &Value) -> Value {
    match t {
        Value::String(s) => match s.as_str() {
            "s" => json!(""),
            "i" | "f" => json!(0),
            "d" => json!("0"),
            "b" => json!(false),
            _ => json!({}),
        },
        Value::Object(o) => match o.iter().next() {
            Some((k, _)) if k == "n" => Value::Null,
            Some((k, v)) if k == "e" => v.get(0).cloned().unwrap_or(Value::Null),
            Some((k, _)) if k == "l" => json!([]),
            Some((k, _)) if k == "m" => json!({}),
            Some((k, _)) if k == "x" => json!(""),
            Some((k, v)) if k == "r" => {
                let mut object = json!({"object": v});
                complete(&mut object);
                object
            }
            Some((k, _)) if k == "L" => {
                json!({"object": "list", "data": [], "has_more": false, "url": ""})
            }
            Some((k, v)) if k == "o" => {
                let mut map = Map::new();
                if let Some(shape) = v.as_object() {
                    fill(&mut map, shape);
                }
                Value::Object(map)
            }
            _ => Value::Null,
        },
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_nullable_field_becomes_null_and_present_values_are_kept() {
        let mut session =
            json!({"id": "cs_test_1", "object": "checkout.session", "mode": "payment"});
        complete(&mut session);
        assert_eq!(session["mode"], "payment");
        assert_eq!(session["customer_account"], Value::Null);
        assert!(session.get("ui_mode").is_some());
        assert!(session.get("deleted").is_none());
    }

    #[test]
    fn objects_inside_an_event_are_completed_too() {
        let mut event =
            json!({"object": "event", "data": {"object": {"object": "invoice", "id": "in_1"}}});
        complete(&mut event);
        assert!(event["data"]["object"].get("lines").is_some());
        assert!(event.get("pending_webhooks").is_some());
    }
}
