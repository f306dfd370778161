//! The histogram's groups: classes by package, by superclass (a class and
//! its direct subclasses that have instances) or by class loader; each
//! group's retained size is its instances' as one set, computed off the
//! UI thread.

use std::collections::HashSet;
use std::sync::Arc;

use crate::analysis::dominators::{Children, Dominators};
use crate::analysis::groups::{ClassGroups, GroupBy, superclass_retained};
use crate::app::actions;
use crate::app::command::{Command, DumpId};
use crate::heap::{ClassIx, Heap, ObjectIx};
use crate::units::count_of;

/// How the histogram groups its classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Group {
    None,
    Package,
    Superclass,
    Loader,
}

impl Group {
    pub const ALL: [Group; 4] = [
        Group::None,
        Group::Package,
        Group::Superclass,
        Group::Loader,
    ];

    /// For the choice and the command line.
    pub fn label(self) -> &'static str {
        match self {
            Group::None => "none",
            Group::Package => "package",
            Group::Superclass => "superclass",
            Group::Loader => "class loader",
        }
    }

    /// The group's noun in captions.
    pub fn noun(self) -> &'static str {
        match self {
            Group::None => "class",
            Group::Package => "package",
            Group::Superclass => "superclass",
            Group::Loader => "class loader",
        }
    }

    /// The class groups its groups are (superclass groups are classes).
    pub fn class_groups(self) -> Option<GroupBy> {
        match self {
            Group::None => None,
            Group::Package => Some(GroupBy::Package),
            Group::Superclass => Some(GroupBy::Class),
            Group::Loader => Some(GroupBy::Loader),
        }
    }
}

/// Per group (as numbered by [`Group::class_groups`]): the retained size
/// of its classes' instances as one set. One walk of the whole tree.
pub fn group_retained(
    group: Group,
    heap: &Heap,
    groups: &ClassGroups,
    doms: &Dominators,
    children: &Children,
) -> Arc<Vec<u64>> {
    Arc::new(match group {
        Group::Superclass => superclass_retained(heap, doms, children),
        _ => groups.retained(heap, doms, children),
    })
}

/// A row: a class, a group, or a class under its expanded group.
pub struct Line {
    pub name: String,
    pub class: Option<ClassIx>,
    /// A group row's group.
    pub group: Option<u32>,
    /// A group row's object: a loader's, a superclass's class object.
    pub object: Option<u32>,
    /// Classes in a group row; 0 for a class.
    pub classes: usize,
    pub nested: bool,
    pub instances: u64,
    pub shallow: u64,
    pub retained: Option<u64>,
}

impl Line {
    /// A class row.
    pub fn class(
        name: &str,
        class: u32,
        instances: u64,
        shallow: u64,
        retained: Option<u64>,
    ) -> Line {
        Line {
            name: name.to_string(),
            class: Some(ClassIx(class)),
            group: None,
            object: None,
            classes: 0,
            nested: false,
            instances,
            shallow,
            retained,
        }
    }

    /// What a group row says on hover.
    pub fn group_hint(&self, group: Group) -> String {
        let classes = format!(
            "{}, {} instances",
            count_of(self.classes as u64, "class"),
            crate::units::thousands(self.instances)
        );
        match group {
            Group::Superclass => {
                format!(
                    "{} and its direct subclasses with instances: {classes}",
                    self.name
                )
            }
            Group::Loader => format!("classes defined by {}: {classes}", self.name),
            _ => classes,
        }
    }
}

/// The groups of the classes `lines` (the filter applied), each with its
/// members nested under it when expanded; `order` sorts both.
pub fn grouped(
    heap: &Heap,
    lines: Vec<Line>,
    group: Group,
    groups: &ClassGroups,
    retained: Option<&[u64]>,
    expanded: &HashSet<(Group, u32)>,
    order: impl Fn(&Line, &Line) -> std::cmp::Ordering,
) -> Vec<Line> {
    let n = groups.len();
    // Superclass groups: classes some class shown extends directly.
    let superclass = |c: u32| {
        heap.class(c)
            .super_class
            .filter(|&s| (s as usize) < heap.classes().len())
    };
    let mut is_super = vec![false; if group == Group::Superclass { n } else { 0 }];
    if group == Group::Superclass {
        for l in &lines {
            if let Some(s) = l.class.and_then(|c| superclass(c.0)) {
                is_super[s as usize] = true;
            }
        }
    }
    let mut rows: Vec<Option<(Line, Vec<Line>)>> = (0..n).map(|_| None).collect();
    for l in lines {
        let Some(c) = l.class.map(|c| c.0) else {
            continue;
        };
        let mut of = [None, None];
        match group {
            Group::Superclass => {
                of[0] = Some(superclass(c).unwrap_or(c));
                if is_super[c as usize] && of[0] != Some(c) {
                    of[1] = Some(c);
                }
            }
            _ => of[0] = groups.of_class.get(c as usize).copied(),
        }
        for g in of.into_iter().flatten() {
            let (row, members) = rows[g as usize].get_or_insert_with(|| {
                let line = Line {
                    name: groups.names[g as usize].clone(),
                    class: None,
                    group: Some(g),
                    object: groups.objects[g as usize],
                    classes: 0,
                    nested: false,
                    instances: 0,
                    shallow: 0,
                    retained: retained.and_then(|r| r.get(g as usize).copied()),
                };
                (line, Vec::new())
            });
            row.classes += 1;
            row.instances += l.instances;
            row.shallow += l.shallow;
            let mut member = Line::class(&l.name, c, l.instances, l.shallow, l.retained);
            member.nested = true;
            members.push(member);
        }
    }
    let mut rows: Vec<(Line, Vec<Line>)> = rows.into_iter().flatten().collect();
    rows.sort_by(|a, b| order(&a.0, &b.0));
    let mut out = Vec::new();
    for (row, mut members) in rows {
        let open = row.group.is_some_and(|g| expanded.contains(&(group, g)));
        out.push(row);
        if open {
            members.sort_by(&order);
            out.extend(members);
        }
    }
    out
}

/// Whether a group row has actions: a superclass's on its instances, a
/// loader's on its object.
pub fn group_has_menu(group: Group, line: &Line) -> bool {
    match group {
        Group::Superclass => line.group.is_some(),
        Group::Loader => line.object.is_some(),
        _ => false,
    }
}

/// The actions of a group row (see [`group_has_menu`]).
pub fn group_menu(
    ui: &mut egui::Ui,
    heap: &Heap,
    dump: DumpId,
    group: Group,
    line: &Line,
    out: &mut Vec<Command>,
) {
    match (group, line.group, line.object) {
        (Group::Superclass, Some(c), _) => actions::class_menu(ui, heap, dump, ClassIx(c), out),
        (Group::Loader, _, Some(o)) => actions::object_menu(ui, heap, dump, ObjectIx(o), out),
        _ => {}
    }
}
