//! Streams from hostile repositories (issue 14): each document is decided alone. JSON and YAML
//! documents mix in one stream, a document that is not text is an error for that document
//! only, the alias budget covers every document of a load, and numbering lines stays linear.

use kubecomply_core::diagnostic::{Diagnostic, Level};
use kubecomply_loader::{AliasBudget, Limits, Loaded, files, load, load_in_budget, work};

fn load_str(name: &str, text: &str) -> Loaded {
    load(
        files::from_string(name, text.to_string()),
        &Limits::default(),
    )
}

fn names(l: &Loaded) -> Vec<(&str, u32)> {
    l.objects
        .iter()
        .map(|o| (o.name.as_str(), o.origin.line))
        .collect()
}

fn errors(l: &Loaded) -> Vec<&Diagnostic> {
    l.diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .collect()
}

/// Writes `bytes` to a file named `name` in a fresh directory and reads it as a scan does:
/// the read's errors, then the load's diagnostics.
fn read_and_load(name: &str, bytes: &[u8]) -> Result<Loaded, Diagnostic> {
    let dir = std::env::temp_dir().join(format!(
        "kc-streams-{}-{}",
        std::process::id(),
        name.replace('.', "-")
    ));
    std::fs::create_dir_all(&dir).expect("dir");
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    let read = files::read_documents(&files::Input::File(p), &Limits::default());
    let _ = std::fs::remove_dir_all(&dir);
    let read = read?;
    let mut l = load(read.source, &Limits::default());
    let mut d = read.diagnostics;
    d.append(&mut l.diagnostics);
    l.diagnostics = d;
    Ok(l)
}

const JSON_POD: &str = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"j"},"spec":{"containers":[{"name":"c","image":"x","securityContext":{"privileged":true}}]}}"#;

#[test]
fn a_json_document_then_yaml_documents() {
    // The issue's reproducer: the YAML document after `---` was never read ("invalid number").
    let text = format!(
        "{JSON_POD}\n---\napiVersion: v1\nkind: Pod\nmetadata: {{name: yy}}\nspec: {{hostPID: true, containers: [{{name: c, image: x}}]}}\n"
    );
    let l = load_str("b.yaml", &text);
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    assert_eq!(names(&l), [("j", 1), ("yy", 2)]);
    assert_eq!(l.objects[1].value["spec"]["hostPID"], true);
    // Each document's text is its own: a second parse finds the same positions.
    for (o, at) in l.objects.iter().zip([(1, 45), (5, 12)]) {
        let span = &o.origin.source.text[o.origin.span.clone()];
        let idx = kubecomply_loader::locate::PositionIndex::build(span, o.origin.line);
        assert_eq!(idx.locate("/metadata/name"), Some(at));
    }
}

#[test]
fn json_documents_separated_by_markers() {
    let a = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}"#;
    let b = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}}"#;
    for (name, text, want) in [
        (
            "j.json",
            format!("{a}\n---\n{b}\n"),
            vec![("a", 1), ("b", 3)],
        ),
        (
            "j.yaml",
            format!("---\n{a}\n---\n{b}\n...\n"),
            vec![("a", 2), ("b", 4)],
        ),
        (
            "lines.yaml",
            format!("# c\n{a}\n{b}\n---\n--- {b}\n...\n{a}\n"),
            vec![("a", 2), ("b", 3), ("b", 5), ("a", 7)],
        ),
        (
            "mixed.json",
            format!(
                "{a}\n---\nkind: ConfigMap\napiVersion: v1\nmetadata: {{name: yy}}\n---\n{b}\n"
            ),
            vec![("a", 1), ("yy", 2), ("b", 7)],
        ),
    ] {
        let l = load_str(name, &text);
        assert!(l.diagnostics.is_empty(), "{name}: {:?}", l.diagnostics);
        assert_eq!(names(&l), want, "{name}");
    }
}

#[test]
fn a_broken_json_document_is_one_error_and_the_others_load() {
    let text = format!(
        "{JSON_POD}\n---\n{{\"apiVersion\": \"v1\", \"kind\": [}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: last}}\n"
    );
    let l = load_str("b.yaml", &text);
    assert_eq!(names(&l), [("j", 1), ("last", 9)]);
    let errs = errors(&l);
    assert_eq!(errs.len(), 2, "{:?}", l.diagnostics);
    assert_eq!(errs[0].line, 3, "{:?}", errs[0]);
    assert!(errs[1].line >= 7, "{:?}", errs[1]);
}

