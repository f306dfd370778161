//! Classes: names, hierarchy, declared fields and statics, and the field
//! layout of their instances in the dump.

use rustc_hash::FxHashMap;

use super::strings::{decode_modified_utf8, java_class_name};
use crate::hprof::{BasicType, ClassDump, RecordIndex, Value, push_warning};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ClassKind {
    Instance,
    ObjectArray,
    PrimitiveArray(BasicType),
}

/// A declared instance field.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Field {
    pub name: String,
    pub ty: BasicType,
}

/// A static field and its value.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Static {
    pub name: String,
    pub ty: BasicType,
    pub value: Value,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Class {
    /// The id of the class object; 0 for a class made up because the dump
    /// has objects of it but no CLASS DUMP.
    pub id: u64,
    /// Java name: `java.lang.String`, `byte[]`, `Outer$Inner`.
    pub name: String,
    pub kind: ClassKind,
    pub super_id: u64,
    pub super_class: Option<u32>,
    pub loader_id: u64,
    pub signers_id: u64,
    pub protection_domain_id: u64,
    /// Own instance fields, in the dump's descriptor order.
    pub fields: Vec<Field>,
    pub statics: Vec<Static>,
    /// Where the CLASS DUMP is, if there is one.
    pub dump_offset: Option<u64>,
    /// Offsets of reference fields in an instance's values (whole chain).
    pub ref_offsets: Vec<u32>,
    /// Bytes of an instance's values: the field sizes of the whole chain.
    pub value_bytes: u32,
}

impl Class {
    fn made_up(id: u64, name: String, kind: ClassKind) -> Class {
        Class {
            id,
            name,
            kind,
            super_id: 0,
            super_class: None,
            loader_id: 0,
            signers_id: 0,
            protection_domain_id: 0,
            fields: Vec::new(),
            statics: Vec::new(),
            dump_offset: None,
            ref_offsets: Vec::new(),
            value_bytes: 0,
        }
    }

    /// Ids this class object refers to: superclass, loader, signers,
    /// protection domain and static reference values (non-null only).
    pub fn referenced_ids(&self) -> impl Iterator<Item = u64> + '_ {
        [
            self.super_id,
            self.loader_id,
            self.signers_id,
            self.protection_domain_id,
        ]
        .into_iter()
        .chain(self.statics.iter().filter_map(|s| s.value.as_object()))
        .filter(|&id| id != 0)
    }
}

/// Every class of a dump, indexed densely.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct ClassTable {
    classes: Vec<Class>,
    by_id: FxHashMap<u64, u32>,
    prim_arrays: [Option<u32>; 8],
    /// LOAD CLASS serial -> class id.
    serials: FxHashMap<u32, u64>,
    /// class id -> name, from LOAD CLASS records.
    load_names: FxHashMap<u64, String>,
}

fn kind_of(name: &str) -> ClassKind {
    let dims = name.bytes().take_while(|&b| b == b'[').count();
    if dims == 0 {
        // Java-form names (ART): "byte[]" or "java.lang.Object[]".
        if let Some(elem) = name.strip_suffix("[]") {
            return match BasicType::PRIMITIVES.iter().find(|t| t.java_name() == elem) {
                Some(&t) => ClassKind::PrimitiveArray(t),
                None => ClassKind::ObjectArray,
            };
        }
        return ClassKind::Instance;
    }
    if dims == 1 && name.len() == 2 {
        if let Some(&t) = BasicType::PRIMITIVES
            .iter()
            .find(|t| t.descriptor() == name.as_bytes()[1] as char)
        {
            return ClassKind::PrimitiveArray(t);
        }
    }
    ClassKind::ObjectArray
}

