//! Stripe's form encoding: `application/x-www-form-urlencoded` bodies whose keys use brackets for
//! nesting (`metadata[plan]=mensuel`, `line_items[0][price_data][currency]=eur`). Parsed into a
//! JSON tree so the API handlers can read parameters the way Stripe documents them.

use serde_json::{Map, Value};

/// A parameter path that cannot be read, named the way Stripe names parameters in its errors.
#[derive(Debug, PartialEq, Eq)]
pub struct FormError {
    pub param: String,
    pub message: String,
}

/// Deepest nesting accepted (`a[b][c]…`): Stripe's own parameters go five levels deep.
pub const MAX_DEPTH: usize = 16;
/// Most parameters accepted in one body.
pub const MAX_KEYS: usize = 1_000;

/// Parses a form body into nested objects; numeric segments become array indices. A key nested
/// deeper than [`MAX_DEPTH`] or a body of more than [`MAX_KEYS`] parameters is refused before
/// anything recursive runs.
pub fn parse(body: &[u8]) -> Result<Value, FormError> {
    let mut root = Value::Object(Map::new());
    // `expand[]=a&expand[]=b` appends, as `expand[0]=a&expand[1]=b` would.
    let mut appended: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (count, (key, value)) in url::form_urlencoded::parse(body).enumerate() {
        let key = match key.find("[]") {
            Some(i) => {
                let next = appended.entry(key[..i].to_owned()).or_default();
                *next += 1;
                std::borrow::Cow::Owned(format!("{}[{}]{}", &key[..i], *next - 1, &key[i + 2..]))
            }
            None => key,
        };
        if count >= MAX_KEYS {
            return Err(FormError {
                param: String::new(),
                message: format!("Too many parameters: at most {MAX_KEYS} are accepted."),
            });
        }
        let path = split_key(&key)?;
        insert(&mut root, &path, value.into_owned(), &key)?;
    }
    Ok(arrays_from_indices(root))
}

fn split_key(key: &str) -> Result<Vec<String>, FormError> {
    let bad = || FormError {
        param: key.to_owned(),
        message: format!("Invalid parameter name: {key}"),
    };
    let (head, mut rest) = match key.find('[') {
        Some(i) => (&key[..i], &key[i..]),
        None => (key, ""),
    };
    if head.is_empty() {
        return Err(bad());
    }
    let mut path = vec![head.to_owned()];
    while !rest.is_empty() {
        if path.len() >= MAX_DEPTH {
            return Err(FormError {
                param: key.chars().take(80).collect(),
                message: format!("Parameters are nested too deeply: at most {MAX_DEPTH} levels."),
            });
        }
        let close = rest.find(']').ok_or_else(bad)?;
        if !rest.starts_with('[') {
            return Err(bad());
        }
        path.push(rest[1..close].to_owned());
        rest = &rest[close + 1..];
    }
    Ok(path)
}

fn insert(node: &mut Value, path: &[String], value: String, key: &str) -> Result<(), FormError> {
    let conflict = || FormError {
        param: key.to_owned(),
        message: format!("Invalid value for {key}: conflicting types"),
    };
    let Value::Object(map) = node else {
        return Err(conflict());
    };
    let segment = &path[0];
    if path.len() == 1 {
        // An empty value under a key unsets it in Stripe (`metadata=`): keep it as an empty string.
        if map.insert(segment.clone(), Value::String(value)).is_some() {
            return Err(conflict());
        }
        return Ok(());
    }
    let child = map
        .entry(segment.clone())
        .or_insert_with(|| Value::Object(Map::new()));
    insert(child, &path[1..], value, key)
}

/// Objects whose keys are all `0..n` become arrays, as Stripe reads `line_items[0]`.
fn arrays_from_indices(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let is_array =
                !map.is_empty() && (0..map.len()).all(|i| map.contains_key(&i.to_string()));
            if is_array {
                let mut items: Vec<(usize, Value)> = map
                    .into_iter()
                    .map(|(k, v)| (k.parse().unwrap_or(0), arrays_from_indices(v)))
                    .collect();
                items.sort_by_key(|(i, _)| *i);
                Value::Array(items.into_iter().map(|(_, v)| v).collect())
            } else {
                Value::Object(
                    map.into_iter()
                        .map(|(k, v)| (k, arrays_from_indices(v)))
                        .collect(),
                )
            }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn brackets_nest_objects_and_indices_make_arrays() {
        let body = b"mode=payment&metadata[plan]=mensuel&metadata[client_id]=39\
&line_items[0][quantity]=1&line_items[0][price_data][currency]=eur\
&line_items[0][price_data][product_data][name]=Mensuel&line_items[1][price]=price_1";
        assert_eq!(
            parse(body).unwrap(),
            json!({
                "mode": "payment",
                "metadata": {"plan": "mensuel", "client_id": "39"},
                "line_items": [
                    {"quantity": "1", "price_data": {"currency": "eur", "product_data": {"name": "Mensuel"}}},
                    {"price": "price_1"}
                ]
            })
        );
    }

    #[test]
    fn empty_brackets_append_to_a_list() {
        assert_eq!(
            parse(b"expand[]=latest_invoice&types[]=invoice.paid&expand[]=default_payment_method")
                .unwrap(),
            json!({"expand": ["latest_invoice", "default_payment_method"], "types": ["invoice.paid"]})
        );
    }

    #[test]
    fn percent_encoding_is_decoded() {
        let v =
            parse(b"success_url=https%3A%2F%2Fx.fr%2Fok%3Fsession_id%3D%7BCHECKOUT_SESSION_ID%7D")
                .unwrap();
        assert_eq!(
            v["success_url"],
            "https://x.fr/ok?session_id={CHECKOUT_SESSION_ID}"
        );
    }

    #[test]
    fn malformed_keys_and_conflicts_are_errors() {
        assert!(parse(b"[a]=1").is_err());
        assert!(parse(b"a[b=1").is_err());
        assert!(parse(b"a=1&a[b]=2").is_err());
        assert!(parse(b"a=1&a=2").is_err());
    }

    #[test]
    fn a_100000_level_key_is_refused_instead_of_overflowing_the_stack() {
        let key = format!("a{}", "[]".repeat(100_000));
        let err = parse(format!("{key}=1").as_bytes()).unwrap_err();
        assert!(err.message.contains("nested too deeply"), "{err:?}");
        let at_limit = format!("a{}", "[b]".repeat(MAX_DEPTH - 1));
        assert!(parse(format!("{at_limit}=1").as_bytes()).is_ok());
    }

    #[test]
    fn more_than_a_thousand_parameters_are_refused() {
        let body: Vec<String> = (0..=MAX_KEYS).map(|i| format!("k{i}=v")).collect();
        let err = parse(body.join("&").as_bytes()).unwrap_err();
        assert!(err.message.contains("Too many parameters"), "{err:?}");
    }

    #[test]
    fn sparse_indices_stay_an_object() {
        let v = parse(b"x[1]=a").unwrap();
        assert_eq!(v, json!({"x": {"1": "a"}}));
    }
}
