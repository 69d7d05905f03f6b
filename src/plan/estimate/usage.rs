//! Reading the usage mix: a bare list of lines or `{ usage, bufferPercent,
//! seats }`, read as strictly as a request (see the [estimator's
//! docs](super) for the shape and the errors), and what a line counts to
//! in a month.

use super::super::offer::DAYS_PER_MONTH;
use crate::error::{ErrorCode, QuoteError, echo, path_key};
use crate::money::MAX_AMOUNT;
use crate::request::{MAX_ITEMS, Request, RequestSpec};
use serde::Serialize;
use serde_json::{Map, Number, Value};

/// Buffer added to the credits per month when the usage names none, in
/// percent.
pub const DEFAULT_BUFFER_PERCENT: u64 = 25;

/// Largest buffer, in percent.
pub const MAX_BUFFER_PERCENT: u64 = 1000;

/// Most workdays a month.
pub const MAX_WORKDAYS: u64 = 31;

/// Weeks a year, for lines counted per week.
const WEEKS_PER_YEAR: u128 = 52;

/// The fields of the object form.
pub const USAGE_FIELDS: [&str; 3] = ["usage", "bufferPercent", "seats"];

/// The fields of one usage line.
pub const LINE_FIELDS: [&str; 4] = ["request", "per", "count", "workdays"];

/// How often a usage line's count happens.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Per {
    /// Every day (or every workday, with `workdays`).
    Day,
    /// Every week.
    Week,
    /// Every month.
    Month,
}

impl Per {
    /// The wire name (`"day"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Per::Day => "day",
            Per::Week => "week",
            Per::Month => "month",
        }
    }

    /// Parses a wire name.
    pub fn from_name(name: &str) -> Option<Per> {
        match name {
            "day" => Some(Per::Day),
            "week" => Some(Per::Week),
            "month" => Some(Per::Month),
            _ => None,
        }
    }
}

/// One line of a usage mix: a request made `count` times `per` day, week
/// or month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageLine {
    /// What is generated each time.
    pub request: Request,
    /// How often `count` happens.
    pub per: Per,
    /// How many times per `per`, 0 to 2^53 − 1.
    pub count: u64,
    /// Days a month the line happens, 1 to 31; only with [`Per::Day`]
    /// (`None`: 30).
    pub workdays: Option<u64>,
}

impl UsageLine {
    /// Times a month the request is made (see the module docs).
    pub fn items_per_month(&self) -> u128 {
        let count = u128::from(self.count);
        match self.per {
            Per::Day => count.saturating_mul(u128::from(self.workdays.unwrap_or(DAYS_PER_MONTH))),
            Per::Week => count.saturating_mul(WEEKS_PER_YEAR).div_ceil(12),
            Per::Month => count,
        }
    }
}

/// A usage mix to size a plan for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    /// The lines, at most [`MAX_ITEMS`] (and as many request items in all).
    pub lines: Vec<UsageLine>,
    /// Safety margin on top of the credits per month, 0 to 1000 percent.
    pub buffer_percent: u64,
    /// Seats wanted on a per-seat plan (at least its minimum is priced).
    pub seats: u64,
}

/// The wire shape of a usage mix, for generated TypeScript types; the
/// parser is [`Usage::from_json_value`], and a test keeps them in step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[serde(untagged)]
pub enum UsageSpec {
    /// The object form, with settings.
    Mix(UsageMixSpec),
    /// A bare list of lines.
    Lines(Vec<UsageLineSpec>),
}

/// The object form of a usage mix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct UsageMixSpec {
    /// The lines.
    pub usage: Vec<UsageLineSpec>,
    /// Buffer in percent, 0 to 1000 (default 25).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buffer_percent: Option<u64>,
    /// Seats wanted on a per-seat plan (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seats: Option<u64>,
}

/// One line of the wire shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
pub struct UsageLineSpec {
    /// The request, as the request contract writes it.
    pub request: RequestSpec,
    /// `day`, `week` or `month`.
    pub per: Per,
    /// Times per `per`.
    pub count: u64,
    /// Days a month, 1 to 31, only with `per` = `day`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workdays: Option<u64>,
}

