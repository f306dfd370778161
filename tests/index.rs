//! The index file: reopening gives exactly what a fresh build gives, and a
//! stale, damaged or half-written index is never used.

mod jdk;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use heapscope::analysis::dominators::Dominators;
use heapscope::heap::{Heap, LoadOptions};
use heapscope::index::{self, Origin, Reuse};
use heapscope::progress::Progress;

fn heapscope(args: &[&str], cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_heapscope"))
        .args(args)
        .env("XDG_CACHE_HOME", cache)
        .output()
        .expect("run heapscope")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "heapscope failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The answers of every command that reads the model, as text.
fn answers(dump: &Path, baseline: &Path, flags: &[&str], cache: &Path) -> Vec<(String, String)> {
    let d = dump.to_str().unwrap();
    let b = baseline.to_str().unwrap();
    let commands: Vec<Vec<&str>> = vec![
        vec!["histogram", d, "--retained", "--json"],
        vec!["histogram", d, "--retained", "--strong", "--json"],
        vec!["dominators", d, "--top", "40", "--children", "5", "--json"],
        vec![
            "dominators",
            d,
            "--strong",
            "--top",
            "40",
            "--children",
            "5",
        ],
        vec!["finalizers", d, "--json"],
        vec!["paths", d, "--class", "DiffSubject$Item", "--json"],
        vec!["paths", d, "--finalizer-referents"],
        vec!["diff", b, d, "--json"],
    ];
    commands
        .into_iter()
        .map(|mut c| {
            c.extend_from_slice(flags);
            let out = heapscope(&c, cache);
            (c[..2].join(" "), stdout(&out))
        })
        .collect()
}

fn model(dump: &Path, reuse: Reuse) -> index::Model {
    index::open(dump, &LoadOptions::default(), reuse, &Progress::new())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn same_dominators(heap: &Heap, a: &Dominators, b: &Dominators, what: &str) {
    assert_eq!(a.reachable, b.reachable, "{what}");
    for o in 0..heap.object_count() {
        assert_eq!(a.idom(o), b.idom(o), "{what}: idom of {o}");
        assert_eq!(a.retained(o), b.retained(o), "{what}: retained of {o}");
    }
}

#[test]
fn reopening_gives_what_a_fresh_build_gives() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let (before, after) = jdk::dump_twice(&jdk::system_jdk(), dir.path());

    // The library: every array and figure, object by object.
    let fresh = model(&after, Reuse::NoIndex);
    assert_eq!(fresh.origin, Origin::NoIndex);
    assert!(!index::locate(&after, "").beside.exists());
    let built = model(&after, Reuse::Index);
    let Origin::Built {
        written: Ok((path, bytes)),
        replaced: None,
    } = &built.origin
    else {
        panic!("not written: {:?}", built.origin)
    };
    assert_eq!(path, &index::locate(&after, "").beside);
    assert_eq!(std::fs::metadata(path).unwrap().len(), *bytes);
    let reopened = model(&after, Reuse::Index);
    assert!(
        matches!(&reopened.origin, Origin::Reopened(p, _) if p == path),
        "{:?}",
        reopened.origin
    );
    let (h, r) = (&fresh.heap, &reopened.heap);
    assert_eq!(h.object_count(), r.object_count());
    assert_eq!(h.reference_count(), r.reference_count());
    for o in 0..h.object_count() {
        assert_eq!(h.id(o), r.id(o));
        assert_eq!(h.record_offset(o), r.record_offset(o));
        assert_eq!(h.class_of(o), r.class_of(o));
        assert_eq!(h.outgoing(o), r.outgoing(o));
        assert_eq!(h.incoming(o), r.incoming(o));
        assert_eq!(r.find(h.id(o)), Some(o));
        assert_eq!(r.find(h.id(o) + 1), h.find(h.id(o) + 1));
    }
    assert_eq!(h.roots(), r.roots());
    assert_eq!(h.dangling(), r.dangling());
    assert_eq!(h.threads().len(), r.threads().len());
    for k in 0..2 {
        same_dominators(h, &fresh.doms[k], &reopened.doms[k], &format!("mode {k}"));
        assert_eq!(fresh.class_retained[k], reopened.class_retained[k]);
    }
    assert_eq!(
        format!("{:?}", fresh.finalizers),
        format!("{:?}", reopened.finalizers)
    );
    drop((fresh, built, reopened));

    // The command line: each answer as with --no-index, from the index.
    let d = after.to_str().unwrap();
    let fresh = answers(&after, &before, &["--no-index"], &cache);
    let built = heapscope(&["index", d], &cache);
    let last = stdout(&built).lines().last().unwrap().to_string();
    assert_eq!(PathBuf::from(&last), index::locate(&after, "").beside);
    stdout(&heapscope(&["index", before.to_str().unwrap()], &cache));
    let reopened = answers(&after, &before, &[], &cache);
    for ((command, a), (_, b)) in fresh.iter().zip(&reopened) {
        assert_eq!(a, b, "{command}: from the index differs");
    }
    // The diff reads both indexes.
    let out = heapscope(&["diff", before.to_str().unwrap(), d], &cache);
    assert_eq!(
        stderr(&out).matches("opened from the index").count(),
        2,
        "{}",
        stderr(&out)
    );
    let out = heapscope(&["dominators", d, "--top", "3"], &cache);
    assert!(
        stderr(&out).contains("opened from the index"),
        "{}",
        stderr(&out)
    );
    let status = stdout(&heapscope(&["index", "--status", d], &cache));
    assert!(status.starts_with("valid index"), "{status}");
    let deleted = stdout(&heapscope(&["index", "--delete", d], &cache));
    assert!(deleted.contains("deleted"), "{deleted}");
    assert!(!PathBuf::from(&last).exists());
    let status = stdout(&heapscope(&["index", "--status", d], &cache));
    assert!(status.starts_with("no index yet"), "{status}");
}

/// Runs `dominators` and returns its stderr, checking that its answer is
/// `expected`.
fn dominators_notes(dump: &Path, cache: &Path, expected: &str) -> String {
    let out = heapscope(
        &["dominators", dump.to_str().unwrap(), "--top", "10"],
        cache,
    );
    assert_eq!(stdout(&out), expected);
    stderr(&out)
}

#[test]
fn a_stale_or_damaged_index_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let (_, dump) = jdk::dump_twice(&jdk::system_jdk(), dir.path());
    let path = index::locate(&dump, "").beside;
    let expected = stdout(&heapscope(
        &[
            "dominators",
            dump.to_str().unwrap(),
            "--top",
            "10",
            "--no-index",
        ],
        &cache,
    ));
    assert!(!path.exists(), "--no-index wrote an index");
    let notes = dominators_notes(&dump, &cache, &expected);
    assert!(notes.contains("wrote the index"), "{notes}");
    let good = std::fs::read(&path).unwrap();

    type Damage = Box<dyn Fn(&mut Vec<u8>)>;
    let damages: Vec<(&str, Damage, &str)> = vec![
        (
            "a flipped byte in a section",
            Box::new(|b: &mut Vec<u8>| {
                let at = b.len() - 5000;
                b[at] ^= 0x40;
            }),
            "checksum does not match",
        ),
        (
            "a flipped byte in the header",
            Box::new(|b: &mut Vec<u8>| b[20] ^= 1),
            "header's checksum",
        ),
        (
            "truncated",
            Box::new(|b: &mut Vec<u8>| b.truncate(b.len() / 2)),
            "does not fit the file",
        ),
        (
            "cut inside its header",
            Box::new(|b: &mut Vec<u8>| b.truncate(100)),
            "shorter than its",
        ),
        (
            "not an index",
            Box::new(|b: &mut Vec<u8>| b[..8].copy_from_slice(b"JAVA PRO")),
            "wrong magic",
        ),
    ];
    for (what, damage, why) in damages {
        let mut bytes = good.clone();
        damage(&mut bytes);
        std::fs::write(&path, &bytes).unwrap();
        let notes = dominators_notes(&dump, &cache, &expected);
        assert!(
            notes.contains("rebuilt the index") && notes.contains(why),
            "{what}: {notes}"
        );
        assert_eq!(std::fs::read(&path).unwrap().len(), good.len(), "{what}");
        let notes = dominators_notes(&dump, &cache, &expected);
        assert!(notes.contains("opened from the index"), "{what}: {notes}");
    }

    // The dump changes (a new modification time): the index is stale.
    let file = std::fs::File::options().write(true).open(&dump).unwrap();
    file.set_modified(std::time::SystemTime::now() + Duration::from_secs(5))
        .unwrap();
    drop(file);
    let notes = dominators_notes(&dump, &cache, &expected);
    assert!(notes.contains("stale index: the dump changed"), "{notes}");
    // Another --layout is another index, beside the first.
    let d = dump.to_str().unwrap();
    let out = heapscope(&["index", d, "--layout", "wide"], &cache);
    let other = stdout(&out).lines().last().unwrap().to_string();
    assert!(other.ends_with(".layout-wide.hsidx"), "{other}");
    assert!(path.exists());
}

