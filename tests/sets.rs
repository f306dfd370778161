//! Retained sizes of sets of objects, retained sets, immediate dominators
//! and folded paths, checked against their definitions on real dumps: the
//! demo dump (JDK 17, no JVM needed) and a HeapSubject dump taken from the
//! system JDK.

mod jdk;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;
use std::time::Instant;

use heapscope::analysis::dominators::{Dominators, Idom};
use heapscope::analysis::graph::{HeapGraph, Referents};
use heapscope::analysis::paths::{self, PathOptions, Step};
use heapscope::analysis::semi_nca::Graph;
use heapscope::analysis::sets::{self, DominatorRow, Folded, SetRow};
use heapscope::heap::{Heap, LoadOptions};
use heapscope::progress::Progress;

/// A loaded dump with its dominator trees over all references and over
/// strong references only.
struct Loaded {
    heap: Heap,
    all: Dominators,
    strong: Dominators,
    _file: Option<tempfile::NamedTempFile>,
}

fn dominators(heap: &Heap, referents: Referents) -> Dominators {
    Dominators::compute(heap, referents, &Progress::new()).expect("not cancelled")
}

fn loaded(heap: Heap, file: Option<tempfile::NamedTempFile>) -> Loaded {
    let all = dominators(&heap, Referents::ALL);
    let strong = dominators(&heap, Referents::NONE);
    Loaded {
        heap,
        all,
        strong,
        _file: file,
    }
}

fn demo() -> &'static Loaded {
    static DEMO: OnceLock<Loaded> = OnceLock::new();
    DEMO.get_or_init(|| {
        let file = heapscope::demo::demo_file().expect("demo file");
        let heap = Heap::open(file.path(), &LoadOptions::default(), &Progress::new())
            .unwrap_or_else(|e| panic!("{e}"));
        loaded(heap, Some(file))
    })
}

/// By definition: the objects that no GC root reaches once every object of
/// `set` is removed, among those reached with everything present, over the
/// graph the dominator tree uses (the same referent edges, class and
/// class-loader edges).
struct Definition<'h> {
    heap: &'h Heap,
    graph: HeapGraph<'h>,
    reachable: Vec<bool>,
}

