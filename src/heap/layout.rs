//! How the running JVM laid objects out, which fixes their shallow sizes.
//!
//! The dump does not say: we infer it from the gaps between object
//! addresses (HotSpot writes objects in address order, so the gap between
//! neighbours is the first one's true size) and accept an override.

use std::fmt;

use super::shapes::{FieldOrder, SizeRules};

/// Object layout of the JVM that wrote the dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Layout {
    /// Object header bytes (mark word and class pointer).
    pub header: u32,
    /// Bytes of one reference field or object-array element.
    pub reference: u32,
    /// Bytes before an array's first element (header plus length),
    /// before aligning the start to the element size.
    pub array_header: u32,
    /// Object alignment in bytes.
    pub align: u32,
    pub compressed_oops: bool,
    pub compressed_class_pointers: bool,
}

/// A named layout: the command line's `--layout` value and the model's name.
#[derive(Clone, Copy, Debug)]
pub struct NamedLayout {
    pub name: &'static str,
    pub description: &'static str,
    pub layout: Layout,
}

const fn layout(header: u32, reference: u32, array_header: u32, oops: bool, klass: bool) -> Layout {
    Layout {
        header,
        reference,
        array_header,
        align: 8,
        compressed_oops: oops,
        compressed_class_pointers: klass,
    }
}

/// The layouts 64-bit HotSpot uses, most common first.
pub const LAYOUTS_64: [NamedLayout; 5] = [
    NamedLayout {
        name: "compressed",
        description: "64-bit, compressed oops and class pointers (the default below 32 GB heaps)",
        layout: layout(12, 4, 16, true, true),
    },
    NamedLayout {
        name: "wide-oops",
        description: "64-bit, -XX:-UseCompressedOops with compressed class pointers",
        layout: layout(12, 8, 16, false, true),
    },
    NamedLayout {
        name: "wide",
        description: "64-bit, no compressed oops nor class pointers (JDK 8-21 array layout)",
        layout: layout(16, 8, 24, false, false),
    },
    NamedLayout {
        name: "wide-packed",
        description: "64-bit, no compressed oops nor class pointers (JDK 22+ array layout)",
        layout: layout(16, 8, 20, false, false),
    },
    NamedLayout {
        name: "compact-headers",
        description: "64-bit, -XX:+UseCompactObjectHeaders (JDK 24+)",
        layout: layout(8, 4, 12, true, true),
    },
];

/// The layout of 32-bit JVMs (and the assumption for 4-byte ids).
pub const LAYOUT_32: NamedLayout = NamedLayout {
    name: "32-bit",
    description: "32-bit JVM",
    layout: layout(8, 4, 12, false, false),
};

impl Layout {
    #[inline]
    pub fn align_up(&self, n: u64) -> u64 {
        let a = self.align as u64;
        n.div_ceil(a) * a
    }

    /// Size of an instance whose class chain has `prim_bytes` of primitive
    /// fields and `refs` reference fields.
    #[inline]
    pub fn instance_size(&self, prim_bytes: u64, refs: u64) -> u64 {
        self.align_up(self.header as u64 + prim_bytes + refs * self.reference as u64)
    }

    /// Offset of an array's first element of `elem` bytes.
    #[inline]
    pub fn array_base(&self, elem: u32) -> u64 {
        let e = elem.max(1) as u64;
        (self.array_header as u64).div_ceil(e) * e
    }

    /// Size of an array of `count` elements of `elem` bytes each.
    #[inline]
    pub fn array_size(&self, elem: u32, count: u64) -> u64 {
        self.align_up(self.array_base(elem) + count * elem as u64)
    }

