//! Hostile and unusual inputs: pipes, FIFOs and stdin, gzip bombs, a full
//! temporary folder, damage that every command must report, and the
//! wording of the errors. The dumps are small and hand-made (`tests/common`).

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{BasicType, Body, ClassDef, Hprof, Value, temp_file};
use heapscope::heap::{Heap, LoadOptions};
use heapscope::hprof::{Dump, Spool};
use heapscope::progress::Progress;

// ---------------------------------------------------------------------------
// Helpers

const C_OBJECT: u64 = 0x100;
const C_HOLDER: u64 = 0x200;
const C_BYTES: u64 = 0x300;
const HOLDER: u64 = 0x1000;
const ARRAY: u64 = 0x2000;
/// Objects of [`small_dump`]: three class objects, a Holder, a byte[].
const OBJECTS: u64 = 5;

/// java.lang.Object, a `Holder` with `int x` and `Object ref`, one Holder
/// rooted by a JNI global and holding a byte[]. Classes, objects and roots
/// are in three segments, then HEAP DUMP END.
fn small_dump() -> Vec<u8> {
    let mut w = Hprof::new("1.0.2", 8);
    w.string(1, "java/lang/Object")
        .string(2, "Holder")
        .string(3, "[B")
        .string(4, "x")
        .string(5, "ref")
        .load_class(1, C_OBJECT, 1)
        .load_class(2, C_HOLDER, 2)
        .load_class(3, C_BYTES, 3);
    let mut classes = Body::new(8);
    classes
        .class_dump(&ClassDef::new(C_OBJECT, 0))
        .class_dump(
            &ClassDef::new(C_HOLDER, C_OBJECT)
                .field(4, BasicType::Int)
                .field(5, BasicType::Object)
                .instance_size(12),
        )
        .class_dump(&ClassDef::new(C_BYTES, C_OBJECT));
    let mut objects = Body::new(8);
    objects
        .instance(HOLDER, C_HOLDER, &[Value::Int(7), Value::Object(ARRAY)])
        .byte_array(ARRAY, &[1, 2, 3, 4]);
    let mut roots = Body::new(8);
    roots.root_jni_global(HOLDER, 0).root_sticky_class(C_OBJECT);
    w.segment(&classes)
        .segment(&objects)
        .segment(&roots)
        .heap_dump_end();
    w.into_bytes()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn heapscope_cmd(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_heapscope"));
    c.args(args);
    c
}

fn run(args: &[&str]) -> Output {
    heapscope_cmd(args).output().expect("run heapscope")
}

/// Runs heapscope with `input` written to its stdin by another thread.
fn run_with_stdin(args: &[&str], input: Vec<u8>) -> Output {
    let mut child = heapscope_cmd(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run heapscope");
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        // heapscope may stop reading early (a refused stream): a broken
        // pipe is fine here.
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &Output) -> serde_json::Value {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

/// Runs `job` on another thread and fails if it takes more than 60 s (a
/// reader blocked on a FIFO would otherwise hang the test run).
fn within_a_minute<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(job());
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("still blocked after 60 s")
}

fn make_fifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a NUL-terminated path and a mode; mkfifo touches nothing else.
    let r = unsafe { libc::mkfifo(c.as_ptr(), 0o600) };
    assert_eq!(r, 0, "mkfifo: {}", std::io::Error::last_os_error());
}

/// Loads `bytes` through a FIFO written by another thread.
fn load_through_fifo(bytes: Vec<u8>) -> Result<Heap, String> {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("dump.fifo");
    make_fifo(&fifo);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
            // Written in small pieces, as a pipe delivers them.
            for piece in bytes.chunks(7) {
                if f.write_all(piece).is_err() {
                    break;
                }
            }
        })
    };
    let result = within_a_minute(move || {
        Heap::open(&fifo, &LoadOptions::default(), &Progress::new()).map_err(|e| e.to_string())
    });
    writer.join().unwrap();
    result
}

// ---------------------------------------------------------------------------
// 1. Pipes, FIFOs and stdin.

