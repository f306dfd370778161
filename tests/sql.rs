//! SQL over a real dump of tests/java/LeakPatterns.java, whose program
//! fixes the answers: counts by class equal the histogram (and the JVM's
//! for the program's classes), a join of `refs` and a class table finds
//! the holder the program made, field values read through a class table
//! equal the Inspector's (`Heap::fields`), errors name the position, a
//! query can be cancelled, and the command line and the Parquet export.

#[cfg(feature = "sql")]
mod jdk;

#[cfg(not(feature = "sql"))]
#[test]
#[ignore = "built without the `sql` feature: run cargo test --features sql"]
fn needs_the_sql_feature() {}

#[cfg(feature = "sql")]
mod with_sql {
    use super::jdk;

    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};
    use std::sync::{Arc, OnceLock};
    use std::time::{Duration, Instant};

    use heapscope::heap::Heap;
    use heapscope::hprof::Value;
    use heapscope::index;
    use heapscope::progress::Progress;
    use heapscope::sql::{Answer, Cell, Engine};
    use jdk::{Jvm, JvmHistogram, load, system_jdk};

    const SESSIONS: usize = 20_000;

    struct Fixture {
        _dir: tempfile::TempDir,
        path: PathBuf,
        jvm: JvmHistogram,
        engine: Engine,
    }

    /// One live dump of LeakPatterns, its JVM histogram and an engine over
    /// its whole model, per test process.
    fn fixture() -> &'static Fixture {
        static FIXTURE: OnceLock<Fixture> = OnceLock::new();
        FIXTURE.get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("leaks.hprof");
            let jvm = Jvm::start(&system_jdk(), "LeakPatterns", &[]);
            let histogram = jvm.histogram(false);
            jvm.dump(&path, &[]);
            let model = index::build(load(&path), &Progress::new()).expect("built");
            Fixture {
                _dir: dir,
                path,
                jvm: histogram,
                engine: Engine::new(Arc::new(model)),
            }
        })
    }

    fn heap() -> &'static Heap {
        fixture().engine.model().heap()
    }

    fn ask(query: &str) -> Answer {
        fixture()
            .engine
            .answer(query, usize::MAX, &Progress::new())
            .unwrap_or_else(|e| panic!("{}", e.explain(query)))
    }

    fn cells(query: &str) -> Vec<Vec<Cell>> {
        ask(query).cells()
    }

    fn number(c: &Cell) -> u64 {
        c.text
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {c:?}"))
    }

    #[test]
    fn counts_by_class_equal_the_histogram_and_the_jvm() {
        let rows = cells("SELECT class, count(*), sum(shallow) FROM objects GROUP BY class");
        let sql: BTreeMap<String, (u64, u64)> = rows
            .iter()
            .map(|r| (r[0].text.clone(), (number(&r[1]), number(&r[2]))))
            .collect();
        let mut model: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for row in heapscope::analysis::histogram::histogram(
            heap().census(),
            heapscope::analysis::histogram::SortBy::Shallow,
        ) {
            let e = model.entry(row.name).or_default();
            e.0 += row.instances;
            e.1 += row.shallow;
        }
        model.retain(|_, v| v.0 > 0);
        assert_eq!(sql, model);
        let session = sql["LeakPatterns$Session"];
        assert_eq!(session.0, SESSIONS as u64);
        assert_eq!(session, fixture().jvm.get("LeakPatterns$Session"));
        let total = cells("SELECT count(*) FROM objects");
        assert_eq!(number(&total[0][0]), heap().object_count() as u64);
    }

    #[test]
    fn a_join_of_refs_and_a_class_table_finds_the_sessions_holder() {
        let rows = cells(
            "SELECT r.src, class_of(r.src), count(*) FROM refs r \
         JOIN \"LeakPatterns$Session\" s ON r.dst = s.id \
         GROUP BY r.src ORDER BY 3 DESC",
        );
        // The program keeps every session in Registry.SESSIONS's elementData.
        let heap = heap();
        let registry = heap.classes().find("LeakPatterns$Registry").expect("class");
        let list = heap
            .class(registry)
            .statics
            .iter()
            .find(|s| s.name == "SESSIONS")
            .and_then(|s| heap.object(s.value))
            .expect("SESSIONS");
        let array = heap.field_object(list, "elementData").expect("elementData");
        assert_eq!(rows[0][0].object, Some(heap.id(array)));
        assert_eq!(rows[0][1].text, "java.lang.Object[]");
        assert_eq!(number(&rows[0][2]), SESSIONS as u64);
        // And the list holds the array by its field, the class by a static.
        let holders = cells(&format!(
            "SELECT field, class_of(src) FROM refs WHERE dst = {} OR dst = {} ORDER BY field",
            heap.id(array),
            heap.id(list)
        ));
        let texts: Vec<(String, String)> = holders
            .iter()
            .map(|r| (r[0].text.clone(), r[1].text.clone()))
            .collect();
        assert!(
            texts.contains(&("elementData".into(), "java.util.ArrayList".into())),
            "{texts:?}"
        );
        assert!(
            texts.contains(&("static SESSIONS".into(), "java.lang.Class".into())),
            "{texts:?}"
        );
    }

    #[test]
    fn field_values_through_a_class_table_equal_the_inspectors() {
        let heap = heap();
        // Session's own `id` field is named after its class: `id` is the
        // object's id.
        let rows = cells(
            "SELECT id, \"LeakPatterns$Session.id\", data, str(\"LeakPatterns$Session.id\") \
         FROM \"LeakPatterns$Session\"",
        );
        assert_eq!(rows.len(), SESSIONS);
        let mut names = Vec::new();
        for r in &rows {
            let o = heap.find(r[0].object.expect("an id")).expect("an object");
            let fields = heap.fields(o);
            let value = |name: &str| match fields.iter().find(|f| f.name == name).map(|f| f.value) {
                Some(Value::Object(id)) => Some(id),
                _ => None,
            };
            assert_eq!(r[1].object, value("id"));
            assert_eq!(r[2].object, value("data"));
            assert_eq!(
                Some(r[3].text.clone()),
                heap.string(heap.find(value("id").unwrap()).unwrap())
            );
            names.push(r[3].text.clone());
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), SESSIONS);
        assert!(names.iter().all(|n| n.starts_with("session-")));
        // Primitive fields, typed, and the instances of subclasses.
        let maps = cells("SELECT id, size, threshold, class FROM \"java.util.HashMap\"");
        let mut classes = std::collections::BTreeSet::new();
        for r in &maps {
            let o = heap.find(r[0].object.unwrap()).unwrap();
            assert_eq!(
                r[1].text,
                heap.field(o, "size")
                    .and_then(|v| v.as_i64())
                    .unwrap()
                    .to_string()
            );
            assert_eq!(
                r[2].text,
                heap.field(o, "threshold")
                    .and_then(|v| v.as_i64())
                    .unwrap()
                    .to_string()
            );
            classes.insert(r[3].text.clone());
        }
        let hash_map = heap.classes().find("java.util.HashMap").unwrap();
        let expected: usize = (0..heap.object_count())
            .filter(|&o| {
                heap.classes().is_subclass(heap.class_of(o), hash_map) && heap.as_class(o).is_none()
            })
            .count();
        assert_eq!(maps.len(), expected);
        assert!(classes.contains("java.util.HashMap"), "{classes:?}");
        // An abstract class's table holds its subclasses' instances.
        let abstract_map = heap.classes().find("java.util.AbstractMap").unwrap();
        let mut expected: BTreeMap<String, u64> = BTreeMap::new();
        for o in 0..heap.object_count() {
            let c = heap.class_of(o);
            if heap.as_class(o).is_none() && heap.classes().is_subclass(c, abstract_map) {
                *expected.entry(heap.class(c).name.clone()).or_default() += 1;
            }
        }
        assert!(expected.contains_key("java.util.concurrent.ConcurrentHashMap"));
        let by_class: BTreeMap<String, u64> =
            cells("SELECT class, count(*) FROM \"java.util.AbstractMap\" GROUP BY class")
                .iter()
                .map(|r| (r[0].text.clone(), number(&r[1])))
                .collect();
        assert_eq!(by_class, expected);
        // LeakPatterns makes 1,000 HashMap(256) of 2 entries.
        let sparse =
            cells("SELECT count(*) FROM \"java.util.HashMap\" WHERE size = 2 AND threshold = 192");
        assert!(number(&sparse[0][0]) >= 1_000);
    }

    #[test]
    fn the_other_tables_agree_with_the_model() {
        let heap = heap();
        let model = fixture().engine.model();
        let roots = cells("SELECT count(*) FROM roots");
        assert_eq!(number(&roots[0][0]), heap.roots().len() as u64);
        let strings = cells("SELECT count(*) FROM strings WHERE value ~ '^session-[0-9]+$'");
        assert_eq!(number(&strings[0][0]), SESSIONS as u64);
        let report = model.finalizers().expect("finalizers");
        let pending = cells("SELECT state, count(*) FROM finalizers GROUP BY state ORDER BY state");
        assert_eq!(
            pending.iter().map(|r| number(&r[1])).sum::<u64>(),
            report.entries.len() as u64
        );
        let pool = cells(
            "SELECT name, thread_locals FROM threads WHERE name LIKE 'leak-pool-%' ORDER BY name",
        );
        assert_eq!(pool.len(), 3);
        assert!(pool.iter().all(|r| number(&r[1]) >= 1));
        let classes =
            cells("SELECT instances, retained FROM classes WHERE name = 'LeakPatterns$Session'");
        assert_eq!(number(&classes[0][0]), SESSIONS as u64);
        let doms = model.dominators(false).unwrap();
        let biggest = doms.biggest(1)[0];
        let top = cells("SELECT id, retained FROM objects ORDER BY retained DESC LIMIT 1");
        assert_eq!(number(&top[0][1]), doms.retained(biggest));
        let path = cells(&format!("SELECT path_to_root({})", heap.id(biggest)));
        assert!(!path[0][0].text.is_empty());
    }

    #[test]
    fn errors_name_the_position_and_never_panic() {
        let engine = &fixture().engine;
        let p = Progress::new();
        let e = engine
            .answer("SELECT count(*) FORM objects", 10, &p)
            .err()
            .expect("an error");
        assert!(e.position.is_some(), "{e}");
        assert!(e.explain("SELECT count(*) FORM objects").contains('^'));
        let e = engine
            .answer("SELECT * FROM nothing_here", 10, &p)
            .err()
            .expect("an error");
        assert!(e.to_string().contains("nothing_here"), "{e}");
        let e = engine
            .answer("SELECT nope FROM objects", 10, &p)
            .err()
            .expect("an error");
        assert!(e.to_string().contains("nope"), "{e}");
        // Ids that are no object give null, not a failure.
        let rows = cells("SELECT str('0x1'), class_of(12345), hex(255)");
        assert_eq!(rows[0][0].text, "");
        assert_eq!(rows[0][1].text, "");
        assert_eq!(rows[0][2].text, "0xff");
    }

    #[test]
    fn a_query_can_be_cancelled() {
        let engine = &fixture().engine;
        let p = Progress::new();
        let cancel = p.sharing_cancel();
        let start = Instant::now();
        let canceller = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            cancel.cancel();
        });
        // Every pair of references into the same object: far too long to finish.
        let e = engine
        .answer(
            "SELECT count(*) FROM refs a JOIN refs b ON a.dst = b.dst JOIN refs c ON b.src = c.dst",
            10,
            &p,
        )
        .err()
        .expect("cancelled");
        canceller.join().unwrap();
        assert!(e.cancelled, "{e}");
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{:?}",
            start.elapsed()
        );
    }

    fn heapscope(args: &[&str]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_heapscope"))
            .args(args)
            .output()
            .expect("run heapscope")
    }

    fn path() -> &'static str {
        fixture().path.to_str().unwrap()
    }

    #[test]
    fn the_command_line_prints_a_table_json_and_csv() {
        let q = "SELECT class, count(*) AS n FROM objects WHERE class = 'LeakPatterns$Session' GROUP BY class";
        let out = heapscope(&["sql", path(), q]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("LeakPatterns$Session  20000"), "{text}");
        assert!(text.contains("1 row"), "{text}");
        let out = heapscope(&["sql", path(), q, "--json"]);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(json["rows"][0][1], 20_000);
        assert_eq!(json["columns"][1]["name"], "n");
        let out = heapscope(&[
            "sql",
            path(),
            "SELECT id FROM \"LeakPatterns$Session\"",
            "--csv",
        ]);
        let csv = String::from_utf8(out.stdout).unwrap();
        assert_eq!(csv.lines().count(), SESSIONS + 1);
        assert!(csv.lines().nth(1).unwrap().starts_with("0x"), "{csv:.200}");
        let out = heapscope(&["sql", path(), "SELEC 1"]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("line 1, column 1"), "{err}");
    }

    #[test]
    fn export_writes_the_global_tables_as_parquet() {
        let dir = tempfile::tempdir().unwrap();
        let out = heapscope(&["export", path(), "--parquet", dir.path().to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let objects = dir.path().join("objects.parquet");
        let text = String::from_utf8(out.stdout).unwrap();
        for table in heapscope::sql::GLOBAL_TABLES {
            assert!(
                dir.path().join(format!("{table}.parquet")).is_file(),
                "{table}: {text}"
            );
        }
        // Read back with DataFusion itself.
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let rows = runtime.block_on(async {
            let ctx = datafusion::prelude::SessionContext::new();
            let frame = ctx
                .read_parquet(objects.to_str().unwrap(), Default::default())
                .await
                .unwrap();
            frame.count().await.unwrap()
        });
        assert_eq!(rows, heap().object_count() as usize);
        assert!(Path::new(&objects).metadata().unwrap().len() > 0);
    }
}