impl<'h> Definition<'h> {
    fn new(heap: &'h Heap, referents: Referents) -> Definition<'h> {
        let graph = HeapGraph::new(heap, referents);
        let reachable = Self::reach(heap, &graph, &vec![false; heap.object_count() as usize]);
        Definition {
            heap,
            graph,
            reachable,
        }
    }

    fn reach(heap: &Heap, graph: &HeapGraph<'_>, removed: &[bool]) -> Vec<bool> {
        let n = heap.object_count() as usize;
        let mut seen = vec![false; n + 1];
        let root = graph.root();
        seen[root as usize] = true;
        let mut stack = vec![root];
        while let Some(v) = stack.pop() {
            for k in 0..graph.degree(v) {
                if let Some(w) = graph.successor(v, k) {
                    if !removed[w as usize] && !seen[w as usize] {
                        seen[w as usize] = true;
                        stack.push(w);
                    }
                }
            }
        }
        seen.truncate(n);
        seen
    }

    /// The retained set of `set`, in object order.
    fn retained_set(&self, set: &[u32]) -> Vec<u32> {
        let mut removed = vec![false; self.heap.object_count() as usize];
        for &o in set {
            removed[o as usize] = true;
        }
        let seen = Self::reach(self.heap, &self.graph, &removed);
        (0..self.heap.object_count())
            .filter(|&o| self.reachable[o as usize] && !seen[o as usize])
            .collect()
    }

    fn shallow(&self, objects: &[u32]) -> u64 {
        objects.iter().map(|&o| self.heap.shallow_size(o)).sum()
    }

    fn reachable_bytes(&self) -> u64 {
        let all: Vec<u32> = (0..self.heap.object_count())
            .filter(|&o| self.reachable[o as usize])
            .collect();
        self.shallow(&all)
    }
}

/// A class histogram of `objects` computed the plain way, sorted by class.
fn plain_histogram(heap: &Heap, objects: &[u32]) -> BTreeMap<u32, (u64, u64)> {
    let mut map = BTreeMap::new();
    for &o in objects {
        let e = map.entry(heap.class_of(o)).or_insert((0, 0));
        e.0 += 1;
        e.1 += heap.shallow_size(o);
    }
    map
}

/// The dominator-tree figure the slow way: per group, the shallow bytes
/// of every reachable object with a member of the group at or above it
/// on its dominator chain (each chain walked in full, once per object).
fn plain_group_union(
    heap: &Heap,
    doms: &Dominators,
    group_of: impl Fn(u32) -> Option<u32>,
    groups: usize,
) -> Vec<u64> {
    let mut total = vec![0u64; groups];
    let mut found: Vec<u32> = Vec::new();
    for o in 0..heap.object_count() {
        if doms.idom(o) == Idom::Unreachable {
            continue;
        }
        found.clear();
        let mut x = Idom::Object(o);
        while let Idom::Object(d) = x {
            found.extend(group_of(d));
            x = doms.idom(d);
        }
        found.sort_unstable();
        found.dedup();
        for &g in &found {
            total[g as usize] += heap.shallow_size(o);
        }
    }
    total
}

/// The objects a member of `set` dominates (or is), the slow way, in
/// object order.
fn plain_dominated(heap: &Heap, doms: &Dominators, set: &[u32]) -> Vec<u32> {
    let mut member = vec![false; heap.object_count() as usize];
    for &o in set {
        member[o as usize] = true;
    }
    (0..heap.object_count())
        .filter(|&o| {
            let mut x = doms.idom(o);
            if x == Idom::Unreachable {
                return false;
            }
            if member[o as usize] {
                return true;
            }
            while let Idom::Object(d) = x {
                if member[d as usize] {
                    return true;
                }
                x = doms.idom(d);
            }
            false
        })
        .collect()
}

/// Checks set_retained, retained_set and set_histogram of `set` against
/// the slow walk of dominator chains, and precise_retained_set against the
/// definition; returns (set_retained, precise bytes).
fn check_set(def: &Definition<'_>, doms: &Dominators, set: &[u32], label: &str) -> (u64, u64) {
    let heap = def.heap;
    let precise = def.retained_set(set);
    assert_eq!(
        sets::precise_retained_set(heap, doms, set),
        precise,
        "{label}: precise_retained_set"
    );
    let expected = plain_dominated(heap, doms, set);
    let retained = sets::set_retained(doms, set);
    assert_eq!(retained, def.shallow(&expected), "{label}: set_retained");
    // The dominator figure is a lower bound of the definition's.
    let mut p = precise.iter().peekable();
    for &o in &expected {
        while p.next_if(|&&x| x < o).is_some() {}
        assert_eq!(p.peek(), Some(&&o), "{label}: {o} dominated but not freed");
    }

    let children = doms.children();
    let mut got = sets::retained_set(doms, &children, set);
    let len = got.len();
    got.sort_unstable();
    got.dedup();
    assert_eq!(got.len(), len, "{label}: retained_set repeats objects");
    assert_eq!(got, expected, "{label}: retained_set");

    let rows = sets::set_histogram(heap, &got);
    let plain = plain_histogram(heap, &expected);
    assert_eq!(rows.len(), plain.len(), "{label}: histogram classes");
    for r in &rows {
        assert_eq!(
            plain.get(&r.class),
            Some(&(r.objects, r.shallow)),
            "{label}: class {}",
            heap.class(r.class).name
        );
    }
    assert!(
        rows.windows(2).all(|w| w[0].shallow >= w[1].shallow),
        "{label}: histogram order"
    );
    assert_eq!(rows.iter().map(|r| r.shallow).sum::<u64>(), retained);
    (retained, def.shallow(&precise))
}

/// The `k` classes with the most instances.
fn most_instances(heap: &Heap, k: usize) -> Vec<(u32, Vec<u32>)> {
    let mut by_class: HashMap<u32, Vec<u32>> = HashMap::new();
    for o in 0..heap.object_count() {
        by_class.entry(heap.class_of(o)).or_default().push(o);
    }
    let mut classes: Vec<(u32, Vec<u32>)> = by_class.into_iter().collect();
    classes.sort_by_key(|(c, v)| (std::cmp::Reverse(v.len()), *c));
    classes.truncate(k);
    classes
}

/// A deterministic pseudo-random sample of `k` objects, repeats allowed.
fn sample(heap: &Heap, k: usize, seed: u64) -> Vec<u32> {
    let mut x = seed;
    (0..k)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((x >> 33) % heap.object_count() as u64) as u32
        })
        .collect()
}

