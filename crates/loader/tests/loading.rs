//! Behaviour of the loader on good and hostile input.

use kubecomply_core::SourceFormat;
use kubecomply_core::diagnostic::Level;
use kubecomply_core::json;
use kubecomply_loader::locate::PositionIndex;
use kubecomply_loader::{Limits, files, load, parse_documents};

fn load_str(name: &str, text: &str) -> kubecomply_loader::Loaded {
    load(
        files::from_string(name, text.to_string()),
        &Limits::default(),
    )
}

#[test]
fn multi_document_lines_and_positions() {
    let text = "# leading comment\napiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: b\nspec:\n  containers:\n  - name: c\n    securityContext:\n      privileged: true\n";
    let l = load_str("m.yaml", text);
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    assert_eq!(l.objects.len(), 2);
    assert_eq!(l.objects[0].origin.line, 2);
    assert_eq!(l.objects[1].origin.line, 6);
    let o = &l.objects[1];
    let idx = PositionIndex::build(&o.origin.source.text[o.origin.span.clone()], o.origin.line);
    assert_eq!(
        idx.locate("/spec/containers/0/securityContext/privileged"),
        Some((15, 7))
    );
    assert_eq!(idx.locate("/spec/containers/0"), Some((13, 5)));
    // Missing fields resolve to the nearest parent.
    assert_eq!(
        idx.locate("/spec/containers/0/resources/limits"),
        Some((13, 5))
    );
    assert_eq!(idx.locate("/metadata/name"), Some((10, 3)));
}

#[test]
fn kubectl_scalars_in_documents() {
    let docs = parse_documents("a: 0644\nb: yes\nc: '0644'\nd: NO\ne: !!str 12\n").expect("parses");
    assert_eq!(
        docs[0],
        json!({"a": 420, "b": true, "c": "0644", "d": false, "e": "12"})
    );
}

#[test]
fn lists_are_expanded_with_pointer_prefixes() {
    let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n- apiVersion: apps/v1\n  kind: DeploymentList\n  items:\n  - apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: d}\n";
    let l = load_str("l.yaml", text);
    assert_eq!(l.objects.len(), 2);
    assert_eq!(l.objects[0].origin.prefix, "/items/0");
    assert_eq!(l.objects[1].origin.prefix, "/items/1/items/0");
    assert_eq!(l.objects[1].kind, "Deployment");
}

#[test]
fn json_lines_and_json_files() {
    let text = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\"}}\n{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"b\"}}\n";
    let l = load_str("s.json", text);
    assert_eq!(l.objects.len(), 2);
    assert_eq!(l.objects[1].origin.line, 2);
    assert_eq!(l.objects[0].origin.source.format, SourceFormat::Json);
    let bad = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\"\n{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"b\"}}\n";
    let l = load_str("bad.json", bad);
    assert_eq!(l.objects.len(), 1, "{:?}", l.diagnostics);
    assert_eq!(l.diagnostics[0].line, 2);
}

#[test]
fn non_kubernetes_yaml_is_a_note() {
    let l = load_str("values.yaml", "replicaCount: 3\nimage: nginx\n");
    assert!(l.objects.is_empty());
    assert_eq!(l.diagnostics.len(), 1);
    assert_eq!(l.diagnostics[0].level, Level::Note);
}

#[test]
fn malformed_document_does_not_hide_the_others() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: c}\n";
    let l = load_str("broken.yaml", text);
    let names: Vec<_> = l.objects.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, vec!["a", "c"]);
    let errs: Vec<_> = l
        .diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .collect();
    assert_eq!(errs.len(), 1, "{:?}", l.diagnostics);
    assert!(errs[0].line >= 8, "{:?}", errs[0]);
    assert_eq!(l.objects[1].origin.line, 9);
}

#[test]
fn duplicate_keys_are_warned_and_last_wins() {
    let l = load_str(
        "d.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n",
    );
    assert_eq!(l.objects[0].name, "b");
    assert_eq!(l.diagnostics.len(), 1);
    assert_eq!((l.diagnostics[0].line, l.diagnostics[0].column), (5, 3));
    assert_eq!(l.diagnostics[0].level, Level::Warning);
}

#[test]
fn duplicate_keys_in_large_mappings_keep_the_first_position_and_the_last_value() {
    // Beyond 16 entries mappings find duplicates with a hash set (linear for huge mappings);
    // the result must be the same as for small ones.
    let mut text = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n");
    for i in 0..40 {
        text.push_str(&format!("  k{i}: v{i}\n"));
    }
    text.push_str("  k3: last\n  k39: again\n");
    let l = load_str("big.yaml", &text);
    let warnings: Vec<(u32, u32)> = l.diagnostics.iter().map(|d| (d.line, d.column)).collect();
    assert_eq!(warnings, [(46, 3), (47, 3)], "{:?}", l.diagnostics);
    assert!(
        l.diagnostics[0].message.contains("\"k3\""),
        "{:?}",
        l.diagnostics
    );
    let data = l.objects[0].value["data"].as_object().expect("data");
    assert_eq!(data.len(), 40);
    let keys: Vec<&str> = data.keys().map(String::as_str).collect();
    assert_eq!(&keys[..4], ["k0", "k1", "k2", "k3"]);
    assert_eq!(data["k3"], "last");
    assert_eq!(data["k39"], "again");
}