impl ClassTable {
    /// Builds the table from the LOAD CLASS records and the CLASS DUMPs at
    /// `dumps` (offset, id). Problems become warnings.
    pub fn build(
        data: &[u8],
        records: &RecordIndex,
        dumps: &[(u64, u64)],
        warnings: &mut Vec<String>,
    ) -> ClassTable {
        let id_size = records.header.id_size;
        let name_of = |id: u64| -> String {
            records
                .string_bytes(data, id)
                .map(decode_modified_utf8)
                .unwrap_or_else(|| format!("<no name string {id:#x}>"))
        };
        let mut table = ClassTable::default();
        for lc in &records.load_classes {
            table.serials.insert(lc.serial, lc.class_id);
            table
                .load_names
                .entry(lc.class_id)
                .or_insert_with(|| java_class_name(&name_of(lc.name_id)));
        }
        for &(offset, id) in dumps {
            if table.by_id.contains_key(&id) {
                continue; // ART repeats nothing, old agents may; keep the first
            }
            let dump = match ClassDump::parse(data, offset, id_size) {
                Ok(d) => d,
                Err(e) => {
                    push_warning(warnings, format!("{e}; class skipped"));
                    continue;
                }
            };
            let name = table
                .load_names
                .get(&id)
                .cloned()
                .unwrap_or_else(|| format!("<unnamed class {id:#x}>"));
            let class = Class {
                id,
                kind: kind_of(&name),
                name,
                super_id: dump.super_id,
                super_class: None,
                loader_id: dump.loader_id,
                signers_id: dump.signers_id,
                protection_domain_id: dump.protection_domain_id,
                fields: dump
                    .fields
                    .iter()
                    .map(|&(n, ty)| Field {
                        name: name_of(n),
                        ty,
                    })
                    .collect(),
                statics: dump
                    .statics
                    .iter()
                    .map(|&(n, ty, value)| Static {
                        name: name_of(n),
                        ty,
                        value,
                    })
                    .collect(),
                dump_offset: Some(offset),
                ref_offsets: Vec::new(),
                value_bytes: 0,
            };
            table.push(class);
        }
        let mut missing_super = (0u64, None);
        for i in 0..table.classes.len() {
            let sup = table.classes[i].super_id;
            table.classes[i].super_class = if sup == 0 {
                None
            } else {
                let found = table.by_id.get(&sup).copied();
                if found.is_none() {
                    missing_super.0 += 1;
                    missing_super.1 = missing_super.1.or(Some(i));
                }
                found
            };
        }
        if let (n, Some(first)) = missing_super {
            let c = &table.classes[first];
            push_warning(
                warnings,
                format!(
                    "{n} {} a superclass that has no CLASS DUMP (the first, {} at byte {}, names {:#x}); their instances' inherited fields cannot be read",
                    if n == 1 {
                        "class names"
                    } else {
                        "classes name"
                    },
                    c.name,
                    c.dump_offset.unwrap_or(0),
                    c.super_id
                ),
            );
        }
        table.break_cycles(warnings);
        for i in 0..table.classes.len() {
            if let ClassKind::PrimitiveArray(t) = table.classes[i].kind {
                let slot = &mut table.prim_arrays[t.prim_index().expect("primitive")];
                slot.get_or_insert(i as u32);
            }
        }
        table.lay_out_fields(id_size);
        table
    }

    fn push(&mut self, class: Class) -> u32 {
        let idx = self.classes.len() as u32;
        if class.id != 0 {
            self.by_id.insert(class.id, idx);
        }
        self.classes.push(class);
        idx
    }

    /// Cuts every superclass cycle where the chain comes back to a class
    /// already on it, so that every chain ends. Each class is visited once:
    /// a chain of any depth is fine.
    fn break_cycles(&mut self, warnings: &mut Vec<String>) {
        const NEW: u8 = 0;
        const ON_CHAIN: u8 = 1;
        const DONE: u8 = 2;
        let mut state = vec![NEW; self.classes.len()];
        let mut chain = Vec::new();
        let mut cut = (0u64, None);
        for start in 0..self.classes.len() {
            let mut c = start;
            while state[c] == NEW {
                state[c] = ON_CHAIN;
                chain.push(c);
                match self.classes[c].super_class {
                    Some(s) if state[s as usize] == ON_CHAIN => {
                        // c's superclass is below it on this chain: a cycle.
                        self.classes[c].super_class = None;
                        cut.0 += 1;
                        cut.1 = cut.1.or(Some(c));
                        break;
                    }
                    Some(s) => c = s as usize,
                    None => break,
                }
            }
            for &k in &chain {
                state[k] = DONE;
            }
            chain.clear();
        }
        if let (n, Some(first)) = cut {
            let c = &self.classes[first];
            push_warning(
                warnings,
                format!(
                    "{n} superclass {} (the first through class {} at byte {}, whose superclass {:#x} is also its subclass); each chain is cut where it comes back, and fields are read up to there",
                    if n == 1 { "cycle" } else { "cycles" },
                    c.name,
                    c.dump_offset.unwrap_or(0),
                    c.super_id
                ),
            );
        }
    }

