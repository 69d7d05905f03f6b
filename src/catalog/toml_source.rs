//! Reads a catalog from TOML text, reporting every mistake as
//! `FILE:LINE:COL: message` (native builds only: the browser receives
//! catalogs as objects).
//!
//! The document is parsed into a spanned tree and walked by the shared
//! [`reader`](super::reader), so one run reports syntax errors, unknown keys,
//! wrong types and negative numbers together; the semantic checks of
//! [`validate`](super::validate) then run on what was read, and their paths
//! are turned back into source positions.

use super::Catalog;
use super::reader::{self, Entry, Kind, Tree, related};
use super::validate::{self, CatalogError, Diagnostic, Location, render};
use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

impl Tree for Spanned<DeValue<'_>> {
    const JSON: bool = false;

    fn span(&self) -> Range<usize> {
        Spanned::span(self)
    }

    fn kind(&self) -> Kind<'_, Self> {
        match self.get_ref() {
            DeValue::String(s) => Kind::Str(s),
            DeValue::Integer(i) => Kind::Int(Cow::Borrowed(i.as_str()), i.radix()),
            DeValue::Float(f) => Kind::Float {
                negative: f.as_str().starts_with('-'),
                text: Some(f.as_str()),
            },
            DeValue::Boolean(b) => Kind::Bool(*b),
            DeValue::Array(items) => Kind::Array(items),
            DeValue::Table(t) => Kind::Table(entries(t)),
            other => Kind::Other(other.type_str()),
        }
    }
}

fn entries<'a, 'v>(table: &'a DeTable<'v>) -> Vec<Entry<'a, Spanned<DeValue<'v>>>> {
    table
        .iter()
        .map(|(key, value)| Entry {
            key: key.get_ref(),
            key_span: key.span(),
            value,
        })
        .collect()
}

/// Parses `text` (named `file` in diagnostics) into a validated catalog.
pub(super) fn load(text: &str, file: &str) -> Result<Catalog, CatalogError> {
    let (root, syntax_errors) = DeTable::parse_recoverable(text);
    let read = reader::read(entries(root.get_ref()), root.span());
    let spans: HashMap<&str, Range<usize>> = read
        .spans
        .iter()
        .map(|(path, span)| (path.as_str(), span.clone()))
        .collect();
    let span_of = |path: &str| -> Range<usize> {
        let mut current = path;
        loop {
            if let Some(span) = spans.get(current) {
                return span.clone();
            }
            match current.rfind(['.', '[']) {
                Some(i) => current = current.get(..i).unwrap_or_default(),
                None => return 0..text.len().min(1),
            }
        }
    };

    let mut located: Vec<(Range<usize>, String)> = syntax_errors
        .iter()
        .map(|e| (e.span().unwrap_or(0..0), e.message().trim().to_string()))
        .collect();
    for p in &read.problems {
        let message = if p.prefixed && !p.path.is_empty() {
            format!("{}: {}", p.path, p.message)
        } else {
            p.message.clone()
        };
        located.push((p.span.clone(), message));
    }
    for finding in validate::validate(&read.spec, false) {
        let path = render(&finding.path, false);
        if read.problems.iter().any(|p| related(&p.path, &path)) {
            continue; // a consequence of a mistake already reported
        }
        located.push((span_of(&path), format!("{path}: {}", finding.message)));
    }
    if located.is_empty() {
        // Validated above, with every finding located: not again.
        return Catalog::validated(read.spec, None);
    }
    located.sort_by_key(|(span, _)| span.start);
    Err(CatalogError::new(
        located
            .into_iter()
            .map(|(span, message)| {
                let (line, column) = line_col(text, span.start);
                Diagnostic {
                    message,
                    path: None,
                    location: Some(Location {
                        file: file.to_string(),
                        line,
                        column,
                    }),
                }
            })
            .collect(),
    ))
}

/// 1-based line and character column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = text.get(..offset).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).unwrap_or_default().chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::QuantityLimits;

    const GOOD: &str = r#"
