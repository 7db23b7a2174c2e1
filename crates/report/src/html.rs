//! HTML escaping shared by every HTML writer and its templates.
//!
//! The templates under `crates/report/templates/` are rendered by askama with [`Escaper`]
//! (configured for `.html` in `askama.toml`), so every `{{ value }}` is escaped unless a
//! template marks it `|safe`. The entities are the named ones our reports always wrote
//! (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&#39;`), not askama's numeric ones, so reports stay
//! byte for byte what they were and diffs of archived reports stay readable. NUL, controls and
//! bidirectional controls are written as visible escapes (`\u{1b}`, see
//! [`kubecomply_core::text`]); line feeds and tabs are kept.

use std::fmt;

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // Writing into a String cannot fail.
    let _ = write_escaped(&mut out, s);
    out
}

fn write_escaped<W: fmt::Write>(mut dest: W, s: &str) -> fmt::Result {
    // NUL, other controls and bidirectional controls first become visible escapes (line feeds
    // and tabs, inert in HTML, are kept): see kubecomply_core::text.
    let s = kubecomply_core::text::escape_text(s);
    let s: &str = &s;
    let mut last = 0;
    for (i, b) in s.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        dest.write_str(&s[last..i])?;
        dest.write_str(entity)?;
        last = i + 1;
    }
    dest.write_str(&s[last..])
}

/// The askama escaper of our HTML templates (see the module documentation).
#[derive(Clone, Copy, Debug, Default)]
pub struct Escaper;

impl askama::filters::Escaper for Escaper {
    fn write_escaped_str<W: fmt::Write>(&self, dest: W, string: &str) -> fmt::Result {
        write_escaped(dest, string)
    }
}

/// Filters our HTML templates use beyond askama's built-in ones.
pub mod filters {
    use askama::filters::Safe;

    /// Escapes text, line breaks as `&#10;`: a multi-line `title` attribute keeps them and
    /// browsers show the tooltip on several lines.
    #[askama::filter_fn]
    pub fn lines(
        s: impl std::fmt::Display,
        _: &dyn askama::Values,
    ) -> askama::Result<Safe<String>> {
        Ok(Safe(super::escape(&s.to_string()).replace('\n', "&#10;")))
    }
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
        assert_eq!(escape("plain é"), "plain é");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn controls_and_nul_never_reach_the_page() {
        assert_eq!(
            escape("a\0b\u{1b}[2J\u{9b}\u{202e}<\n"),
            "a\\0b\\u{1b}[2J\\u{9b}\\u{202e}&lt;\n"
        );
    }
}
