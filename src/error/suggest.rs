//! "Did you mean": the valid names nearest a name that was not found.
//!
//! Names are compared folded (ASCII letters and digits only, lowercased:
//! `Video/Veo_3` and `video/veo-3` fold alike). A name is at distance 0
//! when it contains what was typed (3 or more characters: `veo3` →
//! `video/veo-3`, `flux` → `image/flux-pro`), else at the Levenshtein
//! distance. It is suggested when that is at most a third of the typed
//! length (at least 1, at most 3). Closest first, then in the order
//! offered; at most [`MAX_SUGGESTIONS`].
//!
//! Cheap on hostile input: text longer than [`MAX_LEN`] bytes is never
//! compared (a 10 MB id gets no suggestions, in no time), each comparison
//! costs at most `MAX_LEN²` steps, and nothing is allocated per name.

/// At most this many suggestions.
pub const MAX_SUGGESTIONS: usize = 3;

/// Longest text, in bytes, that is compared.
pub const MAX_LEN: usize = 64;

/// Folded text: its bytes and how many there are.
type Folded = ([u8; MAX_LEN], usize);

/// Collects the names nearest `typed`: offer each valid name, then take
/// [`Nearest::names`]. (Offered one by one, so the callers' different
/// collections share one copy of this code in the browser build.)
pub(crate) struct Nearest<'a> {
    typed: Option<Folded>,
    found: Vec<(usize, &'a str)>,
}

impl<'a> Nearest<'a> {
    /// Nothing found yet; nothing will be when `typed` is too long.
    pub(crate) fn new(typed: &str) -> Nearest<'a> {
        Nearest {
            typed: fold(typed),
            found: Vec::new(),
        }
    }

    /// Considers `name`.
    pub(crate) fn offer(&mut self, name: &'a str) {
        let (Some((t, t_len)), Some((n, n_len))) = (&self.typed, fold(name)) else {
            return;
        };
        let (Some(typed), Some(folded)) = (t.get(..*t_len), n.get(..n_len)) else {
            return;
        };
        let d = distance(typed, folded);
        if d <= (typed.len() / 3).clamp(1, 3) {
            self.found.push((d, name));
        }
    }

    /// The nearest names offered, closest first, at most
    /// [`MAX_SUGGESTIONS`].
    pub(crate) fn names(self) -> Vec<String> {
        let mut out = Vec::new();
        // Distances are at most 3: four passes, no sort.
        for distance in 0..4 {
            for (d, name) in &self.found {
                if *d == distance && out.len() < MAX_SUGGESTIONS {
                    out.push(name.to_string());
                }
            }
        }
        out
    }
}

/// ASCII letters and digits of `text`, lowercased; `None` when `text` is
/// longer than [`MAX_LEN`] bytes or has none.
fn fold(text: &str) -> Option<Folded> {
    if text.len() > MAX_LEN {
        return None;
    }
    let mut out = [0u8; MAX_LEN];
    let mut len = 0;
    for b in text.bytes().filter(u8::is_ascii_alphanumeric) {
        if let Some(slot) = out.get_mut(len) {
            *slot = b.to_ascii_lowercase();
            len += 1;
        }
    }
    (len > 0).then_some((out, len))
}

/// 0 when `name` contains `typed` (3 or more bytes), else the Levenshtein
/// distance from `typed` to `name`.
fn distance(typed: &[u8], name: &[u8]) -> usize {
    if typed.len() >= 3 && name.windows(typed.len()).any(|w| w == typed) {
        return 0;
    }
    // One row of the table: row[j] = distance(typed[..i], name[..j]).
    let mut row = [0usize; MAX_LEN + 1];
    for (j, cell) in row.iter_mut().enumerate() {
        *cell = j;
    }
    for (i, x) in typed.iter().enumerate() {
        let (mut diagonal, mut left) = (i, i + 1);
        for (cell, y) in row.iter_mut().skip(1).zip(name) {
            let value = (diagonal + usize::from(x != y))
                .min(*cell + 1)
                .min(left + 1);
            diagonal = *cell;
            *cell = value;
            left = value;
        }
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
    }
    row.get(name.len()).copied().unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRODUCTS: [&str; 6] = [
        "image/flux-pro",
        "image/flux-schnell",
        "image/imagen-ultra",
        "video/veo-3",
        "video/wan-fast",
        "video/kling-2",
    ];

    fn nearest(typed: &str, names: &[&'static str]) -> Vec<String> {
        let mut near = Nearest::new(typed);
        for name in names {
            near.offer(name);
        }
        near.names()
    }

    #[test]
    fn near_names_are_suggested_closest_first() {
        assert_eq!(nearest("veo3", &PRODUCTS), ["video/veo-3"]);
        assert_eq!(nearest("video/veo-4", &PRODUCTS), ["video/veo-3"]);
        assert_eq!(nearest("Video/Veo_3", &PRODUCTS), ["video/veo-3"]);
        assert_eq!(nearest("vdeo/veo-3", &PRODUCTS), ["video/veo-3"]);
        assert_eq!(nearest("veo", &PRODUCTS), ["video/veo-3"]);
        // Contained: both FLUX models, in the order offered.
        assert_eq!(
            nearest("image/flux", &PRODUCTS),
            ["image/flux-pro", "image/flux-schnell"]
        );
        assert_eq!(
            nearest("flux", &PRODUCTS),
            ["image/flux-pro", "image/flux-schnell"]
        );
        assert_eq!(nearest("image/flux-pr", &PRODUCTS), ["image/flux-pro"]);
        assert_eq!(nearest("qualty", &["quality", "fps"]), ["quality"]);
        assert_eq!(nearest("hgh", &["standard", "high"]), ["high"]);
        // Equally near "on" and "off": in the order offered.
        assert_eq!(nearest("of", &["on", "off"]), ["on", "off"]);
        assert_eq!(nearest("offf", &["on", "off"]), ["off"]);
    }

    #[test]
    fn far_names_and_hostile_input_get_nothing() {
        assert!(nearest("music/lyria", &PRODUCTS).is_empty());
        assert!(nearest("", &PRODUCTS).is_empty());
        assert!(nearest("--", &PRODUCTS).is_empty());
        assert!(nearest("x", &["quality"]).is_empty());
        let huge = "video/veo-3".repeat(1_000_000);
        assert!(nearest(&huge, &PRODUCTS).is_empty());
        assert!(nearest(&"v".repeat(MAX_LEN + 1), &["v"]).is_empty());
    }

    #[test]
    fn at_most_three_are_suggested() {
        let names = ["ab1", "ab2", "ab3", "ab4", "ab5"];
        assert_eq!(nearest("ab", &names), ["ab1", "ab2", "ab3"]);
    }

    #[test]
    fn the_distance_is_levenshtein_or_0_within() {
        assert_eq!(distance(b"kitten", b"sitting"), 3);
        assert_eq!(distance(b"ab", b"ba"), 2);
        assert_eq!(distance(b"ab", b"abcdef"), 4);
        assert_eq!(distance(b"abc", b"abcdef"), 0);
        assert_eq!(distance(b"cde", b"abcdef"), 0);
        assert_eq!(distance(b"abd", b"abcdef"), 3);
        assert_eq!(distance(b"abc", b"ab"), 1);
        assert_eq!(distance(b"abc", b""), 3);
        let long = [b'a'; MAX_LEN];
        assert_eq!(distance(&long, b"b"), MAX_LEN);
    }
}