id = "t"
version = "1"
decimals = 0
rounding = "up"
tiers = ["basic", "pro"]

[[products]]
id = "video/clip"
name = "Clip"
studio = "video"
tier = "pro"
meter = "second"
price = 10
quantity = { min = 1, max = 10, default = 5 }
resolutions = { "720p" = 1, "1080p" = 1.5 }
default_resolution = "720p"
options.audio = { default = "off", values = { off = 1, on = 1.25 } }
"#;

    fn errors(text: &str) -> Vec<String> {
        match load(text, "c.toml") {
            Ok(_) => Vec::new(),
            Err(e) => e.diagnostics().iter().map(|d| d.to_string()).collect(),
        }
    }

    #[test]
    fn wallet_section_is_read_and_located() {
        let good = format!(
            "{GOOD}\n[wallet]\nburn_order = [\"daily\", \"topup\"]\n[[wallet.allowances]]\nid = \"m\"\nsource = \"monthly\"\namount = 60\nper_seat = true\nrollover = {{ mode = \"capped\", cap = 30 }}\n"
        );
        let catalog = load(&good, "c.toml").unwrap();
        let wallet = &catalog.spec().wallet;
        assert_eq!(wallet.burn_order.len(), 2);
        assert_eq!(wallet.allowances[0].amount, 60);
        assert!(wallet.allowances[0].per_seat);
        assert_eq!(
            wallet.allowances[0].rollover,
            crate::wallet::Rollover::Capped { cap: 30 }
        );
        let bad = good
            .replace("\"topup\"]", "\"weekly\"]")
            .replace("amount = 60", "amount = -60");
        let found = errors(&bad);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(
            found[0].starts_with("c.toml:21:24: ")
                && found[0].contains("wallet.burn_order[1]: unknown source"),
            "{}",
            found[0]
        );
        assert!(
            found[1].contains("wallet.allowances[0].amount: must not be negative"),
            "{}",
            found[1]
        );
    }

    /// Issue 9, item 6: `decimals = 300` was reported as "found 255" (a
    /// saturating cast); the message names the value written, where it is.
    #[test]
    fn decimals_too_large_for_the_type_are_reported_as_written() {
        let found = errors(&GOOD.replace("decimals = 0", "decimals = 300"));
        assert_eq!(
            found,
            ["c.toml:4:12: decimals: decimals must be at most 6, found 300"]
        );
        let found = errors(&GOOD.replace("decimals = 0", "decimals = 7"));
        assert_eq!(
            found,
            ["c.toml:4:12: decimals: decimals must be at most 6, found 7"]
        );
    }

    /// Issue 9, item 4: a message names fields as its path does. The
    /// policy's duplicate source is `burn_order` in TOML (it said
    /// `burnOrder`), and is located at the value.
    #[test]
    fn messages_name_fields_as_the_toml_path_does() {
        let text = format!("{GOOD}\n[wallet]\nburn_order = [\"daily\", \"daily\"]\n");
        assert_eq!(
            errors(&text),
            ["c.toml:21:24: wallet.burn_order[1]: source daily is listed twice in burn_order"]
        );
        let text = GOOD.replace("resolutions = { \"720p\" = 1, \"1080p\" = 1.5 }\n", "");
        assert_eq!(
            errors(&text),
            [
                "c.toml:16:22: products[0].default_resolution: a default resolution is set but the product lists no resolutions"
            ]
        );
    }

    #[test]
    fn a_good_catalog_loads() {
        let catalog = load(GOOD, "c.toml").unwrap();
        let p = catalog.product("video/clip").unwrap();
        assert_eq!(p.resolutions["1080p"].to_string(), "1.5");
        assert_eq!(p.options["audio"].values["on"].ten_thousandths(), 12_500);
        assert_eq!(
            p.quantity,
            Some(QuantityLimits {
                min: 1,
                max: 10,
                default: Some(5),
                step: 1,
            })
        );
    }

    #[test]
    fn line_and_column_are_one_based_characters() {
        assert_eq!(line_col("ab\ncdé\nx", 0), (1, 1));
        assert_eq!(line_col("ab\ncdé\nx", 4), (2, 2));
        assert_eq!(line_col("ab\ncdé\nx", 8), (3, 1));
    }

    #[test]
    fn unknown_key_is_located_at_the_key() {
        let text = GOOD.replace("price = 10", "price = 10\ncolour = \"red\"");
        let found = errors(&text);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].starts_with("c.toml:15:1: unknown key \"colour\" in products[0]"),
            "{}",
            found[0]
        );
    }

    #[test]
    fn negative_price_is_located_at_the_value() {
        let found = errors(&GOOD.replace("price = 10", "price = -10"));
        assert_eq!(
            found,
            ["c.toml:14:9: products[0].price: must not be negative, found -10"]
        );
    }

    #[test]
    fn inexact_multiplier_is_reported_with_its_text() {
        let found = errors(&GOOD.replace("1.5 }", "1.23456 }"));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].contains("multiplier \"1.23456\" has more than 4 decimal places"),
            "{}",
            found[0]
        );
    }

    #[test]
    fn syntax_errors_are_located() {
        let found = errors("id = \"t\"\nversion = \n");
        assert!(
            found.iter().any(|m| m.starts_with("c.toml:2:")),
            "{found:#?}"
        );
    }

    #[test]
    fn missing_keys_are_reported() {
        let found = errors(&GOOD.replace("tier = \"pro\"\n", ""));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].contains("missing key `tier` in products[0]"),
            "{}",
            found[0]
        );
    }

    #[test]
    fn a_catalog_with_five_mistakes_reports_five_locations() {
        let text = GOOD
            .replace("name = \"Clip\"", "name = \"Clip\"\nflavour = 1")
            .replace("price = 10", "price = -10")
            .replace(
                "default_resolution = \"720p\"",
                "default_resolution = \"4k\"",
            )
            .replace("on = 1.25", "on = 1.25001")
            + "\n[[products]]\nid = \"video/clip\"\nname = \"Again\"\nstudio = \"video\"\ntier = \"pro\"\nmeter = \"call\"\nprice = 1\n";
        let found = errors(&text);
        assert_eq!(found.len(), 5, "{found:#?}");
        for line in &found {
            let mut parts = line.splitn(4, ':');
            assert_eq!(parts.next(), Some("c.toml"));
            assert!(parts.next().unwrap().parse::<usize>().is_ok(), "{line}");
            assert!(parts.next().unwrap().parse::<usize>().is_ok(), "{line}");
        }
    }

    /// A catalog whose commercial sections hold seven mistakes. The line
    /// numbers in the comments are the ones the test expects.
    const PLANS_WITH_MISTAKES: &str = r#"id = "t"
