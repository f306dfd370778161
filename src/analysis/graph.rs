//! The object graph as the analyses see it: every reference of the model,
//! plus each object's reference to its class, entered from a virtual root
//! over all GC roots; `java.lang.ref.Reference.referent` edges count or not
//! by the kind of reference.

use rustc_hash::FxHashMap;

use crate::heap::Heap;
use crate::heap::store::BufMut;
use crate::hprof::read_id;

use super::semi_nca::{Graph, NONE};

/// The kinds of `java.lang.ref.Reference`, whose `referent` does not keep
/// an object alive the way a field does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RefKind {
    Weak,
    Soft,
    Phantom,
    /// `FinalReference`: the `java.lang.ref.Finalizer` of a finalizable object.
    Final,
}

impl RefKind {
    pub const ALL: [RefKind; 4] = [
        RefKind::Weak,
        RefKind::Soft,
        RefKind::Phantom,
        RefKind::Final,
    ];

    pub fn name(self) -> &'static str {
        match self {
            RefKind::Weak => "weak",
            RefKind::Soft => "soft",
            RefKind::Phantom => "phantom",
            RefKind::Final => "final",
        }
    }

    pub fn parse(text: &str) -> Option<RefKind> {
        RefKind::ALL.into_iter().find(|k| k.name() == text)
    }

    fn class_name(self) -> &'static str {
        match self {
            RefKind::Weak => "java.lang.ref.WeakReference",
            RefKind::Soft => "java.lang.ref.SoftReference",
            RefKind::Phantom => "java.lang.ref.PhantomReference",
            RefKind::Final => "java.lang.ref.FinalReference",
        }
    }
}

/// Which `referent` edges are followed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Referents {
    pub weak: bool,
    pub soft: bool,
    pub phantom: bool,
    pub final_: bool,
}

impl Referents {
    /// Every reference counts (MAT's dominator tree).
    pub const ALL: Referents = Referents {
        weak: true,
        soft: true,
        phantom: true,
        final_: true,
    };
    /// Only strong references: what a GC would keep.
    pub const NONE: Referents = Referents {
        weak: false,
        soft: false,
        phantom: false,
        final_: false,
    };

    pub fn follows(self, kind: RefKind) -> bool {
        match kind {
            RefKind::Weak => self.weak,
            RefKind::Soft => self.soft,
            RefKind::Phantom => self.phantom,
            RefKind::Final => self.final_,
        }
    }

    pub fn with(self, kind: RefKind) -> Referents {
        self.set(kind, true)
    }

    /// These referents with `kind` followed or not.
    pub fn set(mut self, kind: RefKind, follow: bool) -> Referents {
        match kind {
            RefKind::Weak => self.weak = follow,
            RefKind::Soft => self.soft = follow,
            RefKind::Phantom => self.phantom = follow,
            RefKind::Final => self.final_ = follow,
        }
        self
    }

    /// `"all"`, `"strong only"` or `"strong + weak, final"`.
    pub fn describe(self) -> String {
        if self == Referents::ALL {
            return "all references".into();
        }
        let kinds: Vec<&str> = RefKind::ALL
            .iter()
            .filter(|&&k| self.follows(k))
            .map(|k| k.name())
            .collect();
        if kinds.is_empty() {
            "strong references only".into()
        } else {
            format!("strong references and {} referents", kinds.join(", "))
        }
    }
}

/// Per class: the reference kind of its instances and where their
/// `referent` is in the instance's field bytes.
pub struct ReferenceClasses {
    kind: Vec<Option<RefKind>>,
    referent_offset: Vec<u32>,
}

