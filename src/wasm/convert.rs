//! Conversions at the edge.
//!
//! * In: a JavaScript value is walked into a [`serde_json::Value`], with the
//!   rules `JSON.stringify` applies on the wire (`undefined` properties
//!   vanish, `undefined` in a list is `null`), so the wasm engine sees
//!   exactly the JSON a server would receive for the same object. What JSON
//!   cannot carry is refused with `invalid_request` instead of being silently
//!   dropped or turned into `null`: `NaN`, `Infinity`, `BigInt`, symbols,
//!   functions, `Map`s and class instances. Nesting deeper than serde_json's
//!   limit (128) is `invalid_json`, as it is natively.
//! * Out: the core's result is written as JSON text and handed to
//!   `JSON.parse`, which builds plain objects.
//! * Errors become real `Error` objects with `code` (and `path`, and the
//!   `suggestions` of a name that was not found).
//!
//! Why a walk and not `JSON.stringify` plus a parser: the walk leaves
//! serde_json's text parser (and its float parsing) out of the browser build;
//! why not `serde-wasm-bindgen`: its generic deserializer is larger. Whole
//! numbers up to 2^53 − 1 become JSON integers, as they do when the text
//! `JSON.stringify` writes is parsed.

use crate::catalog::CatalogError;
use crate::error::{ErrorCode, QuoteError};
use js_sys::{Array, JSON, Object, Reflect};
use serde::Serialize;
use serde_json::{Map, Number, Value};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `Object.prototype`: what a plain object's prototype is.
    #[wasm_bindgen(thread_local_v2, js_namespace = Object, js_name = prototype)]
    static OBJECT_PROTOTYPE: JsValue;
}

/// Containers may nest at most this deep (serde_json's recursion limit:
/// the 128th level is refused).
const MAX_DEPTH: usize = 127;

/// Why a JavaScript value has no JSON form.
enum Refusal {
    /// Not JSON-compatible (`invalid_request`).
    Value(String),
    /// Nested too deeply (`invalid_json`).
    TooDeep,
}

/// The JSON value of a JavaScript value (see the module docs), or an
/// `invalid_request` (`invalid_json` when nested too deeply) error saying
/// why it has none.
pub(crate) fn json_value(value: &JsValue) -> Result<Value, QuoteError> {
    walk(value, 0, "").map_err(refused)
}

/// A JavaScript number as the JSON value it is when it is property `key`
/// of a request: what [`json_value`] makes of it, refusals included.
pub(crate) fn json_number(f: f64, key: &str) -> Result<Value, QuoteError> {
    number(f).ok_or_else(|| refused(not_finite(f, key)))
}

fn refused(refusal: Refusal) -> QuoteError {
    match refusal {
        Refusal::Value(why) => QuoteError::new(
            ErrorCode::InvalidRequest,
            format!("not a JSON-compatible value: {why}"),
        ),
        Refusal::TooDeep => QuoteError::new(
            ErrorCode::InvalidJson,
            "request is not valid JSON: recursion limit exceeded",
        ),
    }
}

fn not_finite(f: f64, key: &str) -> Refusal {
    let shown = if f.is_nan() {
        "NaN"
    } else if f > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    };
    Refusal::Value(format!("numbers must be finite, found {shown}{}", at(key)))
}

fn at(key: &str) -> String {
    if key.is_empty() {
        String::new()
    } else {
        format!(" (at \"{key}\")")
    }
}

fn walk(value: &JsValue, depth: usize, key: &str) -> Result<Value, Refusal> {
    // The kinds are disjoint, so the order of the tests changes no answer;
    // each test is a call into JavaScript, so the most frequent kinds of a
    // request or catalog (strings, then numbers) are asked first.
    if let Some(s) = value.as_string() {
        return Ok(Value::String(s));
    }
    if let Some(f) = value.as_f64() {
        return number(f).ok_or_else(|| not_finite(f, key));
    }
    if value.is_undefined() || value.is_null() {
        return Ok(Value::Null);
    }
    if let Some(b) = value.as_bool() {
        return Ok(Value::Bool(b));
    }
    if depth >= MAX_DEPTH && (Array::is_array(value) || value.is_object()) {
        return Err(Refusal::TooDeep);
    }
    if Array::is_array(value) {
        let array: &Array = value.unchecked_ref();
        let mut items = Vec::with_capacity(array.length() as usize);
        for item in array.iter() {
            items.push(walk(&item, depth + 1, key)?);
        }
        return Ok(Value::Array(items));
    }
    if value.is_object() {
        let object: &Object = value.unchecked_ref();
        let proto = Object::get_prototype_of(object);
        if !proto.is_null() && !OBJECT_PROTOTYPE.with(|p| JsValue::from(proto) == *p) {
            return Err(Refusal::Value(format!(
                "only plain objects and arrays can be part of a request{}",
                at(key)
            )));
        }
        let mut map = Map::new();
        for name in Object::keys(object).iter() {
            let item = Reflect::get(object, &name)
                .map_err(|_| Refusal::Value("a property could not be read".to_string()))?;
            if item.is_undefined() {
                continue; // JSON.stringify leaves it out
            }
            let name = name.as_string().unwrap_or_default();
            let item = walk(&item, depth + 1, &name)?;
            map.insert(name, item);
        }
        return Ok(Value::Object(map));
    }
    let what = if value.is_bigint() {
        "bigint"
    } else if value.is_symbol() {
        "symbol"
    } else {
        "function"
    };
    Err(Refusal::Value(format!(
        "a {what} cannot be part of a request{}",
        at(key)
    )))
}