impl Usage {
    /// A mix of `lines` with the default buffer (25 %) and one seat.
    pub fn new(lines: Vec<UsageLine>) -> Usage {
        Usage {
            lines,
            buffer_percent: DEFAULT_BUFFER_PERCENT,
            seats: 1,
        }
    }

    /// Reads a usage mix from a JSON value. See the module docs for the
    /// shape and the errors.
    pub fn from_json_value(value: &Value) -> Result<Usage, QuoteError> {
        let usage = match value {
            Value::Array(list) => Usage::new(read_lines(list)?),
            Value::Object(map) => read_mix(map)?,
            other => {
                return Err(QuoteError::new(
                    ErrorCode::InvalidUsage,
                    format!(
                        "usage must be a list of lines or an object with `usage`, found {}",
                        kind(other)
                    ),
                ));
            }
        };
        usage.validate()?;
        Ok(usage)
    }

    /// Reads a usage mix from JSON text: one JSON value (pretty-printed or
    /// not), read by [`Usage::from_json_value`]. Blank text and text that is
    /// not JSON are `invalid_json`; the value's mistakes are as there.
    ///
    /// ```
    /// use genprice::plan::estimate::Usage;
    /// let usage = Usage::from_json_str(
    ///     r#"{"usage": [{"request": {"product": "image/flux-pro"}, "per": "day", "count": 3}],
    ///        "bufferPercent": 20}"#,
    /// )?;
    /// assert_eq!((usage.lines.len(), usage.buffer_percent), (1, 20));
    /// let blank = Usage::from_json_str("  \n").unwrap_err();
    /// assert_eq!(blank.code, genprice::ErrorCode::InvalidJson);
    /// # Ok::<(), genprice::QuoteError>(())
    /// ```
    pub fn from_json_str(text: &str) -> Result<Usage, QuoteError> {
        if text.trim().is_empty() {
            return Err(QuoteError::new(
                ErrorCode::InvalidJson,
                "no usage (expected a JSON list of lines or an object with \"usage\")",
            ));
        }
        let value: Value = serde_json::from_str(text).map_err(|e| {
            QuoteError::new(
                ErrorCode::InvalidJson,
                format!("usage is not valid JSON: {e}"),
            )
        })?;
        Usage::from_json_value(&value)
    }

    /// Reads a usage mix from bytes (a file, standard input, a request
    /// body): UTF-8 JSON text, as [`Usage::from_json_str`] reads it. Bytes
    /// that are not UTF-8 are `invalid_json`.
    pub fn from_json_slice(bytes: &[u8]) -> Result<Usage, QuoteError> {
        let text = std::str::from_utf8(bytes).map_err(|e| {
            QuoteError::new(
                ErrorCode::InvalidJson,
                format!("usage is not UTF-8 text: {e}"),
            )
        })?;
        Usage::from_json_str(text)
    }

    /// Checks what the type cannot: the ranges of the module docs. Paths
    /// as [`Usage::from_json_value`] gives them.
    pub fn validate(&self) -> Result<(), QuoteError> {
        if self.lines.len() > MAX_ITEMS {
            return Err(QuoteError::at(
                ErrorCode::TooManyItems,
                "usage",
                format!(
                    "{} usage lines is more than the limit of {MAX_ITEMS}",
                    self.lines.len()
                ),
            ));
        }
        let mut items: usize = 0;
        for (i, line) in self.lines.iter().enumerate() {
            items = items.saturating_add(line.request.items.len());
            if items > MAX_ITEMS {
                return Err(QuoteError::at(
                    ErrorCode::TooManyItems,
                    format!("usage[{i}].request"),
                    format!("the usage has more than {MAX_ITEMS} request items in all"),
                ));
            }
            if line.count > MAX_AMOUNT {
                return Err(invalid(
                    format!("usage[{i}].count"),
                    format!("count must be from 0 to {MAX_AMOUNT}"),
                ));
            }
            if let Some(days) = line.workdays {
                if line.per != Per::Day {
                    return Err(invalid(
                        format!("usage[{i}].workdays"),
                        format!(
                            "workdays applies only to per \"day\", not per {}",
                            echo(line.per.as_str())
                        ),
                    ));
                }
                if !(1..=MAX_WORKDAYS).contains(&days) {
                    return Err(invalid(
                        format!("usage[{i}].workdays"),
                        format!("workdays must be from 1 to {MAX_WORKDAYS}, found {days}"),
                    ));
                }
            }
        }
        if self.buffer_percent > MAX_BUFFER_PERCENT {
            return Err(invalid(
                "bufferPercent".into(),
                format!(
                    "bufferPercent must be from 0 to {MAX_BUFFER_PERCENT}, found {}",
                    self.buffer_percent
                ),
            ));
        }
        if !(1..=MAX_AMOUNT).contains(&self.seats) {
            return Err(invalid(
                "seats".into(),
                format!("seats must be from 1 to {MAX_AMOUNT}, found {}", self.seats),
            ));
        }
        Ok(())
    }

