//! The window's vocabulary: its views, the dumps it has open, and the
//! commands views send to the app, which applies them after the frame.

use std::path::PathBuf;

use egui::{Key, KeyboardShortcut, Modifiers};

use crate::analysis::graph::Referents;
use crate::heap::{ClassIx, ObjectIx};

/// An open dump of this window (two can be open: one shown, one beside).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DumpId(pub u64);

/// The views of a loaded dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum View {
    Overview,
    /// Big holders, class groups and known leak patterns.
    Suspects,
    Histogram,
    Dominators,
    Finalizers,
    /// Duplicate strings, sparse collections, zero arrays, boxed values.
    Waste,
    Inspector,
    Threads,
    /// The results of an action on an object or a class.
    Query,
    /// SQL over the dump.
    Sql,
    /// This dump against a baseline dump.
    Compare,
}

impl View {
    pub const ALL: [View; 11] = [
        View::Overview,
        View::Suspects,
        View::Histogram,
        View::Dominators,
        View::Finalizers,
        View::Waste,
        View::Inspector,
        View::Threads,
        View::Query,
        View::Sql,
        View::Compare,
    ];

    pub fn title(self) -> &'static str {
        match self {
            View::Overview => "Overview",
            View::Suspects => "Suspects",
            View::Histogram => "Histogram",
            View::Dominators => "Dominator tree",
            View::Finalizers => "Finalizers",
            View::Waste => "Waste",
            View::Inspector => "Inspector",
            View::Threads => "Threads",
            View::Query => "Query",
            View::Sql => "SQL",
            View::Compare => "Compare",
        }
    }

    /// The title in the navigation bar, shorter where the full one is long.
    pub fn tab(self) -> &'static str {
        match self {
            View::Dominators => "Dominators",
            v => v.title(),
        }
    }

    /// The command-line name (`heapscope screenshot --view NAME`).
    pub fn name(self) -> &'static str {
        match self {
            View::Overview => "overview",
            View::Suspects => "suspects",
            View::Histogram => "histogram",
            View::Dominators => "dominators",
            View::Finalizers => "finalizers",
            View::Waste => "waste",
            View::Inspector => "inspector",
            View::Threads => "threads",
            View::Query => "query",
            View::Sql => "sql",
            View::Compare => "compare",
        }
    }

    pub fn parse(name: &str) -> Option<View> {
        View::ALL.into_iter().find(|v| v.name() == name)
    }

    pub fn shortcut(self) -> KeyboardShortcut {
        let key = match self {
            View::Overview => Key::Num1,
            View::Suspects => Key::Num2,
            View::Histogram => Key::Num3,
            View::Dominators => Key::Num4,
            View::Finalizers => Key::Num5,
            View::Waste => Key::Num6,
            View::Inspector => Key::Num7,
            View::Threads => Key::Num8,
            View::Query => Key::Num9,
            // The digits are taken: E for "execute".
            View::Sql => Key::E,
            View::Compare => Key::Num0,
        };
        KeyboardShortcut::new(Modifiers::COMMAND, key)
    }
}

/// Which references retained sizes and the dominator tree count: every
/// reference (as Eclipse MAT's dominator tree), or strong ones only (what
/// a garbage collection would keep; what comparisons use).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Retention {
    #[default]
    All,
    Strong,
}

impl Retention {
    pub const BOTH: [Retention; 2] = [Retention::All, Retention::Strong];

    pub fn referents(self) -> Referents {
        match self {
            Retention::All => Referents::ALL,
            Retention::Strong => Referents::NONE,
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn label(self) -> &'static str {
        match self {
            Retention::All => "all references",
            Retention::Strong => "strong references",
        }
    }
}

/// What a file dialog picks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A dump to open.
    Open,
    /// The baseline to compare the shown dump with.
    Baseline,
}

impl Purpose {
    pub fn title(self) -> &'static str {
        match self {
            Purpose::Open => "Open a heap dump",
            Purpose::Baseline => "Choose the baseline dump to compare with",
        }
    }
}

/// What an action works on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    Object(ObjectIx),
    /// Every instance of the class.
    Class(ClassIx),
}

/// The references a path to GC roots may not use, as MAT's presets.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Exclude {
    /// Strong references only (weak, soft, phantom and finalizer excluded).
    WeakSoftPhantomFinal,
    /// Every reference but weak ones.
    Weak,
    /// Every reference but soft ones.
    Soft,
    /// Every reference but phantom ones.
    Phantom,
    /// Every reference counts.
    Nothing,
    /// Strong references, and not this field (`Class.field`, `*` for any).
    Field(String),
}

impl Exclude {
    pub const PRESETS: [Exclude; 5] = [
        Exclude::WeakSoftPhantomFinal,
        Exclude::Weak,
        Exclude::Soft,
        Exclude::Phantom,
        Exclude::Nothing,
    ];

    pub fn label(&self) -> String {
        match self {
            Exclude::WeakSoftPhantomFinal => {
                "excluding weak, soft, phantom and finalizer references".into()
            }
            Exclude::Weak => "excluding weak references".into(),
            Exclude::Soft => "excluding soft references".into(),
            Exclude::Phantom => "excluding phantom references".into(),
            Exclude::Nothing => "with all references".into(),
            Exclude::Field(f) => format!("over strong references, excluding {f}"),
        }
    }

    pub fn referents(&self) -> Referents {
        let all = Referents::ALL;
        match self {
            Exclude::WeakSoftPhantomFinal | Exclude::Field(_) => Referents::NONE,
            Exclude::Weak => Referents { weak: false, ..all },
            Exclude::Soft => Referents { soft: false, ..all },
            Exclude::Phantom => Referents {
                phantom: false,
                ..all
            },
            Exclude::Nothing => all,
        }
    }
}

/// An action on an object or a class, shown in the Query view.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Query {
    /// Shortest paths to GC roots (a class: merged over its instances).
    Paths(Target, Exclude),
    /// The retained set as a class histogram.
    RetainedSet(Target),
    /// The immediate dominators, grouped by class.
    ImmediateDominators(Target),
}

/// What a view asks the app to do after the frame.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Select an object of a dump, which is shown (the inspector and the
    /// "why alive" panel follow the selection; the view stays).
    Select(DumpId, ObjectIx),
    Show(View),
    Open(PathBuf),
    Choose(Purpose),
    OpenDemo,
    Back,
    Forward,
    /// List the instances of a class in the histogram view.
    Instances(DumpId, ClassIx),
    /// Show the Finalizers view on this referent class.
    FinalizerClass(DumpId, ClassIx),
    /// Show an object in the dominator tree, its dominators expanded.
    ShowInTree(DumpId, ObjectIx),
    /// Run an action and show its results in the Query view.
    Query(DumpId, Query),
    /// Count retained sizes over these references in every view.
    Retain(Retention),
    /// Compare the shown dump with this baseline (opened if need be).
    CompareWith(PathBuf),
    /// Show this open dump.
    Activate(DumpId),
    /// Exchange baseline and current in the comparison.
    SwapComparison,
    /// Back to choosing a baseline.
    CloseComparison,
    /// Delete the index file of the dump shown.
    DeleteIndex,
    /// Close the dump that is open but not shown.
    CloseOther,
    /// A SQL query was run: remember it in the history.
    SqlRan(String),
    /// Load another heap dump of the file shown (files with several).
    PickHeapDump(usize),
}
