//! The one YAML emitter of every YAML output (policy reports, generated NetworkPolicies).
//!
//! Block style throughout; every string is a double-quoted JSON string, which YAML reads back
//! unchanged, so no implicit typing applies (`"no"` stays a string, `"0644"` stays a string:
//! the "Norway problem" cannot happen). Keys stay plain when they are identifier-like words
//! that no YAML 1.1 reader takes for a boolean or null, and are quoted otherwise. Empty
//! mappings and sequences are written in flow style (`{}`, `[]`).

use std::fmt::Write as _;

use serde_json::Value;

/// A YAML stream: each value a document after a `---` line.
pub fn stream<'a>(docs: impl IntoIterator<Item = &'a Value>) -> String {
    let mut s = String::new();
    for d in docs {
        s.push_str("---\n");
        write(d, 0, &mut s);
    }
    s
}

/// Writes `v` as block-style YAML indented by `indent` spaces.
pub fn write(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, val) in m {
                let _ = write!(out, "{pad}{}:", key(k));
                if is_block(val) {
                    out.push('\n');
                    write(val, indent + 2, out);
                } else {
                    let _ = writeln!(out, " {}", scalar(val));
                }
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for item in a {
                match item {
                    Value::Object(m) if !m.is_empty() => {
                        let mut inner = String::new();
                        write(item, indent + 2, &mut inner);
                        // The item's first key goes on the dash line.
                        let _ = write!(out, "{pad}- {}", &inner[indent + 2..]);
                    }
                    Value::Array(x) if !x.is_empty() => {
                        let _ = writeln!(out, "{pad}-");
                        write(item, indent + 2, out);
                    }
                    _ => {
                        let _ = writeln!(out, "{pad}- {}", scalar(item));
                    }
                }
            }
        }
        _ => {
            let _ = writeln!(out, "{pad}{}", scalar(v));
        }
    }
}

/// Whether `v` is written as an indented block under its key or dash.
fn is_block(v: &Value) -> bool {
    match v {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Object(_) => "{}".to_string(),
        Value::Array(_) => "[]".to_string(),
        _ => v.to_string(),
    }
}

/// A mapping key: plain when it is a safe identifier-like word, else double-quoted.
fn key(k: &str) -> String {
    let plain = k.starts_with(|c: char| c.is_ascii_alphabetic())
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '-' | '_'))
        && !matches!(
            k.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
        );
    if plain {
        k.to_string()
    } else {
        Value::String(k.to_string()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn block_style_with_quoted_strings() {
        let v = json!({"a": {"b": [1, {"c": "no", "d": []}, [true]], "e": {}}, "on": null});
        let mut s = String::new();
        write(&v, 0, &mut s);
        assert_eq!(
            s,
            "a:\n  b:\n    - 1\n    - c: \"no\"\n      d: []\n    -\n      - true\n  e: {}\n\"on\": null\n"
        );
    }

    #[test]
    fn a_stream_round_trips_through_the_loader() {
        let docs = vec![
            json!({
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": "allow", "namespace": "shop", "labels": {"yes": "0644", "a b": "on"}},
                "spec": {
                    "podSelector": {},
                    "policyTypes": ["Ingress", "Egress"],
                    "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}], "ports": [{"port": 8443, "protocol": "TCP"}]}],
                    "nested": [[1, 2.5], [], [{"k": null}]],
                    "text": "line one\nline \"two\"\t",
                    "negative": -3,
                    "flag": false,
                },
            }),
            json!({"kind": "Second", "items": []}),
            json!("a scalar document"),
        ];
        let text = stream(&docs);
        // Read back as kubectl would (YAML 1.1 scalars), by the loader every input goes through.
        let back: Vec<Value> = kubecomply_loader::parse_documents(&text)
            .unwrap_or_else(|e| panic!("{e}\n{text}"))
            .iter()
            .map(|d| serde_json::to_value(d).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        assert_eq!(back, docs, "{text}");
    }
}