#[test]
fn a_fifo_is_opened_once_and_copied() {
    let plain = small_dump();
    let heap = load_through_fifo(plain.clone()).expect("the FIFO loads");
    assert_eq!(heap.object_count() as u64, OBJECTS);
    assert_eq!(heap.dump().bytes(), &plain[..]);
    assert!(heap.warnings().is_empty(), "{:?}", heap.warnings());

    // gzip from a FIFO: inflated as it streams in.
    let heap = load_through_fifo(gzip(&plain)).expect("the gzip FIFO loads");
    assert_eq!(heap.dump().bytes(), &plain[..]);
    assert!(matches!(
        heap.dump().compression(),
        heapscope::hprof::Compression::Gzip { compressed_bytes, .. } if *compressed_bytes == gzip(&plain).len() as u64
    ));

    // An empty FIFO is an empty input, not "not an HPROF heap dump".
    let e = load_through_fifo(Vec::new()).err().expect("empty");
    assert!(e.contains("at byte 0: the input is empty"), "{e}");
}

#[test]
fn stdin_as_dash() {
    let plain = small_dump();
    for input in [plain.clone(), gzip(&plain)] {
        let out = run_with_stdin(&["summary", "--json", "-"], input);
        let json = json(&out);
        assert_eq!(json["objects"], OBJECTS);
        assert_eq!(json["file"], "-");
        assert_eq!(json["warnings"], serde_json::json!([]));
    }
    // stdin redirected from a regular file is mapped like the file.
    let f = temp_file(&plain);
    let out = heapscope_cmd(&["summary", "--json", "-"])
        .stdin(std::fs::File::open(f.path()).unwrap())
        .output()
        .unwrap();
    assert_eq!(json(&out)["objects"], OBJECTS);
    // Not a dump on stdin: the error names stdin.
    let out = run_with_stdin(&["summary", "-"], b"hello, world\n".repeat(10));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("stdin: at byte 0: not an HPROF heap dump"),
        "{}",
        stderr(&out)
    );
}

/// `heapscope summary <(zcat dump.gz)`: a /dev/fd path to a pipe.
#[test]
fn process_substitution_path() {
    let plain = small_dump();
    let f = temp_file(&plain);
    let gz = temp_file(&gzip(&plain));
    let bin = env!("CARGO_BIN_EXE_heapscope");
    for file in [f.path(), gz.path()] {
        let script = format!("exec '{bin}' summary --json <(cat '{}')", file.display());
        let out = Command::new("bash")
            .args(["-c", &script])
            .output()
            .expect("bash runs");
        let json = json(&out);
        assert_eq!(json["objects"], OBJECTS);
        assert!(
            json["file"].as_str().unwrap().starts_with("/dev/fd/"),
            "{}",
            json["file"]
        );
    }
}

// ---------------------------------------------------------------------------
// 2. gzip bombs and the temporary folder.

/// A valid header, then `zeros` zero bytes, gzipped.
fn zeros_bomb(zeros: usize, segment: bool) -> Vec<u8> {
    let mut plain = Hprof::new("1.0.2", 8);
    if segment {
        plain.record_header(0x1C, 0xFFFF_FFF0);
    }
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(plain.bytes()).unwrap();
    let block = vec![0u8; 1 << 20];
    for _ in 0..zeros >> 20 {
        enc.write_all(&block).unwrap();
    }
    enc.finish().unwrap()
}

#[test]
fn a_gzip_bomb_is_refused_at_its_first_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    for (segment, at, says) in [
        (false, 31, "where a record tag was expected"),
        (true, 40, "expected a heap sub-record tag"),
    ] {
        let bomb = temp_file(&zeros_bomb(64 << 20, segment));
        let path = bomb.path().to_str().unwrap();
        let t = Instant::now();
        let out = heapscope_cmd(&["summary", path])
            .env("TMPDIR", tmp.path())
            .output()
            .unwrap();
        let took = t.elapsed();
        let e = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{e}");
        assert!(e.contains(&format!("{path}: at byte {at}: ")), "{e}");
        assert!(e.contains(says), "{e}");
        assert!(e.contains("stopped decompressing there"), "{e}");
        eprintln!(
            "bomb of {} compressed bytes (64 MiB of zeros) refused in {took:?}",
            std::fs::metadata(path).unwrap().len()
        );
    }
    // The temporary file is gone.
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);

    // Zeros after a whole dump: what came before is kept, with a warning,
    // as for a gzip stream that ends early.
    let plain = small_dump();
    let mut padded = plain.clone();
    padded.extend(vec![0u8; 8 << 20]);
    let f = temp_file(&gzip(&padded));
    let heap = Heap::open(f.path(), &LoadOptions::default(), &Progress::new()).unwrap();
    assert_eq!(heap.dump().bytes(), &plain[..]);
    assert_eq!(heap.object_count() as u64, OBJECTS);
    let at = plain.len();
    assert_eq!(
        heap.warnings(),
        [format!(
            "at byte {at}: found 0x00 where a record tag was expected (0x01-0x0E, 0x1C or 0x2C) after 12 records; this is not an HPROF heap dump from here on; stopped decompressing there (byte {at} of the decompressed data) and kept the {at} bytes before it"
        )]
    );
    // The same from a pipe, not compressed.
    let out = run_with_stdin(&["summary", "--json", "-"], padded);
    let json = json(&out);
    assert_eq!(json["objects"], OBJECTS);
    assert!(
        json["warnings"][0].as_str().unwrap().ends_with(&format!(
            "stopped reading the input there and kept the {at} bytes before it"
        )),
        "{json}"
    );
}