/// The package of a class: `java.util` for `java.util.HashMap$Node[]`,
/// `""` for the default package and primitive arrays.
fn package(name: &str) -> &str {
    let base = name.trim_end_matches("[]");
    base.rfind('.').map_or("", |i| &base[..i])
}

/// Group (package) index per class, and the packages.
fn packages(heap: &Heap) -> (Vec<u32>, Vec<String>) {
    let mut names: Vec<String> = Vec::new();
    let mut index: HashMap<String, u32> = HashMap::new();
    let group = heap
        .classes()
        .iter()
        .map(|(_, class)| {
            let p = package(&class.name).to_string();
            *index.entry(p.clone()).or_insert_with(|| {
                names.push(p);
                names.len() as u32 - 1
            })
        })
        .collect();
    (group, names)
}

fn check_sets(l: &Loaded, referents: Referents, label: &str) {
    let heap = &l.heap;
    let doms = if referents == Referents::ALL {
        &l.all
    } else {
        &l.strong
    };
    let def = Definition::new(heap, referents);
    for o in 0..heap.object_count() {
        assert_eq!(
            def.reachable[o as usize],
            doms.idom(o) != Idom::Unreachable,
            "{label}: reachability of {o}"
        );
    }
    // All instances of the classes with the most instances.
    let mut gaps = Vec::new();
    for (c, instances) in most_instances(heap, 5) {
        let name = &heap.class(c).name;
        let (r, precise) = check_set(&def, doms, &instances, &format!("{label}: {name}"));
        assert!(r > 0, "{label}: {name} retains nothing");
        if precise > r {
            gaps.push(format!("{name}: {r} < {precise}"));
        }
    }
    // Random sets, with repeats; their top-level members.
    for (k, seed) in [(1, 1), (50, 2), (1_000, 3), (20_000, 4)] {
        let set = sample(heap, k, seed);
        let (r, precise) = check_set(&def, doms, &set, &format!("{label}: {k} random"));
        if precise > r {
            gaps.push(format!("{k} random: {r} < {precise}"));
        }
        let top = sets::top_members(doms, &set);
        let members: HashSet<u32> = set.iter().copied().collect();
        assert_eq!(top.iter().collect::<HashSet<_>>().len(), top.len());
        for &t in &top {
            let mut p = doms.idom(t);
            while let Idom::Object(d) = p {
                assert!(!members.contains(&d), "{label}: {t} is under member {d}");
                p = doms.idom(d);
            }
        }
    }
    // One thread's locals, the GC roots it names.
    let threads: Vec<u32> = heap
        .roots()
        .iter()
        .filter_map(|r| r.thread_serial)
        .collect();
    let busiest = threads
        .iter()
        .max_by_key(|&&t| threads.iter().filter(|&&u| u == t).count())
        .copied()
        .expect("thread roots");
    let locals: Vec<u32> = heap
        .roots()
        .iter()
        .filter(|r| r.thread_serial == Some(busiest))
        .filter_map(|r| r.object)
        .collect();
    check_set(
        &def,
        doms,
        &locals,
        &format!("{label}: locals of {busiest}"),
    );
    eprintln!("{label}: sets whose precise retained size is more: {gaps:?}");
    // Nothing, and everything.
    assert_eq!(sets::set_retained(doms, &[]), 0);
    let everything: Vec<u32> = (0..heap.object_count()).collect();
    assert_eq!(
        sets::set_retained(doms, &everything),
        def.reachable_bytes(),
        "{label}: everything"
    );
}

