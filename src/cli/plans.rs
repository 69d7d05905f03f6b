//! `genprice plans`: the catalog's plans as a table for people, or as JSON
//! (`--json`, the same [`PlanSheet`]s `engine.plans()` returns).

use super::{catalog_or_exit, write_out};
use clap::Args;
use genprice::plan::{PlanSheet, plan_sheet};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `genprice plans`.
#[derive(Args)]
pub struct PlansArgs {
    /// Catalog to read.
    #[arg(long, short, default_value = "pricing.toml", value_name = "FILE")]
    catalog: PathBuf,
    /// Print JSON (one array of plan offers with their limits) instead
    /// of a table.
    #[arg(long)]
    json: bool,
    /// Price per-seat plans at this many seats (default: each plan's
    /// fewest). A per-seat plan not sold with this many seats is left out,
    /// with a note on stderr; single-user plans are listed as usual.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    seats: Option<u64>,
}

/// Runs `genprice plans`.
pub fn run(args: PlansArgs) -> Result<ExitCode, String> {
    let catalog = match catalog_or_exit(&args.catalog) {
        Ok(catalog) => catalog,
        Err(code) => return Ok(code),
    };
    let mut sheets = Vec::new();
    for plan in &catalog.spec().plans {
        let seats = match (args.seats, &plan.seats) {
            (Some(n), Some(range)) if n < range.min || n > range.max => {
                eprintln!(
                    "genprice plans: {} left out: it is sold with {}–{} seats, not {n}",
                    plan.id, range.min, range.max
                );
                continue;
            }
            (Some(n), Some(_)) => n,
            _ => plan.default_seats(),
        };
        sheets.push(plan_sheet(&catalog, plan, seats));
    }
    if args.json {
        let text = serde_json::to_string(&sheets).map_err(|e| e.to_string())?;
        write_out(|out| writeln!(out, "{text}"))?;
    } else {
        let unit = &catalog.spec().unit;
        write_out(|out| write_table(out, &sheets, unit))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn money(minor: u64, currency: &str) -> String {
    genprice::catalog::format_money(minor, currency)
}

fn write_table(out: &mut dyn Write, sheets: &[PlanSheet], unit: &str) -> std::io::Result<()> {
    let mut rows = vec![[
        "PLAN".to_string(),
        "BILLING".into(),
        "PRICE".into(),
        format!("{unit}/CYCLE").to_uppercase(),
        format!("{unit}/MONTH").to_uppercase(),
        "ALLOWS".into(),
    ]];
    for sheet in sheets {
        let plan = &sheet.offer;
        let mut name = format!("{} ({})", plan.name, plan.id);
        if !sheet.listed {
            name.push_str(" [unlisted]");
        }
        if plan.seats > 1 || sheet.seat_range.is_some() {
            name.push_str(&format!(" ×{} seats", plan.seats));
        }
        let allows = describe_limits(sheet);
        if plan.custom {
            rows.push([
                name,
                "contract".into(),
                "contact sales".into(),
                "custom".into(),
                "custom".into(),
                allows,
            ]);
            continue;
        }
        for (i, billing) in plan.billing.iter().enumerate() {
            rows.push([
                if i == 0 { name.clone() } else { String::new() },
                billing.cycle.as_str().into(),
                money(billing.price, &plan.currency),
                billing.credits.to_string(),
                billing.credits_per_month.to_string(),
                if i == 0 {
                    allows.clone()
                } else {
                    String::new()
                },
            ]);
        }
    }
    let mut widths = [0usize; 6];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in &rows {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(w - cell.chars().count() + 2));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

fn describe_limits(sheet: &PlanSheet) -> String {
    let limits = &sheet.limits;
    let mut parts = Vec::new();
    if let Some(tiers) = &limits.tiers {
        parts.push(format!("tiers {}", tiers.join(",")));
    }
    if let Some(products) = &limits.products {
        parts.push(format!("products {}", products.join(",")));
    }
    for (studio, max) in &limits.max_resolution {
        parts.push(format!("{} ≤{max}", studio.as_str()));
    }
    if let Some(s) = limits.max_seconds {
        parts.push(format!("≤{s} s"));
    }
    if let Some(o) = limits.max_outputs {
        parts.push(format!("≤{o} outputs"));
    }
    for (name, values) in &limits.options {
        parts.push(format!("{name} {}", values.join(",")));
    }
    if parts.is_empty() {
        "everything".into()
    } else {
        parts.join("; ")
    }
}
