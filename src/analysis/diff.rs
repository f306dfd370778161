//! Comparing two dumps of one program, taken some time apart: what grew
//! per class, per finalizer state, and which owner holds the growth.
//!
//! Object ids are addresses a GC may move, so nothing is matched by id:
//! classes match by name, and owners by their dominator path described by
//! classes (`class Registry > java.util.ArrayList > java.lang.Object[]`).
//! Each dump is first reduced to a [`Snapshot`], small beside the heap
//! model, so the two models need not be loaded at once.
//!
//! Retained sizes and owners here come from the dominator tree over strong
//! references only: what holds growth is what keeps it alive. A statement
//! both a timer task and its `Finalizer` reach belongs to the task; what
//! only a `java.lang.ref.Reference` reaches (objects pending finalization,
//! say) sits in one node, [`NOT_STRONG`].

use rustc_hash::FxHashMap;

use std::path::Path;

use super::dominators::{Children, ClassRetained, Dominators, Idom};
use super::finalizers::{self, FinalizerReport};
use super::graph::Referents;
use super::semi_nca::NONE;
use crate::heap::{self, Census, Heap, LoadOptions};
use crate::hprof::Error;
use crate::progress::{Cancelled, Progress};

/// What identifies a dump beside its content.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub file: String,
    pub objects: u64,
    pub shallow: u64,
    pub classes: u64,
    /// When the dump was written (HPROF header), ms since the epoch.
    pub timestamp_ms: u64,
    pub id_size: u32,
    pub layout: String,
    pub truncated: bool,
    /// Heap dumps in the file, and whether the one compared (the last) was
    /// taken by default rather than picked.
    pub heap_dumps: usize,
    pub heap_dump_defaulted: bool,
    /// The dump's own warnings (truncation, damage, a corrupt gzip stream).
    pub warnings: Vec<String>,
}

impl Facts {
    /// `file` names the dump; in a file of several heap dumps, with the
    /// one compared (`before.hprof #0`).
    fn of(census: &Census, file: &str) -> Facts {
        let records = &census.records;
        let file = match records.heap_dump {
            Some(k) if records.heap_dumps.len() > 1 => format!("{file} #{k}"),
            _ => file.to_string(),
        };
        Facts {
            file,
            objects: census.objects,
            shallow: census.shallow_total(),
            classes: census.counts.iter().filter(|c| c.instances > 0).count() as u64,
            timestamp_ms: records.timestamp_ms(),
            id_size: census.id_size(),
            layout: census.layout.layout.to_string(),
            truncated: records.truncated_at.is_some(),
            heap_dumps: records.heap_dumps.len(),
            heap_dump_defaulted: records.heap_dump_defaulted,
            warnings: census.warnings.clone(),
        }
    }
}

/// One class's figures in one dump.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub instances: u64,
    pub shallow: u64,
    /// When dominators were computed.
    pub retained: Option<u64>,
}

/// Per class name: classes of one name from several loaders add up.
#[derive(Clone, Debug)]
pub struct ClassStat {
    pub name: String,
    pub counts: Counts,
    /// A class index with this name in this dump (the one with most instances).
    pub class: u32,
}

/// Finalizers of one referent class, or of all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FinalizerCounts {
    pub finalizers: u64,
    pub registered: u64,
    pub pending: u64,
    pub in_processing: u64,
}

/// The finalizer picture of one dump, by referent class name.
#[derive(Clone, Debug, Default)]
pub struct FinalizerStat {
    pub total: FinalizerCounts,
    pub queue_length: Option<i64>,
    /// Name, a class index of this dump, counts.
    pub by_class: Vec<(String, u32, FinalizerCounts)>,
}

impl FinalizerStat {
    /// The report's totals, and its classes grouped by name.
    pub fn of(heap: &Heap, report: &FinalizerReport) -> FinalizerStat {
        let mut by_name: FxHashMap<&str, (u32, FinalizerCounts)> = FxHashMap::default();
        for c in &report.by_class {
            let sum = &mut by_name
                .entry(&heap.class(c.class).name)
                .or_insert((c.class, FinalizerCounts::default()))
                .1;
            sum.finalizers += c.finalizers;
            sum.registered += c.registered;
            sum.pending += c.pending;
            sum.in_processing += c.in_processing;
        }
        FinalizerStat {
            total: FinalizerCounts {
                finalizers: report.entries.len() as u64,
                registered: report.registered,
                pending: report.pending,
                in_processing: report.in_processing,
            },
            queue_length: report.queue_length,
            by_class: by_name
                .into_iter()
                .map(|(name, (class, counts))| (name.to_string(), class, counts))
                .collect(),
        }
    }
}