    /// Parses `--layout`: a name from [`LAYOUTS_64`] or [`LAYOUT_32`], or
    /// `header=12,ref=4,array=16,align=8`.
    pub fn parse(text: &str) -> Result<Layout, String> {
        if let Some(named) = LAYOUTS_64
            .iter()
            .chain(std::iter::once(&LAYOUT_32))
            .find(|l| l.name == text)
        {
            return Ok(named.layout);
        }
        let mut l = LAYOUTS_64[0].layout;
        let mut seen = false;
        for part in text.split(',') {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| Self::usage(text, "expected key=value"))?;
            let value: u32 = value
                .trim()
                .parse()
                .map_err(|_| Self::usage(text, "values are whole numbers"))?;
            match key.trim() {
                "header" => l.header = value,
                "ref" | "reference" => l.reference = value,
                "array" | "array_header" => l.array_header = value,
                "align" => {
                    if !value.is_power_of_two() {
                        return Err(Self::usage(text, "align must be a power of two"));
                    }
                    l.align = value
                }
                other => return Err(Self::usage(text, &format!("unknown key '{other}'"))),
            }
            seen = true;
        }
        if !seen || l.reference == 0 || l.reference > 8 {
            return Err(Self::usage(text, "ref must be 1 to 8"));
        }
        l.compressed_oops = l.reference == 4 && l.header >= 12;
        l.compressed_class_pointers = l.header <= 12;
        Ok(l)
    }

    fn usage(text: &str, why: &str) -> String {
        let names: Vec<&str> = LAYOUTS_64
            .iter()
            .chain(std::iter::once(&LAYOUT_32))
            .map(|l| l.name)
            .collect();
        format!(
            "bad layout '{text}': {why}; use one of {} or header=12,ref=4,array=16,align=8",
            names.join(", ")
        )
    }

    /// The name of the matching preset, if any.
    pub fn name(&self) -> Option<&'static str> {
        LAYOUTS_64
            .iter()
            .chain(std::iter::once(&LAYOUT_32))
            .find(|l| l.layout == *self)
            .map(|l| l.name)
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "header {} B, references {} B, array header {} B, alignment {} B",
            self.header, self.reference, self.array_header, self.align
        )
    }
}

/// How the layout in use was chosen.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum LayoutSource {
    /// Given by the user.
    Override,
    /// Chosen because it predicted the most address gaps.
    Inferred {
        /// Neighbouring object pairs checked.
        gaps: u64,
        /// Of those, how many gaps equal the predicted size.
        matched: u64,
        /// The next best candidate and how many it matched.
        runner_up: Option<(String, u64)>,
    },
    /// Nothing to measure (hand-made or tiny dump, or ids that are not
    /// addresses): a default, and why.
    Assumed(String),
}

/// The layout in use and why.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct LayoutChoice {
    pub layout: Layout,
    /// How fields are placed (by JDK version).
    pub rules: SizeRules,
    pub source: LayoutSource,
    /// Where the field rules come from: the JVM version, or the gaps.
    pub rules_from: String,
}

impl LayoutChoice {
    /// Share of checked gaps the chosen layout predicted (1.0 for an override).
    pub fn confidence(&self) -> f64 {
        match self.source {
            LayoutSource::Inferred { gaps, matched, .. } if gaps > 0 => {
                matched as f64 / gaps as f64
            }
            LayoutSource::Override => 1.0,
            _ => 0.0,
        }
    }

    /// One line for people: what was chosen and how sure.
    pub fn describe(&self) -> String {
        let name = self
            .layout
            .name()
            .map(|n| format!("{n} ({})", self.layout))
            .unwrap_or_else(|| self.layout.to_string());
        let mut s = match &self.source {
            LayoutSource::Override => format!("{name}; set with --layout"),
            LayoutSource::Assumed(why) => {
                format!("{name}; assumed: {why} (--layout overrides)")
            }
            LayoutSource::Inferred {
                gaps,
                matched,
                runner_up,
            } => {
                let mut s = format!(
                    "{name}; inferred from {gaps} address gaps, {:.1}% predicted exactly",
                    100.0 * *matched as f64 / (*gaps).max(1) as f64
                );
                if let Some((other, m)) = runner_up {
                    s.push_str(&format!(
                        " (next best: {other}, {:.1}%)",
                        100.0 * *m as f64 / (*gaps).max(1) as f64
                    ));
                }
                s
            }
        };
        s.push_str(&format!(
            "; {} ({})",
            self.rules.order.describe(),
            self.rules_from
        ));
        s
    }
}

/// What the size of a sampled object depends on.
#[derive(Clone, Copy, Debug)]
pub enum SizeKey {
    /// An instance of this class index.
    Instance(u32),
    /// An array; `elem` is `None` for object arrays (reference-sized).
    Array { elem: Option<u32>, count: u32 },
}

