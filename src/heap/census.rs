//! The first pass over the heap: classes, roots, counts and sizes per class,
//! and the object layout. Enough for the summary and the class histogram
//! without numbering objects or following references.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::classes::{ClassKind, ClassTable};
use super::jvm::{self, CHECKPOINT, JvmInfo, SegmentIds};
use super::layout::{
    self, Candidate, LAYOUT_32, LAYOUTS_64, Layout, LayoutChoice, LayoutSource, NamedLayout,
    SizeKey,
};
use super::shapes::{SizeModel, SizeRules};
use crate::hprof::{BasicType, Error, RecordIndex, RootKind, SubRecord, SubRecords, push_warning};
use crate::progress::{Phase, Progress};

/// Sizes of many arrays of one class, kept so that their total can be
/// computed exactly for any layout: count, elements, and how many lengths
/// fall in each residue mod 16 (alignment padding depends only on that for
/// alignments up to 16 bytes).
#[derive(Clone, Copy, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct ArrayTally {
    pub count: u64,
    pub elements: u64,
    residues: [u64; 16],
}

impl ArrayTally {
    #[inline]
    fn add(&mut self, n: u32) {
        self.count += 1;
        self.elements += n as u64;
        self.residues[(n & 15) as usize] += 1;
    }

    fn merge(&mut self, other: &ArrayTally) {
        self.count += other.count;
        self.elements += other.elements;
        for (a, b) in self.residues.iter_mut().zip(other.residues) {
            *a += b;
        }
    }

    /// Total shallow bytes of these arrays, elements of `elem` bytes.
    pub fn shallow(&self, layout: &Layout, elem: u32) -> u64 {
        let base = layout.array_base(elem);
        let mut total = self.count * base + self.elements * elem as u64;
        if layout.align <= 16 {
            let a = layout.align as u64;
            for (r, &n) in self.residues.iter().enumerate() {
                let end = base + r as u64 * elem as u64;
                total += n * ((a - end % a) % a);
            }
        } else {
            // Rare large alignments: pad by the average.
            total += self.count * (layout.align as u64 / 2);
        }
        total
    }
}

/// A GC root as the dump declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RawRoot {
    pub kind: RootKind,
    pub id: u64,
    pub thread_serial: Option<u32>,
    /// Frame index for frame roots; stack-trace serial for thread objects.
    pub extra: Option<u32>,
}

#[derive(Clone, Copy, Debug)]
enum SampleKey {
    Instance(u64),
    ObjectArray(u32),
    PrimitiveArray(BasicType, u32),
    ClassDump,
}

/// The first `SAMPLE_FIRST` objects of a segment, and then the first
/// `SAMPLE_RUN` of every `SAMPLE_EVERY`, have the address gap to their
/// successor measured, so that gaps come from the whole dump (an old
/// single-segment dump starts with all its class dumps).
const SAMPLE_FIRST: u64 = 256;
const SAMPLE_EVERY: u64 = 4096;
const SAMPLE_RUN: u64 = 32;

/// The objects of one heap segment: how many, and the id range of those
/// that are not class objects.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub struct SegmentObjects {
    /// Objects other than class objects.
    pub count: u64,
    /// Class objects (CLASS DUMP records).
    pub class_objects: u64,
    pub min_id: u64,
    pub max_id: u64,
    /// Ids strictly increase in record order.
    pub increasing: bool,
}

impl Default for SegmentObjects {
    fn default() -> Self {
        SegmentObjects {
            count: 0,
            class_objects: 0,
            min_id: u64::MAX,
            max_id: 0,
            increasing: true,
        }
    }
}

#[derive(Default)]
struct SegmentScan {
    objects: SegmentObjects,
    class_dumps: Vec<(u64, u64)>,
    roots: Vec<RawRoot>,
    /// (class id, value bytes) -> (instances, offset of the first): the
    /// instance counts per class, by length so that lengths that do not
    /// fit the class can be told.
    value_lengths: FxHashMap<(u64, u32), (u64, u64)>,
    object_arrays: FxHashMap<u64, ArrayTally>,
    prim_arrays: [ArrayTally; 8],
    /// (gap to the next object's id, what the object's size depends on)
    /// for neighbouring objects whose ids increase.
    gaps: Vec<(u64, SampleKey)>,
    /// (id, offset) of every [`CHECKPOINT`]th object.
    checkpoints: Vec<(u64, u64)>,
    error: Option<Error>,
}