/// A finite number as the JSON the same value's text would parse to
/// natively: `JSON.stringify` writes a whole number below 10^21 as digits,
/// and serde_json reads digits as an integer when they fit 64 bits. So a
/// whole number in `0 ..= u64::MAX` is an unsigned integer, one in
/// `i64::MIN .. 0` a signed integer, anything else a float. `None` for `NaN`
/// and the infinities.
fn number(f: f64) -> Option<Value> {
    // 2^64 and −2^63 are exact in f64; whole numbers between them convert exactly.
    const U64_END: f64 = 18_446_744_073_709_551_616.0;
    const I64_MIN: f64 = -9_223_372_036_854_775_808.0;
    if f.fract() == 0.0 && (I64_MIN..U64_END).contains(&f) {
        let n = if f >= 0.0 {
            Number::from(f as u64)
        } else {
            Number::from(f as i64)
        };
        return Some(Value::Number(n));
    }
    Number::from_f64(f).map(Value::Number)
}

/// Serializes a core value as JSON text and builds the plain JavaScript
/// value with `JSON.parse`.
pub(crate) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    // The core's types always serialize (string keys, no floats); a
    // failure would be a bug, reported without serde_json's formatter,
    // which would cost the browser build for a message never seen.
    let text = serde_json::to_string(value).map_err(|_| {
        error(
            ErrorCode::InvalidRequest,
            "the answer cannot be written as JSON",
            None,
        )
    })?;
    JSON::parse(&text)
}

/// A JavaScript `Error` with `code` and, when given, `path` properties.
pub(crate) fn error(code: ErrorCode, message: &str, path: Option<&str>) -> JsValue {
    let error = js_sys::Error::new(message);
    let _ = Reflect::set(&error, &"code".into(), &code.as_str().into());
    if let Some(path) = path {
        let _ = Reflect::set(&error, &"path".into(), &path.into());
    }
    error.into()
}

/// A core error as an `Error` with `code`, `path` and, when there are any,
/// `suggestions` (an array of the nearest valid names).
impl From<QuoteError> for JsValue {
    fn from(e: QuoteError) -> JsValue {
        let js = error(e.code, &e.message, e.path.as_deref());
        if !e.suggestions.is_empty() {
            let list = Array::new();
            for name in &e.suggestions {
                list.push(&name.into());
            }
            let _ = Reflect::set(&js, &"suggestions".into(), &list);
        }
        js
    }
}

/// A catalog error as an `Error` whose message lists every problem and whose
/// `diagnostics` property holds them one per entry.
pub(crate) fn catalog_error(e: &CatalogError) -> JsValue {
    let js = error(e.code(), &e.to_string(), None);
    let list = Array::new();
    for d in e.diagnostics() {
        list.push(&d.to_string().into());
    }
    let _ = Reflect::set(&js, &"diagnostics".into(), &list);
    js
}

/// A JavaScript number that must be a whole number of milliseconds
/// (`what` names it in the error).
#[cfg(feature = "plans")]
pub(crate) fn millis(value: f64, what: &str) -> Result<crate::wallet::Millis, JsValue> {
    whole(value, what).and_then(|n| {
        crate::wallet::Millis::try_from(n).map_err(|_| {
            error(
                ErrorCode::InvalidTime,
                &format!("{what} is out of range"),
                Some(what),
            )
        })
    })
}

/// A JavaScript number that must be a whole number from 0 to 2^53 − 1.
#[cfg(feature = "plans")]
pub(crate) fn whole(value: f64, what: &str) -> Result<u64, JsValue> {
    let limit = crate::money::MAX_AMOUNT as f64;
    if value.is_finite() && value.fract() == 0.0 && (0.0..=limit).contains(&value) {
        // Whole and within 0..=2^53 − 1: the cast is exact.
        Ok(value as u64)
    } else {
        let code = if what != "amount" {
            ErrorCode::InvalidTime
        } else {
            ErrorCode::InvalidAmount
        };
        Err(error(
            code,
            &format!("{what} must be a whole number from 0 to 2^53 - 1"),
            Some(what),
        ))
    }
}
