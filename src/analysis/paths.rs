//! Why is it alive: the shortest paths from GC roots to an object, and the
//! merged paths of a set of objects. By default only strong references
//! count (the `referent` of every `java.lang.ref.Reference` is skipped), so
//! a finalizable object shows what really keeps it.

use std::collections::VecDeque;

use rustc_hash::FxHashMap;

use super::graph::{ReferenceClasses, Referents};
use super::semi_nca::NONE;
use crate::heap::Heap;
use crate::hprof::{RootKind, Value};
use crate::progress::{Cancelled, Phase, Progress};

/// A field not to follow: `Class:field` (instances of the class and its
/// subclasses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExcludedField {
    pub class: String,
    pub field: String,
}

impl ExcludedField {
    pub fn parse(text: &str) -> Result<ExcludedField, String> {
        match text.rsplit_once(':') {
            Some((class, field)) if !class.is_empty() && !field.is_empty() => Ok(ExcludedField {
                class: class.to_string(),
                field: field.to_string(),
            }),
            _ => Err(format!(
                "bad exclusion '{text}': expected Class:field, e.g. java.lang.Thread:threadLocals"
            )),
        }
    }
}

/// Which references a path may use, and how far to look.
#[derive(Clone, Debug)]
pub struct PathOptions {
    /// How many paths at most.
    pub max: usize,
    pub referents: Referents,
    pub exclude: Vec<ExcludedField>,
    /// Once a path is found, how many more objects to visit looking for
    /// others (an object shared by half the heap and held by one root
    /// would otherwise send the search over everything).
    pub budget: usize,
}

impl Default for PathOptions {
    fn default() -> Self {
        PathOptions {
            max: 10,
            referents: Referents::NONE,
            exclude: Vec::new(),
            budget: 200_000,
        }
    }
}

/// The paths found, and whether the search ran to its end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathSearch {
    pub paths: Vec<RootPath>,
    /// False when the budget stopped the search: more paths may exist.
    pub complete: bool,
    /// Objects visited.
    pub visited: usize,
}

/// The references a search follows.
pub struct Filter<'h> {
    heap: &'h Heap,
    referents: Referents,
    references: ReferenceClasses,
    /// (class index, field name) of each exclusion that names a class.
    exclude: Vec<(u32, String)>,
}

impl<'h> Filter<'h> {
    pub fn new(heap: &'h Heap, referents: Referents, exclude: &[ExcludedField]) -> Filter<'h> {
        let exclude = exclude
            .iter()
            .filter_map(|e| Some((heap.classes().find(&e.class)?, e.field.clone())))
            .collect();
        Filter {
            heap,
            referents,
            references: ReferenceClasses::new(heap),
            exclude,
        }
    }

    /// Whether the reference `u -> w` counts.
    pub fn follows(&self, u: u32, w: u32) -> bool {
        if self.references.skips(self.heap, self.referents, u, w) {
            return false;
        }
        if self.exclude.is_empty() {
            return true;
        }
        let c = self.heap.class_of(u);
        let target = Value::Object(self.heap.id(w));
        for (class, field) in &self.exclude {
            if self.heap.classes().is_subclass(c, *class)
                && self
                    .heap
                    .fields(u)
                    .iter()
                    .any(|f| f.name == field && f.value == target)
            {
                return false;
            }
        }
        true
    }
}

/// One object on a path.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Step {
    pub object: u32,
    /// How this object refers to the step before it (closer to the
    /// target): a field name, `[index]`, `static name`, `<class>`...
    /// `None` for the target itself.
    pub field: Option<String>,
}

/// A path from the target (first) to a GC root (last).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RootPath {
    pub steps: Vec<Step>,
    /// The kinds of root the last object is.
    pub root_kinds: Vec<RootKind>,
    /// Each root record of the last object, for people (thread and frame
    /// for thread roots).
    pub roots: Vec<String>,
}