    /// Computes every class's reference offsets and value bytes in its
    /// instances' values, superclasses first, once per class.
    fn lay_out_fields(&mut self, id_size: u32) {
        let n = self.classes.len();
        let mut done = vec![false; n];
        let mut chain = Vec::new();
        for i in 0..n {
            // The classes from i up to the first one laid out (or the top).
            let mut c = Some(i);
            while let Some(k) = c.filter(|&k| !done[k]) {
                chain.push(k);
                c = self.classes[k].super_class.map(|s| s as usize);
            }
            while let Some(k) = chain.pop() {
                let class = &self.classes[k];
                let mut refs = Vec::new();
                let mut own = 0u32;
                for f in &class.fields {
                    if f.ty == BasicType::Object {
                        refs.push(own);
                    }
                    own += f.ty.size(id_size);
                }
                let mut bytes = own as u64;
                if let Some(s) = class.super_class {
                    let sup = &self.classes[s as usize];
                    refs.extend(sup.ref_offsets.iter().map(|&r| r + own));
                    bytes += sup.value_bytes as u64;
                }
                let class = &mut self.classes[k];
                class.ref_offsets = refs;
                // A u4 bounds an instance's values; a longer chain only
                // means no instance matches it.
                class.value_bytes = bytes.min(u32::MAX as u64) as u32;
                done[k] = true;
            }
        }
    }

    pub fn len(&self) -> usize {
        self.classes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    pub fn get(&self, idx: u32) -> &Class {
        &self.classes[idx as usize]
    }

    pub fn iter(&self) -> impl Iterator<Item = (u32, &Class)> {
        self.classes.iter().enumerate().map(|(i, c)| (i as u32, c))
    }

    pub fn by_id(&self, id: u64) -> Option<u32> {
        self.by_id.get(&id).copied()
    }

    /// The first class with this Java name.
    pub fn find(&self, name: &str) -> Option<u32> {
        self.classes
            .iter()
            .position(|c| c.name == name)
            .map(|i| i as u32)
    }

    /// The class id a LOAD CLASS serial names.
    pub fn id_of_serial(&self, serial: u32) -> Option<u64> {
        self.serials.get(&serial).copied()
    }

    /// The class of primitive arrays of `t`, if known.
    pub fn prim_array(&self, t: BasicType) -> Option<u32> {
        t.prim_index().and_then(|i| self.prim_arrays[i])
    }

    /// The class for `id`, made up (from its LOAD CLASS name, if any) when
    /// the dump has objects of it but no CLASS DUMP.
    pub fn ensure(&mut self, id: u64, array: bool) -> u32 {
        if let Some(idx) = self.by_id(id) {
            return idx;
        }
        let name = self
            .load_names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("<unknown class {id:#x}>"));
        let kind = match kind_of(&name) {
            ClassKind::Instance if array => ClassKind::ObjectArray,
            k => k,
        };
        let idx = self.push(Class::made_up(id, name, kind));
        // `push` leaves id 0 out of the index (made-up classes without a
        // class object); objects that name class 0 must find this one.
        self.by_id.insert(id, idx);
        idx
    }

    /// The class of primitive arrays of `t`, made up if the dump has none.
    pub fn ensure_prim_array(&mut self, t: BasicType) -> u32 {
        if let Some(idx) = self.prim_array(t) {
            return idx;
        }
        let idx = self.push(Class::made_up(
            0,
            format!("{}[]", t.java_name()),
            ClassKind::PrimitiveArray(t),
        ));
        self.prim_arrays[t.prim_index().expect("primitive")] = Some(idx);
        idx
    }

    /// `java.lang.Class`, made up if the dump has no such class.
    pub fn ensure_named(&mut self, name: &str) -> u32 {
        match self.find(name) {
            Some(idx) => idx,
            None => self.push(Class::made_up(0, name.to_string(), ClassKind::Instance)),
        }
    }

    /// True if `class` is `ancestor` or a subclass of it.
    pub fn is_subclass(&self, class: u32, ancestor: u32) -> bool {
        self.ancestors(class).any(|(c, _)| c == ancestor)
    }

    /// `class` and its superclasses, most derived first. Every chain ends:
    /// loading cut superclass cycles.
    pub fn ancestors(&self, class: u32) -> impl Iterator<Item = (u32, &Class)> {
        std::iter::successors(Some(class), |&c| self.get(c).super_class)
            .take(self.classes.len())
            .map(|c| (c, self.get(c)))
    }
}