fn scan_segment(body: &[u8], offset: u64, id_size: u32) -> SegmentScan {
    let mut s = SegmentScan::default();
    // The current run of instances of one class and value length:
    // (class id, value bytes, count, offset of the first).
    let mut run = (u64::MAX, 0u32, 0u64, 0u64);
    let end_run = |s: &mut SegmentScan, (class_id, len, n, first): (u64, u32, u64, u64)| {
        if n > 0 {
            let e = s.value_lengths.entry((class_id, len)).or_insert((0, first));
            e.0 += n;
        }
    };
    // The previous object, when it was the previous record of the heap.
    let mut previous: Option<(u64, SampleKey)> = None;
    for item in SubRecords::new(body, offset, id_size) {
        let (at, rec) = match item {
            Ok(r) => r,
            Err(e) => {
                s.error = Some(e);
                break;
            }
        };
        let sample = match rec {
            SubRecord::Instance {
                id,
                class_id,
                values,
            } => {
                // Runs of one class are common: count them before the map.
                let len = values.len() as u32;
                if class_id == run.0 && len == run.1 {
                    run.2 += 1;
                } else {
                    end_run(&mut s, run);
                    run = (class_id, len, 1, at);
                }
                Some((id, SampleKey::Instance(class_id)))
            }
            SubRecord::ObjectArray {
                id,
                class_id,
                count,
                ..
            } => {
                s.object_arrays.entry(class_id).or_default().add(count);
                Some((id, SampleKey::ObjectArray(count)))
            }
            SubRecord::PrimitiveArray {
                id, elem, count, ..
            } => {
                s.prim_arrays[elem.prim_index().expect("primitive")].add(count);
                Some((id, SampleKey::PrimitiveArray(elem, count)))
            }
            SubRecord::ClassDump { id } => {
                s.class_dumps.push((at, id));
                Some((id, SampleKey::ClassDump))
            }
            SubRecord::Root {
                kind,
                id,
                thread_serial,
                frame_index,
            } => {
                s.roots.push(RawRoot {
                    kind,
                    id,
                    thread_serial,
                    extra: frame_index,
                });
                None
            }
            SubRecord::ThreadObject {
                id,
                thread_serial,
                trace_serial,
            } => {
                s.roots.push(RawRoot {
                    kind: RootKind::ThreadObject,
                    id,
                    thread_serial: Some(thread_serial),
                    extra: Some(trace_serial),
                });
                None
            }
            SubRecord::HeapDumpInfo { .. } => None,
        };
        match sample {
            Some((_, SampleKey::ClassDump)) => {
                s.objects.class_objects += 1;
                previous = None;
            }
            Some((id, key)) => {
                let o = &mut s.objects;
                if o.count > 0 && id <= o.max_id {
                    o.increasing = false;
                }
                if o.count % CHECKPOINT == 0 {
                    s.checkpoints.push((id, at));
                }
                if o.count < SAMPLE_FIRST || o.count % SAMPLE_EVERY < SAMPLE_RUN {
                    if let Some((prev, prev_key)) = previous {
                        if id > prev && id - prev <= 1 << 20 {
                            s.gaps.push((id - prev, prev_key));
                        }
                    }
                }
                o.count += 1;
                o.min_id = o.min_id.min(id);
                o.max_id = o.max_id.max(id);
                previous = Some((id, key));
            }
            None => {}
        }
    }
    end_run(&mut s, run);
    s
}

/// Count and shallow bytes of one class's objects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClassCount {
    pub instances: u64,
    pub shallow: u64,
}

