//! The class histogram: instances and shallow bytes per class.

use crate::heap::Census;

/// One class's line in the histogram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// Class index in the class table.
    pub class: u32,
    pub name: String,
    /// Id of the class object; 0 when the dump has none.
    pub class_id: u64,
    pub instances: u64,
    pub shallow: u64,
    /// Retained bytes, when dominators were computed.
    pub retained: Option<u64>,
}

/// What to sort the histogram by (largest first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SortBy {
    Instances,
    #[default]
    Shallow,
    Retained,
}

/// Every class with at least one instance, sorted by `sort` (largest
/// first, then by name).
pub fn histogram(census: &Census, sort: SortBy) -> Vec<Row> {
    histogram_with(census, None, sort)
}

/// [`histogram`] with retained bytes per class index (see
/// `Dominators::class_retained`).
pub fn histogram_with(census: &Census, retained: Option<&[u64]>, sort: SortBy) -> Vec<Row> {
    let mut rows: Vec<Row> = census
        .counts
        .iter()
        .enumerate()
        .filter(|(_, c)| c.instances > 0)
        .map(|(i, c)| {
            let class = census.classes.get(i as u32);
            Row {
                class: i as u32,
                name: class.name.clone(),
                class_id: class.id,
                instances: c.instances,
                shallow: c.shallow,
                retained: retained.map(|r| r[i]),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        let key = |r: &Row| match sort {
            SortBy::Instances => (r.instances, r.shallow),
            SortBy::Shallow => (r.shallow, r.instances),
            SortBy::Retained => (r.retained.unwrap_or(0), r.shallow),
        };
        key(b).cmp(&key(a)).then_with(|| a.name.cmp(&b.name))
    });
    rows
}
