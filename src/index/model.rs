//! A dump's whole model, built and written to an index, or reopened from
//! one.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::file::{self, Identity, IndexFile, Section};
use crate::analysis::dominators::Dominators;
use crate::analysis::finalizers::{self, FinalizerReport};
use crate::analysis::graph::Referents;
use crate::heap::store::{Buf, ClassIdxs, Packed, U64s};
use crate::heap::{Census, Csr, Heap, IdIndex, LoadOptions, Root, Thread};
use crate::hprof::{Dump, Error};
use crate::progress::{Cancelled, Progress};
use crate::units;

/// A heap with everything the views show: both dominator trees (all
/// references, then strong references only), each one's retained bytes
/// per class, and the finalizer picture.
pub struct Model {
    pub heap: Heap,
    /// `[all references, strong only]`.
    pub doms: [Dominators; 2],
    pub class_retained: [Vec<u64>; 2],
    pub finalizers: FinalizerReport,
    pub origin: Origin,
}

/// Where a model came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Mapped from this index, of this many bytes.
    Reopened(PathBuf, u64),
    /// Parsed from the dump; the index written (or why not), and why an
    /// index found was not used.
    Built {
        written: Result<(PathBuf, u64), String>,
        replaced: Option<String>,
    },
    /// Parsed from the dump, with the index turned off.
    NoIndex,
}

impl Origin {
    /// Lines for the terminal or the window.
    pub fn notes(&self) -> Vec<String> {
        match self {
            Origin::Reopened(path, bytes) => vec![format!(
                "opened from the index {} ({})",
                path.display(),
                units::bytes(*bytes)
            )],
            Origin::Built { written, replaced } => {
                let mut notes: Vec<String> = replaced
                    .iter()
                    .map(|why| format!("rebuilt the index: {why}"))
                    .collect();
                notes.push(match written {
                    Ok((path, bytes)) => {
                        format!(
                            "wrote the index {} ({})",
                            path.display(),
                            units::bytes(*bytes)
                        )
                    }
                    Err(why) => format!("no index written: {why}"),
                });
                notes
            }
            Origin::NoIndex => Vec::new(),
        }
    }
}

/// Whether to read and write the index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reuse {
    /// Reopen a valid index, else build and write one.
    Index,
    /// Neither read nor write one (`--no-index`).
    NoIndex,
}

const MODES: [Referents; 2] = [Referents::ALL, Referents::NONE];
const MODE_NAMES: [&str; 2] = ["all", "strong"];

/// The options an index was built with, as a short key: empty for the
/// defaults.
pub fn key(options: &LoadOptions) -> String {
    let mut parts = Vec::new();
    if let Some(d) = options.heap_dump {
        parts.push(format!("heap-dump-{d}"));
    }
    if let Some(l) = &options.layout {
        let name = l.name().map(str::to_string).unwrap_or_else(|| {
            format!(
                "{}-{}-{}-{}",
                l.header, l.reference, l.array_header, l.align
            )
        });
        parts.push(format!("layout-{name}"));
    }
    parts.join(".")
}

/// Opens the model of the dump at `path`: from its index when one is valid,
/// else parsed from the dump (and the index written, with `Reuse::Index`).
pub fn open(
    path: &Path,
    options: &LoadOptions,
    reuse: Reuse,
    progress: &Progress,
) -> Result<Model, Error> {
    open_early(path, options, reuse, progress, None)
}

/// Called with the heap, one dominator tree and its retained bytes per
/// class as soon as they are known: a first open answers from them before
/// the rest of the index is built.
/// The retained bytes per class come from a function, as not every answer
/// needs them (they cost a walk of the tree).
pub type Early<'a> = (usize, &'a mut Answer<'a>);

/// What answers from a tree: the heap, the tree, and its retained bytes
/// per class on demand.
pub type Answer<'a> = dyn FnMut(&Heap, &Dominators, &dyn Fn() -> Vec<u64>) + 'a;