/// Figures of one node of the [`OwnerTree`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeCounts {
    /// Objects at this path that no other object at this path dominates:
    /// the distinct containers (a linked chain of one class is one entry).
    pub entries: u64,
    /// Retained bytes and objects of the entries.
    pub retained: u64,
    pub retained_objects: u64,
    /// Every object at this path, chains included, and their shallow bytes.
    pub objects: u64,
    pub shallow: u64,
}

/// One node: a path of classes down the dominator tree.
#[derive(Clone, Debug)]
pub struct OwnerNode {
    /// Parent node; the root (index 0) is its own parent.
    pub parent: u32,
    /// Index into [`OwnerTree::names`].
    pub name: u32,
    pub counts: NodeCounts,
    /// The entry with the largest retained size, to jump to: its index
    /// and id in this dump.
    pub example: Option<(u32, u64)>,
}

/// The dominator tree with objects grouped by their path of classes from
/// the GC roots. An object's node is its dominator's node's child for its
/// class (`class X` for the class object of X); when that class is already
/// on the path, the object joins that node instead, so a linked list of
/// `Node`s is one node, and recursive structures do not make endless
/// paths. Node 0 is the virtual root (the GC roots); objects the tree
/// does not reach sit in one node below it, named [`NOT_STRONG`].
#[derive(Clone, Debug, Default)]
pub struct OwnerTree {
    pub names: Vec<String>,
    pub nodes: Vec<OwnerNode>,
}

/// The node name of objects no strong reference path reaches.
pub const NOT_STRONG: &str = "<not strongly reachable>";
/// The root node's name.
pub const ROOTS: &str = "<GC roots>";

impl OwnerTree {
    pub fn name(&self, node: u32) -> &str {
        &self.names[self.nodes[node as usize].name as usize]
    }

    /// The class names from the top down to `node` (empty for the root).
    pub fn path(&self, node: u32) -> Vec<String> {
        let mut out = Vec::new();
        let mut x = node;
        while x != 0 {
            out.push(self.name(x).to_string());
            x = self.nodes[x as usize].parent;
        }
        out.reverse();
        out
    }

