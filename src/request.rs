//! The request contract: what a client asks to price.
//!
//! ```json
//! { "product": "video/veo-3", "seconds": 8, "resolution": "1080p", "outputs": 2,
//!   "options": { "audio": "on" } }
//! { "items": [ { "product": "image/flux-pro", "outputs": 2 },
//!              { "product": "video/veo-3", "seconds": 5 } ] }
//! ```
//!
//! A request is read from a JSON value by [`Request::from_json_value`], the
//! one parser every front end uses (the CLI reads JSON text into a value; the
//! npm package converts the JS object into the same value), so a malformed
//! request gets the same error code and path everywhere.
//!
//! Rules:
//! * unknown fields are rejected (`unknown_field`), never ignored;
//! * a field set to `null` counts as absent (JavaScript's `undefined` becomes
//!   `null` on the way in). This holds for every field: `items` (then the
//!   object is one item), every item field, and each option value (then the
//!   option takes its default, and its name is not checked). Only a *name*
//!   the contract does not know is reported whatever its value
//!   (`unknown_field`): a misspelt field is a client bug, `null` or not;
//! * quantities (`outputs`, `seconds`, `characters`, `tokens`, `megapixels`)
//!   are integers from 0 to 2^53 − 1; a number written with a fraction part of
//!   zero (`10.0`, `1e1`) is that integer, since JavaScript cannot tell them
//!   apart. Anything else is `invalid_quantity`;
//! * option values are strings; an integer (of magnitude at most 2^53 − 1,
//!   the integers JavaScript holds exactly) or a boolean stands for its JSON
//!   text (`"fps": 24` is `"24"`);
//! * messages echo integers but never floats (`seconds must be a whole
//!   number`), so every front end writes the same message.

use crate::error::{ErrorCode, QuoteError, echo, path_key};
use crate::money::MAX_AMOUNT;
use serde::Serialize;
use serde_json::{Map, Number, Value};
use std::collections::BTreeMap;

/// Most items one request may contain.
pub const MAX_ITEMS: usize = 10_000;

/// The fields an item may have.
pub const ITEM_FIELDS: [&str; 8] = [
    "product",
    "outputs",
    "resolution",
    "seconds",
    "characters",
    "tokens",
    "megapixels",
    "options",
];

/// The request contract as a type: what a client sends. It documents the
/// wire shape and generates the TypeScript declaration; the parser is
/// [`Request::from_json_value`], and a test keeps the two in step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[serde(untagged)]
pub enum RequestSpec {
    /// A scene: several items priced together, one line each.
    Scene {
        /// The items, 1 to [`MAX_ITEMS`].
        items: Vec<ItemSpec>,
    },
    /// One item.
    Item(ItemSpec),
}

/// One item of the request contract. `None` fields are omitted (the
/// product's default applies).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
pub struct ItemSpec {
    /// Product id (`video/veo-3`).
    pub product: String,
    /// Number of outputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outputs: Option<u64>,
    /// Resolution name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    /// Seconds, for per-second products.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<u64>,
    /// Characters, for per-character products.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub characters: Option<u64>,
    /// Tokens, for per-token products.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<u64>,
    /// Megapixels, for per-megapixel products.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub megapixels: Option<u64>,
    /// Option values by name: a string, or an integer or boolean standing
    /// for its text.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(
        feature = "wasm",
        tsify(optional, type = "Record<string, string | number | boolean>")
    )]
    pub options: BTreeMap<String, String>,
}

/// A request to price: one item, or a scene of several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The items, in order. A single-item request has exactly one.
    pub items: Vec<Item>,
    /// Whether the request was written as `{ "items": [...] }`. Error paths
    /// then start with `items[i].`.
    pub scene: bool,
}

/// One generation to price. Fields left `None` take the product's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Item {
    /// Product id (`video/veo-3`).
    pub product: String,
    /// Number of outputs (images, clips, variants).
    pub outputs: Option<u64>,
    /// Resolution name (`1080p`).
    pub resolution: Option<String>,
    /// Duration, for per-second products.
    pub seconds: Option<u64>,
    /// Input characters, for per-character products.
    pub characters: Option<u64>,
    /// Tokens, for per-token products.
    pub tokens: Option<u64>,
    /// Megapixels, for per-megapixel products.
    pub megapixels: Option<u64>,
    /// Option values by option name, sorted by name.
    pub options: Vec<(String, String)>,
}

impl Item {
    /// An item for `product` with every setting at its default.
    pub fn new(product: impl Into<String>) -> Item {
        Item {
            product: product.into(),
            ..Item::default()
        }
    }

    /// The value of a metered quantity field by its request name.
    pub fn quantity_field(&self, name: &str) -> Option<u64> {
        match name {
            "seconds" => self.seconds,
            "characters" => self.characters,
            "tokens" => self.tokens,
            "megapixels" => self.megapixels,
            _ => None,
        }
    }
}

impl From<Item> for Request {
    fn from(item: Item) -> Request {
        Request {
            items: vec![item],
            scene: false,
        }
    }
}