    /// Days a month the daily allowances can be spent on: the largest
    /// `workdays` when every line is per day with `workdays`, else 30;
    /// never more than 30.
    pub fn active_days(&self) -> u64 {
        let mut largest: Option<u64> = None;
        for line in &self.lines {
            match (line.per, line.workdays) {
                (Per::Day, Some(days)) => largest = Some(largest.unwrap_or(0).max(days)),
                _ => return DAYS_PER_MONTH,
            }
        }
        largest.map_or(DAYS_PER_MONTH, |d| d.clamp(1, DAYS_PER_MONTH))
    }
}

fn invalid(path: String, message: String) -> QuoteError {
    QuoteError::at(ErrorCode::InvalidUsage, path, message)
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

/// The smallest unknown key of `map`, as an `unknown_field` error.
fn reject_unknown(
    map: &Map<String, Value>,
    known: &[&str],
    prefix: &str,
) -> Result<(), QuoteError> {
    let unknown = map
        .keys()
        .map(String::as_str)
        .filter(|k| !known.contains(k))
        .min();
    match unknown {
        Some(key) => Err(QuoteError::at(
            ErrorCode::UnknownField,
            format!("{prefix}{}", path_key(key)),
            format!(
                "unknown field {} (expected one of: {})",
                echo(key),
                known.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

fn read_mix(map: &Map<String, Value>) -> Result<Usage, QuoteError> {
    reject_unknown(map, &USAGE_FIELDS, "")?;
    let field = |name: &str| map.get(name).filter(|v| !v.is_null());
    let lines = match field("usage") {
        Some(Value::Array(list)) => read_lines(list)?,
        Some(other) => {
            return Err(invalid(
                "usage".into(),
                format!("usage must be a list of lines, found {}", kind(other)),
            ));
        }
        None => {
            return Err(QuoteError::at(
                ErrorCode::MissingField,
                "usage",
                "usage is required",
            ));
        }
    };
    let buffer_percent = match field("bufferPercent") {
        Some(v) => read_integer(v, "bufferPercent", 0, MAX_BUFFER_PERCENT)?,
        None => DEFAULT_BUFFER_PERCENT,
    };
    let seats = match field("seats") {
        Some(v) => read_integer(v, "seats", 1, MAX_AMOUNT)?,
        None => 1,
    };
    Ok(Usage {
        lines,
        buffer_percent,
        seats,
    })
}

fn read_lines(list: &[Value]) -> Result<Vec<UsageLine>, QuoteError> {
    if list.len() > MAX_ITEMS {
        return Err(QuoteError::at(
            ErrorCode::TooManyItems,
            "usage",
            format!(
                "{} usage lines is more than the limit of {MAX_ITEMS}",
                list.len()
            ),
        ));
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, entry) in list.iter().enumerate() {
        let Value::Object(map) = entry else {
            return Err(invalid(
                format!("usage[{i}]"),
                format!(
                    "each usage line must be an object with request, per and count, found {}",
                    kind(entry)
                ),
            ));
        };
        out.push(read_line(map, i)?);
    }
    Ok(out)
}

fn read_line(map: &Map<String, Value>, i: usize) -> Result<UsageLine, QuoteError> {
    let prefix = format!("usage[{i}].");
    reject_unknown(map, &LINE_FIELDS, &prefix)?;
    let field = |name: &str| map.get(name).filter(|v| !v.is_null());
    let required = |name: &str| {
        field(name).ok_or_else(|| {
            QuoteError::at(
                ErrorCode::MissingField,
                format!("{prefix}{name}"),
                format!("{name} is required"),
            )
        })
    };
    let request = Request::from_json_value(required("request")?)
        .map_err(|e| within(e, &format!("{prefix}request")))?;
    let per = match required("per")? {
        Value::String(name) => Per::from_name(name).ok_or_else(|| {
            invalid(
                format!("{prefix}per"),
                format!(
                    "per must be \"day\", \"week\" or \"month\", found {}",
                    echo(name)
                ),
            )
        })?,
        other => {
            return Err(invalid(
                format!("{prefix}per"),
                format!(
                    "per must be \"day\", \"week\" or \"month\", found {}",
                    kind(other)
                ),
            ));
        }
    };
    let count = read_integer(required("count")?, &format!("{prefix}count"), 0, MAX_AMOUNT)?;
    let workdays = field("workdays")
        .map(|v| read_integer(v, &format!("{prefix}workdays"), 1, MAX_WORKDAYS))
        .transpose()?;
    if workdays.is_some() && per != Per::Day {
        return Err(invalid(
            format!("{prefix}workdays"),
            format!(
                "workdays applies only to per \"day\", not per {}",
                echo(per.as_str())
            ),
        ));
    }
    Ok(UsageLine {
        request,
        per,
        count,
        workdays,
    })
}

/// `error` from a nested value, its path prefixed with `prefix`.
pub(super) fn within(mut error: QuoteError, prefix: &str) -> QuoteError {
    error.path = Some(match error.path.take() {
        Some(path) if !path.is_empty() => format!("{prefix}.{path}"),
        _ => prefix.to_string(),
    });
    error
}

/// An integer from `min` to `max` (at most 2^53 − 1), written as an integer
/// or as a number with a zero fraction. Messages echo integers, never
/// floats.
fn read_integer(value: &Value, path: &str, min: u64, max: u64) -> Result<u64, QuoteError> {
    let name = path.rsplit('.').next().unwrap_or(path);
    let range = || format!("{name} must be an integer from {min} to {max}");
    let Value::Number(n) = value else {
        return Err(invalid(
            path.into(),
            format!("{}, found {}", range(), kind(value)),
        ));
    };
    match whole(n) {
        Whole::Unsigned(v) if (min..=max).contains(&v) => Ok(v),
        Whole::Unsigned(v) => Err(invalid(path.into(), format!("{}, found {v}", range()))),
        Whole::Negative(v) => Err(invalid(path.into(), format!("{}, found {v}", range()))),
        Whole::Other => Err(invalid(path.into(), range())),
    }
}

enum Whole {
    Unsigned(u64),
    Negative(i64),
    /// A fraction, or out of the integers every front end holds exactly.
    Other,
}

fn whole(n: &Number) -> Whole {
    if let Some(u) = n.as_u64() {
        return if u <= MAX_AMOUNT {
            Whole::Unsigned(u)
        } else {
            Whole::Other
        };
    }
    if let Some(i) = n.as_i64() {
        return if i.unsigned_abs() <= MAX_AMOUNT {
            Whole::Negative(i)
        } else {
            Whole::Other
        };
    }
    match n.as_f64() {
        // A whole, non-negative number no larger than 2^53 − 1: the cast is
        // exact (`-0.0` is 0).
        Some(f) if f.fract() == 0.0 && f >= 0.0 && f <= MAX_AMOUNT as f64 => {
            Whole::Unsigned(f as u64)
        }
        _ => Whole::Other,
    }
}

#[cfg(test)]
#[cfg(feature = "native")]
mod tests {
    use super::super::fixtures::*;
    use super::*;
    use crate::request::ItemSpec;
    use serde_json::json;

    /// Issue 9, item 5: the text reader the CLI had is the library's.
    #[test]
    fn usage_reads_from_text_and_bytes_like_from_a_value() {
        let value = json!([{"request": {"product": "image/a"}, "per": "week", "count": 2}]);
        let text = serde_json::to_string_pretty(&value).unwrap();
        let want = Usage::from_json_value(&value).unwrap();
        assert_eq!(Usage::from_json_str(&text).unwrap(), want);
        assert_eq!(Usage::from_json_slice(text.as_bytes()).unwrap(), want);
        let code = |r: Result<Usage, QuoteError>| r.unwrap_err().code;
        assert_eq!(code(Usage::from_json_str(" \n\t")), ErrorCode::InvalidJson);
        assert_eq!(code(Usage::from_json_str("[1,")), ErrorCode::InvalidJson);
        assert_eq!(
            code(Usage::from_json_slice(b"[\xff]")),
            ErrorCode::InvalidJson
        );
        assert_eq!(code(Usage::from_json_str("3")), ErrorCode::InvalidUsage);
    }

    #[test]
    fn parse_errors_have_codes_and_paths() {
        let at = |code, path: &str| (code, Some(path.to_string()));
        assert_eq!(error(json!(3)), (ErrorCode::InvalidUsage, None));
        assert_eq!(error(json!({})), at(ErrorCode::MissingField, "usage"));
        assert_eq!(
            error(json!({"usage": [], "buffer": 3})),
            at(ErrorCode::UnknownField, "buffer")
        );
        assert_eq!(
            error(json!({"usage": {}})),
            at(ErrorCode::InvalidUsage, "usage")
        );
        assert_eq!(error(json!([1])), at(ErrorCode::InvalidUsage, "usage[0]"));
        let line = |extra: Value| {
            let mut l = schnell(1);
            for (k, v) in extra.as_object().unwrap() {
                l[k] = v.clone();
            }
            json!([schnell(1), l])
        };
        assert_eq!(
            error(line(json!({"often": 1}))),
            at(ErrorCode::UnknownField, "usage[1].often")
        );
        for bad in [
            json!(-1),
            json!(1.5),
            json!("3"),
            json!(9_007_199_254_740_992u64),
        ] {
            assert_eq!(
                error(line(json!({ "count": bad }))),
                at(ErrorCode::InvalidUsage, "usage[1].count")
            );
        }
        let whole = Usage::from_json_value(&line(json!({"count": 3.0}))).unwrap();
        assert_eq!(whole.lines[1].count, 3);
        assert_eq!(
            error(line(json!({"per": "year"}))),
            at(ErrorCode::InvalidUsage, "usage[1].per")
        );
        for bad in [0, 32] {
            assert_eq!(
                error(line(json!({ "workdays": bad }))),
                at(ErrorCode::InvalidUsage, "usage[1].workdays")
            );
        }
        assert_eq!(
            error(line(json!({"per": "week", "workdays": 5}))),
            at(ErrorCode::InvalidUsage, "usage[1].workdays")
        );
        assert_eq!(
            error(json!([{"per": "day", "count": 1}])),
            at(ErrorCode::MissingField, "usage[0].request")
        );
        assert_eq!(
            error(line(
                json!({"request": {"product": "image/flux-schnell", "seconds": 3}})
            )),
            at(ErrorCode::UnsupportedField, "usage[1].request.seconds")
        );
        assert_eq!(
            error(line(json!({"request": {"items": [{"product": "nope/x"}]}}))),
            at(
                ErrorCode::UnknownProduct,
                "usage[1].request.items[0].product"
            )
        );
        assert_eq!(
            error(line(json!({"request": 7}))),
            at(ErrorCode::InvalidRequest, "usage[1].request")
        );
        assert_eq!(
            error(json!({"usage": [], "bufferPercent": 1001})),
            at(ErrorCode::InvalidUsage, "bufferPercent")
        );
        assert_eq!(
            error(json!({"usage": [], "seats": 0})),
            at(ErrorCode::InvalidUsage, "seats")
        );
    }

    #[test]
    fn the_wire_spec_reads_back() {
        let spec = UsageSpec::Mix(UsageMixSpec {
            usage: vec![UsageLineSpec {
                request: RequestSpec::Item(ItemSpec {
                    product: "image/flux-schnell".into(),
                    outputs: Some(2),
                    ..ItemSpec::default()
                }),
                per: Per::Day,
                count: 4,
                workdays: Some(20),
            }],
            buffer_percent: Some(30),
            seats: Some(3),
        });
        let usage = Usage::from_json_value(&serde_json::to_value(&spec).unwrap()).unwrap();
        assert_eq!((usage.buffer_percent, usage.seats), (30, 3));
        assert_eq!(usage.lines[0].workdays, Some(20));
        assert_eq!(usage.lines[0].request.items[0].outputs, Some(2));
        for per in [Per::Day, Per::Week, Per::Month] {
            assert_eq!(Per::from_name(per.as_str()), Some(per));
        }
    }
}