    /// Builds the tree in one depth-first walk of the dominator tree, and
    /// the retained bytes per class index on the way (as
    /// [`Dominators::class_retained`]).
    pub fn build(heap: &Heap, doms: &Dominators, children: &Children) -> (OwnerTree, Vec<u64>) {
        let classes = heap.classes().len() as u32;
        let unreachable_label = 2 * classes;
        let label_of = |o: u32| match heap.as_class(o) {
            Some(c) => classes + c,
            None => heap.class_of(o),
        };
        let mut b = Builder {
            label: vec![u32::MAX],
            parent: vec![0],
            counts: vec![NodeCounts::default()],
            example: vec![None],
            open: vec![0],
            map: FxHashMap::default(),
            class_retained: ClassRetained::new(classes as usize),
        };
        struct Frame {
            o: u32,
            node: u32,
            class: u32,
            next: u32,
            size: u64,
            entry: bool,
            retained: u64,
            kids_retained: u64,
        }
        let mut stack: Vec<Frame> = Vec::new();
        let enter = |b: &mut Builder, stack: &mut Vec<Frame>, o: u32, from: u32| {
            let node = b.transition(from, label_of(o));
            let class = heap.class_of(o);
            let kids = children.of(o);
            let retained = doms.retained(o);
            b.class_retained.visit(class, retained);
            // Shallow size: retained less the children's, known when the
            // object is left (a leaf's is its retained size).
            if let Some(top) = stack.last_mut() {
                top.kids_retained += retained;
            }
            let n = node as usize;
            let entry = b.open[n] == 0;
            let c = &mut b.counts[n];
            c.objects += 1;
            if entry {
                c.entries += 1;
                c.retained += retained;
                if b.example[n].is_none_or(|e| doms.retained(e) < retained) {
                    b.example[n] = Some(o);
                }
            }
            if kids.is_empty() {
                c.shallow += retained;
                if entry {
                    c.retained_objects += 1;
                }
                if let Some(top) = stack.last_mut() {
                    top.size += 1;
                }
            } else {
                b.open[n] += 1;
                b.class_retained.enter(class);
                stack.push(Frame {
                    o,
                    node,
                    class,
                    next: 0,
                    size: 1,
                    entry,
                    retained,
                    kids_retained: 0,
                });
            }
        };
        for &top in children.roots() {
            enter(&mut b, &mut stack, top, 0);
            while let Some(f) = stack.last_mut() {
                let kids = children.of(f.o);
                if (f.next as usize) < kids.len() {
                    let k = kids[f.next as usize];
                    f.next += 1;
                    let from = f.node;
                    enter(&mut b, &mut stack, k, from);
                } else {
                    let f = stack.pop().expect("non-empty");
                    b.open[f.node as usize] -= 1;
                    b.class_retained.leave(f.class);
                    b.counts[f.node as usize].shallow += f.retained - f.kids_retained;
                    if f.entry {
                        b.counts[f.node as usize].retained_objects += f.size;
                    }
                    if let Some(top) = stack.last_mut() {
                        top.size += f.size;
                    }
                }
            }
        }
        // What the tree does not reach: the heap less what it holds.
        let top: u64 = children.roots().iter().map(|&o| doms.retained(o)).sum();
        let total = heap.census().shallow_total();
        let unreachable = doms.unreachable();
        if unreachable > 0 {
            let node = b.transition(0, unreachable_label) as usize;
            let bytes = total.saturating_sub(top);
            b.counts[node] = NodeCounts {
                entries: unreachable,
                retained: bytes,
                retained_objects: unreachable,
                objects: unreachable,
                shallow: bytes,
            };
        }
        // The root holds everything.
        b.counts[0] = NodeCounts {
            entries: 1,
            retained: total.max(top),
            retained_objects: u64::from(heap.object_count()),
            objects: 0,
            shallow: 0,
        };
        // Names, each once.
        let mut names = Vec::new();
        let mut name_of: FxHashMap<u32, u32> = FxHashMap::default();
        let mut nodes = Vec::with_capacity(b.label.len());
        for i in 0..b.label.len() {
            let label = b.label[i];
            let name = *name_of.entry(label).or_insert_with(|| {
                names.push(match label {
                    u32::MAX => ROOTS.to_string(),
                    l if l == unreachable_label => NOT_STRONG.to_string(),
                    l if l >= classes => format!("class {}", heap.class(l - classes).name),
                    l => heap.class(l).name.clone(),
                });
                names.len() as u32 - 1
            });
            nodes.push(OwnerNode {
                parent: b.parent[i],
                name,
                counts: b.counts[i],
                example: b.example[i].map(|o| (o, heap.id(o))),
            });
        }
        (OwnerTree { names, nodes }, b.class_retained.total)
    }
}

struct Builder {
    label: Vec<u32>,
    parent: Vec<u32>,
    counts: Vec<NodeCounts>,
    example: Vec<Option<u32>>,
    /// Objects on the walk's stack at each node.
    open: Vec<u32>,
    /// (node, label) -> the node an object of that label below it joins.
    map: FxHashMap<u64, u32>,
    class_retained: ClassRetained,
}

impl Builder {
    fn transition(&mut self, from: u32, label: u32) -> u32 {
        let key = (u64::from(from) << 32) | u64::from(label);
        if let Some(&n) = self.map.get(&key) {
            return n;
        }
        let mut x = from;
        let found = loop {
            if self.label[x as usize] == label {
                break Some(x);
            }
            if x == 0 {
                break None;
            }
            x = self.parent[x as usize];
        };
        let n = found.unwrap_or_else(|| {
            self.label.push(label);
            self.parent.push(from);
            self.counts.push(NodeCounts::default());
            self.example.push(None);
            self.open.push(0);
            self.label.len() as u32 - 1
        });
        self.map.insert(key, n);
        n
    }
}

/// What is compared of one dump.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub facts: Facts,
    /// Sorted by name.
    pub classes: Vec<ClassStat>,
    /// With dominators only.
    pub owners: Option<OwnerTree>,
    pub finalizers: Option<FinalizerStat>,
}

/// Loads a dump and reduces it to a snapshot: the census only unless
/// `full`, else the model and [`Snapshot::of_model`]; `dominated` is called
/// once the dominator tree is done (or loading failed). The model is freed
/// on another thread.
pub fn snapshot_file(
    path: &Path,
    options: &LoadOptions,
    full: bool,
    progress: &Progress,
    dominated: impl FnOnce(),
) -> Result<Snapshot, Error> {
    snapshot_file_with(path, options, full, progress, dominated, &no_index)
}