/// What the first pass learns.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Census {
    pub records: RecordIndex,
    pub classes: ClassTable,
    pub layout: LayoutChoice,
    pub roots: Vec<RawRoot>,
    /// Per class index: instances and shallow bytes, as the JVM's class
    /// histogram counts them (class objects count as `java.lang.Class`).
    pub counts: Vec<ClassCount>,
    /// Objects of every kind, class objects included.
    pub objects: u64,
    /// Objects in each segment, in segment order, for the second pass.
    pub segment_objects: Vec<SegmentObjects>,
    /// (offset, id) of every CLASS DUMP.
    pub class_dumps: Vec<(u64, u64)>,
    /// The class index of `java.lang.Class`.
    pub class_class: u32,
    /// Per class index: the shallow size of one instance.
    pub instance_sizes: Vec<u64>,
    /// Per class index: the size of its class object (`java.lang.Class` mirror).
    pub mirror_sizes: Vec<u64>,
    /// The JVM that wrote the dump, as far as the heap tells.
    pub jvm: JvmInfo,
    pub warnings: Vec<String>,
}

impl Census {
    /// Runs the first pass over `data`.
    pub fn take(
        data: &[u8],
        records: RecordIndex,
        layout_override: Option<Layout>,
        progress: &Progress,
    ) -> Result<Census, Error> {
        let id_size = records.header.id_size;
        let mut warnings = records.warnings.clone();
        let total: u64 = records.segments.iter().map(|s| s.len).sum();
        progress.start(Phase::Reading, total);
        let mut scans: Vec<SegmentScan> = records
            .segments
            .par_iter()
            .map(|seg| {
                if progress.is_cancelled() {
                    return SegmentScan::default();
                }
                let body = &data[seg.offset as usize..(seg.offset + seg.len) as usize];
                let scan = scan_segment(body, seg.offset, id_size);
                progress.add(seg.len);
                scan
            })
            .collect();
        progress.check()?;

        // The segment the cut went through: the last one, if it runs to
        // the end of the data (the cut may be in a later record instead).
        let truncated_segment = records
            .truncated_at
            .and(records.segments.last())
            .filter(|s| s.offset + s.len == data.len() as u64)
            .map(|_| records.segments.len() - 1);
        let mut class_dumps = Vec::new();
        let mut roots = Vec::new();
        let mut instances: FxHashMap<u64, u64> = FxHashMap::default();
        let mut value_lengths: FxHashMap<(u64, u32), (u64, u64)> = FxHashMap::default();
        let mut object_arrays: FxHashMap<u64, ArrayTally> = FxHashMap::default();
        let mut prim_arrays = [ArrayTally::default(); 8];
        let mut segment_objects = Vec::with_capacity(scans.len());
        for (i, scan) in scans.iter().enumerate() {
            segment_objects.push(scan.objects);
            class_dumps.extend_from_slice(&scan.class_dumps);
            roots.extend_from_slice(&scan.roots);
            for (&k, &(n, first)) in &scan.value_lengths {
                *instances.entry(k.0).or_default() += n;
                let e = value_lengths.entry(k).or_insert((0, first));
                e.0 += n;
                e.1 = e.1.min(first);
            }
            for (&k, v) in &scan.object_arrays {
                object_arrays.entry(k).or_default().merge(v);
            }
            for (a, b) in prim_arrays.iter_mut().zip(&scan.prim_arrays) {
                a.merge(b);
            }
            if let Some(e) = &scan.error {
                if Some(i) == truncated_segment {
                    // The cut inside the last segment was already reported.
                    continue;
                }
                push_warning(
                    &mut warnings,
                    format!("{e}; the rest of that segment is skipped"),
                );
            }
        }

        let mut classes = ClassTable::build(data, &records, &class_dumps, &mut warnings);
        let class_class = classes.ensure_named("java.lang.Class");
        // Classes named by objects but missing a CLASS DUMP.
        let mut missing = 0u64;
        for &id in instances.keys() {
            if classes.by_id(id).is_none() {
                missing += 1;
                classes.ensure(id, false);
            }
        }
        for &id in object_arrays.keys() {
            if classes.by_id(id).is_none() {
                missing += 1;
                classes.ensure(id, true);
            }
        }
        if missing > 0 {
            push_warning(
                &mut warnings,
                format!(
                    "{missing} classes have objects in the dump but no CLASS DUMP; their instances' fields cannot be read"
                ),
            );
        }
        for t in BasicType::PRIMITIVES {
            if prim_arrays[t.prim_index().expect("primitive")].count > 0 {
                classes.ensure_prim_array(t);
            }
        }
        check_value_lengths(&classes, &value_lengths, &mut warnings);

        let segment_ids: Vec<SegmentIds> = records
            .segments
            .iter()
            .zip(&mut scans)
            .map(|(seg, scan)| SegmentIds {
                offset: seg.offset,
                len: seg.len,
                min_id: scan.objects.min_id,
                max_id: scan.objects.max_id,
                increasing: scan.objects.increasing,
                checkpoints: std::mem::take(&mut scan.checkpoints),
            })
            .collect();
        let jvm = jvm::detect(data, id_size, &classes, &segment_ids);
        drop(segment_ids);
        let pairs = gap_pairs(&scans, &classes, id_size);
        let (layout, sizes) = choose_layout(id_size, &jvm, &classes, layout_override, &pairs);

        let mut census = Census {
            records,
            classes,
            layout,
            roots,
            counts: Vec::new(),
            objects: segment_objects
                .iter()
                .map(|s| s.count + s.class_objects)
                .sum(),
            segment_objects,
            class_dumps,
            class_class,
            instance_sizes: sizes,
            mirror_sizes: Vec::new(),
            jvm,
            warnings,
        };
        census.mirror_sizes = (0..census.classes.len() as u32)
            .map(|i| census.class_object_size(i))
            .collect();
        census.counts = census.count_classes(&instances, &object_arrays, &prim_arrays);
        Ok(census)
    }

