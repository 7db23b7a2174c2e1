//! Rego source forms OPA accepts and regorus 0.14 reads differently, rewritten before a
//! module is given to regorus. Gatekeeper templates of gatekeeper-library use both.
//!
//! * Chained rule bodies, `head { A } { B }` (Rego v0): OPA reads them as two definitions of
//!   the same rule (`head { A }` and `head { B }`), an "or". regorus rejects them for partial
//!   set rules ("else cannot be used with set rules") and evaluates only the first body of a
//!   function, so every chained body gets a copy of its rule's head (`noupdateserviceaccount`).
//! * A body line that starts with `(` after a line that ends a term: OPA only makes a call of
//!   a `(` that touches the reference before it, so `input.parameters.x` then
//!   `(a - b) >= c` on the next line are two expressions; regorus reads the call
//!   `input.parameters.x((a - b))` and fails ("could not find function"). A `;` ends the
//!   first line (`horizontalpodautoscaler`).
//!
//! The rewrites only insert text on one line (the head, its comments dropped and its line
//! breaks turned into spaces; or a `;`), so line numbers of every error stay those of the
//! source.

/// `text` as regorus should read it: chained bodies expanded for Rego v0 (`v0`), and
/// parenthesised expressions that start a body line separated from the line before.
pub(crate) fn for_regorus(text: &str, v0: bool) -> String {
    let expanded = if v0 { expand(text) } else { None };
    let text = expanded.as_deref().unwrap_or(text);
    let text = separate_paren_lines(text).unwrap_or_else(|| text.to_string());
    // Last, on the module as regorus reads it: terms OPA evaluates before a negation.
    crate::negation::hoist(&text, v0).unwrap_or(text)
}

/// The module with every chained body given its rule's head, or `None` when it has none.
fn expand(src: &str) -> Option<String> {
    let bytes = src.as_bytes();
    let mut depth = 0usize;
    // Start of the latest line that begins, at depth 0, a statement (an identifier).
    let mut statement_start: Option<usize> = line_statement(src, 0);
    // The last significant byte seen at depth 0 and what the last depth-0 `}` closed.
    let mut last_significant: Option<u8> = None;
    let mut last_close_was_body = false;
    // Whether the open depth-0 brace is a body (not an object/set literal).
    let mut open_is_body = false;
    let mut head: Option<String> = None;
    let mut insertions: Vec<(usize, String)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'`' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'`' {
                    i += 1;
                }
            }
            b'\n' => {
                if depth == 0
                    && let Some(start) = line_statement(src, i + 1)
                {
                    statement_start = Some(start);
                }
                i += 1;
                continue;
            }
            b'{' if depth == 0 => {
                let literal = matches!(last_significant, Some(b'=')) || is_assign(bytes, i);
                open_is_body = !literal;
                if open_is_body {
                    let chained = last_significant == Some(b'}') && last_close_was_body;
                    if !chained {
                        head = statement_start.map(|s| flatten_head(&src[s..i]));
                    } else if let Some(h) = &head {
                        insertions.push((i, format!("{h} ")));
                    }
                }
                depth += 1;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b'}' if depth == 1 => {
                depth = 0;
                last_close_was_body = open_is_body;
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth == 0 && !c.is_ascii_whitespace() || c == b'{' && depth == 1 {
            last_significant = Some(if c == b'{' { b'{' } else { c });
        }
        i += 1;
    }
    if insertions.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(src.len() + insertions.len() * 32);
    let mut at = 0;
    for (pos, text) in insertions {
        out.push_str(&src[at..pos]);
        out.push_str(&text);
        at = pos;
    }
    out.push_str(&src[at..]);
    Some(out)
}

/// Keywords after which a line may continue with `(`.
const CONTINUING_KEYWORDS: [&str; 11] = [
    "not", "in", "with", "as", "if", "else", "some", "every", "contains", "default", "or",
];

/// Ends every body line whose next line starts with `(` and that itself ends a term with `;`,
/// or `None` when there is no such line.
fn separate_paren_lines(src: &str) -> Option<String> {
    let bytes = src.as_bytes();
    // Open brackets; a `(` line is only a new expression directly inside a brace.
    let mut open: Vec<u8> = Vec::new();
    // Position just after the last significant byte, and that byte.
    let mut last_end = 0usize;
    let mut last: Option<u8> = None;
    let mut at_line_start = false;
    let mut insertions: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\n' {
            at_line_start = true;
            i += 1;
            continue;
        }
        if c == b' ' || c == b'\t' || c == b'\r' {
            i += 1;
            continue;
        }
        if c == b'#' {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c == b'('
            && at_line_start
            && open.last() == Some(&b'{')
            && ends_term(src, last, last_end)
        {
            insertions.push(last_end);
        }
        at_line_start = false;
        match c {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'`' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'`' {
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => open.push(c),
            b')' | b']' | b'}' => {
                open.pop();
            }
            _ => {}
        }
        last = Some(c);
        last_end = (i + 1).min(bytes.len());
        i += 1;
    }
    if insertions.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(src.len() + insertions.len());
    let mut at = 0;
    for pos in insertions {
        out.push_str(&src[at..pos]);
        out.push(';');
        at = pos;
    }
    out.push_str(&src[at..]);
    Some(out)
}