/// [`open`], calling `early.1` with tree `early.0` (0: all references, 1:
/// strong only) as soon as it is known, be it reopened or being built.
pub fn open_early(
    path: &Path,
    options: &LoadOptions,
    reuse: Reuse,
    progress: &Progress,
    early: Option<Early<'_>>,
) -> Result<Model, Error> {
    let key = key(options);
    prepare_scratch(path, options);
    let mut replaced = None;
    // Only regular files: a pipe's content is gone once read.
    let regular = std::fs::metadata(path).is_ok_and(|m| m.is_file());
    let identity = if reuse == Reuse::Index && regular {
        Identity::of(path, &key).ok()
    } else {
        None
    };
    let location = file::locate(path, &key);
    if let Some(identity) = &identity {
        for at in location.candidates() {
            match reopen(path, at, identity, progress) {
                Ok(Some(model)) => {
                    if let Some((k, f)) = early {
                        f(&model.heap, &model.doms[k], &|| {
                            model.class_retained[k].clone()
                        });
                    }
                    return Ok(model);
                }
                Ok(None) => {}
                Err(e) => {
                    replaced.get_or_insert(e.message.clone());
                }
            }
        }
    }
    let short_before = crate::heap::store::scratch_shortfall();
    let heap = Heap::open(path, options, progress)?;
    let built = build_early(heap, progress, early)?;
    // Said once the index is written: it is about this run, not the dump.
    let short = crate::heap::store::scratch_shortfall() - short_before;
    let shortfall = (short > 0).then(|| {
        format!(
            "{} of the model went to memory: no room for scratch files in {}",
            units::bytes(short),
            crate::heap::store::scratch_dir()
                .unwrap_or_default()
                .display()
        )
    });
    let mut built = built;
    let Some(identity) = identity else {
        built.heap.warnings.extend(shortfall);
        return Ok(Model {
            origin: Origin::NoIndex,
            ..built
        });
    };
    let written = write(
        Parts {
            heap: &built.heap,
            doms: [&built.doms[0], &built.doms[1]],
            class_retained: [&built.class_retained[0], &built.class_retained[1]],
            finalizers: &built.finalizers,
        },
        &location,
        &identity,
        progress,
    );
    built.heap.warnings.extend(shortfall);
    Ok(Model {
        origin: Origin::Built { written, replaced },
        ..built
    })
}

/// The model from a valid index of the dump, if it has one; nothing is
/// built or written.
pub fn reopen_existing(path: &Path, options: &LoadOptions, progress: &Progress) -> Option<Model> {
    // What a reopened heap builds later (incoming references, child
    // lists) goes to scratch files too.
    prepare_scratch(path, options);
    let key = key(options);
    let identity = Identity::of(path, &key).ok()?;
    file::locate(path, &key)
        .candidates()
        .find_map(|at| reopen(path, at, &identity, progress).ok().flatten())
}

/// Makes the model of the dump at `path` be built in scratch files rather
/// than anonymous memory (see [`crate::heap::store::set_scratch_dir`]): in
/// the first folder where its index can go, else the temporary folder.
/// `HEAPSCOPE_SCRATCH=memory` keeps everything in anonymous memory.
pub fn prepare_scratch(path: &Path, options: &LoadOptions) {
    if std::env::var_os("HEAPSCOPE_SCRATCH").is_some_and(|v| v == "memory") {
        crate::heap::store::set_scratch_dir(None);
        return;
    }
    let location = file::locate(path, &key(options));
    let dir = location
        .candidates()
        .filter_map(|p| p.parent())
        .find(|dir| std::fs::create_dir_all(dir).is_ok() && tempfile::tempfile_in(dir).is_ok())
        .map(Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir);
    crate::heap::store::set_scratch_dir(Some(dir));
}