    fn count_classes(
        &self,
        instances: &FxHashMap<u64, u64>,
        object_arrays: &FxHashMap<u64, ArrayTally>,
        prim_arrays: &[ArrayTally; 8],
    ) -> Vec<ClassCount> {
        let l = &self.layout.layout;
        let mut counts = vec![ClassCount::default(); self.classes.len()];
        for (&id, &n) in instances {
            let idx = self.classes.by_id(id).expect("ensured") as usize;
            counts[idx].instances += n;
            counts[idx].shallow += n * self.instance_sizes[idx];
        }
        for (&id, tally) in object_arrays {
            let idx = self.classes.by_id(id).expect("ensured") as usize;
            counts[idx].instances += tally.count;
            counts[idx].shallow += tally.shallow(l, l.reference);
        }
        for t in BasicType::PRIMITIVES {
            let tally = &prim_arrays[t.prim_index().expect("primitive")];
            if tally.count > 0 {
                let idx = self.classes.prim_array(t).expect("ensured") as usize;
                counts[idx].instances += tally.count;
                counts[idx].shallow += tally.shallow(l, t.size(8));
            }
        }
        let cc = self.class_class as usize;
        for &(_, id) in &self.class_dumps {
            counts[cc].instances += 1;
            if let Some(idx) = self.classes.by_id(id) {
                counts[cc].shallow += self.mirror_sizes[idx as usize];
            }
        }
        counts
    }

    /// Estimated size of a class's `java.lang.Class` mirror: the mirror's
    /// own fields plus the class's static fields, which HotSpot stores in it.
    fn class_object_size(&self, class: u32) -> u64 {
        let l = &self.layout.layout;
        let (mut prim, mut refs) =
            SizeModel::new(l, self.layout.rules).field_totals(&self.classes, self.class_class);
        for s in &self.classes.get(class).statics {
            if s.name.starts_with('<') {
                continue; // <resolved_references>, <init_lock>: VM data, not statics
            }
            if s.ty == BasicType::Object {
                refs += 1;
            } else {
                prim += s.ty.size(8) as u64;
            }
        }
        l.instance_size(prim, refs)
    }

    /// Sum of shallow sizes over all classes.
    pub fn shallow_total(&self) -> u64 {
        self.counts.iter().map(|c| c.shallow).sum()
    }

    pub fn id_size(&self) -> u32 {
        self.records.header.id_size
    }
}