/// Whether the significant text before `end` (last byte `last`) ends a term: an identifier
/// or number that is not a keyword, a closing bracket or a string.
fn ends_term(src: &str, last: Option<u8>, end: usize) -> bool {
    match last {
        Some(b')' | b']' | b'}' | b'"' | b'`') => true,
        Some(c) if c.is_ascii_alphanumeric() || c == b'_' => {
            // The character before the word may be any character, of any UTF-8 length.
            let word_start = src[..end]
                .char_indices()
                .rev()
                .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(0, |(p, c)| p + c.len_utf8());
            !CONTINUING_KEYWORDS.contains(&&src[word_start..end])
        }
        _ => false,
    }
}

/// `:=` just before `i` (ignoring blanks): the brace opens a value.
fn is_assign(bytes: &[u8], i: usize) -> bool {
    let before = bytes[..i].trim_ascii_end();
    before.ends_with(b":=")
}

/// The start of the line beginning at `at` when it starts a statement at column 0 (not a
/// comment, not a closing brace, not `else`).
fn line_statement(src: &str, at: usize) -> Option<usize> {
    let line = src.get(at..)?;
    let first = line.bytes().next()?;
    let starts_identifier = first.is_ascii_alphabetic() || first == b'_';
    let is_else = line.starts_with("else")
        && !line[4..].starts_with(|c: char| c.is_alphanumeric() || c == '_');
    (starts_identifier && !is_else).then_some(at)
}

/// A head on one line: comments dropped, line breaks as spaces.
fn flatten_head(head: &str) -> String {
    head.lines()
        .map(|l| strip_comment(l).trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `l` without a trailing `# comment` (a `#` inside a string is kept).
fn strip_comment(l: &str) -> &str {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in l.char_indices() {
        match c {
            '\\' if in_string && !escaped => {
                escaped = true;
                continue;
            }
            '"' if !escaped => in_string = !in_string,
            '#' if !in_string => return &l[..i],
            _ => {}
        }
        escaped = false;
    }
    l
}

#[cfg(test)]
mod tests {
    use super::{expand, for_regorus};

    #[test]
    fn chained_bodies_get_the_head() {
        let src = "package p\n\nviolation[{\"msg\": m}] {\n  m := \"a\"\n} {\n  m := \"b\"\n}\n";
        assert_eq!(
            expand(src).as_deref(),
            Some(
                "package p\n\nviolation[{\"msg\": m}] {\n  m := \"a\"\n} violation[{\"msg\": m}] {\n  m := \"b\"\n}\n"
            )
        );
    }

    #[test]
    fn function_heads_and_comments() {
        let src = "f(x) = y { # first\n  y := 1\n}\n{\n  y := 2\n}\n";
        assert_eq!(
            expand(src).as_deref(),
            Some("f(x) = y { # first\n  y := 1\n}\nf(x) = y {\n  y := 2\n}\n")
        );
    }

    #[test]
    fn literals_else_and_plain_rules_are_untouched() {
        for src in [
            "package p\np = {\"a\": 1} { true }\nq := {1} { true }\n",
            "p = 1 { false } else = 2 { true }\n",
            "p { true }\nq { true }\n",
            "s := \"} {\"\nt { x := `} {` }\n",
        ] {
            assert_eq!(expand(src), None, "{src}");
        }
    }

    #[test]
    fn a_parenthesised_line_is_a_new_expression() {
        let src = "p(h) {\n    input.x\n    (h.a - h.b) >= 1\n}\n";
        assert_eq!(
            for_regorus(src, true),
            "p(h) {\n    input.x;\n    (h.a - h.b) >= 1\n}\n"
        );
    }

    #[test]
    fn continued_lines_are_untouched() {
        for src in [
            "p {\n    x := f(1,\n    (2))\n}\n",
            "p {\n    x := 1 +\n    (2)\n}\n",
            "p {\n    not\n    (x)\n}\n",
            "p {\n    f(1)\n}\n",
        ] {
            assert_eq!(for_regorus(src, false), src, "{src}");
        }
    }

    /// Found by the `rego_module` fuzz target: a multi-byte character before a word that ends
    /// a line followed by a line starting with `(` made the rewrite slice inside it (a panic).
    #[test]
    fn a_multibyte_character_before_a_word_is_not_split() {
        let src = "{\u{18b}\u{7dd}gent\n   ({";
        let _ = for_regorus(src, true);
        let _ = for_regorus(src, false);
        let text = "package p\n\nx {\n  input.\u{e9}ta\n  (1 + 2) > 1\n}\n";
        assert!(
            for_regorus(text, true).contains(';'),
            "{}",
            for_regorus(text, true)
        );
    }
}