impl Request {
    /// Parses JSON text (at most [`serde_json`]'s nesting limit of 128).
    /// Malformed text is `invalid_json`.
    pub fn from_json_str(text: &str) -> Result<Request, QuoteError> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            QuoteError::new(
                ErrorCode::InvalidJson,
                format!("request is not valid JSON: {e}"),
            )
        })?;
        Request::from_json_value(&value)
    }

    /// Reads a request from a JSON value. See the module docs for the rules.
    pub fn from_json_value(value: &Value) -> Result<Request, QuoteError> {
        let Value::Object(map) = value else {
            return Err(QuoteError::new(
                ErrorCode::InvalidRequest,
                format!("a request must be a JSON object, found {}", kind(value)),
            ));
        };
        let Some(items) = field(map, "items") else {
            return Ok(Request {
                items: vec![read_item(map, "")?],
                scene: false,
            });
        };
        // An item field set to null is absent, so it does not make a scene
        // ambiguous; an unknown name is reported whatever its value.
        let stray =
            |k: &str| k != "items" && (!ITEM_FIELDS.contains(&k) || field(map, k).is_some());
        if let Some(other) = smallest_key(map, stray) {
            return Err(QuoteError::at(
                ErrorCode::UnknownField,
                path_key(other),
                format!(
                    "unknown field {}: a scene request has only `items`",
                    echo(other)
                ),
            ));
        }
        let Value::Array(list) = items else {
            return Err(QuoteError::at(
                ErrorCode::InvalidRequest,
                "items",
                format!("items must be a list of requests, found {}", kind(items)),
            ));
        };
        if list.is_empty() {
            return Err(QuoteError::at(
                ErrorCode::EmptyRequest,
                "items",
                "items is empty",
            ));
        }
        if list.len() > MAX_ITEMS {
            return Err(QuoteError::at(
                ErrorCode::TooManyItems,
                "items",
                format!("{} items is more than the limit of {MAX_ITEMS}", list.len()),
            ));
        }
        let mut out = Vec::with_capacity(list.len());
        for (i, entry) in list.iter().enumerate() {
            let prefix = format!("items[{i}].");
            let Value::Object(item) = entry else {
                return Err(QuoteError::at(
                    ErrorCode::InvalidRequest,
                    format!("items[{i}]"),
                    format!("each item must be an object, found {}", kind(entry)),
                ));
            };
            out.push(read_item(item, &prefix)?);
        }
        Ok(Request {
            items: out,
            scene: true,
        })
    }

    /// The error path prefix of item `index` (`""` or `"items[3]."`).
    pub fn prefix(&self, index: usize) -> String {
        if self.scene {
            format!("items[{index}].")
        } else {
            String::new()
        }
    }
}

/// Splits a stream of requests into JSON values: the input of `genprice
/// quote`, a batch endpoint or a fuzz target. If the whole text is one JSON
/// value (pretty-printed or not), that is the one request; otherwise every
/// non-blank line is a request (JSON Lines), and a line that is not JSON
/// gives an `invalid_json` result of its own, in its place, so the other
/// lines are still priced. Bytes that are not UTF-8 are one `invalid_json`
/// result; blank input is no request at all (an empty list). Each value is
/// then read by [`Request::from_json_value`].
///
/// ```
/// use genprice::{ErrorCode, request::split_requests};
/// let one = split_requests(b"{\n  \"product\": \"image/flux-pro\"\n}\n");
/// assert_eq!(one.len(), 1);
/// let lines = split_requests(b"{\"product\": \"a/b\"}\n\nnot json\n{\"product\": \"c/d\"}\n");
/// assert_eq!(lines.len(), 3);
/// assert_eq!(lines[1].as_ref().unwrap_err().code, ErrorCode::InvalidJson);
/// assert!(split_requests(b" \n").is_empty());
/// ```
pub fn split_requests(bytes: &[u8]) -> Vec<Result<Value, QuoteError>> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let message = format!("requests are not UTF-8 text: {e}");
            return vec![Err(QuoteError::new(ErrorCode::InvalidJson, message))];
        }
    };
    if text.trim().is_empty() {
        return Vec::new();
    }
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        return vec![Ok(value)];
    }
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            serde_json::from_str::<Value>(line).map_err(|e| {
                QuoteError::new(
                    ErrorCode::InvalidJson,
                    format!("request is not valid JSON: {e}"),
                )
            })
        })
        .collect()
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The lexicographically smallest key matching `pred`, so the error reported
/// does not depend on the map's iteration order.
fn smallest_key(map: &Map<String, Value>, pred: impl Fn(&str) -> bool) -> Option<&str> {
    map.keys().map(String::as_str).filter(|k| pred(k)).min()
}

/// The value of field `name` of `map`; a field set to `null` is absent.
fn field<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    map.get(name).filter(|v| !v.is_null())
}