fn check_groups(l: &Loaded, referents: Referents, label: &str) {
    let heap = &l.heap;
    let doms = if referents == Referents::ALL {
        &l.all
    } else {
        &l.strong
    };
    let children = doms.children();
    let def = Definition::new(heap, referents);

    // Packages: every group against the definition.
    let (group, names) = packages(heap);
    let t = Instant::now();
    let by_package = sets::group_retained(
        doms,
        &children,
        |o| Some(group[heap.class_of(o) as usize]),
        names.len(),
    );
    eprintln!(
        "{label}: group_retained over {} objects, {} packages: {:?}",
        heap.object_count(),
        names.len(),
        t.elapsed()
    );
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); names.len()];
    for o in 0..heap.object_count() {
        members[group[heap.class_of(o) as usize] as usize].push(o);
    }
    let reachable = def.reachable_bytes();
    assert_eq!(reachable, doms.reachable_bytes());
    // Every reachable byte is in the group of its top-level object; a
    // byte can count in several groups (a java.util map of strings counts
    // in java.util and in java.lang), so the sum may be more.
    let sum: u64 = by_package.iter().sum();
    assert!(sum >= reachable, "{label}");
    eprintln!("{label}: packages sum to {sum}, reachable heap {reachable}");
    let plain = plain_group_union(
        heap,
        doms,
        |o| Some(group[heap.class_of(o) as usize]),
        names.len(),
    );
    assert_eq!(by_package, plain, "{label}: packages");
    let mut nested = 0;
    let mut gaps = Vec::new();
    for (g, name) in names.iter().enumerate() {
        assert_eq!(by_package[g], sets::set_retained(doms, &members[g]));
        let precise = def.shallow(&def.retained_set(&members[g]));
        assert!(by_package[g] <= precise, "{label}: package '{name}'");
        if by_package[g] < precise {
            gaps.push(format!("'{name}': {} < {precise}", by_package[g]));
        }
        assert!(by_package[g] <= reachable);
        let plain: u64 = members[g].iter().map(|&o| doms.retained(o)).sum();
        if plain > by_package[g] {
            nested += 1;
        }
    }
    // Not a plain sum: some packages nest.
    assert!(nested > 0, "{label}: no package dominates its own objects");
    eprintln!("{label}: packages whose precise retained size is more: {gaps:?}");

    // Groups that leave objects out: one per package of the first half of
    // the classes, none for the others.
    let half = heap.classes().len() as u32 / 2;
    let some = sets::group_retained(
        doms,
        &children,
        |o| (heap.class_of(o) < half).then(|| group[heap.class_of(o) as usize]),
        names.len(),
    );
    assert_eq!(
        some,
        plain_group_union(
            heap,
            doms,
            |o| (heap.class_of(o) < half).then(|| group[heap.class_of(o) as usize]),
            names.len()
        )
    );
    for (g, name) in names.iter().enumerate() {
        let m: Vec<u32> = members[g]
            .iter()
            .copied()
            .filter(|&o| heap.class_of(o) < half)
            .collect();
        assert_eq!(some[g], sets::set_retained(doms, &m), "{label}: {name}");
    }
    // A few mixed groups of random objects against the definition.
    let mut mixed = vec![u32::MAX; heap.object_count() as usize];
    for (g, seed) in (10..14).enumerate() {
        for o in sample(heap, 500, seed) {
            mixed[o as usize] = g as u32;
        }
    }
    let random = sets::group_retained(
        doms,
        &children,
        |o| Some(mixed[o as usize]).filter(|&g| g != u32::MAX),
        4,
    );
    let plain = plain_group_union(
        heap,
        doms,
        |o| Some(mixed[o as usize]).filter(|&g| g != u32::MAX),
        4,
    );
    assert_eq!(random, plain, "{label}: random groups");
    for (g, &r) in random.iter().enumerate() {
        let m: Vec<u32> = (0..heap.object_count())
            .filter(|&o| mixed[o as usize] == g as u32)
            .collect();
        assert_eq!(r, sets::set_retained(doms, &m), "{label}: random {g}");
        assert!(
            r <= def.shallow(&def.retained_set(&m)),
            "{label}: random {g}"
        );
    }

    // Classes as groups: the per-class retained sizes.
    let by_class = sets::group_retained(
        doms,
        &children,
        |o| Some(heap.class_of(o)),
        heap.classes().len(),
    );
    assert_eq!(by_class, doms.class_retained(heap, &children), "{label}");

    // Every object its own group: its retained size.
    let singletons = sets::group_retained(doms, &children, Some, heap.object_count() as usize);
    for o in 0..heap.object_count() {
        assert_eq!(singletons[o as usize], doms.retained(o), "{label}: {o}");
    }
    // ...which is exactly what freeing it alone frees.
    let mut spread = doms.biggest(5);
    spread.extend(sample(heap, 20, 99));
    for o in spread {
        if doms.idom(o) != Idom::Unreachable {
            assert_eq!(
                singletons[o as usize],
                def.shallow(&def.retained_set(&[o])),
                "{label}: {o}"
            );
        }
    }
    // Unreachable objects retain nothing as a group.
    let unreachable: Vec<u32> = (0..heap.object_count())
        .filter(|&o| doms.idom(o) == Idom::Unreachable)
        .collect();
    assert_eq!(sets::set_retained(doms, &unreachable), 0);
    let g = sets::group_retained(
        doms,
        &children,
        |o| (doms.idom(o) == Idom::Unreachable).then_some(0),
        1,
    );
    assert_eq!(g, vec![0]);
}