/// Deletes the index of the dump at `path` built with `options`, in both
/// places; returns what was done, a line each.
pub fn delete(path: &Path, options: &LoadOptions) -> Result<Vec<String>, Error> {
    let mut notes = Vec::new();
    for at in file::locate(path, &key(options)).candidates() {
        match std::fs::remove_file(at) {
            Ok(()) => notes.push(format!("deleted {}", at.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(at, e)),
        }
    }
    if notes.is_empty() {
        notes.push(format!("no index to delete for {}", path.display()));
    }
    Ok(notes)
}

/// Computes everything an index holds from a loaded heap.
pub fn build(heap: Heap, progress: &Progress) -> Result<Model, Cancelled> {
    build_early(heap, progress, None)
}

fn build_early(
    heap: Heap,
    progress: &Progress,
    early: Option<Early<'_>>,
) -> Result<Model, Cancelled> {
    let mut timings = Vec::new();
    let per_class = |d: &Dominators| {
        let children = d.children_unsorted();
        d.class_retained(&heap, &children)
    };
    let first = early.as_ref().map_or(0, |e| e.0);
    // The first tree built is the one `early` asks for.
    let mut early = early;
    let mut tree = |mode: Referents, name| -> Result<(Dominators, Vec<u64>), Cancelled> {
        let t = Instant::now();
        let d = Dominators::compute(&heap, mode, progress)?;
        if let Some((_, f)) = early.take() {
            f(&heap, &d, &|| per_class(&d));
        }
        let c = per_class(&d);
        timings.push((name, t.elapsed()));
        Ok((d, c))
    };
    let names = ["dominators", "strong dominators"];
    let a = tree(MODES[first], names[first])?;
    let b = tree(MODES[1 - first], names[1 - first])?;
    let ((all, ca), (strong, cs)) = if first == 0 { (a, b) } else { (b, a) };
    let t = Instant::now();
    let finalizers = finalizers::analyze_with(
        &heap,
        Some(&all),
        &|o| {
            !matches!(
                strong.idom(o),
                crate::analysis::dominators::Idom::Unreachable
            )
        },
        progress,
    )?;
    timings.push(("finalizers", t.elapsed()));
    let mut heap = heap;
    heap.timings.extend(timings);
    Ok(Model {
        heap,
        doms: [all, strong],
        class_retained: [ca, cs],
        finalizers,
        origin: Origin::NoIndex,
    })
}

/// The index's structured part, before the arrays.
#[derive(Serialize)]
struct MetaOut<'a> {
    census: &'a Census,
    objects: u64,
    id_min: u64,
    id_shift: u32,
    dangling: &'a [(u32, u64)],
    roots: &'a [Root],
    roots_by_object: &'a [(u32, u32)],
    threads: &'a [Thread],
    warnings: &'a [String],
    doms: [(Referents, u64, &'a [u64]); 2],
    finalizers: &'a FinalizerReport,
}

#[derive(Deserialize)]
struct MetaIn {
    census: Census,
    objects: u64,
    id_min: u64,
    id_shift: u32,
    dangling: Vec<(u32, u64)>,
    roots: Vec<Root>,
    roots_by_object: Vec<(u32, u32)>,
    threads: Vec<Thread>,
    warnings: Vec<String>,
    doms: [(Referents, u64, Vec<u64>); 2],
    finalizers: FinalizerReport,
}

fn packed_of(values: &U64s) -> Packed {
    match values {
        U64s::Plain(v) => Packed::pack(v),
        U64s::Packed(_) => {
            Packed::pack(&(0..values.len()).map(|i| values.get(i)).collect::<Vec<_>>())
        }
    }
}

fn packed_sections<'a>(name: &str, p: &'a Packed, out: &mut Vec<Section<'a>>) {
    out.push(Section::of(format!("{name}.base"), &p.base));
    out.push(Section::of(format!("{name}.delta"), &p.delta));
    out.push(Section::of(format!("{name}.far_at"), &p.far_at));
    out.push(Section::of(format!("{name}.far"), &p.far));
}

/// What an index is written from.
struct Parts<'a> {
    heap: &'a Heap,
    doms: [&'a Dominators; 2],
    class_retained: [&'a [u64]; 2],
    finalizers: &'a FinalizerReport,
}

/// Writes the index of a dump loaded with the dominator tree of all
/// references and the finalizers (as the window loads it): computes the
/// strong-only tree, then writes. Returns the notes to show, and the
/// strong tree with its per-class retained sizes (`None` when the dump is
/// not a file an index can name).
#[allow(clippy::type_complexity)]
pub fn write_after(
    path: &Path,
    options: &LoadOptions,
    heap: &Heap,
    all: &Dominators,
    class_retained: &[u64],
    finalizers: &FinalizerReport,
    progress: &Progress,
) -> Result<(Vec<String>, Option<(Dominators, Vec<u64>)>), Cancelled> {
    let key = key(options);
    let regular = std::fs::metadata(path).is_ok_and(|m| m.is_file());
    let Some(identity) = regular.then(|| Identity::of(path, &key).ok()).flatten() else {
        return Ok((Vec::new(), None));
    };
    let strong = Dominators::compute(heap, Referents::NONE, progress)?;
    let children = strong.children_unsorted();
    let strong_retained = strong.class_retained(heap, &children);
    drop(children);
    let written = write(
        Parts {
            heap,
            doms: [all, &strong],
            class_retained: [class_retained, &strong_retained],
            finalizers,
        },
        &file::locate(path, &key),
        &identity,
        progress,
    );
    let notes = Origin::Built {
        written,
        replaced: None,
    }
    .notes();
    Ok((notes, Some((strong, strong_retained))))
}

fn write(
    model: Parts<'_>,
    location: &file::Location,
    identity: &Identity,
    progress: &Progress,
) -> Result<(PathBuf, u64), String> {
    let heap = model.heap;
    let meta = MetaOut {
        census: &heap.census,
        objects: heap.object_count() as u64,
        id_min: heap.index.min,
        id_shift: heap.index.shift,
        dangling: &heap.dangling,
        roots: &heap.roots,
        roots_by_object: &heap.roots_by_object,
        threads: &heap.threads,
        warnings: &heap.warnings,
        doms: [0, 1].map(|k| {
            (
                model.doms[k].referents,
                model.doms[k].reachable,
                model.class_retained[k],
            )
        }),
        finalizers: model.finalizers,
    };
    let meta = bincode::serde::encode_to_vec(&meta, bincode::config::standard())
        .map_err(|e| format!("cannot encode the model: {e}"))?;
    let ids = packed_of(&heap.ids);
    let offsets = packed_of(&heap.offsets);
    let retained = [0, 1].map(|k| packed_of(&model.doms[k].retained));
    let mut sections = vec![Section::of("meta", &meta[..])];
    packed_sections("ids", &ids, &mut sections);
    packed_sections("offsets", &offsets, &mut sections);
    let narrow = heap.classes.narrowed();
    match (&narrow, &heap.classes) {
        (Some(n), _) => sections.push(Section::of("classes16", n)),
        (None, ClassIdxs::Wide(w)) => sections.push(Section::of("classes", w)),
        (None, ClassIdxs::Narrow(n)) => sections.push(Section::of("classes16", n)),
    }
    sections.push(Section::of("id_index", &heap.index.starts));
    // The incoming references are not stored: a reopened heap builds them
    // from the outgoing ones when first asked (0.5 s on the 1 GB bench),
    // which keeps the index at three quarters of the dump.
    sections.push(Section::of("out.offsets", &heap.out.offsets));
    sections.push(Section::of("out.targets", &heap.out.targets));
    for k in 0..2 {
        let mode = MODE_NAMES[k];
        sections.push(Section::of(format!("{mode}.idom"), &model.doms[k].idom));
        packed_sections(&format!("{mode}.retained"), &retained[k], &mut sections);
    }
    let need = file::planned_bytes(&sections);
    let mut tried = Vec::new();
    for path in location.candidates() {
        let Some(dir) = path.parent() else { continue };
        if let Err(e) = std::fs::create_dir_all(dir) {
            tried.push(format!("{}: {e}", dir.display()));
            continue;
        }
        if let Ok(free) = crate::hprof::free_space(dir) {
            // Keep a margin: the disk is shared with the dump's readers.
            if free < need + need / 10 + (64 << 20) {
                tried.push(format!(
                    "{} has {} free, the index needs {}",
                    dir.display(),
                    units::bytes(free),
                    units::bytes(need)
                ));
                continue;
            }
        }
        match file::write(path, identity, &sections, progress) {
            Ok(bytes) => {
                // An index left in the other place would be stale.
                for other in location.candidates().filter(|p| *p != path) {
                    let _ = std::fs::remove_file(other);
                }
                return Ok((path.clone(), bytes));
            }
            Err(e) => tried.push(format!("{}: {e}", dir.display())),
        }
    }
    Err(tried.join("; "))
}

fn reopen(
    dump_path: &Path,
    path: &Path,
    identity: &Identity,
    progress: &Progress,
) -> Result<Option<Model>, Error> {
    let t = Instant::now();
    let Some(index) = IndexFile::open(path, identity, progress)? else {
        return Ok(None);
    };
    let bad = |what: String| file::damaged(path, 0, what);
    let meta: MetaIn =
        bincode::serde::decode_from_slice(index.bytes("meta")?, bincode::config::standard())
            .map_err(|e| bad(format!("the meta section does not decode: {e}")))?
            .0;
    let n = meta.objects as usize;
    let packed = |name: &str| -> Result<Packed, Error> {
        let p = Packed {
            base: index.array(&format!("{name}.base"))?,
            delta: index.array(&format!("{name}.delta"))?,
            far_at: index.array(&format!("{name}.far_at"))?,
            far: index.array(&format!("{name}.far"))?,
        };
        if p.len() != n || !p.is_consistent() {
            return Err(bad(format!("section {name:?} does not fit {n} objects")));
        }
        Ok(p)
    };
    let csr = |name: &str| -> Result<Csr, Error> {
        let c = Csr {
            offsets: index.array(&format!("{name}.offsets"))?,
            targets: index.array(&format!("{name}.targets"))?,
        };
        if !c.is_consistent(n, n) {
            return Err(bad(format!("references {name:?} do not fit {n} objects")));
        }
        Ok(c)
    };
    let classes = match index.array::<u16>("classes16") {
        Ok(narrow) => ClassIdxs::Narrow(narrow),
        Err(_) => ClassIdxs::Wide(index.array("classes")?),
    };
    let class_count = meta.census.classes.len();
    if classes.len() != n
        || (0..n)
            .into_par_iter()
            .any(|o| classes.get(o) as usize >= class_count)
    {
        return Err(bad("the class array does not fit".into()));
    }
    let id_index = IdIndex {
        min: meta.id_min,
        shift: meta.id_shift,
        starts: index.array("id_index")?,
    };
    if !id_index.is_consistent(n) {
        return Err(bad("the id index does not fit".into()));
    }
    let fits = |o: u32| (o as usize) < n;
    if !meta.dangling.iter().all(|&(o, _)| fits(o))
        || !meta
            .roots_by_object
            .iter()
            .all(|&(o, r)| fits(o) && (r as usize) < meta.roots.len())
        || !meta.roots.iter().all(|r| r.object.is_none_or(fits))
    {
        return Err(bad(
            "roots or references name objects that do not exist".into()
        ));
    }
    let dump = Dump::open(dump_path, progress)?;
    let (ids, offsets) = (packed("ids")?, packed("offsets")?);
    let data_len = dump.bytes().len() as u64;
    // Every record offset is read without further checks later on.
    if (0..n).into_par_iter().any(|o| offsets.get(o) >= data_len) {
        return Err(bad("record offsets lie beyond the dump".into()));
    }
    let heap = Heap {
        dump,
        census: meta.census,
        ids: U64s::Packed(ids),
        offsets: U64s::Packed(offsets),
        classes,
        index: id_index,
        out: csr("out")?,
        inc: std::sync::OnceLock::new(),
        dangling: meta.dangling,
        roots: meta.roots,
        roots_by_object: meta.roots_by_object,
        threads: meta.threads,
        warnings: meta.warnings,
        timings: Vec::new(),
    };
    let [da, ds] = meta.doms;
    let tree = |k: usize, (referents, reachable, per_class): (Referents, u64, Vec<u64>)| {
        let mode = MODE_NAMES[k];
        let idom: Buf<u32> = index.array(&format!("{mode}.idom"))?;
        let retained = packed(&format!("{mode}.retained"))?;
        let roots = [
            crate::analysis::dominators::ROOT,
            crate::analysis::semi_nca::NONE,
        ];
        if referents != MODES[k]
            || idom.len() != n
            || per_class.len() != class_count
            || idom.par_iter().any(|&d| !fits(d) && !roots.contains(&d))
        {
            return Err(bad(format!("the {mode} dominator tree does not fit")));
        }
        let d = Dominators {
            referents,
            idom,
            retained: U64s::Packed(retained),
            reachable,
        };
        Ok((d, per_class))
    };
    let (all, ca) = tree(0, da)?;
    let (strong, cs) = tree(1, ds)?;
    let mut heap = heap;
    heap.timings.push(("index", t.elapsed()));
    let bytes = index.len();
    Ok(Some(Model {
        heap,
        doms: [all, strong],
        class_retained: [ca, cs],
        finalizers: meta.finalizers,
        origin: Origin::Reopened(path.to_path_buf(), bytes),
    }))
}
