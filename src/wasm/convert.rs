//! Conversions at the edge.
//!
//! * In: a JavaScript value becomes JSON text with `JSON.stringify` and a
//!   strict replacer (below), and the core parses that text. So the wasm
//!   engine sees exactly the JSON a server would receive for the same object
//!   (`undefined` fields vanish, as they do on the wire), and what JSON cannot
//!   carry is refused with `invalid_request` instead of being silently
//!   dropped or turned into `null`: `NaN`, `Infinity`, `BigInt`, symbols,
//!   functions, `Map`s and class instances.
//! * Out: the core's result is written as JSON text and handed to
//!   `JSON.parse`, which builds plain objects.
//! * Errors become real `Error` objects with `code` (and `path`).
//!
//! Why text and not `serde-wasm-bindgen`: every string that crosses the
//! boundary costs a `TextEncoder`/`TextDecoder` call, and walking an object
//! field by field crosses once per key and value. Measured on this project's
//! machine (README, "Size and speed"), one text each way was several times
//! faster than serde-wasm-bindgen, and left serde-wasm-bindgen out of the
//! build.

use crate::catalog::CatalogError;
use crate::error::{ErrorCode, QuoteError};
use js_sys::{Array, JSON, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
function strict(key, value) {
  switch (typeof value) {
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`numbers must be finite, found ${value}` + (key ? ` at "${key}"` : ""));
      return value;
    case "bigint":
    case "symbol":
    case "function":
      throw new TypeError(`a ${typeof value} cannot be part of a request` + (key ? ` (at "${key}")` : ""));
    case "object":
      if (value !== null && !Array.isArray(value)) {
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null)
          throw new TypeError("only plain objects and arrays can be part of a request" + (key ? ` (at "${key}")` : ""));
      }
      return value;
    default:
      return value;
  }
}
export function to_json_text(value) {
  const text = JSON.stringify(value, strict);
  if (text === undefined) throw new TypeError("undefined is not a request");
  return text;
}
"#)]
extern "C" {
    #[wasm_bindgen(catch)]
    fn to_json_text(value: &JsValue) -> Result<String, JsValue>;
}

/// The JSON text of a JavaScript value (see the module docs), or an
/// `invalid_request` error saying why it has none.
pub(crate) fn json_text(value: &JsValue) -> Result<String, QuoteError> {
    to_json_text(value).map_err(|e| {
        let why = Reflect::get(&e, &"message".into())
            .ok()
            .and_then(|m| m.as_string())
            .unwrap_or_else(|| "it cannot be written as JSON".into());
        QuoteError::new(
            ErrorCode::InvalidRequest,
            format!("not a JSON-compatible value: {why}"),
        )
    })
}

/// Serializes a core value as JSON text and builds the plain JavaScript
/// value with `JSON.parse`.
pub(crate) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(value)
        .map_err(|e| error(ErrorCode::InvalidRequest, &e.to_string(), None))?;
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

impl From<QuoteError> for JsValue {
    fn from(e: QuoteError) -> JsValue {
        error(e.code, &e.message, e.path.as_deref())
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
