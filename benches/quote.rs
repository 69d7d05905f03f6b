//! Native pricing throughput on a pre-parsed catalog and pre-parsed requests.
//!
//! `cargo bench --bench quote` prints time per quote; criterion's
//! `Throughput::Elements` also prints quotes (or items) per second.
#![allow(missing_docs, clippy::expect_used)]

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use genprice::{Catalog, Request, quote};
use std::hint::black_box;

fn catalog() -> Catalog {
    Catalog::from_toml(include_str!("../pricing.toml"), "pricing.toml")
        .expect("pricing.toml is valid")
}

fn request(json: &str) -> Request {
    Request::from_json_str(json).expect("bench request is valid")
}

/// A 100-item scene cycling through every studio.
fn scene() -> Request {
    let kinds = [
        r#"{"product":"image/flux-pro","outputs":2,"resolution":"2k","options":{"quality":"high"}}"#,
        r#"{"product":"video/veo-3","seconds":8,"resolution":"1080p","options":{"audio":"on"}}"#,
        r#"{"product":"video/kling-2","seconds":10,"resolution":"4k","options":{"fps":"60"}}"#,
        r#"{"product":"music/lyria-2","seconds":45}"#,
        r#"{"product":"voice/narrator","characters":800}"#,
        r#"{"product":"text/draft","tokens":1200}"#,
        r#"{"product":"edit/upscale","megapixels":8,"options":{"scale":"4x"}}"#,
        r#"{"product":"edit/remove-background"}"#,
        r#"{"product":"image/sdxl-lite","outputs":4}"#,
        r#"{"product":"edit/extend-video","seconds":4}"#,
    ];
    let items: Vec<&str> = kinds.iter().copied().cycle().take(100).collect();
    request(&format!(r#"{{"items":[{}]}}"#, items.join(",")))
}

fn bench(c: &mut Criterion) {
    let catalog = catalog();
    let single = request(
        r#"{"product":"video/veo-3","seconds":8,"resolution":"1080p","options":{"audio":"on"}}"#,
    );
    let scene = scene();

    let mut group = c.benchmark_group("quote");
    group.throughput(Throughput::Elements(1));
    group.bench_function("single_item", |b| {
        b.iter(|| quote(black_box(&catalog), black_box(&single)).expect("prices"))
    });
    group.throughput(Throughput::Elements(100));
    group.bench_function("scene_100_items", |b| {
        b.iter(|| quote(black_box(&catalog), black_box(&scene)).expect("prices"))
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function("parse_and_quote_single_from_text", |b| {
        let text = r#"{"product":"video/veo-3","seconds":8,"resolution":"1080p","options":{"audio":"on"}}"#;
        b.iter_batched(
            || text,
            |t| quote(&catalog, &Request::from_json_str(black_box(t)).expect("parses")).expect("prices"),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