#[test]
fn merge_keys_fill_only_absent_keys_in_large_mappings() {
    let mut text = String::from("base: &base\n");
    for i in 0..20 {
        text.push_str(&format!("  b{i}: from-base\n"));
    }
    text.push_str("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\ndata:\n  <<: *base\n  b0: own\n  b19: own\n  c: own\n");
    let docs = parse_documents(&text).expect("parses");
    let data = &docs[0]["data"];
    assert_eq!(data.as_object().map(|m| m.len()), Some(21));
    assert_eq!(data["b0"], "own");
    assert_eq!(data["b19"], "own");
    assert_eq!(data["b7"], "from-base");
    assert_eq!(data["c"], "own");
}

#[test]
fn lone_carriage_returns_are_line_breaks_everywhere() {
    // Found by the `loader` fuzz target: YAML counts a lone `\r` as a line break, and the
    // document's span, recorded positions and the second parse must all count it too.
    let text =
        "\r\r\r\rapiVersion: v1\nkind: Pod\rmetadata:\n  name: a\r  namespace: b\r\n  labels: {}\r";
    let l = load_str("cr.yaml", text);
    assert_eq!(l.objects.len(), 1, "{:?}", l.diagnostics);
    let o = &l.objects[0];
    assert_eq!(o.origin.line, 5);
    assert_eq!((o.name.as_str(), o.namespace.as_deref()), ("a", Some("b")));
    let span_text = &o.origin.source.text[o.origin.span.clone()];
    let again = PositionIndex::build(span_text, o.origin.line);
    let recorded = o.origin.positions.as_ref().expect("positions recorded");
    for (pointer, line) in [
        ("", 5),
        ("/kind", 6),
        ("/metadata/namespace", 9),
        ("/metadata/labels", 10),
    ] {
        let got = kubecomply_loader::locate::locate_recorded(&o.value, recorded, pointer);
        assert_eq!(got.map(|(l, _)| l), Some(line), "{pointer}");
        assert_eq!(again.locate(pointer), got, "{pointer}");
    }
}

#[test]
fn shallow_quoted_continuations_keep_spans_and_positions_in_the_original_text() {
    // Found by the `loader` fuzz target: a document read as kubectl reads a quoted scalar
    // continued on a shallow line is parsed from an indented copy of the text. Its positions,
    // its span and those of the documents after it must be those of the original text, and a
    // second parse of the span must agree.
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  annotations:\n    note: 'first\n  second'\nspec:\n  containers:\n  - name: c\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: b\nspec:\n  containers:\n  - name: c\n    securityContext:\n      privileged: true\n";
    let l = load_str("q.yaml", text);
    assert_eq!(l.objects.len(), 2, "{:?}", l.diagnostics);
    assert_eq!(l.diagnostics.len(), 1, "{:?}", l.diagnostics);
    assert_eq!(
        (l.diagnostics[0].line, l.diagnostics[0].level),
        (7, Level::Warning)
    );
    assert_eq!(
        l.objects[0].value["metadata"]["annotations"]["note"],
        "first second"
    );
    for (o, pointer, line) in [
        (&l.objects[0], "/spec/containers/0/name", 10),
        (
            &l.objects[1],
            "/spec/containers/0/securityContext/privileged",
            20,
        ),
    ] {
        let span_text = &o.origin.source.text[o.origin.span.clone()];
        assert!(
            span_text.starts_with("apiVersion") || span_text.starts_with("---\napiVersion"),
            "{span_text:?}"
        );
        let recorded = o.origin.positions.as_ref().expect("positions recorded");
        let got = kubecomply_loader::locate::locate_recorded(&o.value, recorded, pointer);
        assert_eq!(got.map(|(l, _)| l), Some(line), "{pointer}");
        let again = PositionIndex::build(span_text, o.origin.line).locate(pointer);
        assert_eq!(again, got, "{pointer}");
    }
}

#[test]
fn alias_bomb_is_refused() {
    let mut text =
        String::from("apiVersion: v1\nkind: ConfigMap\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = i - 1;
        text.push_str(&format!("a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"));
    }
    let l = load_str("bomb.yaml", &text);
    assert!(l.objects.is_empty());
    assert!(
        l.diagnostics
            .iter()
            .any(|d| d.message.contains("alias bomb")),
        "{:?}",
        l.diagnostics
    );
}