#[test]
fn a_document_with_invalid_utf8_is_an_error_at_its_byte_and_the_others_load() {
    let bytes = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata:\n  a: b\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad}\ndata: {a: \"\xc3\xa9\xff\"}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {hostPID: true, containers: [{name: c, image: x}]}\n";
    let l = read_and_load("u.yaml", bytes).expect("readable");
    assert_eq!(names(&l), [("cm", 1), ("p", 11)]);
    let errs = errors(&l);
    assert_eq!(errs.len(), 1, "{:?}", l.diagnostics);
    // Column in characters: `é` is one.
    assert_eq!((errs[0].line, errs[0].column), (10, 13), "{:?}", errs[0]);
    assert!(errs[0].message.contains("UTF-8"), "{}", errs[0].message);
    // The strict reader still refuses the whole file, at the same byte.
    let dir = std::env::temp_dir().join(format!("kc-streams-strict-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let p = dir.join("u.yaml");
    std::fs::write(&p, bytes).expect("write");
    let e = files::read(&files::Input::File(p), &Limits::default()).expect_err("strict");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!((e.line, e.column), (10, 13));
}

#[test]
fn a_nul_byte_is_an_error_for_its_document_only() {
    let bytes = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b\x00}\n--- \xff\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n";
    let l = read_and_load("n.yaml", bytes).expect("readable");
    assert_eq!(names(&l), [("a", 1), ("c", 9)]);
    let errs: Vec<(u32, u32)> = errors(&l).iter().map(|d| (d.line, d.column)).collect();
    assert_eq!(errs, [(7, 19), (8, 5)], "{:?}", l.diagnostics);
    assert!(errors(&l)[0].message.contains("NUL"));
}

#[test]
fn a_bad_line_of_json_per_line_is_an_error_for_that_line_only() {
    let mut bytes = Vec::new();
    let mut column = 0;
    for i in 0..5 {
        let line =
            format!(r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"c{i}"}}"#);
        bytes.extend_from_slice(line.as_bytes());
        if i == 2 {
            let data = br#","data":{"k":""#;
            column = line.len() + data.len() + 1;
            bytes.extend_from_slice(data);
            bytes.extend_from_slice(b"\xfe\"}");
        }
        bytes.extend_from_slice(b"}\n");
    }
    let l = read_and_load("lines.json", &bytes).expect("readable");
    assert_eq!(
        names(&l),
        [("c0", 1), ("c1", 2), ("c3", 4), ("c4", 5)],
        "{:?}",
        l.diagnostics
    );
    let errs = errors(&l);
    assert_eq!(errs.len(), 1, "{:?}", l.diagnostics);
    assert_eq!((errs[0].line, errs[0].column as usize), (3, column));
}

#[test]
fn the_document_before_a_bad_one_keeps_its_value() {
    // A kept trailing line break (`|+`) would take the lines of a document left out if its
    // marker went too.
    let bytes = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  k: |+\n    v\n---\nx: \xff\n\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n";
    let l = read_and_load("keep.yaml", bytes).expect("readable");
    assert_eq!(names(&l), [("a", 1), ("b", 10)]);
    assert_eq!(l.objects[0].value["data"]["k"], "v\n");
}

#[test]
fn a_file_with_no_readable_document_is_one_error() {
    for (bytes, at) in [
        (&b"\x00\x01\x02binary"[..], (1, 1)),
        (&b"# comment\n\xff\xfe\n---\n\x00\n"[..], (2, 1)),
    ] {
        let e = read_and_load("bin.yaml", bytes).expect_err("binary");
        assert_eq!((e.line, e.column), at, "{e:?}");
    }
}