/// How `from` refers to `to`, for people.
pub fn describe_reference(heap: &Heap, from: u32, to: u32) -> String {
    let id = heap.id(to);
    if let Some(c) = heap.as_class(from) {
        let class = heap.class(c);
        if let Some(s) = class.statics.iter().find(|s| s.value == Value::Object(id)) {
            return format!("static {}", s.name);
        }
        for (value, name) in [
            (class.super_id, "<superclass>"),
            (class.loader_id, "<classloader>"),
            (class.signers_id, "<signers>"),
            (class.protection_domain_id, "<protection domain>"),
        ] {
            if value == id {
                return name.to_string();
            }
        }
    }
    if let Some(array) = heap.array(from) {
        if let Some(k) = (0..array.len).find(|&k| array.get(k) == Some(Value::Object(id))) {
            return format!("[{k}]");
        }
    }
    if let Some(f) = heap
        .fields(from)
        .iter()
        .find(|f| f.value == Value::Object(id))
    {
        return f.name.to_string();
    }
    if heap.class_object(heap.class_of(from)) == Some(to) {
        return "<class>".to_string();
    }
    "?".to_string()
}

fn root_kinds(heap: &Heap, o: u32) -> Vec<RootKind> {
    let mut kinds: Vec<RootKind> = heap.roots_of(o).map(|r| r.kind).collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

/// The shortest paths from GC roots to `target`, one per root object
/// reached, shortest first, at most `options.max`. Searches backwards
/// breadth-first over incoming references; a root ends a path.
pub fn paths_to_roots(heap: &Heap, target: u32, options: &PathOptions) -> PathSearch {
    let filter = Filter::new(heap, options.referents, &options.exclude);
    paths_with(&filter, target, options.max, options.budget)
}

/// [`paths_to_roots`] with a filter made once for many queries.
pub fn paths_with(filter: &Filter<'_>, target: u32, max: usize, budget: usize) -> PathSearch {
    paths_cancellable(filter, target, max, budget, &Progress::new()).unwrap_or_default()
}

/// [`paths_with`] that stops with `Cancelled` once `progress` is cancelled
/// (the window drops a search when the selection moves on).
pub fn paths_cancellable(
    filter: &Filter<'_>,
    target: u32,
    max: usize,
    budget: usize,
    progress: &Progress,
) -> Result<PathSearch, Cancelled> {
    let heap = filter.heap;
    let mut next: FxHashMap<u32, u32> = FxHashMap::default();
    let mut queue = VecDeque::new();
    let mut paths = Vec::new();
    let mut limit = usize::MAX;
    next.insert(target, NONE);
    queue.push_back(target);
    let mut popped = 0usize;
    while let Some(x) = queue.pop_front() {
        popped += 1;
        if popped % 4096 == 0 {
            progress.check()?;
        }
        if paths.len() >= max || next.len() > limit {
            return Ok(PathSearch {
                paths,
                complete: false,
                visited: next.len(),
            });
        }
        if heap.is_root(x) {
            let mut steps = Vec::with_capacity(8);
            let mut cur = x;
            let mut chain = vec![x];
            while let Some(&n) = next.get(&cur) {
                if n == NONE {
                    break;
                }
                chain.push(n);
                cur = n;
            }
            // chain: root ... target; steps go target ... root, each
            // naming how it refers to the one before.
            for i in (0..chain.len()).rev() {
                steps.push(Step {
                    object: chain[i],
                    field: (i + 1 < chain.len())
                        .then(|| describe_reference(heap, chain[i], chain[i + 1])),
                });
            }
            let mut roots: Vec<String> = heap.roots_of(x).map(|r| heap.describe_root(r)).collect();
            roots.dedup();
            paths.push(RootPath {
                steps,
                root_kinds: root_kinds(heap, x),
                roots,
            });
            if paths.len() == 1 {
                limit = next.len().saturating_add(budget);
            }
            continue; // paths end at the first root
        }
        for &u in heap.incoming(x) {
            if !next.contains_key(&u) && filter.follows(u, x) {
                next.insert(u, x);
                queue.push_back(u);
            }
        }
    }
    Ok(PathSearch {
        paths,
        complete: true,
        visited: next.len(),
    })
}

/// The shortest strong path from some GC root to every object, from one
/// breadth-first search forwards from all roots: parent pointers.
pub struct ShortestPaths {
    /// Per object: the object before it on a shortest path, `ROOT_MARK`
    /// for root objects, `NONE` when no root reaches it.
    parent: Vec<u32>,
}

/// The parent of a root object.
const ROOT_MARK: u32 = u32::MAX - 1;

impl ShortestPaths {
    pub fn compute(filter: &Filter<'_>, progress: &Progress) -> Result<ShortestPaths, Cancelled> {
        let heap = filter.heap;
        let n = heap.object_count() as usize;
        progress.start(Phase::Paths, n as u64);
        let mut parent = vec![NONE; n];
        let mut queue = VecDeque::new();
        for r in heap.root_objects() {
            parent[r as usize] = ROOT_MARK;
            queue.push_back(r);
        }
        let mut reached = 0u64;
        while let Some(x) = queue.pop_front() {
            reached += 1;
            if reached % (1 << 20) == 0 {
                progress.set(reached);
                progress.check()?;
            }
            for &w in heap.outgoing(x) {
                if parent[w as usize] == NONE && filter.follows(x, w) {
                    parent[w as usize] = x;
                    queue.push_back(w);
                }
            }
        }
        Ok(ShortestPaths { parent })
    }

    /// Whether some root reaches `o` by the references counted.
    pub fn reachable(&self, o: u32) -> bool {
        self.parent[o as usize] != NONE
    }

    /// `o`, the object that refers to it on a shortest path, and so on up
    /// to a root object; empty when unreachable.
    pub fn chain(&self, o: u32) -> Vec<u32> {
        let mut chain = Vec::new();
        if !self.reachable(o) {
            return chain;
        }
        let mut cur = o;
        loop {
            chain.push(cur);
            match self.parent[cur as usize] {
                ROOT_MARK => break,
                p => cur = p,
            }
        }
        chain
    }
}

/// A node of merged paths: an object on the shortest path of `count` of
/// the targets, with the objects below it (towards the targets).
#[derive(Clone, Debug)]
pub struct MergedNode {
    pub object: u32,
    /// How many targets' paths pass here.
    pub count: u64,
    /// How many targets are this object itself.
    pub targets: u64,
    pub children: Vec<usize>,
}

/// The shortest paths of many objects merged into a tree from the roots.
#[derive(Clone, Debug, Default)]
pub struct MergedPaths {
    pub nodes: Vec<MergedNode>,
    /// Indexes of the top-level nodes (root objects), most paths first.
    pub roots: Vec<usize>,
    /// Targets no root reaches by the references counted.
    pub unreachable: u64,
}

/// Merges the shortest paths of `targets` (see [`ShortestPaths`]).
pub fn merge_paths(paths: &ShortestPaths, targets: &[u32]) -> MergedPaths {
    let mut merged = MergedPaths::default();
    let mut index: FxHashMap<(usize, u32), usize> = FxHashMap::default();
    for &t in targets {
        let chain = paths.chain(t);
        if chain.is_empty() {
            merged.unreachable += 1;
            continue;
        }
        let mut parent = usize::MAX;
        let last = chain.len() - 1;
        for (i, &o) in chain.iter().rev().enumerate() {
            let key = (parent, o);
            let node = match index.get(&key) {
                Some(&k) => k,
                None => {
                    let k = merged.nodes.len();
                    merged.nodes.push(MergedNode {
                        object: o,
                        count: 0,
                        targets: 0,
                        children: Vec::new(),
                    });
                    index.insert(key, k);
                    if parent == usize::MAX {
                        merged.roots.push(k);
                    } else {
                        merged.nodes[parent].children.push(k);
                    }
                    k
                }
            };
            merged.nodes[node].count += 1;
            if i == last {
                merged.nodes[node].targets += 1;
            }
            parent = node;
        }
    }
    let counts: Vec<u64> = merged.nodes.iter().map(|n| n.count).collect();
    merged.roots.sort_by_key(|&k| std::cmp::Reverse(counts[k]));
    for node in &mut merged.nodes {
        node.children.sort_by_key(|&k| std::cmp::Reverse(counts[k]));
    }
    merged
}
