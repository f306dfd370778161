//! Which JVM wrote the dump: its version, vendor and VM name, read from the
//! heap itself (the system properties, or the JDK's version class) during
//! the first pass, before objects are numbered. Object sizes depend on it
//! (see [`super::shapes`]).

use std::cell::RefCell;

use rustc_hash::{FxHashMap, FxHashSet};

use super::classes::ClassTable;
use super::strings::{decode_latin1, decode_utf16};
use crate::hprof::{BasicType, SubRecord, SubRecords, Value};

/// What the dump says about the JVM that wrote it.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct JvmInfo {
    /// `java.version`: `1.8.0_292`, `11.0.13`, `21.0.8`.
    pub version: Option<String>,
    /// The feature release the version names: 6, 8, 11, 21.
    pub feature: Option<u32>,
    /// `java.vendor`.
    pub vendor: Option<String>,
    /// `java.vm.name`: `OpenJDK 64-Bit Server VM`.
    pub vm_name: Option<String>,
    /// `os.arch`: `amd64`.
    pub os_arch: Option<String>,
    /// 32 or 64, from `sun.arch.data.model`, the VM name or `os.arch`.
    pub data_model: Option<u32>,
    /// Where the version was read.
    pub source: Option<String>,
}

impl JvmInfo {
    /// One line for people: `21.0.8 (Eclipse Adoptium, OpenJDK 64-Bit
    /// Server VM), from the system properties`.
    pub fn describe(&self) -> String {
        let Some(version) = &self.version else {
            return "unknown (the heap holds neither the system properties nor a version class)"
                .to_string();
        };
        let details: Vec<&str> = [&self.vendor, &self.vm_name]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        let mut s = version.clone();
        if !details.is_empty() {
            s.push_str(&format!(" ({})", details.join(", ")));
        }
        if let Some(source) = &self.source {
            s.push_str(&format!(", from {source}"));
        }
        s
    }
}

/// The feature release of a `java.version`: `1.6.0_45` is 6, `11.0.13`
/// is 11, `25` is 25.
pub fn feature_of(version: &str) -> Option<u32> {
    let mut parts = version.split(|c: char| !c.is_ascii_digit());
    let first: u32 = parts.next()?.parse().ok()?;
    if first == 1 {
        parts.next()?.parse().ok()
    } else {
        Some(first)
    }
}

fn data_model(props: &FxHashMap<String, String>) -> Option<u32> {
    if let Some(m) = props
        .get("sun.arch.data.model")
        .and_then(|m| m.parse().ok())
    {
        return Some(m);
    }
    if let Some(name) = props.get("java.vm.name") {
        if name.contains("64-Bit") {
            return Some(64);
        }
    }
    let arch = props.get("os.arch")?;
    Some(
        if [
            "amd64", "x86_64", "aarch64", "sparcv9", "ppc64", "ppc64le", "s390x",
        ]
        .contains(&arch.as_str())
        {
            64
        } else {
            32
        },
    )
}

/// The object ids of one heap segment, to find records by id before the
/// objects are numbered.
#[derive(Clone, Debug, Default)]
pub struct SegmentIds {
    pub offset: u64,
    pub len: u64,
    pub min_id: u64,
    pub max_id: u64,
    /// Object ids strictly increase in record order (class dumps aside).
    pub increasing: bool,
    /// (id, record offset) of every [`CHECKPOINT`]th object, for segments
    /// whose ids increase.
    pub checkpoints: Vec<(u64, u64)>,
}

/// How many objects apart [`SegmentIds::checkpoints`] are.
pub const CHECKPOINT: u64 = 512;

/// Reads objects by id from the raw segments.
struct Peek<'a> {
    data: &'a [u8],
    id_size: u32,
    classes: &'a ClassTable,
    segments: &'a [SegmentIds],
    found: RefCell<FxHashMap<u64, u64>>,
}

/// A field search gives up after this many lookups (a corrupt dump may
/// hold a huge or cyclic table).
const MAX_LOOKUPS: usize = 20_000;

