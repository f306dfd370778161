//! Objects in groups by a property of their class (the class itself, its
//! class loader, its package), as Eclipse MAT groups its histogram and its
//! dominator tree; the groups of one level of the dominator tree with
//! their counts and sums; the retained size of a class with its direct
//! subclasses.

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::dominators::{Children, Dominators};
use crate::heap::Heap;
use crate::units::hex_id;

/// What objects are grouped by: a property of their class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GroupBy {
    Class,
    Loader,
    Package,
}

impl GroupBy {
    pub const ALL: [GroupBy; 3] = [GroupBy::Class, GroupBy::Loader, GroupBy::Package];

    /// For people: "class", "class loader", "package".
    pub fn label(self) -> &'static str {
        match self {
            GroupBy::Class => "class",
            GroupBy::Loader => "class loader",
            GroupBy::Package => "package",
        }
    }
}

const PRIMITIVES: [&str; 8] = [
    "boolean", "byte", "char", "short", "int", "long", "float", "double",
];

/// The package of a class name; primitive arrays have one of their own.
pub fn package(name: &str) -> &str {
    let element = name.trim_end_matches("[]");
    match element.rfind('.') {
        Some(i) => &element[..i],
        None if element != name && PRIMITIVES.contains(&element) => "(primitive arrays)",
        None => "(default package)",
    }
}

/// A class loader for people: `<bootstrap>` for id 0, else the loader
/// object's class and id (`jdk.internal.loader.ClassLoaders$AppClassLoader
/// 0x...`), or the bare id when the dump lacks the object.
pub fn loader_name(heap: &Heap, loader_id: u64) -> String {
    if loader_id == 0 {
        return "<bootstrap>".to_string();
    }
    match heap.find(loader_id) {
        Some(o) => format!(
            "{} {}",
            heap.class(heap.class_of(o)).name,
            hex_id(loader_id)
        ),
        None => format!("<loader {}>", hex_id(loader_id)),
    }
}

/// Every class in one group: each class's group and each group's name.
#[derive(Clone, Debug)]
pub struct ClassGroups {
    pub by: GroupBy,
    /// Per group: its name (class names repeat when several loaders
    /// define a class).
    pub names: Vec<String>,
    /// Per group: its object (the class object of a class, the loader
    /// object of a loader), when the dump has one.
    pub objects: Vec<Option<u32>>,
    /// Per class index: its group.
    pub of_class: Vec<u32>,
}

impl ClassGroups {
    /// The classes of `heap` grouped by `by`; groups of loaders in id
    /// order (the bootstrap loader first), of packages in name order.
    pub fn new(heap: &Heap, by: GroupBy) -> ClassGroups {
        let classes = heap.classes();
        match by {
            GroupBy::Class => ClassGroups {
                by,
                names: classes.iter().map(|(_, c)| c.name.clone()).collect(),
                objects: classes.iter().map(|(i, _)| heap.class_object(i)).collect(),
                of_class: (0..classes.len() as u32).collect(),
            },
            GroupBy::Loader => {
                let mut ids: Vec<u64> = classes.iter().map(|(_, c)| c.loader_id).collect();
                ids.sort_unstable();
                ids.dedup();
                let of_class = classes
                    .iter()
                    .map(|(_, c)| ids.binary_search(&c.loader_id).unwrap_or(0) as u32)
                    .collect();
                ClassGroups {
                    by,
                    names: ids.iter().map(|&id| loader_name(heap, id)).collect(),
                    objects: ids
                        .iter()
                        .map(|&id| (id != 0).then(|| heap.find(id)).flatten())
                        .collect(),
                    of_class,
                }
            }
            GroupBy::Package => {
                let mut names: BTreeMap<&str, u32> = BTreeMap::new();
                for (_, c) in classes.iter() {
                    names.insert(package(&c.name), 0);
                }
                for (i, v) in names.values_mut().enumerate() {
                    *v = i as u32;
                }
                let of_class = classes
                    .iter()
                    .map(|(_, c)| names[package(&c.name)])
                    .collect();
                ClassGroups {
                    by,
                    objects: vec![None; names.len()],
                    names: names.keys().map(|s| s.to_string()).collect(),
                    of_class,
                }
            }
        }
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The group of object `o`.
    pub fn of_object(&self, heap: &Heap, o: u32) -> u32 {
        self.of_class[heap.class_of(o) as usize]
    }

    /// Per group: the retained size of all its objects as a set (see
    /// [`super::sets::group_retained`]). One walk of the whole tree.
    pub fn retained(&self, heap: &Heap, doms: &Dominators, children: &Children) -> Vec<u64> {
        super::sets::group_retained(
            doms,
            children,
            |o| Some(self.of_object(heap, o)),
            self.len(),
        )
    }
}

/// One group of a level of the dominator tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LevelGroup {
    /// Its index in the [`ClassGroups`].
    pub group: u32,
    pub objects: u64,
    pub shallow: u64,
    /// The plain sum of its objects' retained sizes: siblings in the
    /// dominator tree never dominate one another, so nothing counts twice.
    pub retained: u64,
}