/// A snapshot from somewhere else than the dump (an index), if there is one.
pub type Reopen = dyn Fn(&Path, &LoadOptions, &str, &Progress) -> Option<Snapshot> + Sync;

fn no_index(_: &Path, _: &LoadOptions, _: &str, _: &Progress) -> Option<Snapshot> {
    None
}

/// The display name of a dump: its file name.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn snapshot_file_with(
    path: &Path,
    options: &LoadOptions,
    full: bool,
    progress: &Progress,
    dominated: impl FnOnce(),
    reopen: &Reopen,
) -> Result<Snapshot, Error> {
    let name = file_name(path);
    if full {
        if let Some(snapshot) = reopen(path, options, &name, progress) {
            dominated();
            return Ok(snapshot);
        }
    }
    if !full {
        let (_dump, census) = heap::open_census(path, options, progress)?;
        dominated();
        return Ok(Snapshot::of_census(&census, &name));
    }
    let heap = match Heap::open(path, options, progress) {
        Ok(heap) => heap,
        Err(e) => {
            dominated();
            return Err(e);
        }
    };
    let snapshot = Snapshot::of_model_then(&heap, &name, progress, dominated)?;
    std::thread::spawn(move || drop(heap));
    Ok(snapshot)
}

/// Snapshots of a baseline and a current dump. The current dump starts
/// loading when the baseline's dominator tree is done: its loading overlaps
/// the baseline's last, mostly sequential steps, and memory peaks below two
/// whole models. `progress` follows the baseline, then the current dump.
pub fn snapshot_pair(
    paths: [&Path; 2],
    options: [&LoadOptions; 2],
    full: bool,
    progress: [&Progress; 2],
) -> Result<[Snapshot; 2], Error> {
    snapshot_pair_with(paths, options, full, progress, &no_index)
}

/// [`snapshot_pair`], taking each full snapshot from `reopen` when it has
/// one.
pub fn snapshot_pair_with(
    paths: [&Path; 2],
    options: [&LoadOptions; 2],
    full: bool,
    progress: [&Progress; 2],
    reopen: &Reopen,
) -> Result<[Snapshot; 2], Error> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        let first = scope.spawn(|| {
            snapshot_file_with(
                paths[0],
                options[0],
                full,
                progress[0],
                move || {
                    let _ = tx.send(());
                },
                reopen,
            )
        });
        let _ = rx.recv();
        let second = snapshot_file_with(paths[1], options[1], full, progress[1], || {}, reopen);
        let first = first.join().expect("the baseline's thread")?;
        Ok([first, second?])
    })
}

impl Snapshot {
    /// Class histogram only (no retained sizes, owners or finalizers).
    pub fn of_census(census: &Census, file: &str) -> Snapshot {
        Snapshot {
            facts: Facts::of(census, file),
            classes: class_stats(census, None),
            owners: None,
            finalizers: None,
        }
    }

    /// Everything, from a loaded model: computes the strong dominator tree
    /// and the finalizer picture. Progress: `Dominators`, `Retained`.
    pub fn of_model(heap: &Heap, file: &str, progress: &Progress) -> Result<Snapshot, Cancelled> {
        Snapshot::of_model_then(heap, file, progress, || {})
    }

    /// [`Snapshot::of_model`], calling `dominated` once the dominator tree
    /// is done (or cancelled).
    fn of_model_then(
        heap: &Heap,
        file: &str,
        progress: &Progress,
        dominated: impl FnOnce(),
    ) -> Result<Snapshot, Cancelled> {
        let strong = Dominators::compute(heap, Referents::NONE, progress);
        dominated();
        let strong = strong?;
        // The finalizers beside the owner walk, which is sequential.
        let (report, snapshot) = rayon::join(
            || {
                finalizers::analyze_with(
                    heap,
                    None,
                    &|o| strong.idom(o) != Idom::Unreachable,
                    progress,
                )
            },
            || Snapshot::of_dominators(heap, file, &strong),
        );
        let report = report?;
        let snapshot = Snapshot {
            finalizers: Some(FinalizerStat::of(heap, &report)),
            ..snapshot
        };
        std::thread::spawn(move || drop((strong, report)));
        Ok(snapshot)
    }