impl ReferenceClasses {
    pub fn new(heap: &Heap) -> ReferenceClasses {
        let classes = heap.classes();
        let reference = classes.find("java.lang.ref.Reference");
        let kinds: Vec<(RefKind, u32)> = RefKind::ALL
            .iter()
            .filter_map(|&k| Some((k, classes.find(k.class_name())?)))
            .collect();
        let id_size = heap.id_size();
        let mut kind = vec![None; classes.len()];
        let mut referent_offset = vec![NONE; classes.len()];
        if let Some(reference) = reference {
            for (c, _) in classes.iter() {
                if !classes.is_subclass(c, reference) {
                    continue;
                }
                kind[c as usize] = kinds
                    .iter()
                    .find(|&&(_, k)| classes.is_subclass(c, k))
                    .map(|&(k, _)| k);
                // The offset of Reference.referent in the chain's values.
                let mut offset = 0u32;
                'chain: for (x, cl) in classes.ancestors(c) {
                    for f in &cl.fields {
                        if x == reference && f.name == "referent" {
                            referent_offset[c as usize] = offset;
                            break 'chain;
                        }
                        offset += f.ty.size(id_size);
                    }
                }
            }
        }
        ReferenceClasses {
            kind,
            referent_offset,
        }
    }

    /// The object a Reference's `referent` points to.
    pub fn referent(&self, heap: &Heap, o: u32) -> Option<u32> {
        let off = self.referent_offset[heap.class_of(o) as usize];
        if off == NONE {
            return None;
        }
        let values = heap.instance_values(o)?;
        match read_id(values, off as usize, heap.id_size())? {
            0 => None,
            id => heap.find(id),
        }
    }

    /// If `u -> w` is a referent edge that `referents` does not follow.
    #[inline]
    pub fn skips(&self, heap: &Heap, referents: Referents, u: u32, w: u32) -> bool {
        let c = heap.class_of(u) as usize;
        if self.referent_offset[c] == NONE {
            return false;
        }
        // A plain java.lang.ref.Reference subclass outside the four kinds
        // is treated like a weak one.
        let kind = self.kind[c].unwrap_or(RefKind::Weak);
        !referents.follows(kind) && self.referent(heap, u) == Some(w)
    }
}

/// The heap as a [`Graph`] for the dominator tree: nodes are the objects
/// plus a virtual root (number `object_count()`) that points to every GC
/// root. Besides the references of the model, each object points to its
/// class object and each class loader to the classes it defined (as in
/// MAT), so that a class lives as long as its instances or its loader.
pub struct HeapGraph<'h> {
    heap: &'h Heap,
    pub referents: Referents,
    /// Every referent counts: no edge needs checking.
    all: bool,
    pub references: ReferenceClasses,
    roots: Vec<u32>,
    is_root: Vec<u64>,
    /// Per class index: its class object, or NONE.
    class_objects: Vec<u32>,
    /// Instances of each class (CSR by class index), for the predecessors
    /// of class objects.
    by_class_offsets: Vec<u32>,
    by_class: BufMut<u32>,
    /// Class loader objects and the class objects each defined.
    is_loader: Vec<u64>,
    defined: FxHashMap<u32, Vec<u32>>,
    /// Per class index: its loader object, or NONE.
    loader_of: Vec<u32>,
    /// Class objects: a bitset, and each one's class index.
    is_class_object: Vec<u64>,
    class_of_object: FxHashMap<u32, u32>,
}