#[test]
fn a_killed_build_leaves_no_index() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let (_, dump) = jdk::dump_twice(&jdk::system_jdk(), dir.path());
    let path = index::locate(&dump, "").beside;
    let d = dump.to_str().unwrap();
    // Kill `heapscope index` at moments through the build, and as soon as
    // its temporary file shows: whatever the moment, there is then either
    // no index or a valid one.
    let mut killed_while_writing = 0;
    for attempt in 0..12 {
        let _ = std::fs::remove_file(&path);
        let mut child = Command::new(env!("CARGO_BIN_EXE_heapscope"))
            .args(["index", d])
            .env("XDG_CACHE_HOME", &cache)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let start = Instant::now();
        let delay = Duration::from_millis(15 * attempt);
        let mut writing = false;
        while child.try_wait().unwrap().is_none() {
            writing = temporaries(dir.path()) > 0;
            if writing && attempt % 2 == 0 || attempt % 2 == 1 && start.elapsed() >= delay {
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        let status = stdout(&heapscope(&["index", "--status", d], &cache));
        assert!(
            status.starts_with("valid index") || status.starts_with("no index yet"),
            "attempt {attempt}: {status}"
        );
        if writing && !path.exists() {
            killed_while_writing += 1;
        }
    }
    assert!(
        killed_while_writing > 0,
        "no kill came while the index was being written"
    );
    // A later build removes what the killed ones left.
    let _ = std::fs::remove_file(&path);
    stdout(&heapscope(&["index", d], &cache));
    assert_eq!(temporaries(dir.path()), 0);
}

fn temporaries(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .count()
}

/// A folder heapscope cannot write: a read-only tmpfs as root, else a
/// folder without write permission.
struct ReadOnly {
    dir: PathBuf,
    mounted: bool,
}

impl ReadOnly {
    /// `None` when this machine cannot make one (root without the right
    /// to mount).
    fn with(dump: &Path, dir: PathBuf) -> Option<ReadOnly> {
        std::fs::create_dir_all(&dir).unwrap();
        let root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
        let mut ro = ReadOnly {
            dir: dir.clone(),
            mounted: false,
        };
        if root {
            let ok = |args: &[&str]| {
                Command::new("mount")
                    .args(args)
                    .stderr(std::process::Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            };
            let d = dir.to_str().unwrap();
            if !ok(&["-t", "tmpfs", "-o", "size=256m", "none", d]) {
                return None;
            }
            ro.mounted = true;
            std::fs::copy(dump, dir.join("dump.hprof")).unwrap();
            assert!(ok(&["-o", "remount,ro", d]), "remount the tmpfs read-only");
        } else {
            std::fs::copy(dump, dir.join("dump.hprof")).unwrap();
            let mut p = std::fs::metadata(&dir).unwrap().permissions();
            std::os::unix::fs::PermissionsExt::set_mode(&mut p, 0o555);
            std::fs::set_permissions(&dir, p).unwrap();
        }
        assert!(
            std::fs::write(dir.join("probe"), b"x").is_err(),
            "the folder is still writable"
        );
        Some(ro)
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        if self.mounted {
            let _ = Command::new("umount").arg(&self.dir).status();
        }
    }
}

#[test]
fn a_read_only_dump_folder_falls_back_to_the_cache_folder() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let (_, dump) = jdk::dump_twice(&jdk::system_jdk(), dir.path());
    let Some(ro) = ReadOnly::with(&dump, dir.path().join("ro")) else {
        eprintln!("root without the right to mount a read-only tmpfs: skipped");
        return;
    };
    let dump = ro.dir.join("dump.hprof");
    let d = dump.to_str().unwrap();
    let out = heapscope(&["index", d], &cache);
    let last = stdout(&out).lines().last().unwrap().to_string();
    assert!(
        last.starts_with(cache.join("heapscope").to_str().unwrap()) && last.ends_with(".hsidx"),
        "{last}"
    );
    assert!(Path::new(&last).exists());
    let out = heapscope(&["dominators", d, "--top", "3"], &cache);
    assert!(
        stderr(&out).contains(&format!("opened from the index {last}")),
        "{}",
        stderr(&out)
    );
    let status = stdout(&heapscope(&["index", "--status", d], &cache));
    assert!(
        status.starts_with("valid index") && status.contains(&last),
        "{status}"
    );
}

/// Runs `args` under a cgroup v1 memory cap of `limit` bytes; `None` when
/// this machine cannot (not root, or no cgroup v1 memory controller).
fn capped(limit: u64, args: &[&str], cache: &Path) -> Option<Output> {
    let root = Path::new("/sys/fs/cgroup/memory");
    let is_root = Command::new("id").arg("-u").output().ok()?.stdout == b"0\n";
    if !is_root || !root.join("memory.limit_in_bytes").exists() {
        return None;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/capped.sh");
    let mb = (limit >> 20).to_string();
    let out = Command::new(script)
        .arg(&mb)
        .arg(env!("CARGO_BIN_EXE_heapscope"))
        .args(args)
        .env("XDG_CACHE_HOME", cache)
        .output()
        .expect("run benches/capped.sh");
    Some(out)
}

#[test]
fn a_capped_build_completes_with_the_same_dominators() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let (_, dump) = jdk::dump_twice(&jdk::system_jdk(), dir.path());
    let d = dump.to_str().unwrap();
    let args = ["dominators", d, "--top", "100", "--children", "3", "--json"];
    let free = stdout(&heapscope(&[&args[..], &["--no-index"]].concat(), &cache));
    // What the build takes with everything in anonymous memory.
    let size = std::fs::metadata(&dump).unwrap().len();
    // The process's own floor (code, threads, the census) is some 30 MB
    // whatever the dump; above it, 60% of the dump as on the 1 GB bench.
    let limit = (40 << 20) + size * 6 / 10;
    let Some(out) = capped(limit, &args, &cache) else {
        eprintln!("not root or no cgroup v1 memory controller: skipped");
        return;
    };
    let err = stderr(&out);
    assert!(
        out.status.success() && err.contains("oom-killed no"),
        "capped at {limit} bytes for a dump of {size}: {err}"
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), free);
    assert!(err.contains("wrote the index"), "{err}");
    // Reopened under the same cap: the same answer.
    let out = capped(limit, &args, &cache).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), free);
    assert!(
        stderr(&out).contains("opened from the index"),
        "{}",
        stderr(&out)
    );
}
