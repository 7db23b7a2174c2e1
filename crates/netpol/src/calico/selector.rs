//! Calico's selector language (`projectcalico.org/v3` `selector`, `namespaceSelector`,
//! `serviceAccountSelector`, rule `selector` / `notSelector`).
//!
//! Grammar, lowest precedence first: `a || b`, `a && b`, `!a`, then an atom: `( expr )`,
//! `all()`, `global()`, `has(key)`, `key == 'v'`, `key != 'v'`, `key in {'a', 'b'}`,
//! `key not in {...}`, `key contains 's'`, `key starts with 's'`, `key ends with 's'`. Strings
//! take single or double quotes (no escapes). `!=` and `not in` hold when the label is absent;
//! `contains`, `starts with` and `ends with` need the label. An empty selector means `all()`.

use std::collections::BTreeMap;

/// Longest selector text accepted (Calico has no limit; a bound keeps hostile input cheap).
pub const MAX_LEN: usize = 64 * 1024;
/// Deepest nesting of `(`, `!` accepted.
pub const MAX_DEPTH: usize = 64;

/// A parse error at a character column (1-based) of the selector text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectorError {
    /// 1-based character column in the selector text.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for SelectorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for SelectorError {}

/// A parsed Calico selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// `all()` (and the empty selector).
    All,
    /// `global()`: non-namespaced resources; never a pod.
    Global,
    /// `has(k)`.
    Has(String),
    /// `k == v`.
    Eq(String, String),
    /// `k != v` (true when absent).
    Ne(String, String),
    /// `k in {..}`.
    In(String, Vec<String>),
    /// `k not in {..}` (true when absent).
    NotIn(String, Vec<String>),
    /// `k contains s`.
    Contains(String, String),
    /// `k starts with s`.
    StartsWith(String, String),
    /// `k ends with s`.
    EndsWith(String, String),
    /// `!a`.
    Not(Box<Selector>),
    /// `a && b && ...`.
    And(Vec<Selector>),
    /// `a || b || ...`.
    Or(Vec<Selector>),
}

impl Selector {
    /// Adds the label keys the selector looks at to `out`.
    pub(crate) fn keys<'a>(&'a self, out: &mut std::collections::BTreeSet<&'a str>) {
        match self {
            Selector::All | Selector::Global => {}
            Selector::Has(k)
            | Selector::Eq(k, _)
            | Selector::Ne(k, _)
            | Selector::In(k, _)
            | Selector::NotIn(k, _)
            | Selector::Contains(k, _)
            | Selector::StartsWith(k, _)
            | Selector::EndsWith(k, _) => {
                out.insert(k);
            }
            Selector::Not(a) => a.keys(out),
            Selector::And(xs) | Selector::Or(xs) => xs.iter().for_each(|x| x.keys(out)),
        }
    }

    /// Parses selector text.
    pub fn parse(text: &str) -> Result<Selector, SelectorError> {
        if text.len() > MAX_LEN {
            return Err(SelectorError {
                column: 1,
                message: format!("selector longer than {MAX_LEN} bytes"),
            });
        }
        let chars: Vec<char> = text.chars().collect();
        let mut p = Parser {
            chars: &chars,
            at: 0,
            depth: 0,
        };
        p.skip_ws();
        if p.at == chars.len() {
            return Ok(Selector::All);
        }
        let s = p.or()?;
        p.skip_ws();
        if p.at < chars.len() {
            return Err(
                p.error("unexpected text after the selector; expected `&&`, `||` or the end")
            );
        }
        Ok(s)
    }

    /// Whether a label set matches. `global` tells whether the labelled resource is
    /// non-namespaced (pods never are).
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Selector::All => true,
            Selector::Global => false,
            Selector::Has(k) => labels.contains_key(k),
            Selector::Eq(k, v) => labels.get(k) == Some(v),
            Selector::Ne(k, v) => labels.get(k) != Some(v),
            Selector::In(k, vs) => labels.get(k).is_some_and(|x| vs.contains(x)),
            Selector::NotIn(k, vs) => labels.get(k).is_none_or(|x| !vs.contains(x)),
            Selector::Contains(k, s) => labels.get(k).is_some_and(|x| x.contains(s.as_str())),
            Selector::StartsWith(k, s) => labels.get(k).is_some_and(|x| x.starts_with(s.as_str())),
            Selector::EndsWith(k, s) => labels.get(k).is_some_and(|x| x.ends_with(s.as_str())),
            Selector::Not(a) => !a.matches(labels),
            Selector::And(xs) => xs.iter().all(|x| x.matches(labels)),
            Selector::Or(xs) => xs.iter().any(|x| x.matches(labels)),
        }
    }
}