    /// Everything, from a model with its strong dominator tree and its
    /// finalizers already known (an index holds them).
    pub fn of_indexed(
        heap: &Heap,
        file: &str,
        strong: &Dominators,
        report: &FinalizerReport,
    ) -> Snapshot {
        Snapshot {
            finalizers: Some(FinalizerStat::of(heap, report)),
            ..Snapshot::of_dominators(heap, file, strong)
        }
    }

    /// Classes with retained sizes, and owners, from the strong tree.
    fn of_dominators(heap: &Heap, file: &str, strong: &Dominators) -> Snapshot {
        let children = strong.children_unsorted();
        let (owners, class_retained) = OwnerTree::build(heap, strong, &children);
        std::thread::spawn(move || drop(children));
        let census = heap.census();
        Snapshot {
            facts: Facts {
                warnings: heap.warnings().to_vec(),
                ..Facts::of(census, file)
            },
            classes: class_stats(census, Some(&class_retained)),
            owners: Some(owners),
            finalizers: None,
        }
    }
}

fn class_stats(census: &Census, retained: Option<&[u64]>) -> Vec<ClassStat> {
    let mut by_name: FxHashMap<&str, ClassStat> = FxHashMap::default();
    for (i, c) in census.counts.iter().enumerate() {
        if c.instances == 0 {
            continue;
        }
        let name = &census.classes.get(i as u32).name;
        let stat = by_name.entry(name).or_insert_with(|| ClassStat {
            name: name.clone(),
            counts: Counts {
                retained: retained.map(|_| 0),
                ..Counts::default()
            },
            class: i as u32,
        });
        if c.instances > stat.counts.instances {
            stat.class = i as u32;
        }
        stat.counts.instances += c.instances;
        stat.counts.shallow += c.shallow;
        if let (Some(sum), Some(r)) = (stat.counts.retained.as_mut(), retained) {
            *sum += r[i];
        }
    }
    let mut out: Vec<ClassStat> = by_name.into_values().collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// One class in both dumps.
#[derive(Clone, Debug)]
pub struct ClassDelta {
    pub name: String,
    /// `None` where the dump has no instance of the class.
    pub before: Option<Counts>,
    pub after: Option<Counts>,
    /// Class indexes in each dump.
    pub class_before: Option<u32>,
    pub class_after: Option<u32>,
}

/// `after - before`, signed.
pub fn delta(before: u64, after: u64) -> i64 {
    after as i64 - before as i64
}

impl ClassDelta {
    pub fn instances(&self) -> (u64, u64) {
        let get = |c: &Option<Counts>| c.map_or(0, |c| c.instances);
        (get(&self.before), get(&self.after))
    }

    pub fn shallow(&self) -> (u64, u64) {
        let get = |c: &Option<Counts>| c.map_or(0, |c| c.shallow);
        (get(&self.before), get(&self.after))
    }

    /// When both dumps had dominators.
    pub fn retained(&self) -> Option<(u64, u64)> {
        let get = |c: &Option<Counts>, has: bool| match c {
            Some(c) => c.retained,
            None if has => Some(0),
            None => None,
        };
        Some((
            get(&self.before, self.has_retained())?,
            get(&self.after, self.has_retained())?,
        ))
    }

    fn has_retained(&self) -> bool {
        self.before
            .iter()
            .chain(&self.after)
            .all(|c| c.retained.is_some())
    }

    pub fn instances_delta(&self) -> i64 {
        let (b, a) = self.instances();
        delta(b, a)
    }

    pub fn shallow_delta(&self) -> i64 {
        let (b, a) = self.shallow();
        delta(b, a)
    }

    pub fn retained_delta(&self) -> Option<i64> {
        self.retained().map(|(b, a)| delta(b, a))
    }

    /// Shallow change in percent of the baseline; `None` for a new class.
    pub fn change_percent(&self) -> Option<f64> {
        let (b, a) = self.shallow();
        (b > 0).then(|| 100.0 * (a as f64 - b as f64) / b as f64)
    }

    /// "new", "gone" or "".
    /// In both dumps, or new, or gone.
    pub fn presence(&self) -> Presence {
        match (&self.before, &self.after) {
            (None, Some(_)) => Presence::New,
            (Some(_), None) => Presence::Gone,
            _ => Presence::Both,
        }
    }
}

/// Whether a class is in both dumps of a comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    Both,
    New,
    Gone,
}

impl Presence {
    /// "new", "gone", or "" for a class in both.
    pub fn label(self) -> &'static str {
        match self {
            Presence::Both => "",
            Presence::New => "new",
            Presence::Gone => "gone",
        }
    }
}