version = "1"
rounding = "up"
tiers = ["basic"]

[[products]]
id = "video/clip"
name = "Clip"
studio = "video"
tier = "basic"
meter = "second"
price = 10
quantity = { min = 1, max = 10 }
resolutions = { "720p" = 1, "1080p" = 2 }
default_resolution = "720p"

[resolutions]
video = ["720p", "1080p"]

[wallet]
[[wallet.allowances]]
id = "monthly"
source = "monthly"
amount = 100

[[wallet.allowances]]
id = "daily"
source = "daily"
amount = 10

[[plans]]
id = "free"
name = "Free"
colour = "green"
grants = ["daily", "weekly"]
limits = { max_resolution = { video = "4k" } }

[[plans]]
id = "pro"
name = "Pro"
billing = [{ cycle = "monthly", price = -500, grants = ["monthly"] }]
packs = ["small", "huge"]
pack_discount = 150

[[packs]]
id = "small"
name = "Small"
credits = 100
price = 500

[[addons]]
id = "boost"
name = "Boost"
allowance = "daily"
price = 300
"#;

    #[test]
    fn every_mistake_in_plans_packs_and_addons_is_located() {
        let found = errors(PLANS_WITH_MISTAKES);
        assert_eq!(
            found,
            [
                // Line 34 `colour = "green"`: the key, column 1.
                "c.toml:34:1: unknown key \"colour\" in plans[0] (expected one of: id, name, billing, grants, seats, packs, pack_discount, addons, limits, custom, listed)",
                // Line 35 `grants = ["daily", "weekly"]`: `grants = [` is 10
                // characters, `"daily"` 7 more, then `, `: "weekly" at 20.
                "c.toml:35:20: plans[0].grants[1]: no allowance \"weekly\" in [wallet] allowances",
                // Line 36 `limits = { max_resolution = { video = "4k" } }`:
                // `limits = { ` 11, `max_resolution = { ` 19, `video = ` 8:
                // "4k" at 11 + 19 + 8 + 1 = 39.
                "c.toml:36:39: plans[0].limits.max_resolution.video: resolution \"4k\" is not on the video ladder",
                // Line 41: `billing = [{ cycle = "monthly", price = ` is 40
                // characters: -500 at 41.
                "c.toml:41:41: plans[1].billing[0].price: must not be negative, found -500",
                // Line 42 `packs = ["small", "huge"]`: `packs = [` 9,
                // `"small", ` 9: "huge" at 19.
                "c.toml:42:19: plans[1].packs[1]: no pack \"huge\" in [[packs]]",
                // Line 43 `pack_discount = 150`: 13 + 3 characters, 150 at 17.
                "c.toml:43:17: plans[1].pack_discount: the pack discount is a percentage, 0 … 100, found 150",
                // Line 54 `allowance = "daily"`: 9 + 3 characters, at 13.
                "c.toml:54:13: addons[0].allowance: allowance \"daily\" must have source \"addon\" and be granted per seat (one seat per unit)",
            ]
        );
    }

    #[test]
    fn plan_mistakes_in_nested_tables_are_located_at_the_value() {
        // Seats as a table, limits as a table section, options by name.
        let text = format!(
            "{GOOD}\n[[plans]]\nid = \"team\"\nname = \"Team\"\nseats = {{ min = 5, max = 2 }}\n[plans.limits]\ntiers = [\"basic\", \"gold\"]\nmax_outputs = 0\noptions = {{ audio = [\"loud\"] }}\n"
        );
        // GOOD is a leading empty line and 17 lines of content, ending with
        // a newline; the `\n` after it is line 19, so `[[plans]]` is line
        // 20, seats line 23, tiers line 25, max_outputs 26, options 27.
        let found = errors(&text);
        assert_eq!(
            found,
            [
                // The seats table starts after `seats = `: column 9.
                "c.toml:23:9: plans[0].seats: seats must satisfy 1 ≤ min ≤ max ≤ 2^53 − 1, found min 5 and max 2",
                // `tiers = ["basic", ` is 18 characters: "gold" at 19.
                "c.toml:25:19: plans[0].limits.tiers[1]: unknown tier \"gold\"",
                // `max_outputs = ` is 14 characters.
                "c.toml:26:15: plans[0].limits.max_outputs: max outputs must be at least 1",
                // `options = { audio = [` is 21 characters.
                "c.toml:27:22: plans[0].limits.options.audio[0]: no product offers audio = \"loud\"",
            ]
        );
    }

    #[test]
    fn key_order_and_whitespace_do_not_change_the_fingerprint() {
        let a = load(GOOD, "a").unwrap();
        let reordered = r#"
tiers = [ "basic",   "pro" ]
rounding   = "up"
version = "1"
id = "t"

[[products]]
options.audio = { values = { on = 1.2500, off = 1.0 }, default = "off" }
default_resolution = "720p"
resolutions = { "1080p" = "1.5", "720p" = 1 }
quantity = { default = 5, max = 10, min = 1 }
price = 10
meter = "second"
tier = "pro"
studio = "video"
name = "Clip"
id = "video/clip"
"#;
        let b = load(reordered, "b").unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
    }
}