struct Parser<'a> {
    chars: &'a [char],
    at: usize,
    depth: usize,
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-')
}

impl Parser<'_> {
    fn error(&self, message: &str) -> SelectorError {
        SelectorError {
            column: self.at + 1,
            message: message.to_string(),
        }
    }

    fn skip_ws(&mut self) {
        while self.chars.get(self.at).is_some_and(|c| c.is_whitespace()) {
            self.at += 1;
        }
    }

    fn peek_str(&self, s: &str) -> bool {
        (self.at..)
            .zip(s.chars())
            .all(|(i, c)| self.chars.get(i) == Some(&c))
    }

    /// Consumes `s` after whitespace; a word must not run on into a key character.
    fn eat(&mut self, s: &str) -> bool {
        self.skip_ws();
        if !self.peek_str(s) {
            return false;
        }
        let end = self.at + s.chars().count();
        let wordy = s.chars().last().is_some_and(|c| c.is_ascii_alphabetic());
        if wordy && self.chars.get(end).is_some_and(|&c| is_key_char(c)) {
            return false;
        }
        self.at = end;
        true
    }

    fn expect(&mut self, s: &str) -> Result<(), SelectorError> {
        if self.eat(s) {
            Ok(())
        } else {
            Err(self.error(&format!("expected `{s}`")))
        }
    }

    fn enter(&mut self) -> Result<(), SelectorError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(&format!("nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Selector, SelectorError> {
        let mut xs = vec![self.and()?];
        while self.eat("||") {
            xs.push(self.and()?);
        }
        Ok(if xs.len() == 1 {
            xs.remove(0)
        } else {
            Selector::Or(xs)
        })
    }

    fn and(&mut self) -> Result<Selector, SelectorError> {
        let mut xs = vec![self.unary()?];
        while self.eat("&&") {
            xs.push(self.unary()?);
        }
        Ok(if xs.len() == 1 {
            xs.remove(0)
        } else {
            Selector::And(xs)
        })
    }

    fn unary(&mut self) -> Result<Selector, SelectorError> {
        self.skip_ws();
        if self.peek_str("!") && !self.peek_str("!=") {
            self.at += 1;
            self.enter()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Selector::Not(Box::new(inner)));
        }
        if self.eat("(") {
            self.enter()?;
            let inner = self.or()?;
            self.expect(")")?;
            self.depth -= 1;
            return Ok(inner);
        }
        self.atom()
    }

    fn key(&mut self) -> Result<String, SelectorError> {
        self.skip_ws();
        let start = self.at;
        while self.chars.get(self.at).is_some_and(|&c| is_key_char(c)) {
            self.at += 1;
        }
        if start == self.at {
            return Err(self.error("expected a label key, `(`, `!`, `all()`, `global()` or `has(`"));
        }
        Ok(self.chars[start..self.at].iter().collect())
    }

    fn string(&mut self) -> Result<String, SelectorError> {
        self.skip_ws();
        let Some(&q) = self.chars.get(self.at).filter(|c| matches!(c, '"' | '\'')) else {
            return Err(self.error("expected a quoted string"));
        };
        let start = self.at;
        self.at += 1;
        let from = self.at;
        while let Some(&c) = self.chars.get(self.at) {
            if c == q {
                let s = self.chars[from..self.at].iter().collect();
                self.at += 1;
                return Ok(s);
            }
            self.at += 1;
        }
        self.at = start;
        Err(self.error("unterminated string"))
    }

    fn set(&mut self) -> Result<Vec<String>, SelectorError> {
        self.expect("{")?;
        let mut out = Vec::new();
        if self.eat("}") {
            return Ok(out);
        }
        loop {
            out.push(self.string()?);
            if self.eat("}") {
                return Ok(out);
            }
            self.expect(",")?;
        }
    }

    fn atom(&mut self) -> Result<Selector, SelectorError> {
        self.skip_ws();
        let save = self.at;
        for (word, sel) in [("all", Selector::All), ("global", Selector::Global)] {
            if self.eat(word) {
                if self.eat("(") {
                    self.expect(")")?;
                    return Ok(sel);
                }
                self.at = save;
            }
        }
        if self.eat("has") {
            if self.eat("(") {
                let k = self.key()?;
                self.expect(")")?;
                return Ok(Selector::Has(k));
            }
            self.at = save;
        }
        let k = self.key()?;
        if self.eat("==") {
            return Ok(Selector::Eq(k, self.string()?));
        }
        if self.eat("!=") {
            return Ok(Selector::Ne(k, self.string()?));
        }
        if self.eat("in") {
            return Ok(Selector::In(k, self.set()?));
        }
        if self.eat("not") {
            self.expect("in")?;
            return Ok(Selector::NotIn(k, self.set()?));
        }
        if self.eat("contains") {
            return Ok(Selector::Contains(k, self.string()?));
        }
        if self.eat("starts") {
            self.expect("with")?;
            return Ok(Selector::StartsWith(k, self.string()?));
        }
        if self.eat("ends") {
            self.expect("with")?;
            return Ok(Selector::EndsWith(k, self.string()?));
        }
        self.skip_ws();
        Err(self.error(&format!(
            "expected an operator after `{k}`: ==, !=, in, not in, contains, starts with, ends with"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn m(sel: &str, pairs: &[(&str, &str)]) -> bool {
        Selector::parse(sel)
            .unwrap_or_else(|e| panic!("{sel}: {e}"))
            .matches(&labels(pairs))
    }

    #[test]
    fn operators() {
        assert!(m("", &[]));
        assert!(m("all()", &[]));
        assert!(!m("global()", &[]));
        assert!(m("a == 'x'", &[("a", "x")]));
        assert!(m("a == \"x\"", &[("a", "x")]));
        assert!(!m("a == 'x'", &[]));
        assert!(m("a != 'x'", &[]));
        assert!(!m("a != 'x'", &[("a", "x")]));
        assert!(m("a in {'x', 'y'}", &[("a", "y")]));
        assert!(!m("a in {}", &[("a", "y")]));
        assert!(m("a not in {'x'}", &[]));
        assert!(!m("a not in {'x'}", &[("a", "x")]));
        assert!(m("has(a)", &[("a", "")]));
        assert!(m("!has(a)", &[]));
        assert!(m("a contains 'ell'", &[("a", "hello")]));
        assert!(!m("a contains 'ell'", &[]));
        assert!(m("a starts with 'he'", &[("a", "hello")]));
        assert!(m("a ends with 'lo'", &[("a", "hello")]));
        assert!(m(
            "example.com/tier == 'web'",
            &[("example.com/tier", "web")]
        ));
    }

    #[test]
    fn precedence() {
        // && binds tighter than ||; ! tighter than &&.
        assert!(m("a == '1' || b == '1' && c == '1'", &[("a", "1")]));
        assert!(!m("(a == '1' || b == '1') && c == '1'", &[("a", "1")]));
        assert!(m("!a == '1' && b == '1'", &[("b", "1")]));
        assert!(m("!!has(a)", &[("a", "1")]));
        assert!(m("has(in) && in == 'x'", &[("in", "x")]));
        assert!(m("hasx == 'y'", &[("hasx", "y")]));
    }

    #[test]
    fn errors_have_columns() {
        let e = Selector::parse("a == 'x' &&").unwrap_err();
        assert_eq!(e.column, 12);
        let e = Selector::parse("a = 'x'").unwrap_err();
        assert_eq!(e.column, 3, "{e}");
        let e = Selector::parse("a == 'x").unwrap_err();
        assert_eq!(e.column, 6);
        assert!(e.message.contains("unterminated"));
        let e = Selector::parse("(a == 'x'").unwrap_err();
        assert!(e.message.contains("`)`"), "{e}");
        let e = Selector::parse("a == 'x' b").unwrap_err();
        assert_eq!(e.column, 10);
        assert!(Selector::parse("all(").is_err());
        assert!(Selector::parse("a in {'x',}").is_err());
        assert!(Selector::parse("a not 'x'").is_err());
    }
}