fn no_space(_: &Path) -> std::io::Result<u64> {
    Ok(0)
}

/// 8 MiB free at first, 1 MiB less at every later call.
fn shrinking(_: &Path) -> std::io::Result<u64> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let calls = CALLS.fetch_add(1, Ordering::Relaxed);
    Ok((8u64 << 20).saturating_sub(calls << 20))
}

#[test]
fn a_full_temporary_folder_is_refused_with_tmpdir_advice() {
    let spool = |free_space| Spool {
        dir: "/some/tmp".into(),
        free_space,
        check_every: 1 << 20,
        margin: 1 << 20,
    };
    // No room at all: refused before a byte is written.
    let gz = temp_file(&gzip(&small_dump()));
    let e = Dump::open_with(gz.path(), &Progress::new(), &spool(no_space))
        .err()
        .expect("no space")
        .to_string();
    assert!(
        e.contains(
            "not enough free space in the temporary folder /some/tmp to decompress the dump"
        ),
        "{e}"
    );
    assert!(e.contains("set TMPDIR"), "{e}");
    assert!(e.starts_with(&gz.path().display().to_string()), "{e}");

    // A stream that looks like HPROF (one huge segment whose body starts
    // with a root) but outgrows the free space: stopped as it goes.
    let bomb = temp_file(&{
        let mut plain = Hprof::new("1.0.2", 8);
        plain.record_header(0x1C, 64 << 20).raw(&[0x05]);
        plain.raw(&vec![0u8; 64 << 20]);
        gzip(plain.bytes())
    });
    let mut spool = spool(shrinking);
    spool.dir = std::env::temp_dir();
    let e = Dump::open_with(bomb.path(), &Progress::new(), &spool)
        .err()
        .expect("outgrows the free space")
        .to_string();
    assert!(e.contains("not enough free space"), "{e}");
    assert!(e.contains("written so far"), "{e}");
    assert!(e.contains("set TMPDIR"), "{e}");
}

// ---------------------------------------------------------------------------
// 3. Every command carries the dump's warnings.

#[test]
fn every_command_reports_a_truncated_dump() {
    let full = small_dump();
    // Cut inside the roots segment, before HEAP DUMP END.
    let cut = temp_file(&full[..full.len() - 9 - 5]);
    let path = cut.path().to_str().unwrap();
    let holder = format!("{HOLDER:#x}");
    let commands: Vec<Vec<&str>> = vec![
        vec!["summary"],
        vec!["histogram"],
        vec!["histogram", "--retained"],
        vec!["dominators"],
        vec!["dominators", "--strong", "--children", "3"],
        vec!["finalizers"],
        vec!["paths", &holder],
        vec!["paths", "--class", "Holder"],
        vec!["paths", "--finalizer-referents"],
    ];
    for args in commands {
        let mut text = args.clone();
        text.insert(1, path);
        let out = run(&text);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
        assert!(all.contains("truncated at byte"), "{args:?}: {all}");
        if args[0] != "summary" {
            assert!(
                stderr(&out).contains("warning: the dump"),
                "{args:?}: {all}"
            );
        }
        let mut with_json = text.clone();
        with_json.push("--json");
        let json = json(&run(&with_json));
        let warnings = json["warnings"].as_array().expect("a warnings array");
        assert!(
            warnings
                .iter()
                .any(|w| w.as_str().unwrap().contains("truncated at byte")),
            "{args:?}: {warnings:?}"
        );
    }
}