impl<'a> Peek<'a> {
    /// Finds the records of `ids` in one pass over each segment that may
    /// hold some of them.
    fn fetch(&self, ids: impl IntoIterator<Item = u64>) {
        let ids: Vec<u64> = ids.into_iter().collect();
        let mut found = self.found.borrow_mut();
        let mut wanted: Vec<u64> = ids
            .into_iter()
            .filter(|id| *id != 0 && !found.contains_key(id))
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        for seg in self.segments {
            let lo = wanted.partition_point(|&id| id < seg.min_id);
            let hi = wanted.partition_point(|&id| id <= seg.max_id);
            if lo >= hi {
                continue;
            }
            let here = &wanted[lo..hi];
            let end = (seg.offset + seg.len) as usize;
            if seg.increasing {
                for &id in here {
                    let k = seg.checkpoints.partition_point(|&(c, _)| c <= id);
                    let from = if k == 0 {
                        seg.offset
                    } else {
                        seg.checkpoints[k - 1].1
                    };
                    let body = &self.data[from as usize..end];
                    for (at, rec) in SubRecords::new(body, from, self.id_size).map_while(Result::ok)
                    {
                        match object_id(&rec) {
                            Some(x) if x == id => {
                                found.insert(id, at);
                                break;
                            }
                            Some(x) if x > id => break,
                            _ => {}
                        }
                    }
                }
            } else {
                let set: FxHashSet<u64> = here.iter().copied().collect();
                let body = &self.data[seg.offset as usize..end];
                for (at, rec) in
                    SubRecords::new(body, seg.offset, self.id_size).map_while(Result::ok)
                {
                    if let Some(x) = object_id(&rec).filter(|x| set.contains(x)) {
                        found.entry(x).or_insert(at);
                    }
                }
            }
        }
    }

