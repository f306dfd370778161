//! How the running JVM laid objects out, which fixes their shallow sizes.
//!
//! The dump does not say: we infer it from the gaps between object
//! addresses (HotSpot writes objects in address order, so the gap between
//! neighbours is the first one's true size) and accept an override.

use std::fmt;

/// Object layout of the JVM that wrote the dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    fn align_up(&self, n: u64) -> u64 {
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
#[derive(Clone, Debug, PartialEq)]
pub enum LayoutSource {
    /// Given by the user.
    Override,
    /// Chosen because it predicted the most address gaps.
    Inferred {
        /// Neighbouring object pairs checked.
        gaps: u64,
        /// Of those, how many gaps equal the predicted size.
        matched: u64,
        /// The next best layout and how many it matched.
        runner_up: Option<(&'static str, u64)>,
    },
    /// No usable address gaps (hand-made or tiny dump): a default.
    Assumed(&'static str),
}

/// The layout in use and why.
#[derive(Clone, Debug)]
pub struct LayoutChoice {
    pub layout: Layout,
    pub source: LayoutSource,
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
        match &self.source {
            LayoutSource::Override => format!("{name}; set on the command line"),
            LayoutSource::Assumed(why) => format!("{name}; assumed: {why}"),
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
        }
    }
}

/// What an instance's size depends on: its fields' primitive bytes and
/// reference count, the fields the VM injects included.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shape {
    pub prim: u32,
    pub refs: u32,
    /// Fields of an ancestor that HotSpot lays out and aligns on its own
    /// before the subclasses' fields (java.lang.Thread, whose @Contended
    /// padding or injected fields subclasses cannot share): (prim, refs).
    pub padded: Option<(u32, u32)>,
}

impl Layout {
    /// Size of an instance of this shape.
    pub fn shape_size(&self, s: Shape) -> u64 {
        match s.padded {
            None => self.instance_size(s.prim as u64, s.refs as u64),
            Some((p, r)) => {
                let base = self.instance_size(p as u64, r as u64);
                self.align_up(base + s.prim as u64 + s.refs as u64 * self.reference as u64)
            }
        }
    }
}

/// What the size of a sampled object depends on.
#[derive(Clone, Copy, Debug)]
pub enum SizeKey {
    Instance(Shape),
    /// An array; `elem` is `None` for object arrays (reference-sized).
    Array {
        elem: Option<u32>,
        count: u32,
    },
}

fn predicted(l: &Layout, key: SizeKey) -> u64 {
    match key {
        SizeKey::Instance(shape) => l.shape_size(shape),
        SizeKey::Array { elem, count } => l.array_size(elem.unwrap_or(l.reference), count as u64),
    }
}

/// Chooses the candidate that predicts the most gaps. `pairs` yields
/// (gap to the next object's address, what the object's size depends on).
pub fn infer(id_size: u32, pairs: &[(u64, SizeKey)]) -> LayoutChoice {
    let candidates: Vec<NamedLayout> = if id_size == 4 {
        vec![LAYOUT_32]
    } else {
        LAYOUTS_64.to_vec()
    };
    if pairs.is_empty() || candidates.len() == 1 {
        return LayoutChoice {
            layout: candidates[0].layout,
            source: LayoutSource::Assumed(if id_size == 4 {
                "4-byte identifiers mean a 32-bit JVM"
            } else {
                "no neighbouring objects to measure; the 64-bit default"
            }),
        };
    }
    let mut scores: Vec<(u64, usize)> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let m = pairs
                .iter()
                .filter(|(gap, key)| predicted(&c.layout, *key) == *gap)
                .count() as u64;
            (m, i)
        })
        .collect();
    // Most matches first; on a tie the earlier (more common) layout.
    scores.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let (matched, best) = scores[0];
    LayoutChoice {
        layout: candidates[best].layout,
        source: LayoutSource::Inferred {
            gaps: pairs.len() as u64,
            matched,
            runner_up: scores.get(1).map(|&(m, i)| (candidates[i].name, m)),
        },
    }
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
        // A Thread-like class laid out on its own, then a subclass byte.
        let shape = Shape {
            prim: 1,
            refs: 0,
            padded: Some((4, 1)),
        };
        assert_eq!(c.shape_size(shape), 32); // align(12+4+4=20 -> 24, +1) = 32
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
    fn infers_the_layout_that_predicts_gaps() {
        let truth = LAYOUTS_64[1].layout;
        let keys = [
            SizeKey::Instance(Shape {
                prim: 4,
                refs: 1,
                padded: None,
            }),
            SizeKey::Array {
                elem: None,
                count: 3,
            },
            SizeKey::Array {
                elem: Some(1),
                count: 5,
            },
            SizeKey::Instance(Shape {
                prim: 0,
                refs: 3,
                padded: None,
            }),
        ];
        let pairs: Vec<_> = keys.iter().map(|&k| (predicted(&truth, k), k)).collect();
        let choice = infer(8, &pairs);
        assert_eq!(choice.layout, truth);
        assert_eq!(choice.confidence(), 1.0);
    }
}