/// Warns once about instances whose value bytes are fewer than their
/// class chain's fields (the fields past the end read as absent) and once
/// about those with more (the extra bytes are ignored). Classes without a
/// CLASS DUMP or with a missing superclass were warned about already.
fn check_value_lengths(
    classes: &ClassTable,
    lengths: &FxHashMap<(u64, u32), (u64, u64)>,
    warnings: &mut Vec<String>,
) {
    // (instances, offset of the first, its class, its length)
    let mut short = (0u64, u64::MAX, 0u32, 0u32);
    let mut long = short;
    for (&(class_id, len), &(n, first)) in lengths {
        let Some(c) = classes.by_id(class_id) else {
            continue;
        };
        let complete = classes
            .ancestors(c)
            .all(|(_, k)| k.dump_offset.is_some() && (k.super_id == 0 || k.super_class.is_some()));
        let want = classes.get(c).value_bytes;
        if !complete || len == want {
            continue;
        }
        let tally = if len < want { &mut short } else { &mut long };
        tally.0 += n;
        if first < tally.1 {
            *tally = (tally.0, first, c, len);
        }
    }
    for ((n, first, c, len), what) in [(short, "fewer"), (long, "more")] {
        if n == 0 {
            continue;
        }
        let class = classes.get(c);
        push_warning(
            warnings,
            format!(
                "{n} {} {what} value bytes than their class chain's fields (the first at byte {first}: {} with {len} bytes, expected {}); {}",
                if n == 1 {
                    "instance has"
                } else {
                    "instances have"
                },
                class.name,
                class.value_bytes,
                if what == "fewer" {
                    "the fields past the end are read as missing"
                } else {
                    "the extra bytes are ignored"
                }
            ),
        );
    }
}

/// (gap, size key) for the measured neighbouring objects.
fn gap_pairs(scans: &[SegmentScan], classes: &ClassTable, id_size: u32) -> Vec<(u64, SizeKey)> {
    let mut pairs = Vec::new();
    for scan in scans {
        for &(gap, key) in &scan.gaps {
            let key = match key {
                SampleKey::Instance(cid) => {
                    let Some(idx) = classes.by_id(cid) else {
                        continue;
                    };
                    let c = classes.get(idx);
                    if c.kind != ClassKind::Instance || c.dump_offset.is_none() {
                        continue;
                    }
                    SizeKey::Instance(idx)
                }
                SampleKey::ObjectArray(count) => SizeKey::Array { elem: None, count },
                SampleKey::PrimitiveArray(t, count) => SizeKey::Array {
                    elem: Some(t.size(id_size)),
                    count,
                },
                SampleKey::ClassDump => continue,
            };
            pairs.push((gap, key));
        }
    }
    pairs
}

/// The JDK feature releases whose field rules may apply, with where that
/// comes from. With the version unknown, both field orders are tried.
fn rule_options(jvm: &JvmInfo, classes: &ClassTable) -> (Vec<SizeRules>, String) {
    if let Some(f) = jvm.feature {
        return (vec![SizeRules::of_feature(f)], format!("JDK {f}"));
    }
    // Classes every JVM of a release loads tell its generation (the module
    // system from JDK 9, Thread$FieldHolder from JDK 19), not the field
    // order: both are tried, the JDK 15+ one first.
    let packed = if classes.find("java.lang.Thread$FieldHolder").is_some() {
        21
    } else {
        17
    };
    let legacy = if classes.find("java.lang.Module").is_some() {
        11
    } else {
        8
    };
    let options = vec![SizeRules::of_feature(packed), SizeRules::of_feature(legacy)];
    (options, "JVM version unknown".to_string())
}

/// Whether a 64-bit layout exists in a JDK release.
fn layout_in(named: &NamedLayout, rules: SizeRules) -> bool {
    let f = rules.feature;
    match named.name {
        // Compressed class pointers without compressed oops: JDK 15+.
        "wide-oops" => f >= 15,
        "wide" => f <= 21,
        "wide-packed" => f >= 22,
        "compact-headers" => f >= 24,
        _ => true,
    }
}