    fn record(&self, id: u64) -> Option<SubRecord<'a>> {
        if id == 0 {
            return None;
        }
        if !self.found.borrow().contains_key(&id) {
            self.fetch([id]);
        }
        let at = *self.found.borrow().get(&id)? as usize;
        let (_, rec) = SubRecords::new(&self.data[at..], at as u64, self.id_size)
            .next()?
            .ok()?;
        Some(rec)
    }

    /// The value of the most derived field `name` of instance `id`.
    fn field(&self, id: u64, name: &str) -> Option<Value> {
        let SubRecord::Instance {
            class_id, values, ..
        } = self.record(id)?
        else {
            return None;
        };
        let mut at = 0usize;
        for (_, class) in self.classes.ancestors(self.classes.by_id(class_id)?) {
            for f in &class.fields {
                let size = f.ty.size(self.id_size) as usize;
                if f.name == name {
                    return Value::decode(f.ty, values.get(at..at + size)?, self.id_size);
                }
                at += size;
            }
        }
        None
    }

    fn field_id(&self, id: u64, name: &str) -> Option<u64> {
        self.field(id, name)?.as_object().filter(|&x| x != 0)
    }

    fn class_name(&self, id: u64) -> Option<&'a str> {
        match self.record(id)? {
            SubRecord::Instance { class_id, .. } => {
                Some(&self.classes.get(self.classes.by_id(class_id)?).name)
            }
            _ => None,
        }
    }

    fn elements(&self, id: u64) -> Vec<u64> {
        match self.record(id) {
            Some(SubRecord::ObjectArray { elements, .. }) => elements
                .chunks_exact(self.id_size as usize)
                .filter_map(|b| Value::decode(BasicType::Object, b, self.id_size)?.as_object())
                .filter(|&x| x != 0)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The text of a `java.lang.String` (JDK 9+ `byte[]` and coder; JDK 8
    /// and before `char[]`, with offset and count up to JDK 7).
    fn string(&self, id: u64) -> Option<String> {
        let value = self.field_id(id, "value")?;
        let Some(SubRecord::PrimitiveArray {
            elem,
            data: Some(bytes),
            ..
        }) = self.record(value)
        else {
            return None;
        };
        let int = |name| match self.field(id, name) {
            Some(Value::Int(n)) => Some(n.max(0) as usize),
            _ => None,
        };
        match elem {
            BasicType::Char => {
                let start = int("offset")
                    .unwrap_or(0)
                    .saturating_mul(2)
                    .min(bytes.len());
                let end = int("count")
                    .map(|n| start.saturating_add(n.saturating_mul(2)).min(bytes.len()))
                    .unwrap_or(bytes.len());
                Some(decode_utf16(&bytes[start..end], true))
            }
            BasicType::Byte => match self.field(id, "coder") {
                Some(Value::Byte(1)) => Some(decode_utf16(bytes, false)),
                _ => Some(decode_latin1(bytes)),
            },
            _ => None,
        }
    }

    /// The String-to-String entries of a `java.util.Properties`: a
    /// `Hashtable` up to JDK 8, a `ConcurrentHashMap` in its `map` field
    /// from JDK 9.
    fn properties(&self, props: u64) -> FxHashMap<String, String> {
        let map = self.field_id(props, "map").unwrap_or(props);
        let mut entries = Vec::new();
        let mut frontier = self
            .field_id(map, "table")
            .map_or(Vec::new(), |t| self.elements(t));
        let mut lookups = 0;
        while !frontier.is_empty() && lookups < MAX_LOOKUPS {
            lookups += frontier.len();
            self.fetch(frontier.iter().copied());
            let mut next = Vec::new();
            for node in frontier {
                // A ConcurrentHashMap bin of many entries is a TreeBin
                // whose nodes are also chained through `next`.
                if self
                    .class_name(node)
                    .is_some_and(|n| n.ends_with("$TreeBin"))
                {
                    next.extend(self.field_id(node, "first"));
                    continue;
                }
                let key = self.field_id(node, "key");
                let value = self
                    .field_id(node, "val")
                    .or_else(|| self.field_id(node, "value"));
                if let (Some(k), Some(v)) = (key, value) {
                    entries.push((k, v));
                }
                next.extend(self.field_id(node, "next"));
            }
            frontier = next;
        }
        self.fetch(entries.iter().flat_map(|&(k, v)| [k, v]));
        self.fetch(
            entries
                .iter()
                .flat_map(|&(k, v)| [k, v])
                .filter_map(|s| self.field_id(s, "value"))
                .collect::<Vec<_>>(),
        );
        entries
            .into_iter()
            .filter_map(|(k, v)| Some((self.string(k)?, self.string(v)?)))
            .collect()
    }

    /// The String value of static `name` of class `class`.
    fn static_string(&self, class: &str, name: &str) -> Option<String> {
        let c = self.classes.get(self.classes.find(class)?);
        let id = c
            .statics
            .iter()
            .find(|s| s.name == name)?
            .value
            .as_object()?;
        self.string(id)
    }
}

fn object_id(rec: &SubRecord) -> Option<u64> {
    match *rec {
        SubRecord::Instance { id, .. }
        | SubRecord::ObjectArray { id, .. }
        | SubRecord::PrimitiveArray { id, .. } => Some(id),
        _ => None,
    }
}

/// Reads the JVM's version from the heap: `System.props`, else the
/// constants of `java.lang.VersionProps` (JDK 9+) or `sun.misc.Version`
/// (up to JDK 8).
pub fn detect(data: &[u8], id_size: u32, classes: &ClassTable, segments: &[SegmentIds]) -> JvmInfo {
    let peek = Peek {
        data,
        id_size,
        classes,
        segments,
        found: RefCell::default(),
    };
    let props = classes
        .find("java.lang.System")
        .and_then(|s| {
            classes
                .get(s)
                .statics
                .iter()
                .find(|f| f.name == "props")?
                .value
                .as_object()
        })
        .filter(|&id| id != 0)
        .map(|id| peek.properties(id))
        .unwrap_or_default();
    let mut info = JvmInfo::default();
    if let Some(v) = props.get("java.version") {
        info.version = Some(v.clone());
        info.source = Some("the system properties".to_string());
    } else {
        for (class, field) in [
            ("java.lang.VersionProps", "java_version"),
            ("sun.misc.Version", "java_version"),
        ] {
            if let Some(v) = peek.static_string(class, field) {
                info.version = Some(v);
                info.source = Some(class.to_string());
                break;
            }
        }
    }
    info.feature = info.version.as_deref().and_then(feature_of);
    info.vendor = props
        .get("java.vendor")
        .or_else(|| props.get("java.vm.vendor"))
        .cloned()
        .or_else(|| peek.static_string("java.lang.VersionProps", "VENDOR"));
    info.vm_name = props.get("java.vm.name").cloned();
    info.os_arch = props.get("os.arch").cloned();
    info.data_model = data_model(&props);
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_releases() {
        assert_eq!(feature_of("1.6.0_45"), Some(6));
        assert_eq!(feature_of("1.8.0_292"), Some(8));
        assert_eq!(feature_of("11.0.13"), Some(11));
        assert_eq!(feature_of("25"), Some(25));
        assert_eq!(feature_of("21-ea"), Some(21));
        assert_eq!(feature_of("x"), None);
    }
}