/// A layout and field rules to try, with the instance sizes they give.
pub struct Candidate {
    pub layout: NamedLayout,
    pub rules: SizeRules,
    /// Per class index: the shallow size of one instance.
    pub sizes: Vec<u64>,
}

impl Candidate {
    fn predicted(&self, key: SizeKey) -> u64 {
        let l = &self.layout.layout;
        match key {
            SizeKey::Instance(c) => self.sizes[c as usize],
            SizeKey::Array { elem, count } => {
                l.array_size(elem.unwrap_or(l.reference), count as u64)
            }
        }
    }

    fn label(&self, all: &[Candidate]) -> String {
        // Name the field rules only where candidates differ in them.
        if all.iter().all(|c| c.rules.order == self.rules.order) {
            self.layout.name.to_string()
        } else {
            format!(
                "{} with JDK {} fields",
                self.layout.name,
                match self.rules.order {
                    FieldOrder::Legacy => "6-14",
                    FieldOrder::Packed => "15+",
                }
            )
        }
    }
}

/// Chooses the candidate that predicts the most gaps; `pairs` holds (gap
/// to the next object's address, what the object's size depends on). On
/// a tie, the earlier candidate. Returns the index of the chosen one.
pub fn infer(candidates: &[Candidate], pairs: &[(u64, SizeKey)]) -> (usize, LayoutSource) {
    let mut scores: Vec<(u64, usize)> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let m = pairs
                .iter()
                .filter(|(gap, key)| c.predicted(*key) == *gap)
                .count() as u64;
            (m, i)
        })
        .collect();
    // Most matches first; on a tie the earlier (more common) candidate.
    scores.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let (matched, best) = scores[0];
    (
        best,
        LayoutSource::Inferred {
            gaps: pairs.len() as u64,
            matched,
            runner_up: scores
                .get(1)
                .map(|&(m, i)| (candidates[i].label(candidates), m)),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_hotspot() {
        let c = LAYOUTS_64[0].layout;
        assert_eq!(c.instance_size(0, 0), 16); // new Object()
        assert_eq!(c.instance_size(4, 1), 24); // int + ref: 12+4+4=20 -> 24
        assert_eq!(c.array_size(1, 0), 16);
        assert_eq!(c.array_size(1, 1), 24);
        assert_eq!(c.array_size(4, 2), 24);
        assert_eq!(c.array_size(4, 3), 32);
        let w = LAYOUTS_64[2].layout;
        assert_eq!(w.array_size(4, 1), 32);
        let p = LAYOUTS_64[3].layout;
        assert_eq!(p.array_size(4, 1), 24);
        assert_eq!(p.array_size(8, 1), 32);
    }

    #[test]
    fn parse_names_and_keys() {
        assert_eq!(Layout::parse("wide-oops").unwrap().reference, 8);
        let l = Layout::parse("header=16,ref=8,array=24,align=16").unwrap();
        assert_eq!(
            (l.header, l.reference, l.array_header, l.align),
            (16, 8, 24, 16)
        );
        assert!(Layout::parse("bogus").is_err());
        assert!(Layout::parse("align=12").is_err());
    }

    #[test]
    fn infers_the_candidate_that_predicts_gaps() {
        let rules = SizeRules::of_feature(17);
        let candidates: Vec<Candidate> = LAYOUTS_64
            .iter()
            .map(|&layout| Candidate {
                layout,
                rules,
                sizes: vec![layout.layout.instance_size(4, 1)],
            })
            .collect();
        let truth = &candidates[1];
        let keys = [
            SizeKey::Instance(0),
            SizeKey::Array {
                elem: None,
                count: 3,
            },
            SizeKey::Array {
                elem: Some(1),
                count: 5,
            },
        ];
        let pairs: Vec<_> = keys.iter().map(|&k| (truth.predicted(k), k)).collect();
        let (best, source) = infer(&candidates, &pairs);
        assert_eq!(best, 1);
        assert!(matches!(
            source,
            LayoutSource::Inferred {
                gaps: 3,
                matched: 3,
                ..
            }
        ));
    }
}