/// Immediate dominators the slow way: walk each object's chain to the
/// first dominator neither in the set nor of the object's class.
fn plain_immediate_dominators(
    heap: &Heap,
    doms: &Dominators,
    set: &[u32],
) -> BTreeMap<Option<u32>, (Vec<u32>, u64, u64)> {
    let mut distinct: Vec<u32> = set
        .iter()
        .copied()
        .filter(|&o| doms.idom(o) != Idom::Unreachable)
        .collect();
    distinct.sort_unstable();
    distinct.dedup();
    let mut rows: BTreeMap<Option<u32>, (Vec<u32>, u64, u64)> = BTreeMap::new();
    for &o in &distinct {
        let mut p = doms.idom(o);
        let found = loop {
            match p {
                Idom::Object(d)
                    if distinct.binary_search(&d).is_ok()
                        || heap.class_of(d) == heap.class_of(o) =>
                {
                    p = doms.idom(d)
                }
                Idom::Object(d) => break Some(d),
                _ => break None,
            }
        };
        let row = rows.entry(found.map(|d| heap.class_of(d))).or_default();
        row.0.extend(found);
        row.1 += 1;
        row.2 += heap.shallow_size(o);
    }
    for row in rows.values_mut() {
        row.0.sort_unstable();
        row.0.dedup();
    }
    rows
}

fn check_immediate_dominators(heap: &Heap, doms: &Dominators, set: &[u32], label: &str) {
    let rows: Vec<DominatorRow> = sets::immediate_dominators(heap, doms, set);
    let plain = plain_immediate_dominators(heap, doms, set);
    let members: HashSet<u32> = set.iter().copied().collect();
    assert_eq!(rows.len(), plain.len(), "{label}");
    for r in &rows {
        let p = &plain[&r.class];
        assert_eq!(
            (&r.dominators, r.dominated, r.dominated_shallow),
            (&p.0, p.1, p.2),
            "{label}: {:?}",
            r.class.map(|c| heap.class(c).name.as_str())
        );
        for &d in &r.dominators {
            assert_eq!(Some(heap.class_of(d)), r.class);
            assert!(!members.contains(&d), "{label}: {d} is in the set");
        }
    }
    assert!(
        rows.windows(2)
            .all(|w| w[0].dominated_shallow >= w[1].dominated_shallow)
    );
}

#[test]
fn demo_set_retained_sizes_match_the_definition() {
    let l = demo();
    check_sets(l, Referents::ALL, "demo all");
    check_sets(l, Referents::NONE, "demo strong");
}

#[test]
fn demo_group_retained_sizes_match_the_definition() {
    let l = demo();
    check_groups(l, Referents::ALL, "demo all");
    check_groups(l, Referents::NONE, "demo strong");
}