/// One level of the dominator tree (the children of one node, or the top
/// level) in groups. Groups are in order of their first member; each
/// group's members keep the level's order (largest retained first).
#[derive(Clone, Debug, Default)]
pub struct GroupedLevel {
    pub groups: Vec<LevelGroup>,
    /// Group `k`'s members are `members[offsets[k]..offsets[k + 1]]`.
    offsets: Vec<u32>,
    members: Vec<u32>,
}

impl GroupedLevel {
    /// Groups the objects of `level` (siblings in the tree of `doms`).
    /// Shallow sizes are read in parallel; the rest is a counting sort.
    pub fn new(heap: &Heap, doms: &Dominators, level: &[u32], groups: &ClassGroups) -> Self {
        // Per member: its group and shallow size (flat arrays of the
        // level's length, read in parallel: shallow sizes read records).
        let facts: Vec<(u32, u64)> = level
            .par_iter()
            .with_min_len(1 << 12)
            .map(|&o| (groups.of_object(heap, o), heap.shallow_size(o)))
            .collect();
        // Groups numbered in order of first appearance.
        const NONE: u32 = u32::MAX;
        let mut slot = vec![NONE; groups.len()];
        let mut out: Vec<LevelGroup> = Vec::new();
        let mut slot_of = Vec::with_capacity(level.len());
        for (&o, &(g, shallow)) in level.iter().zip(&facts) {
            let s = &mut slot[g as usize];
            if *s == NONE {
                *s = out.len() as u32;
                out.push(LevelGroup {
                    group: g,
                    objects: 0,
                    shallow: 0,
                    retained: 0,
                });
            }
            let k = *s as usize;
            out[k].objects += 1;
            out[k].shallow += shallow;
            out[k].retained += doms.retained(o);
            slot_of.push(*s);
        }
        drop(facts);
        let mut offsets = vec![0u32; out.len() + 1];
        for (k, g) in out.iter().enumerate() {
            offsets[k + 1] = offsets[k] + g.objects as u32;
        }
        let mut next = offsets.clone();
        let mut members = vec![0u32; level.len()];
        for (&o, &k) in level.iter().zip(&slot_of) {
            members[next[k as usize] as usize] = o;
            next[k as usize] += 1;
        }
        GroupedLevel {
            groups: out,
            offsets,
            members,
        }
    }

    /// The members of the `k`-th group, in the level's order.
    pub fn members(&self, k: usize) -> &[u32] {
        match (self.offsets.get(k), self.offsets.get(k + 1)) {
            (Some(&a), Some(&b)) => &self.members[a as usize..b as usize],
            _ => &[],
        }
    }

    /// Which of the groups holds object `o`'s group `g`, if any.
    pub fn position(&self, g: u32) -> Option<usize> {
        self.groups.iter().position(|x| x.group == g)
    }
}

/// Per class `S`: the retained size, as one set, of the instances of `S`
/// and of its direct subclasses (a histogram's "group by superclass").
/// A class's instances belong to its own set and to its superclass's, so
/// this is one walk of the whole tree keeping, per class, how many members
/// of its set are open above the current object.
pub fn superclass_retained(heap: &Heap, doms: &Dominators, children: &Children) -> Vec<u64> {
    let classes = heap.classes();
    let n = classes.len();
    let sup: Vec<u32> = classes
        .iter()
        .map(|(i, c)| c.super_class.filter(|&s| (s as usize) < n).unwrap_or(i))
        .collect();
    let sets = |o: u32| {
        let c = heap.class_of(o);
        let s = sup[c as usize];
        (c, (s != c).then_some(s))
    };
    let mut total = vec![0u64; n];
    let mut open = vec![0u32; n];
    let mut stack: Vec<(u32, u32)> = Vec::new();
    let mut visit = |o: u32, open: &mut [u32], stack: &mut Vec<(u32, u32)>| {
        let (c, s) = sets(o);
        let r = doms.retained(o);
        for g in std::iter::once(c).chain(s) {
            if open[g as usize] == 0 {
                total[g as usize] += r;
            }
        }
        if !children.of(o).is_empty() {
            for g in std::iter::once(c).chain(s) {
                open[g as usize] += 1;
            }
            stack.push((o, 0));
        }
    };
    for &top in children.roots() {
        visit(top, &mut open, &mut stack);
        while let Some(&(o, i)) = stack.last() {
            let kids = children.of(o);
            if (i as usize) < kids.len() {
                stack.last_mut().expect("non-empty").1 += 1;
                visit(kids[i as usize], &mut open, &mut stack);
            } else {
                stack.pop();
                let (c, s) = sets(o);
                for g in std::iter::once(c).chain(s) {
                    open[g as usize] -= 1;
                }
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::package;

    #[test]
    fn packages_of_names() {
        assert_eq!(package("java.util.HashMap$Node[]"), "java.util");
        assert_eq!(package("int[][]"), "(primitive arrays)");
        assert_eq!(package("Main"), "(default package)");
        assert_eq!(package("Main[]"), "(default package)");
    }
}