/// One referent class's finalizers in both dumps.
#[derive(Clone, Debug)]
pub struct FinalizerDelta {
    pub name: String,
    pub before: FinalizerCounts,
    pub after: FinalizerCounts,
    pub class_after: Option<u32>,
}

/// The finalizer pictures side by side.
#[derive(Clone, Debug, Default)]
pub struct FinalizerDiff {
    pub before: FinalizerCounts,
    pub after: FinalizerCounts,
    pub queue_length: (Option<i64>, Option<i64>),
    /// Most pending growth first, then registered growth.
    pub by_class: Vec<FinalizerDelta>,
}

/// A container in both dumps that holds growth.
#[derive(Clone, Debug)]
pub struct OwnerDelta {
    /// Class names from the GC roots down to the container.
    pub path: Vec<String>,
    pub before: NodeCounts,
    pub after: NodeCounts,
    /// Bytes this container holds more than before: its own objects'
    /// shallow change plus the retained change of the paths below it
    /// whose number of containers changed.
    pub growth: i64,
    /// Objects in that growth, by class: (name, objects, shallow bytes),
    /// largest shallow change first.
    pub classes: Vec<(String, i64, i64)>,
    /// The biggest such container in each dump, to jump to: index and id.
    pub example_before: Option<(u32, u64)>,
    pub example_after: Option<(u32, u64)>,
}

impl OwnerDelta {
    pub fn retained_delta(&self) -> i64 {
        delta(self.before.retained, self.after.retained)
    }

    pub fn objects_delta(&self) -> i64 {
        delta(self.before.retained_objects, self.after.retained_objects)
    }

    /// Objects the growth counts: the sum of its per-class objects.
    pub fn new_objects(&self) -> i64 {
        self.classes.iter().map(|c| c.1).sum()
    }
}

/// Everything the comparison found.
#[derive(Clone, Debug, Default)]
pub struct Diff {
    pub before: Facts,
    pub after: Facts,
    pub warnings: Vec<String>,
    /// Largest shallow growth first.
    pub classes: Vec<ClassDelta>,
    pub finalizers: Option<FinalizerDiff>,
    /// Largest growth first; containers whose growth is not 0.
    pub owners: Option<Vec<OwnerDelta>>,
}

impl Diff {
    /// How many classes are new, gone or in both.
    pub fn classes_with(&self, presence: Presence) -> usize {
        self.classes
            .iter()
            .filter(|c| c.presence() == presence)
            .count()
    }
}

/// Compares the baseline `before` with the current dump `after`.
pub fn compare(before: &Snapshot, after: &Snapshot) -> Diff {
    let classes = compare_classes(&before.classes, &after.classes);
    let finalizers = match (&before.finalizers, &after.finalizers) {
        (Some(b), Some(a)) => Some(compare_finalizers(b, a)),
        _ => None,
    };
    let owners = match (&before.owners, &after.owners) {
        (Some(b), Some(a)) => Some(compare_owners(b, a)),
        _ => None,
    };
    Diff {
        before: before.facts.clone(),
        after: after.facts.clone(),
        warnings: warnings(before, after, &classes),
        classes,
        finalizers,
        owners,
    }
}

fn warnings(before: &Snapshot, after: &Snapshot, classes: &[ClassDelta]) -> Vec<String> {
    let (b, a) = (&before.facts, &after.facts);
    let mut out = Vec::new();
    if b.id_size != a.id_size || b.layout != a.layout {
        out.push(format!(
            "the dumps come from differently configured JVMs (baseline: {}-byte ids, {}; current: {}-byte ids, {}): sizes do not compare one to one",
            b.id_size, b.layout, a.id_size, a.layout
        ));
    }
    // The JDK's own classes are in every dump: judge by the others.
    let app: Vec<&ClassDelta> = classes.iter().filter(|c| !is_jdk_class(&c.name)).collect();
    let shared = app
        .iter()
        .filter(|c| c.before.is_some() && c.after.is_some())
        .count();
    if !app.is_empty() && (shared as f64) < 0.5 * app.len() as f64 {
        out.push(format!(
            "only {shared} of {} application classes are in both dumps: they may come from different programs",
            app.len()
        ));
    }
    if b.timestamp_ms > a.timestamp_ms {
        out.push(
            "the baseline was written after the current dump: the deltas run backwards in time"
                .to_string(),
        );
    }
    for (which, f, flag) in [
        ("baseline", b, "--baseline-heap-dump"),
        ("current", a, "--heap-dump"),
    ] {
        if f.heap_dump_defaulted {
            out.push(format!(
                "the {which} file holds {} heap dumps: comparing its last, {}; pick one with {flag} N",
                f.heap_dumps, f.file
            ));
        }
    }
    for (which, f) in [("baseline", b), ("current", a)] {
        if f.truncated {
            out.push(format!(
                "the {which} dump {} is truncated: its figures are partial",
                f.file
            ));
        }
        for w in &f.warnings {
            out.push(format!("{which} {}: {w}", f.file));
        }
    }
    out
}