#[test]
fn demo_retained_sets_of_the_leak() {
    let l = demo();
    let heap = &l.heap;
    let class = |name: &str| heap.classes().find(name).expect(name);
    let statements = heap.instances_of(class("TimerLeakDemo$PgPreparedStatement"));
    assert_eq!(statements.len(), 6001);
    let tasks = heap.instances_of(class("TimerLeakDemo$CancelTimerTask"));
    assert_eq!(tasks.len(), 5001);
    let def = Definition::new(heap, Referents::ALL);
    // Every statement is also held by its Finalizer (all references count),
    // so the tasks alone retain less than tasks and statements together.
    let (tasks_only, _) = check_set(&def, &l.all, &tasks, "tasks");
    let mut both = tasks.clone();
    both.extend(&statements);
    let (together, _) = check_set(&def, &l.all, &both, "tasks and statements");
    assert!(together > tasks_only, "{together} {tasks_only}");
    let children = l.all.children();
    let rows: Vec<SetRow> =
        sets::set_histogram(heap, &sets::retained_set(&l.all, &children, &both));
    let row = |c: u32| rows.iter().find(|r| r.class == c).copied();
    assert_eq!(
        row(class("TimerLeakDemo$PgPreparedStatement")).map(|r| r.objects),
        Some(6001)
    );
    assert_eq!(
        row(class("TimerLeakDemo$CancelTimerTask")).map(|r| r.objects),
        Some(5001)
    );

    // Immediate dominators, against the slow walk, on the leak's classes,
    // the most common classes and random sets.
    for doms in [&l.all, &l.strong] {
        check_immediate_dominators(heap, doms, &statements, "statements");
        check_immediate_dominators(heap, doms, &tasks, "tasks");
        check_immediate_dominators(heap, doms, &both, "both");
        for (c, instances) in most_instances(heap, 5) {
            check_immediate_dominators(heap, doms, &instances, &heap.class(c).name);
        }
        for (k, seed) in [(100, 7), (5_000, 8)] {
            check_immediate_dominators(heap, doms, &sample(heap, k, seed), "random");
        }
    }
    // Strong references only: a leaked statement's task holds it alone.
    let rows = sets::immediate_dominators(heap, &l.strong, &statements);
    eprintln!(
        "immediate dominators of statements (strong): {:?}",
        rows.iter()
            .map(|r| (
                r.class.map(|c| heap.class(c).name.as_str()),
                r.dominators.len(),
                r.dominated
            ))
            .collect::<Vec<_>>()
    );
    let by_task = rows
        .iter()
        .find(|r| r.class == Some(class("TimerLeakDemo$CancelTimerTask")))
        .expect("tasks dominate statements");
    assert_eq!(by_task.dominated, 5000);
    assert_eq!(by_task.dominators.len(), 5000);
    // The executing statement's task is in a frame too: the roots hold it.
    // The 1,000 dropped statements are strongly unreachable: left out.
    let by_roots = rows.iter().find(|r| r.class.is_none()).expect("roots");
    assert_eq!((by_roots.dominated, by_roots.dominators.len()), (1, 0));
    assert_eq!(rows.iter().map(|r| r.dominated).sum::<u64>(), 5001);
}

/// A reference folding, step by step, written plainly: runs from
/// `chunk_by`, each folded when longer than `keep + 2`.
fn plain_fold(heap: &Heap, steps: &[Step], keep: usize) -> Vec<Folded> {
    let key = |s: &Step| {
        s.field.as_ref().map(|f| {
            let mut f = f.clone();
            if f.ends_with(']') {
                if let Some(open) = f.rfind('[') {
                    if f[open + 1..f.len() - 1].parse::<u64>().is_ok() {
                        f = format!("{}[]", &f[..open]);
                    }
                }
            }
            (heap.class_of(s.object), f)
        })
    };
    let indexed: Vec<(usize, Option<(u32, String)>)> =
        steps.iter().enumerate().map(|(i, s)| (i, key(s))).collect();
    let mut out = Vec::new();
    for run in indexed.chunk_by(|a, b| a.1.is_some() && a.1 == b.1) {
        let first = run[0].0;
        match &run[0].1 {
            Some((class, field)) if run.len() > keep + 2 => {
                for i in 0..keep {
                    out.push(Folded::Step(first + i));
                }
                out.push(Folded::Run {
                    first: first + keep,
                    len: run.len() - keep - 1,
                    class: *class,
                    field: field.clone(),
                });
                out.push(Folded::Step(first + run.len() - 1));
            }
            _ => out.extend(run.iter().map(|&(i, _)| Folded::Step(i))),
        }
    }
    out
}