#[test]
fn diff_names_the_dump_each_warning_is_about() {
    let plain = small_dump();
    let good = temp_file(&plain);
    // Two gzip members, the second cut short.
    let (head, tail) = plain.split_at(plain.len() / 2);
    let second = gzip(tail);
    let cut = temp_file(&[gzip(head), second[..second.len() / 2].to_vec()].concat());
    let (good_path, cut_path) = (good.path().to_str().unwrap(), cut.path().to_str().unwrap());
    // The comparison names dumps by file name.
    let cut_name = cut.path().file_name().unwrap().to_str().unwrap();
    for extra in [&[][..], &["--classes-only"]] {
        let mut args = vec!["diff", cut_path, good_path, "--json"];
        args.extend_from_slice(extra);
        let json = json(&run(&args));
        let warnings: Vec<&str> = json["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap())
            .collect();
        assert!(
            warnings
                .iter()
                .any(|w| w.starts_with(&format!("baseline {cut_name}: the gzip stream"))),
            "{warnings:?}"
        );
        assert!(
            !warnings.iter().any(|w| w.starts_with("current")),
            "{warnings:?}"
        );
        assert!(
            !json["baseline"]["warnings"].as_array().unwrap().is_empty(),
            "{json}"
        );
        let out = run(&["diff", good_path, cut_path]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(&format!("warning: current {cut_name}: the gzip stream")),
            "{text}"
        );
    }
}

/// A dump whose Holder instances have `len` value bytes (the class chain
/// has 12), one per length.
fn values_dump(lengths: &[usize]) -> Vec<u8> {
    let mut w = Hprof::new("1.0.2", 8);
    w.string(1, "java/lang/Object")
        .string(2, "Holder")
        .string(3, "Orphan")
        .string(4, "x")
        .string(5, "ref")
        .load_class(1, C_OBJECT, 1)
        .load_class(2, C_HOLDER, 2)
        .load_class(3, 0x400, 3);
    let mut b = Body::new(8);
    b.class_dump(&ClassDef::new(C_OBJECT, 0))
        .class_dump(
            &ClassDef::new(C_HOLDER, C_OBJECT)
                .field(4, BasicType::Int)
                .field(5, BasicType::Object),
        )
        // A class whose superclass 0x999 has no CLASS DUMP.
        .class_dump(&ClassDef::new(0x400, 0x999).field(4, BasicType::Int));
    let mut record_at = Vec::new();
    for (k, &len) in lengths.iter().enumerate() {
        record_at.push(b.len());
        let values: Vec<Value> = (0..len).map(|i| Value::Byte(i as i8)).collect();
        b.instance(0x1000 + 16 * k as u64, C_HOLDER, &values);
    }
    // 8 bytes where the known chain has 4: not a length warning, since
    // the superclass's fields are unknown.
    b.instance(0x9000, 0x400, &[Value::Long(1)]);
    b.root_jni_global(0x1000, 0);
    w.segment(&b).heap_dump_end();
    w.into_bytes()
}

#[test]
fn instance_values_of_the_wrong_length_are_warned_about_once_per_kind() {
    // Segment body starts after the header (31), strings and classes.
    let bytes = values_dump(&[12, 4, 2, 12, 20, 13]);
    let f = temp_file(&bytes);
    let heap = Heap::open(f.path(), &LoadOptions::default(), &Progress::new()).unwrap();
    let w = heap.warnings();
    let short: Vec<&String> = w
        .iter()
        .filter(|w| w.contains("fewer value bytes"))
        .collect();
    let long: Vec<&String> = w
        .iter()
        .filter(|w| w.contains("more value bytes"))
        .collect();
    assert_eq!(short.len(), 1, "{w:?}");
    assert_eq!(long.len(), 1, "{w:?}");
    assert!(
        short[0].starts_with("2 instances have fewer"),
        "{}",
        short[0]
    );
    assert!(long[0].starts_with("2 instances have more"), "{}", long[0]);
    // The first short one is the second instance (4 bytes).
    let second = heap.find(0x1010).unwrap();
    assert!(
        short[0].contains(&format!(
            "the first at byte {}: Holder with 4 bytes, expected 12",
            heap.record_offset(second)
        )),
        "{}",
        short[0]
    );
    let fifth = heap.find(0x1040).unwrap();
    assert!(
        long[0].contains(&format!(
            "the first at byte {}: Holder with 20 bytes",
            heap.record_offset(fifth)
        )),
        "{}",
        long[0]
    );
    let orphan = heap.classes().find("Orphan").unwrap();
    let missing: Vec<&String> = w.iter().filter(|w| w.contains("no CLASS DUMP")).collect();
    assert_eq!(missing.len(), 1, "{w:?}");
    assert!(
        missing[0].starts_with(&format!(
            "1 class names a superclass that has no CLASS DUMP (the first, Orphan at byte {}, names 0x999)",
            heap.class(orphan).dump_offset.unwrap()
        )),
        "{}",
        missing[0]
    );
    // The Orphan's instance is not also counted as a wrong length.
    assert!(short[0].starts_with("2 ") && long[0].starts_with("2 "));
    // Fields past a short record's end read as absent; nothing panics.
    assert_eq!(heap.fields(second).len(), 1);
    assert_eq!(heap.fields(heap.find(0x1000).unwrap()).len(), 2);
    // The census alone (histogram) says the same.
    let (_, census) =
        heapscope::heap::open_census(f.path(), &LoadOptions::default(), &Progress::new()).unwrap();
    assert!(
        census
            .warnings
            .iter()
            .any(|w| w.contains("fewer value bytes"))
    );
    // A dump whose every instance fits has none of these warnings.
    let f = temp_file(&small_dump());
    let heap = Heap::open(f.path(), &LoadOptions::default(), &Progress::new()).unwrap();
    assert!(heap.warnings().is_empty(), "{:?}", heap.warnings());
}

// ---------------------------------------------------------------------------
// 5. Messages.

#[test]
fn an_empty_file_says_so() {
    let f = temp_file(&[]);
    let path = f.path().to_str().unwrap();
    let out = run(&["summary", path]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!("{path}: at byte 0: the file is empty")),
        "{}",
        stderr(&out)
    );
    let out = run_with_stdin(&["histogram", "-"], Vec::new());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("stdin: at byte 0: the input is empty"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn not_a_dump_names_every_supported_version() {
    let f = temp_file(b"PK\x03\x04 a zip file, not a dump at all.................");
    let out = run(&["summary", f.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let e = stderr(&out);
    for v in ["1.0.1", "1.0.2", "1.0.3"] {
        assert!(e.contains(&format!("\"JAVA PROFILE {v}\"")), "{e}");
    }
}

#[test]
fn an_unknown_object_id_is_a_usage_error() {
    let f = temp_file(&small_dump());
    let path = f.path().to_str().unwrap();
    let out = run(&["paths", path, "0x123"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("no object with id 0x123 in {path}")),
        "{}",
        stderr(&out)
    );
    let out = run(&["paths", path, &format!("{HOLDER:#x}")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// Over an address-space limit the error says what could not be mapped.
#[test]
fn mapping_failure_names_what_and_how_much() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.hprof");
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(8 << 30).unwrap(); // sparse
    {
        use std::os::unix::fs::FileExt;
        f.write_at(&small_dump()[..31], 0).unwrap();
    }
    let script = format!(
        "ulimit -v 2000000 && exec '{}' summary '{}'",
        env!("CARGO_BIN_EXE_heapscope"),
        path.display()
    );
    let out = Command::new("sh").args(["-c", &script]).output().unwrap();
    let e = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{e}");
    assert!(
        e.contains(&format!(
            "{}: mapping 8.00 GiB of the dump: Cannot allocate memory",
            path.display()
        )),
        "{e}"
    );
}

#[test]
fn a_dump_without_roots_says_none() {
    let mut w = Hprof::new("1.0.2", 8);
    w.string(1, "java/lang/Object").load_class(1, C_OBJECT, 1);
    let mut b = Body::new(8);
    b.class_dump(&ClassDef::new(C_OBJECT, 0));
    w.segment(&b).heap_dump_end();
    let f = temp_file(w.bytes());
    let out = run(&["summary", f.path().to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\ngc roots             none\n"), "{text}");
}

#[test]
fn an_unknown_record_is_named_by_its_tag() {
    let mut w = Hprof::new("1.0.2", 8);
    w.record_header(0x99, 1000).raw(&[0; 10]);
    let f = temp_file(w.bytes());
    let heap = Heap::open(f.path(), &LoadOptions::default(), &Progress::new()).unwrap();
    let all = heap.warnings().join("\n");
    assert!(
        all.contains(
            "the record of unknown tag 0x99 at byte 31 declares 1000 bytes, only 10 are present"
        ),
        "{all}"
    );
    assert!(!all.contains("record record"), "{all}");
}