/// A document of `levels` levels of ten aliases each ("billion laughs"), and how many nodes
/// its aliases copy.
fn bomb(name: &str, levels: usize) -> (String, usize) {
    let mut text = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\ndata:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    );
    let mut nodes = 11; // of a0
    let mut copied = 0;
    for i in 1..=levels {
        let p = i - 1;
        text.push_str(&format!(
            "  a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
        copied += 10 * nodes;
        nodes = 1 + 10 * nodes;
    }
    (text, copied)
}

#[test]
fn the_alias_budget_covers_every_document_of_a_load() {
    // 300 documents each well under the limit: a budget per document let the whole file
    // through (and 300 documents of ~760k nodes took more memory than a machine has).
    let (one, copied) = bomb("bomb", 4);
    assert_eq!(copied, 123_440);
    let plain = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\n";
    let mut text = String::new();
    for i in 0..300 {
        if i > 0 {
            text.push_str("---\n");
        }
        text.push_str(if i % 3 == 2 { plain } else { &one });
    }
    let limits = Limits::default();
    let budget = AliasBudget::of(&limits);
    let l = load_in_budget(
        files::from_string("bombs.yaml", text.clone()),
        &limits,
        &budget,
        false,
    );
    // Memory stays bounded: aliases copied no more than the budget, in all.
    assert!(budget.used() <= limits.max_alias_nodes, "{}", budget.used());
    let expanded = limits.max_alias_nodes / copied;
    let bombs = l.objects.iter().filter(|o| o.name == "bomb").count();
    assert_eq!(bombs, expanded);
    // Every document without aliases still loads.
    assert_eq!(l.objects.iter().filter(|o| o.name == "plain").count(), 100);
    // Each refused document is an error at its first alias past the budget.
    let errs = errors(&l);
    assert_eq!(errs.len(), 200 - expanded, "{:?}", l.diagnostics);
    for e in &errs {
        assert!(
            e.message.contains("alias bomb") && e.message.contains("--max-alias-nodes"),
            "{}",
            e.message
        );
        let line = text.lines().nth(e.line as usize - 1).unwrap_or_default();
        assert!(
            line.starts_with("  a") && line.contains("[*a"),
            "{e:?}: {line}"
        );
        assert_eq!(
            line.as_bytes().get(e.column as usize - 1),
            Some(&b'*'),
            "{e:?}"
        );
    }
    // The budget is the run's: another input loaded with it gets no more.
    let (small, _) = bomb("small", 1);
    let l = load_in_budget(
        files::from_string("small.yaml", small.clone()),
        &limits,
        &budget,
        true,
    );
    assert!(
        l.objects.is_empty() && errors(&l).len() == 1,
        "{:?}",
        l.diagnostics
    );
    // With a budget of its own, the same input loads.
    assert_eq!(load_str("small.yaml", &small).objects.len(), 1);
}

#[test]
fn the_alias_budget_is_the_limit() {
    let (text, copied) = bomb("b", 3);
    for (limit, loads) in [(copied, true), (copied - 1, false), (0, false)] {
        let limits = Limits {
            max_alias_nodes: limit,
            ..Limits::default()
        };
        let l = load(files::from_string("b.yaml", text.clone()), &limits);
        assert_eq!(l.objects.len() == 1, loads, "{limit}: {:?}", l.diagnostics);
    }
}

/// Bytes scanned to number lines while loading `text`.
fn line_work(name: &str, text: &str) -> u64 {
    let before = work::line_bytes_scanned();
    let l = load_str(name, text);
    assert!(!l.objects.is_empty(), "{name}");
    work::line_bytes_scanned() - before
}

/// A stream of `n` documents of the given kind.
fn stream(kind: &str, n: usize) -> String {
    let json = |i: usize| {
        format!(
            "{{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{{\"name\":\"c{i}\"}}}}\n"
        )
    };
    (0..n)
        .map(|i| match kind {
            "lines.json" => json(i),
            "markers.yaml" => json(i) + "---\n",
            "broken.json" if i % 2 == 1 => "{oops\n".to_string(),
            "broken.json" => json(i),
            _ => format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n---\n"),
        })
        .collect()
}

#[test]
fn numbering_lines_is_linear() {
    // JSON per line took 18 s for 100,000 lines: each document's line was counted from the
    // start. Counting work (not time): twice the lines must cost about twice the scanning.
    for name in ["lines.json", "markers.yaml", "broken.json", "yaml.yaml"] {
        let small = stream(name, 2_000);
        let large = stream(name, 4_000);
        let (ws, wl) = (line_work(name, &small), line_work(name, &large));
        assert!(
            wl <= 2 * ws + ws / 10,
            "{name}: {ws} bytes scanned for 2,000 documents, {wl} for 4,000"
        );
        assert!(
            wl <= 4 * large.len() as u64,
            "{name}: {wl} bytes scanned for {}",
            large.len()
        );
    }
}