/// A class of the JDK (arrays by their element class).
fn is_jdk_class(name: &str) -> bool {
    let element = name.trim_end_matches("[]");
    [
        "boolean", "byte", "char", "short", "int", "long", "float", "double",
    ]
    .contains(&element)
        || ["java.", "javax.", "jdk.", "sun.", "com.sun."]
            .iter()
            .any(|p| element.starts_with(p))
}

fn compare_classes(before: &[ClassStat], after: &[ClassStat]) -> Vec<ClassDelta> {
    let mut out = Vec::with_capacity(after.len().max(before.len()));
    let (mut i, mut j) = (0, 0);
    while i < before.len() || j < after.len() {
        let order = match (before.get(i), after.get(j)) {
            (Some(b), Some(a)) => b.name.cmp(&a.name),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        let (b, a) = match order {
            std::cmp::Ordering::Less => (before.get(i), None),
            std::cmp::Ordering::Greater => (None, after.get(j)),
            std::cmp::Ordering::Equal => (before.get(i), after.get(j)),
        };
        i += usize::from(b.is_some());
        j += usize::from(a.is_some());
        let any = b.or(a).expect("one side");
        out.push(ClassDelta {
            name: any.name.clone(),
            before: b.map(|s| s.counts),
            after: a.map(|s| s.counts),
            class_before: b.map(|s| s.class),
            class_after: a.map(|s| s.class),
        });
    }
    out.sort_by(|x, y| {
        y.shallow_delta()
            .cmp(&x.shallow_delta())
            .then(y.instances_delta().cmp(&x.instances_delta()))
            .then_with(|| x.name.cmp(&y.name))
    });
    out
}

fn compare_finalizers(before: &FinalizerStat, after: &FinalizerStat) -> FinalizerDiff {
    let mut rows: FxHashMap<&str, FinalizerDelta> = FxHashMap::default();
    for (name, _, counts) in &before.by_class {
        rows.insert(
            name,
            FinalizerDelta {
                name: name.clone(),
                before: *counts,
                after: FinalizerCounts::default(),
                class_after: None,
            },
        );
    }
    for (name, class, counts) in &after.by_class {
        let row = rows.entry(name).or_insert_with(|| FinalizerDelta {
            name: name.clone(),
            before: FinalizerCounts::default(),
            after: FinalizerCounts::default(),
            class_after: None,
        });
        row.after = *counts;
        row.class_after = Some(*class);
    }
    let mut by_class: Vec<FinalizerDelta> = rows.into_values().collect();
    let key = |r: &FinalizerDelta| {
        (
            delta(r.before.pending, r.after.pending),
            delta(r.before.registered, r.after.registered),
            delta(r.before.finalizers, r.after.finalizers),
        )
    };
    by_class.sort_by(|x, y| key(y).cmp(&key(x)).then_with(|| x.name.cmp(&y.name)));
    FinalizerDiff {
        before: before.total,
        after: after.total,
        queue_length: (before.queue_length, after.queue_length),
        by_class,
    }
}

/// A node of both trees: the same path, present in either or both.
struct Pair {
    before: Option<u32>,
    after: Option<u32>,
    parent: u32,
}

fn compare_owners(before: &OwnerTree, after: &OwnerTree) -> Vec<OwnerDelta> {
    // Pair the nodes by (parent's pair, name); parents come before children.
    let mut index: FxHashMap<(u32, &str), u32> = FxHashMap::default();
    for (i, n) in before.nodes.iter().enumerate().skip(1) {
        index.insert((n.parent, before.name(i as u32)), i as u32);
    }
    let mut pairs = vec![Pair {
        before: Some(0),
        after: Some(0),
        parent: 0,
    }];
    let mut pair_of_before = vec![NONE; before.nodes.len()];
    pair_of_before[0] = 0;
    let mut pair_of_after = vec![NONE; after.nodes.len()];
    pair_of_after[0] = 0;
    for (i, n) in after.nodes.iter().enumerate().skip(1) {
        let parent = pair_of_after[n.parent as usize];
        let b = pairs[parent as usize]
            .before
            .and_then(|bp| index.get(&(bp, after.name(i as u32))).copied());
        if let Some(b) = b {
            pair_of_before[b as usize] = pairs.len() as u32;
        }
        pair_of_after[i] = pairs.len() as u32;
        pairs.push(Pair {
            before: b,
            after: Some(i as u32),
            parent,
        });
    }
    for (i, n) in before.nodes.iter().enumerate().skip(1) {
        if pair_of_before[i] == NONE {
            pair_of_before[i] = pairs.len() as u32;
            pairs.push(Pair {
                before: Some(i as u32),
                after: None,
                parent: pair_of_before[n.parent as usize],
            });
        }
    }
    let counts = |p: &Pair| {
        (
            p.before
                .map_or(NodeCounts::default(), |b| before.nodes[b as usize].counts),
            p.after
                .map_or(NodeCounts::default(), |a| after.nodes[a as usize].counts),
        )
    };
    // A path is stable when it has as many containers in both dumps: its
    // growth is its own; otherwise the growth belongs to its parent.
    let stable = |p: usize| {
        let (b, a) = counts(&pairs[p]);
        p == 0 || (b.entries == a.entries && b.entries > 0)
    };
    let mut kids: Vec<Vec<u32>> = vec![Vec::new(); pairs.len()];
    for (i, p) in pairs.iter().enumerate().skip(1) {
        kids[p.parent as usize].push(i as u32);
    }
    let mut owners = Vec::new();
    for (i, p) in pairs.iter().enumerate() {
        if !stable(i) {
            continue;
        }
        let (b, a) = counts(p);
        let unstable: Vec<u32> = kids[i]
            .iter()
            .copied()
            .filter(|&k| !stable(k as usize))
            .collect();
        let growth = delta(b.shallow, a.shallow)
            + unstable
                .iter()
                .map(|&k| {
                    let (kb, ka) = counts(&pairs[k as usize]);
                    delta(kb.retained, ka.retained)
                })
                .sum::<i64>();
        if growth == 0 {
            continue;
        }
        // The objects of that growth by class: this path's own, and every
        // path below the unstable children.
        let mut by_class: FxHashMap<&str, (i64, i64)> = FxHashMap::default();
        let mut add = |q: usize| {
            let (qb, qa) = counts(&pairs[q]);
            let (objects, shallow) = (delta(qb.objects, qa.objects), delta(qb.shallow, qa.shallow));
            if objects != 0 || shallow != 0 {
                let name = pair_name(&pairs[q], before, after);
                let e = by_class.entry(name).or_default();
                e.0 += objects;
                e.1 += shallow;
            }
        };
        add(i);
        let mut todo = unstable;
        while let Some(q) = todo.pop() {
            add(q as usize);
            todo.extend_from_slice(&kids[q as usize]);
        }
        let mut classes: Vec<(String, i64, i64)> = by_class
            .into_iter()
            .filter(|(_, (o, s))| *o != 0 || *s != 0)
            .map(|(n, (o, s))| (n.to_string(), o, s))
            .collect();
        classes.sort_by(|x, y| y.2.cmp(&x.2).then(y.1.cmp(&x.1)).then(x.0.cmp(&y.0)));
        let path = match (p.after, p.before) {
            (Some(x), _) => after.path(x),
            (None, Some(x)) => before.path(x),
            (None, None) => Vec::new(),
        };
        owners.push(OwnerDelta {
            path,
            before: b,
            after: a,
            growth,
            classes,
            example_before: p.before.and_then(|x| before.nodes[x as usize].example),
            example_after: p.after.and_then(|x| after.nodes[x as usize].example),
        });
    }
    owners.sort_by(|x, y| {
        y.growth
            .cmp(&x.growth)
            .then(y.retained_delta().cmp(&x.retained_delta()))
            .then_with(|| x.path.cmp(&y.path))
    });
    owners
}

fn pair_name<'t>(p: &Pair, before: &'t OwnerTree, after: &'t OwnerTree) -> &'t str {
    match (p.after, p.before) {
        (Some(x), _) => after.name(x),
        (None, Some(x)) => before.name(x),
        (None, None) => ROOTS,
    }
}