impl<'h> HeapGraph<'h> {
    pub fn new(heap: &'h Heap, referents: Referents) -> HeapGraph<'h> {
        let n = heap.object_count() as usize;
        let roots = heap.root_objects();
        let mut is_root = vec![0u64; n.div_ceil(64)];
        for &r in &roots {
            is_root[r as usize / 64] |= 1 << (r % 64);
        }
        let classes = heap.classes();
        let class_objects: Vec<u32> = (0..classes.len() as u32)
            .map(|c| heap.class_object(c).unwrap_or(NONE))
            .collect();
        let mut by_class_offsets = vec![0u32; classes.len() + 1];
        for o in 0..n as u32 {
            by_class_offsets[heap.class_of(o) as usize + 1] += 1;
        }
        for c in 1..by_class_offsets.len() {
            by_class_offsets[c] += by_class_offsets[c - 1];
        }
        let mut cursor = by_class_offsets.clone();
        let mut by_class = BufMut::<u32>::zeroed(n);
        for o in 0..n as u32 {
            let c = heap.class_of(o) as usize;
            by_class[cursor[c] as usize] = o;
            cursor[c] += 1;
        }
        let mut is_loader = vec![0u64; n.div_ceil(64)];
        let mut defined: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
        let mut loader_of = vec![NONE; classes.len()];
        for (c, class) in classes.iter() {
            let (Some(loader), Some(object)) = (heap.find(class.loader_id), heap.class_object(c))
            else {
                continue;
            };
            if class.loader_id == 0 || loader == object {
                continue;
            }
            loader_of[c as usize] = loader;
            is_loader[loader as usize / 64] |= 1 << (loader % 64);
            defined.entry(loader).or_default().push(object);
        }
        let mut is_class_object = vec![0u64; n.div_ceil(64)];
        let mut class_of_object = FxHashMap::default();
        for (c, &o) in class_objects.iter().enumerate() {
            if o != NONE {
                is_class_object[o as usize / 64] |= 1 << (o % 64);
                class_of_object.insert(o, c as u32);
            }
        }
        HeapGraph {
            heap,
            referents,
            all: referents == Referents::ALL,
            is_class_object,
            class_of_object,
            references: ReferenceClasses::new(heap),
            roots,
            is_root,
            class_objects,
            by_class_offsets,
            by_class,
            is_loader,
            defined,
            loader_of,
        }
    }

    /// The instances of class `c`, in object order.
    pub fn instances(&self, c: u32) -> &[u32] {
        let c = c as usize;
        &self.by_class[self.by_class_offsets[c] as usize..self.by_class_offsets[c + 1] as usize]
    }

    #[inline]
    fn virtual_root(&self) -> u32 {
        self.heap.object_count()
    }

    #[inline]
    pub fn is_root(&self, o: u32) -> bool {
        self.is_root[o as usize / 64] & (1 << (o % 64)) != 0
    }

    /// The class objects a class loader object defined.
    #[inline]
    fn defined_by(&self, o: u32) -> &[u32] {
        if self.is_loader[o as usize / 64] & (1 << (o % 64)) == 0 {
            return &[];
        }
        self.defined.get(&o).map(Vec::as_slice).unwrap_or(&[])
    }
}

impl Graph for HeapGraph<'_> {
    fn node_count(&self) -> usize {
        self.heap.object_count() as usize + 1
    }

    fn root(&self) -> u32 {
        self.virtual_root()
    }

    #[inline]
    fn degree(&self, v: u32) -> u32 {
        if v == self.virtual_root() {
            self.roots.len() as u32
        } else {
            1 + self.heap.outgoing(v).len() as u32 + self.defined_by(v).len() as u32
        }
    }

    #[inline]
    fn successor(&self, v: u32, k: u32) -> Option<u32> {
        if v == self.virtual_root() {
            return Some(self.roots[k as usize]);
        }
        if k == 0 {
            let c = self.class_objects[self.heap.class_of(v) as usize];
            return (c != NONE && c != v).then_some(c);
        }
        let out = self.heap.outgoing(v);
        match out.get(k as usize - 1) {
            Some(&w) => {
                (self.all || !self.references.skips(self.heap, self.referents, v, w)).then_some(w)
            }
            None => Some(self.defined_by(v)[k as usize - 1 - out.len()]),
        }
    }

    fn for_each_predecessor(&self, v: u32, mut f: impl FnMut(u32)) {
        if v == self.virtual_root() {
            return;
        }
        if self.is_root(v) {
            f(self.virtual_root());
        }
        if self.all {
            self.heap.incoming(v).iter().copied().for_each(&mut f);
        } else {
            for &u in self.heap.incoming(v) {
                if !self.references.skips(self.heap, self.referents, u, v) {
                    f(u);
                }
            }
        }
        // A bitset test first: reading the record to ask would touch the
        // mapped dump at a random place for every object.
        if self.is_class_object[v as usize / 64] & (1 << (v % 64)) == 0 {
            return;
        }
        if let Some(&c) = self.class_of_object.get(&v) {
            let loader = self.loader_of[c as usize];
            if loader != NONE {
                f(loader);
            }
            for &u in self.instances(c) {
                if u != v {
                    f(u);
                }
            }
        }
    }
}