#[test]
fn fold_runs_folds_chains_of_one_class() {
    let l = demo();
    let heap = &l.heap;
    let finalizers = heap.instances_of(heap.classes().find("java.lang.ref.Finalizer").unwrap());
    let arrays = heap.instances_of(heap.classes().find("java.lang.Object[]").unwrap());
    assert!(finalizers.len() > 1_903 && arrays.len() > 3);
    let step = |object: u32, field: Option<&str>| Step {
        object,
        field: field.map(String::from),
    };
    // A target, 1,903 Finalizers by `next`, two arrays by element, a root.
    let mut steps = vec![step(arrays[0], None)];
    steps.extend(finalizers[..1_903].iter().map(|&f| step(f, Some("next"))));
    steps.push(step(arrays[1], Some("[3]")));
    steps.push(step(arrays[2], Some("[4]")));
    steps.push(step(finalizers[1_903], Some("unfinalized")));
    let folded = sets::fold_runs(&steps, heap, 2);
    let class = heap.class_of(finalizers[0]);
    assert_eq!(
        folded,
        vec![
            Folded::Step(0),
            Folded::Step(1),
            Folded::Step(2),
            Folded::Run {
                first: 3,
                len: 1_900,
                class,
                field: "next".into()
            },
            Folded::Step(1_903),
            Folded::Step(1_904),
            Folded::Step(1_905),
            Folded::Step(1_906),
        ]
    );
    // Array elements fold as one field whatever their index.
    let elements: Vec<Step> = arrays[..10]
        .iter()
        .enumerate()
        .map(|(i, &a)| step(a, Some(&format!("[{}]", i * 7))))
        .collect();
    assert_eq!(
        sets::fold_runs(&elements, heap, 1),
        vec![
            Folded::Step(0),
            Folded::Run {
                first: 1,
                len: 8,
                class: heap.class_of(arrays[0]),
                field: "[]".into()
            },
            Folded::Step(9),
        ]
    );
    // keep = 0: the whole run but its last step folds; a run of keep + 2
    // steps is left as it is.
    assert_eq!(
        sets::fold_runs(&steps[1..4], heap, 0),
        vec![
            Folded::Run {
                first: 0,
                len: 2,
                class,
                field: "next".into()
            },
            Folded::Step(2)
        ]
    );
    assert_eq!(
        sets::fold_runs(&steps[1..5], heap, 2),
        (0..4).map(Folded::Step).collect::<Vec<_>>()
    );
    // A different field breaks a run; so does a field with an index.
    let mixed = vec![
        step(finalizers[0], Some("next")),
        step(finalizers[1], Some("next")),
        step(finalizers[2], Some("prev")),
        step(finalizers[3], Some("next")),
        step(finalizers[4], Some("next[1]")),
    ];
    assert_eq!(
        sets::fold_runs(&mixed, heap, 0),
        (0..5).map(Folded::Step).collect::<Vec<_>>()
    );
    assert_eq!(sets::fold_runs(&[], heap, 2), vec![]);
    assert_eq!(sets::field_key("elementData[12]"), "elementData");
    assert_eq!(sets::field_key("[0]"), "");
    assert_eq!(sets::field_key("static next"), "static next");
    assert_eq!(sets::field_key("x[a]"), "x[a]");

    // Real paths to GC roots through the Finalizer list, every keep.
    let filter = paths::Filter::new(heap, Referents::ALL, &[]);
    let mut longest = 0;
    for &f in finalizers.iter().step_by(97) {
        let found = paths::paths_with(&filter, f, 3, 10_000).paths;
        for p in &found {
            longest = longest.max(p.steps.len());
            for keep in [0, 1, 2, 5] {
                let folded = sets::fold_runs(&p.steps, heap, keep);
                assert_eq!(folded, plain_fold(heap, &p.steps, keep));
                // Every step is shown or folded, once, in order.
                let mut next = 0;
                for item in &folded {
                    match *item {
                        Folded::Step(i) => {
                            assert_eq!(i, next);
                            next += 1;
                        }
                        Folded::Run { first, len, .. } => {
                            assert_eq!(first, next);
                            assert!(len >= 2);
                            next += len;
                        }
                    }
                }
                assert_eq!(next, p.steps.len());
            }
        }
    }
    eprintln!("longest Finalizer path: {longest} steps");
    assert!(longest > 100, "{longest}");
}