fn read_item(map: &Map<String, Value>, prefix: &str) -> Result<Item, QuoteError> {
    // `items: null` on a request's own object is an absent scene, not an
    // unknown field of its one item.
    let known = |k: &str| ITEM_FIELDS.contains(&k) || (prefix.is_empty() && k == "items");
    if let Some(unknown) = smallest_key(map, |k| !known(k)) {
        return Err(QuoteError::at(
            ErrorCode::UnknownField,
            format!("{prefix}{}", path_key(unknown)),
            format!(
                "unknown field {} (expected one of: {})",
                echo(unknown),
                crate::error::list(ITEM_FIELDS.iter().copied())
            ),
        ));
    }
    let field = |name: &str| field(map, name);
    let product = match field("product") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(QuoteError::at(
                ErrorCode::InvalidRequest,
                format!("{prefix}product"),
                format!("product must be a string, found {}", kind(other)),
            ));
        }
        None => {
            return Err(QuoteError::at(
                ErrorCode::MissingField,
                format!("{prefix}product"),
                "product is required",
            ));
        }
    };
    let quantity = |name: &str| -> Result<Option<u64>, QuoteError> {
        field(name)
            .map(|v| read_quantity(v, &format!("{prefix}{name}")))
            .transpose()
    };
    let resolution = match field("resolution") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(QuoteError::at(
                ErrorCode::InvalidRequest,
                format!("{prefix}resolution"),
                format!("resolution must be a string, found {}", kind(other)),
            ));
        }
    };
    let options = match field("options") {
        None => Vec::new(),
        Some(Value::Object(options)) => {
            let mut out = Vec::with_capacity(options.len());
            for (name, value) in options {
                if value.is_null() {
                    continue; // absent: the option's default applies
                }
                let text = option_text(value).ok_or_else(|| {
                    QuoteError::at(
                        ErrorCode::InvalidOptionValue,
                        format!("{prefix}options.{}", path_key(name)),
                        format!(
                            "option {} must be a string, an integer or a boolean, found {}",
                            echo(name),
                            kind(value)
                        ),
                    )
                })?;
                out.push((name.clone(), text));
            }
            // Names are unique (keys of one object): no ties.
            crate::sort_unique_by(&mut out, |a, b| a.0 < b.0);
            out
        }
        Some(other) => {
            return Err(QuoteError::at(
                ErrorCode::InvalidRequest,
                format!("{prefix}options"),
                format!("options must be an object, found {}", kind(other)),
            ));
        }
    };
    Ok(Item {
        product,
        outputs: quantity("outputs")?,
        resolution,
        seconds: quantity("seconds")?,
        characters: quantity("characters")?,
        tokens: quantity("tokens")?,
        megapixels: quantity("megapixels")?,
        options,
    })
}

/// An integer that is exactly representable: `Some` for 0..=2^53−1 written
/// as an integer or as a number whose fraction part is zero.
fn exact_integer(n: &Number) -> Result<u64, &'static str> {
    if let Some(u) = n.as_u64() {
        return if u <= MAX_AMOUNT {
            Ok(u)
        } else {
            Err("is larger than 2^53 - 1")
        };
    }
    if n.as_i64().is_some() {
        return Err("must not be negative");
    }
    match n.as_f64() {
        Some(f) if f.is_nan() => Err("must be an integer"),
        Some(f) if f < 0.0 => Err("must not be negative"),
        Some(f) if f.fract() != 0.0 => Err("must be a whole number"),
        Some(f) if f > MAX_AMOUNT as f64 => Err("is larger than 2^53 - 1"),
        // A whole, non-negative number no larger than 2^53 − 1: the cast is exact.
        Some(f) => Ok(f as u64),
        None => Err("must be an integer"),
    }
}

/// A quantity field's value (`outputs`, `seconds` …) at `path`: an exact
/// integer from 0 to 2^53 − 1, or `invalid_quantity` saying why not.
pub(crate) fn read_quantity(value: &Value, path: &str) -> Result<u64, QuoteError> {
    let problem = match value {
        Value::Number(n) => match exact_integer(n) {
            Ok(v) => return Ok(v),
            // Only exact integers are echoed: a float's text is not the
            // same in every front end (and formatting it costs the browser
            // build kilobytes).
            Err(problem) => match safe_integer(n) {
                Some(i) => format!("{problem}, found {i}"),
                None => problem.to_string(),
            },
        },
        other => format!("must be a non-negative integer, found {}", kind(other)),
    };
    let name = path.rsplit('.').next().unwrap_or(path);
    Err(QuoteError::at(
        ErrorCode::InvalidQuantity,
        path,
        format!("{name} {problem}"),
    ))
}

/// An integer no larger than 2^53 − 1 in magnitude, written as an integer:
/// the integers every front end reads exactly.
fn safe_integer(n: &Number) -> Option<i64> {
    n.as_i64().filter(|i| i.unsigned_abs() <= MAX_AMOUNT)
}

fn option_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => {
            if let Some(i) = safe_integer(n) {
                return Some(i.to_string());
            }
            exact_integer(n).ok().map(|u| u.to_string())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