/// The default of 64-bit HotSpot: compressed oops from 6u23 (heaps under
/// 32 GB), wide before.
fn default_64(jvm: &JvmInfo) -> NamedLayout {
    let before_6u23 = jvm.version.as_deref().is_some_and(|v| {
        v.strip_prefix("1.6.0_")
            .and_then(|u| {
                u.split(|c: char| !c.is_ascii_digit())
                    .next()?
                    .parse::<u32>()
                    .ok()
            })
            .is_some_and(|u| u < 23)
            || v.starts_with("1.5")
    });
    if before_6u23 {
        LAYOUTS_64[2]
    } else {
        LAYOUTS_64[0]
    }
}

/// Picks the object layout and field rules: the override or the candidate
/// that predicts the most address gaps, among those the JVM version
/// allows. Returns the choice and its instance sizes.
fn choose_layout(
    id_size: u32,
    jvm: &JvmInfo,
    classes: &ClassTable,
    layout_override: Option<Layout>,
    pairs: &[(u64, SizeKey)],
) -> (LayoutChoice, Vec<u64>) {
    let (rules, rules_from) = rule_options(jvm, classes);
    let sixty_four = id_size == 8 || jvm.data_model == Some(64);
    let layouts: Vec<NamedLayout> = match layout_override {
        Some(layout) => vec![NamedLayout {
            name: layout.name().unwrap_or("custom"),
            description: "set with --layout",
            layout,
        }],
        None if sixty_four => LAYOUTS_64.to_vec(),
        None => vec![LAYOUT_32],
    };
    let candidates: Vec<Candidate> = layouts
        .iter()
        .flat_map(|named| rules.iter().map(move |&r| (named, r)))
        .filter(|(named, r)| {
            layout_override.is_some()
                || jvm.feature.is_none()
                || !sixty_four
                || layout_in(named, *r)
        })
        .map(|(&named, rules)| Candidate {
            layout: named,
            rules,
            sizes: SizeModel::new(&named.layout, rules).instance_sizes(classes),
        })
        .collect();
    let (best, inferred) = infer_or_assume(id_size, jvm, &candidates, pairs);
    let chosen = &candidates[best];
    let rules_from = match (&inferred, rules.len()) {
        (_, 1) => rules_from,
        (LayoutSource::Inferred { .. }, _) => format!("{rules_from}: chosen by the address gaps"),
        _ => format!("{rules_from}: assumed"),
    };
    let source = if layout_override.is_some() {
        LayoutSource::Override
    } else {
        inferred
    };
    let choice = LayoutChoice {
        layout: chosen.layout.layout,
        rules: chosen.rules,
        source,
        rules_from,
    };
    let sizes = candidates.into_iter().nth(best).expect("chosen").sizes;
    (choice, sizes)
}

/// The candidate the gaps choose, or a default when they measure nothing:
/// no gaps, or ids that are not addresses (the old hprof agent writes
/// 4-byte serial numbers even on a 64-bit JVM).
fn infer_or_assume(
    id_size: u32,
    jvm: &JvmInfo,
    candidates: &[Candidate],
    pairs: &[(u64, SizeKey)],
) -> (usize, LayoutSource) {
    let sixty_four = id_size == 8 || jvm.data_model == Some(64);
    let named = if sixty_four {
        default_64(jvm)
    } else {
        LAYOUT_32
    };
    let default = candidates
        .iter()
        .position(|c| c.layout.name == named.name)
        .unwrap_or(0);
    let what = if sixty_four {
        let vm = jvm.vm_name.as_deref().unwrap_or("4-byte ids");
        format!("the 64-bit default ({vm})")
    } else {
        "a 32-bit JVM (4-byte ids, and nothing in the heap says 64-bit)".to_string()
    };
    if pairs.is_empty() {
        let why = format!("no neighbouring objects to measure; {what}");
        return (default, LayoutSource::Assumed(why));
    }
    let (best, source) = layout::infer(candidates, pairs);
    match &source {
        // Addresses predict most gaps (dead objects between live ones make
        // some unpredictable); serial numbers almost none.
        LayoutSource::Inferred { gaps, matched, .. } if id_size == 4 && matched * 4 < *gaps => {
            let why = format!(
                "the 4-byte ids are not addresses (no layout predicts more than {matched} of {gaps} gaps); {what}"
            );
            (default, LayoutSource::Assumed(why))
        }
        _ => (best, source),
    }
}