/// HeapSubject on the system JDK: a second real dump, with a 12,345-node
/// linked chain whose path to a root folds.
#[test]
fn heap_subject_sets_and_folded_chain() {
    let dir = tempfile::tempdir().unwrap();
    let jvm = jdk::Jvm::start(&jdk::system_jdk(), "HeapSubject", &[]);
    let path = dir.path().join("live.hprof");
    let all_path = dir.path().join("all.hprof");
    jvm.dump(&all_path, &["-all"]);
    jvm.dump(&path, &[]);
    drop(jvm);

    // The -all dump keeps 777 unreachable Garbage objects: they retain
    // nothing, as a set, a group, or among reachable objects.
    {
        let all = jdk::load(&all_path);
        let doms = dominators(&all, Referents::ALL);
        let garbage = all.instances_of(all.classes().find("HeapSubject$Garbage").unwrap());
        assert_eq!(garbage.len(), 777);
        assert!(garbage.iter().all(|&g| doms.idom(g) == Idom::Unreachable));
        let children = doms.children();
        assert_eq!(sets::set_retained(&doms, &garbage), 0);
        assert!(sets::top_members(&doms, &garbage).is_empty());
        assert!(sets::retained_set(&doms, &children, &garbage).is_empty());
        assert!(sets::precise_retained_set(&all, &doms, &garbage).is_empty());
        assert!(sets::immediate_dominators(&all, &doms, &garbage).is_empty());
        let garbage_class = all.class_of(garbage[0]);
        let g = sets::group_retained(
            &doms,
            &children,
            |o| (all.class_of(o) == garbage_class).then_some(0),
            1,
        );
        assert_eq!(g, vec![0]);
        let def = Definition::new(&all, Referents::ALL);
        let mut mixed = garbage[..100].to_vec();
        mixed.extend(sample(&all, 2_000, 5));
        let (r, precise) = check_set(&def, &doms, &mixed, "-all: garbage and random");
        assert!(r > 0 && precise >= r);
        check_immediate_dominators(&all, &doms, &mixed, "-all: garbage and random");
    }

    let l = loaded(jdk::load(&path), None);
    let heap = &l.heap;
    check_sets(&l, Referents::ALL, "HeapSubject all");
    check_groups(&l, Referents::ALL, "HeapSubject all");
    check_groups(&l, Referents::NONE, "HeapSubject strong");

    // The chain: one set retaining exactly its nodes, dominated as one.
    let node = heap.classes().find("HeapSubject$Node").unwrap();
    let nodes = heap.instances_of(node);
    assert_eq!(nodes.len(), 12_345);
    let size = heap.census().instance_sizes[node as usize];
    assert_eq!(sets::set_retained(&l.all, &nodes), 12_345 * size);
    let rows = sets::immediate_dominators(heap, &l.all, &nodes);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].dominated, 12_345);
    assert_eq!(rows[0].dominators.len(), 1);
    check_immediate_dominators(heap, &l.all, &nodes, "nodes");

    // The last node's path: the head, 12,343 nodes by `next`, the class.
    let last = *nodes
        .iter()
        .find(|&&o| heap.field_object(o, "next").is_none())
        .unwrap();
    let options = PathOptions {
        max: 1,
        ..PathOptions::default()
    };
    let found = paths::paths_to_roots(heap, last, &options).paths;
    let steps = &found[0].steps;
    let folded = sets::fold_runs(steps, heap, 2);
    eprintln!("folded chain: {folded:?}");
    assert_eq!(folded, plain_fold(heap, steps, 2));
    let runs: Vec<&Folded> = folded
        .iter()
        .filter(|f| matches!(f, Folded::Run { .. }))
        .collect();
    assert_eq!(
        runs,
        vec![&Folded::Run {
            first: 3,
            len: 12_341,
            class: node,
            field: "next".into()
        }]
    );
}
