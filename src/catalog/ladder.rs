//! Resolutions in the studio's ladder order (`[resolutions]` in the
//! catalog, lowest first: `480p, 720p, 1080p, 4k`), for every message and
//! listing that names a product's resolutions. A product's own
//! `resolutions` table is a map sorted by name (`1080p, 480p, 4k, 720p`),
//! which is no order a person expects.

use super::{CatalogSpec, Product, Studio};
use crate::error::list_keys;

impl CatalogSpec {
    /// The studio's resolution ladder, lowest first (empty without one).
    #[cfg(feature = "plans")]
    fn ladder(&self, studio: Studio) -> impl Iterator<Item = &str> {
        self.resolutions
            .get(&studio)
            .into_iter()
            .flatten()
            .map(String::as_str)
    }

    /// The studio's resolution ladder, lowest first (empty without one),
    /// read from the commercial sections kept as given (the slim engine).
    #[cfg(not(feature = "plans"))]
    fn ladder(&self, studio: Studio) -> impl Iterator<Item = &str> {
        use serde_json::Value;
        let ladder = match self.commerce.get("resolutions") {
            Some(Value::Object(ladders)) => match ladders.get(studio.as_str()) {
                Some(Value::Array(names)) => names.as_slice(),
                _ => &[],
            },
            _ => &[],
        };
        ladder.iter().filter_map(|name| match name {
            Value::String(name) => Some(name.as_str()),
            _ => None,
        })
    }

    /// `product`'s resolutions, comma-separated, in its studio's ladder
    /// order; in name order when the ladder does not name each of them
    /// once (a catalog without one: a valid ladder names every resolution
    /// of its studio's products, each once).
    pub(crate) fn list_resolutions(&self, product: &Product) -> String {
        let mut out = String::new();
        let mut listed = 0;
        for name in self.ladder(product.studio) {
            if product.resolutions.contains_key(name) {
                if listed > 0 {
                    out.push_str(", ");
                }
                out.push_str(name);
                listed += 1;
            }
        }
        if listed == product.resolutions.len() {
            out
        } else {
            list_keys(&product.resolutions)
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::catalog::Studio;
    use crate::catalog::tests::sample_spec;
    use crate::money::Multiplier;

    #[test]
    fn resolutions_follow_the_ladder_then_name_order() {
        let mut spec = sample_spec();
        let mut clip = spec.products[0].clone();
        assert_eq!(clip.studio, Studio::Video);
        clip.resolutions = ["1080p", "480p", "4k", "720p", "8k"]
            .into_iter()
            .map(|n| (n.into(), Multiplier::ONE))
            .collect();
        // No ladder: name order, as the map keeps them.
        assert_eq!(spec.list_resolutions(&clip), "1080p, 480p, 4k, 720p, 8k");
        // A ladder that names 240p, which clip lacks.
        let ladder = ["240p", "480p", "720p", "1080p", "4k"];
        #[cfg(feature = "plans")]
        spec.resolutions
            .insert(Studio::Video, ladder.map(String::from).to_vec());
        #[cfg(not(feature = "plans"))]
        spec.commerce
            .insert("resolutions".into(), serde_json::json!({ "video": ladder }));
        // 8k is not on the ladder: name order, as without one.
        assert_eq!(spec.list_resolutions(&clip), "1080p, 480p, 4k, 720p, 8k");
        // Lowest first.
        clip.resolutions.remove("8k");
        assert_eq!(spec.list_resolutions(&clip), "480p, 720p, 1080p, 4k");
        // Another studio's ladder does not apply.
        clip.studio = Studio::Image;
        assert_eq!(spec.list_resolutions(&clip), "1080p, 480p, 4k, 720p");
    }

    #[test]
    #[cfg(feature = "plans")]
    fn validation_lists_resolutions_in_ladder_order() {
        let mut spec = sample_spec();
        spec.resolutions.insert(
            Studio::Video,
            vec!["480p".into(), "720p".into(), "1080p".into()],
        );
        spec.products[0].default_resolution = Some("4k".into());
        let error = crate::Catalog::new(spec).unwrap_err();
        let messages: Vec<&str> = error
            .diagnostics()
            .iter()
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(
            messages,
            ["default resolution \"4k\" is not listed in resolutions (720p, 1080p)"]
        );
    }
}
