//! Functions over object ids: `str(id)`, `class_of(id)`,
//! `path_to_root(id)` and `hex(id)`. An id is the HPROF id as the tables
//! give it, a whole number, or text like `'0xf0016ab0'`.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, UInt64Type};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarUDF, Signature, TypeSignature, Volatility, expr_fn::SimpleScalarUDF,
};

use super::HeapModel;
use crate::analysis::paths::{self, PathOptions};
use crate::heap::Heap;

/// The functions, each reading `model`.
pub fn all(model: &Arc<dyn HeapModel>) -> Vec<ScalarUDF> {
    type Text = fn(&Heap, u32) -> Option<String>;
    let functions: [(&str, Text); 3] = [
        ("str", |h, o| h.string(o)),
        ("class_of", |h, o| Some(h.class(h.class_of(o)).name.clone())),
        ("path_to_root", path_to_root),
    ];
    let mut out: Vec<ScalarUDF> = functions
        .into_iter()
        .map(|(name, f)| {
            let model = model.clone();
            udf(name, move |id| {
                let heap = model.heap();
                heap.find(id?).and_then(|o| f(heap, o))
            })
        })
        .collect();
    out.push(udf("hex", |id| id.map(|id| format!("{id:#x}"))));
    out
}

fn udf(name: &str, f: impl Fn(Option<u64>) -> Option<String> + Send + Sync + 'static) -> ScalarUDF {
    let signature = Signature::one_of(
        vec![
            TypeSignature::Exact(vec![DataType::UInt64]),
            TypeSignature::Exact(vec![DataType::Int64]),
            TypeSignature::Exact(vec![DataType::Utf8]),
        ],
        Volatility::Immutable,
    );
    let name_owned = name.to_string();
    let fun = move |args: &[ColumnarValue]| -> Result<ColumnarValue> {
        let [arg] = args else {
            return exec_err!("{name_owned}(id) takes one argument");
        };
        let (array, scalar) = match arg {
            ColumnarValue::Array(a) => (a.clone(), false),
            ColumnarValue::Scalar(s) => (s.to_array()?, true),
        };
        let ids = ids(&array)?;
        let out: ArrayRef = Arc::new(ids.into_iter().map(&f).collect::<StringArray>());
        Ok(if scalar {
            ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?)
        } else {
            ColumnarValue::Array(out)
        })
    };
    ScalarUDF::from(SimpleScalarUDF::new_with_signature(
        name,
        signature,
        DataType::Utf8,
        Arc::new(fun),
    ))
}

/// The ids of an argument: numbers, or text in hex (`0x...`) or decimal.
fn ids(array: &ArrayRef) -> Result<Vec<Option<u64>>> {
    if let Some(text) = array.as_string_opt::<i32>() {
        return Ok(text
            .iter()
            .map(|t| t.and_then(crate::units::parse_id))
            .collect());
    }
    let numbers = cast(array, &DataType::UInt64)?;
    Ok(numbers.as_primitive::<UInt64Type>().iter().collect())
}

/// The shortest strong path from `o` to a GC root, as one line:
/// `Session 0x1 <- [3] Object[] 0x2 <- elementData ArrayList 0x3 <- static
/// SESSIONS class Registry 0x4 (sticky class)`.
fn path_to_root(heap: &Heap, o: u32) -> Option<String> {
    let options = PathOptions {
        max: 1,
        ..PathOptions::default()
    };
    let search = paths::paths_to_roots(heap, o, &options);
    let path = search.paths.first()?;
    let mut out = String::new();
    for step in &path.steps {
        if let Some(field) = &step.field {
            out.push_str(&format!(" <- {field} "));
        }
        out.push_str(&crate::report::object_label(heap, step.object));
    }
    let kinds: Vec<&str> = path.root_kinds.iter().map(|k| k.label()).collect();
    out.push_str(&format!(" ({})", kinds.join(", ")));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_numbers_and_text() {
        let text: ArrayRef = Arc::new(StringArray::from(vec![
            Some("0x10"),
            Some("17"),
            Some("x"),
            None,
        ]));
        assert_eq!(ids(&text).unwrap(), vec![Some(16), Some(17), None, None]);
        let numbers: ArrayRef = Arc::new(datafusion::arrow::array::Int64Array::from(vec![5]));
        assert_eq!(ids(&numbers).unwrap(), vec![Some(5)]);
    }
}