#[test]
fn deep_nesting_is_refused_not_crashed() {
    let depth = 100_000;
    let text = format!("a: {}{}", "[".repeat(depth), "]".repeat(depth));
    let l = load_str("deep.yaml", &text);
    assert!(
        l.diagnostics
            .iter()
            .any(|d| d.message.contains("nesting deeper") || d.message.contains("recursion limit")),
        "{:?}",
        l.diagnostics
    );
    let json = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let l = load_str("deep.json", &json);
    assert!(!l.diagnostics.is_empty());
    assert!(
        l.diagnostics.iter().all(|d| d.level == Level::Error),
        "{:?}",
        l.diagnostics
    );
}

#[test]
fn merge_keys() {
    let docs = parse_documents("base: &b {x: 1, z: 2}\nd:\n  <<: *b\n  z: 3\n").expect("parses");
    // YAML 1.1: a plain `y` key is the boolean true, as kubectl reads it.
    let y = parse_documents("y: 1\n").expect("parses");
    assert_eq!(y[0], json!({"true": 1}));
    assert_eq!(docs[0]["d"], json!({"x": 1, "z": 3}));
}

#[test]
fn size_limit() {
    let dir = std::env::temp_dir().join(format!("kc-size-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let p = dir.join("big.yaml");
    std::fs::write(&p, "a: b\n".repeat(1000)).expect("write");
    let limits = Limits {
        max_file_size: 1000,
        ..Limits::default()
    };
    let err = files::read(&files::Input::File(p), &limits).expect_err("too big");
    assert!(err.message.contains("limit"), "{}", err.message);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn binary_garbage_is_an_error_with_position() {
    let dir = std::env::temp_dir().join(format!("kc-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let p = dir.join("x.yaml");
    std::fs::write(&p, b"a: b\nc: \xff\xfe\n").expect("write");
    let err = files::read(&files::Input::File(p), &Limits::default()).expect_err("binary");
    assert_eq!((err.line, err.column), (2, 4));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn block_nesting_beyond_our_limit() {
    let mut text = String::new();
    for i in 0..200 {
        text.push_str(&" ".repeat(i));
        text.push_str("k:\n");
    }
    let l = load_str("nest.yaml", &text);
    assert!(
        l.diagnostics
            .iter()
            .any(|d| d.message.contains("nesting deeper than 128")),
        "{:?}",
        l.diagnostics
    );
}

fn all_pointers(v: &kubecomply_core::Value, base: String, out: &mut Vec<String>) {
    out.push(base.clone());
    match v {
        kubecomply_core::Value::Object(m) => {
            for (k, c) in m {
                let mut p = base.clone();
                kubecomply_core::pointer::push(&mut p, k);
                all_pointers(c, p, out);
            }
        }
        kubecomply_core::Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                all_pointers(c, format!("{base}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Positions recorded during the first parse agree with a second parse for every node (and for
/// missing fields below them) of every fixture and example in the repository.
#[test]
fn recorded_positions_agree_with_reparsing() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let (inputs, _) = files::discover(&[
        root.join("crates/checks/fixtures").display().to_string(),
        root.join("examples").display().to_string(),
    ]);
    let mut checked = 0;
    for input in inputs {
        let src = files::read(&input, &Limits::default()).expect("readable");
        let l = load(src, &Limits::default());
        for o in &l.objects {
            let Some(positions) = &o.origin.positions else {
                continue;
            };
            let idx =
                PositionIndex::build(&o.origin.source.text[o.origin.span.clone()], o.origin.line);
            let mut ptrs = Vec::new();
            all_pointers(&o.value, String::new(), &mut ptrs);
            for p in ptrs {
                for q in [p.clone(), format!("{p}/missing/field")] {
                    let recorded =
                        kubecomply_loader::locate::locate_recorded(&o.value, positions, &q);
                    assert_eq!(recorded, idx.locate(&q), "{} {q}", o.origin.source.path);
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 10_000, "only {checked} pointers checked");
}

/// Found by the loader fuzz target: keys that YAML 1.1 resolves (`off:` → "false") must be
/// located under their resolved name by the re-parsing index too.
#[test]
fn resolved_keys_are_located_by_both_indexes() {
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector:\n    matchLabels:\n      app: x\n      off: web\n      0x10: z\n";
    let l = load_str("k.yaml", text);
    let o = &l.objects[0];
    assert_eq!(o.value["spec"]["selector"]["matchLabels"]["false"], "web");
    let idx = PositionIndex::build(&o.origin.source.text[o.origin.span.clone()], o.origin.line);
    let positions = o.origin.positions.as_ref().expect("regular document");
    for (ptr, want) in [
        ("/spec/selector/matchLabels/false", (8, 7)),
        ("/spec/selector/matchLabels/16", (9, 7)),
    ] {
        assert_eq!(idx.locate(ptr), Some(want), "{ptr}");
        assert_eq!(
            kubecomply_loader::locate::locate_recorded(&o.value, positions, ptr),
            Some(want),
            "{ptr}"
        );
    }
}

/// A large stream is parsed in parallel pieces; the result must be the same as one sequential
/// parse: values, lines, spans, recorded positions and errors (including a broken document).
#[test]
fn parallel_parse_of_large_streams_equals_sequential() {
    let mut text = String::new();
    for i in 0..3000 {
        if i == 1234 {
            text.push_str("---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: [broken\n");
            continue;
        }
        if i == 2000 {
            text.push_str("...\n%YAML 1.2\n");
        }
        text.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  labels: {{app: x, n: \"{i}\"}}\ndata:\n  a: b\n  mode: 0644\n"
        ));
    }
    assert!(text.len() > 300_000);
    let limits = Limits::default();
    let par = kubecomply_loader::yaml::parse(&text, &limits);
    let seq = kubecomply_loader::yaml::parse_sequential(&text, &limits);
    assert_eq!(par.documents.len(), seq.documents.len());
    assert_eq!(par.errors, seq.errors);
    for (p, s) in par.documents.iter().zip(&seq.documents) {
        assert_eq!(p.value, s.value);
        assert_eq!(p.line, s.line);
        assert_eq!(p.span, s.span);
        assert_eq!(p.positions, s.positions);
    }
}

/// A quoted scalar continued on a line indented no deeper than its key is invalid YAML 1.2
/// (saphyr rejects it) but kubectl and gator (Go's YAML) read it; so do we, with a warning.
/// Found in the gatekeeper-library's httpsonly template.
#[test]
fn shallow_quoted_continuations_are_read_as_kubectl_reads_them() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n    description: \"Whether to allow it. Defaults\n    to false.\"\n    single: 'one\n    two'\ndata:\n  a: b\n";
    let limits = Limits::default();
    let strict = kubecomply_loader::yaml::parse_sequential(text, &limits);
    assert_eq!(strict.errors.len(), 1, "{:?}", strict.errors);
    let s = kubecomply_loader::yaml::parse(text, &limits);
    assert_eq!(s.documents.len(), 1);
    let v = &s.documents[0].value;
    assert_eq!(
        v["metadata"]["annotations"]["description"],
        "Whether to allow it. Defaults to false."
    );
    assert_eq!(v["metadata"]["annotations"]["single"], "one two");
    assert_eq!(v["data"]["a"], "b");
    let lines: Vec<u32> = s.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![7, 9], "{:?}", s.errors);
    assert!(
        s.errors
            .iter()
            .all(|e| e.message == kubecomply_loader::yaml::SHALLOW_QUOTED_WARNING)
    );
    // Through `load`, they are warnings, not errors.
    let loaded = kubecomply_loader::load(
        kubecomply_core::SourceFile {
            path: "x.yaml".into(),
            text: text.into(),
            format: kubecomply_core::SourceFormat::Yaml,
        },
        &limits,
    );
    assert_eq!(loaded.objects.len(), 1);
    assert!(
        loaded
            .diagnostics
            .iter()
            .all(|d| d.level == kubecomply_core::diagnostic::Level::Warning),
        "{:?}",
        loaded.diagnostics
    );
    // Text that is broken in another way is still an error.
    let broken = "a: \"x\n  y\nb: [\n";
    assert!(
        !kubecomply_loader::yaml::parse(broken, &limits)
            .errors
            .is_empty()
    );
}

/// A FIFO or a device where a file is expected is refused before it is opened: opening a FIFO
/// blocks until a writer comes (a scan would hang) and a device never ends.
#[test]
fn fifos_and_devices_are_refused_not_opened() {
    let dir = std::env::temp_dir().join(format!("kc-fifo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let fifo = dir.join("trap.yaml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero.yaml")).expect("symlink");
    std::fs::write(
        dir.join("ok.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    )
    .expect("write");
    // A setting's file.
    for p in [&fifo, &dir.join("zero.yaml")] {
        let err = files::read_file(p, &Limits::default()).expect_err("refused");
        assert!(
            err.message.contains("not a regular file"),
            "{}",
            err.message
        );
    }
    // A directory walk skips both with an error each and reads the rest.
    let (inputs, diags) = files::discover(&[dir.display().to_string()]);
    assert_eq!(inputs.len(), 1, "{inputs:?}");
    assert_eq!(diags.len(), 2, "{diags:?}");
    assert!(
        diags
            .iter()
            .all(|d| d.message.contains("not a regular file"))
    );
    let _ = std::fs::remove_dir_all(&dir);
}
