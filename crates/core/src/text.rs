//! Text for people: the one escaping function every human-readable writer uses.
//!
//! Object names, file names, messages and policy titles come from the scanned repository, its
//! policies and evidence bundles, all of which may be hostile. Printed raw, a terminal escape
//! (`ESC ]0;...BEL` retitles the window, `ESC [2J` clears the screen, U+009B is a one-byte
//! CSI), a carriage return or backspace (overwrites what was printed), a newline (forges a
//! line such as `Summary: 0 failed`) or a bidirectional override (U+202E shows text in
//! another order than it is, "Trojan Source") makes the output say something else than it
//! does. [`escape`] makes each such character visible instead:
//!
//! | character | written as |
//! |---|---|
//! | NUL, tab, line feed, carriage return | `\0`, `\t`, `\n`, `\r` |
//! | other C0 controls (U+0001-U+001F), DEL (U+007F) | `\u{1b}`, `\u{7f}`, ... |
//! | C1 controls (U+0080-U+009F, U+009B among them) | `\u{9b}`, ... |
//! | bidirectional controls: U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069 | `\u{202e}`, ... |
//! | line and paragraph separators U+2028, U+2029 | `\u{2028}`, `\u{2029}` |
//!
//! (lower-case hexadecimal, as Rust writes them). Everything else, backslashes included, is
//! written as it is: text that already reads `\u{1b}` is not told apart from an escaped ESC,
//! which is harmless (it is inert either way); the JSON outputs carry the exact text.
//!
//! [`escape_text`] keeps line feeds and tabs, for writers whose own syntax makes a line
//! feed inert (HTML, XML) or that show multi-line text that is not a table cell.

use std::borrow::Cow;
use std::fmt;

/// Whether `c` is written escaped: a control, a bidirectional control or a line separator.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{061c}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}')
}

fn escape_with(s: &str, keep: fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(|c| is_unsafe(c) && !keep(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !is_unsafe(c) || keep(c) {
            out.push(c);
            continue;
        }
        match c {
            '\0' => out.push_str("\\0"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => {
                use fmt::Write as _;
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// `s` with every control, bidirectional control and line separator written as a visible
/// escape (see the module documentation): one line, shown as it is stored.
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_with(s, |_| false)
}

/// [`escape`], keeping line feeds and tabs: for text whose line breaks are its own (a rule's
/// documentation, a multi-line message) in a writer where a line break cannot forge anything
/// (HTML, XML attributes written as `&#10;`).
pub fn escape_text(s: &str) -> Cow<'_, str> {
    escape_with(s, |c| c == '\n' || c == '\t')
}

/// A value whose `Display` output is [`escape`]d: `format!("{}", esc(&name))`.
pub struct Escaped<T>(pub T);

/// Wraps a value so that it displays escaped (see [`escape`]).
pub fn esc<T: fmt::Display>(value: T) -> Escaped<T> {
    Escaped(value)
}

impl<T: fmt::Display> fmt::Display for Escaped<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Adapter<'a, 'b>(&'a mut fmt::Formatter<'b>);
        impl fmt::Write for Adapter<'_, '_> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                self.0.write_str(&escape(s))
            }
        }
        if f.width().is_some() || f.precision().is_some() {
            // Padding counts the escaped text, as the reader sees it.
            let text = escape(&self.0.to_string()).into_owned();
            return f.pad(&text);
        }
        fmt::write(&mut Adapter(f), format_args!("{}", self.0))
    }
}

/// Appends `line`, escaped, and a line feed: every line of a table goes through here, so
/// nothing in it can end the line early or rewrite the terminal.
pub fn push_line(out: &mut String, line: impl fmt::Display) {
    use fmt::Write as _;
    // Writing to a String cannot fail.
    let _ = writeln!(out, "{}", esc(line));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_characters_are_visible() {
        let hostile = "a\u{1b}]0;pwned\u{7}b\u{1b}[2J\r\u{8}\nSummary: 0 failed\u{9b}31m\u{202e}x\0\t\u{7f}\u{85}\u{61c}\u{200f}\u{2029}\u{2066}";
        assert_eq!(
            escape(hostile),
            "a\\u{1b}]0;pwned\\u{7}b\\u{1b}[2J\\r\\u{8}\\nSummary: 0 failed\\u{9b}31m\\u{202e}x\\0\\t\\u{7f}\\u{85}\\u{61c}\\u{200f}\\u{2029}\\u{2066}"
        );
        assert!(!escape(hostile).chars().any(is_unsafe));
    }

    #[test]
    fn ordinary_text_is_borrowed() {
        for s in ["", "Deployment/shop/web", "é ü 日本 \\ C:\\x", "a\u{200b}b"] {
            assert!(matches!(escape(s), Cow::Borrowed(_)), "{s}");
        }
    }

    #[test]
    fn escape_text_keeps_line_breaks_and_tabs() {
        assert_eq!(escape_text("a\n\tb\r\u{1b}"), "a\n\tb\\r\\u{1b}");
    }

    #[test]
    fn display_wrapper_escapes_and_pads() {
        assert_eq!(format!("[{}]", esc("x\ny")), "[x\\ny]");
        assert_eq!(format!("[{:<6}]", esc("x\ny")), "[x\\ny  ]");
        assert_eq!(format!("[{:>4}]", esc(12)), "[  12]");
        let mut s = String::new();
        push_line(&mut s, format_args!("{} {}", "a\rb", 1));
        assert_eq!(s, "a\\rb 1\n");
    }
}
