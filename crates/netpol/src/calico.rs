//! Calico's label selector expressions (`app == 'web' && has(tier)`), as Calico resources
//! such as `GlobalReport` use them, with Calico's matching rules: `!=` and `not in` also match
//! when the label is absent; `==`, `in`, `contains`, `starts with` and `ends with` need it.

use std::collections::BTreeMap;

/// A parsed Calico selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CalicoSelector {
    /// `all()` (and `global()`, which matches every labelled thing the same way).
    All,
    /// `has(k)`.
    Has(String),
    /// `k == 'v'`.
    Eq(String, String),
    /// `k != 'v'`.
    Ne(String, String),
    /// `k in {'a', 'b'}`.
    In(String, Vec<String>),
    /// `k not in {'a', 'b'}`.
    NotIn(String, Vec<String>),
    /// `k contains 'v'`.
    Contains(String, String),
    /// `k starts with 'v'`.
    StartsWith(String, String),
    /// `k ends with 'v'`.
    EndsWith(String, String),
    /// `!e`.
    Not(Box<CalicoSelector>),
    /// `a && b && ...`.
    And(Vec<CalicoSelector>),
    /// `a || b || ...`.
    Or(Vec<CalicoSelector>),
}

/// Nesting deeper than this is refused (hostile input must not overflow the stack).
const MAX_DEPTH: usize = 64;

impl CalicoSelector {
    /// Parses a selector; an empty string selects everything, as in Calico. The error names
    /// the byte offset (0-based) where parsing stopped.
    pub fn parse(s: &str) -> Result<CalicoSelector, String> {
        if s.trim().is_empty() {
            return Ok(CalicoSelector::All);
        }
        let mut p = Parser { s, i: 0, depth: 0 };
        let e = p.or()?;
        p.ws();
        if p.i < s.len() {
            return Err(p.err("unexpected text"));
        }
        Ok(e)
    }

    /// Whether the labels match.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let get = |k: &str| labels.get(k).map(String::as_str);
        match self {
            CalicoSelector::All => true,
            CalicoSelector::Has(k) => get(k).is_some(),
            CalicoSelector::Eq(k, v) => get(k) == Some(v.as_str()),
            CalicoSelector::Ne(k, v) => get(k) != Some(v.as_str()),
            CalicoSelector::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            CalicoSelector::NotIn(k, vs) => get(k).is_none_or(|x| !vs.iter().any(|v| v == x)),
            CalicoSelector::Contains(k, v) => get(k).is_some_and(|x| x.contains(v.as_str())),
            CalicoSelector::StartsWith(k, v) => get(k).is_some_and(|x| x.starts_with(v.as_str())),
            CalicoSelector::EndsWith(k, v) => get(k).is_some_and(|x| x.ends_with(v.as_str())),
            CalicoSelector::Not(e) => !e.matches(labels),
            CalicoSelector::And(es) => es.iter().all(|e| e.matches(labels)),
            CalicoSelector::Or(es) => es.iter().any(|e| e.matches(labels)),
        }
    }
}

struct Parser<'a> {
    s: &'a str,
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn err(&self, what: &str) -> String {
        format!("{what} at offset {} of selector {:?}", self.i, self.s)
    }

    fn rest(&self) -> &str {
        &self.s[self.i..]
    }

    fn ws(&mut self) {
        let t = self.rest().trim_start();
        self.i = self.s.len() - t.len();
    }

    fn eat(&mut self, tok: &str) -> bool {
        self.ws();
        if self.rest().starts_with(tok) {
            self.i += tok.len();
            true
        } else {
            false
        }
    }

    /// A keyword operator (`in`, `contains`...) not followed by a label character.
    fn eat_word(&mut self, word: &str) -> bool {
        self.ws();
        let r = self.rest();
        if r.starts_with(word) && !r[word.len()..].starts_with(is_label_char) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<CalicoSelector, String> {
        let mut es = vec![self.and()?];
        while self.eat("||") {
            es.push(self.and()?);
        }
        Ok(if es.len() == 1 {
            es.remove(0)
        } else {
            CalicoSelector::Or(es)
        })
    }

    fn and(&mut self) -> Result<CalicoSelector, String> {
        let mut es = vec![self.unary()?];
        while self.eat("&&") {
            es.push(self.unary()?);
        }
        Ok(if es.len() == 1 {
            es.remove(0)
        } else {
            CalicoSelector::And(es)
        })
    }

    fn unary(&mut self) -> Result<CalicoSelector, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        let r = self.unary_inner();
        self.depth -= 1;
        r
    }

    fn unary_inner(&mut self) -> Result<CalicoSelector, String> {
        self.ws();
        if self.rest().starts_with("!=") {
            return Err(self.err("expected an expression"));
        }
        if self.eat("!") {
            return Ok(CalicoSelector::Not(Box::new(self.unary()?)));
        }
        if self.eat("(") {
            let e = self.or()?;
            if !self.eat(")") {
                return Err(self.err("expected `)`"));
            }
            return Ok(e);
        }
        for f in ["all", "global"] {
            let save = self.i;
            if self.eat_word(f) && self.eat("(") && self.eat(")") {
                return Ok(CalicoSelector::All);
            }
            self.i = save;
        }
        let save = self.i;
        if self.eat_word("has") && self.eat("(") {
            let k = self.label()?;
            if !self.eat(")") {
                return Err(self.err("expected `)`"));
            }
            return Ok(CalicoSelector::Has(k));
        }
        self.i = save;
        let k = self.label()?;
        if self.eat("==") {
            return Ok(CalicoSelector::Eq(k, self.string()?));
        }
        if self.eat("!=") {
            return Ok(CalicoSelector::Ne(k, self.string()?));
        }
        if self.eat_word("contains") {
            return Ok(CalicoSelector::Contains(k, self.string()?));
        }
        if self.eat_word("starts") {
            if !self.eat_word("with") {
                return Err(self.err("expected `with`"));
            }
            return Ok(CalicoSelector::StartsWith(k, self.string()?));
        }
        if self.eat_word("ends") {
            if !self.eat_word("with") {
                return Err(self.err("expected `with`"));
            }
            return Ok(CalicoSelector::EndsWith(k, self.string()?));
        }
        if self.eat_word("in") {
            return Ok(CalicoSelector::In(k, self.set()?));
        }
        if self.eat_word("not") {
            if !self.eat_word("in") {
                return Err(self.err("expected `in`"));
            }
            return Ok(CalicoSelector::NotIn(k, self.set()?));
        }
        Err(self.err("expected an operator (==, !=, in, not in, contains, starts with, ends with)"))
    }

    fn label(&mut self) -> Result<String, String> {
        self.ws();
        let n = self
            .rest()
            .find(|c: char| !is_label_char(c))
            .unwrap_or(self.rest().len());
        if n == 0 {
            return Err(self.err("expected a label name"));
        }
        let k = self.rest()[..n].to_string();
        self.i += n;
        Ok(k)
    }

    fn string(&mut self) -> Result<String, String> {
        self.ws();
        let q = match self.rest().chars().next() {
            Some(c @ ('"' | '\'')) => c,
            _ => return Err(self.err("expected a quoted string")),
        };
        let body = &self.rest()[1..];
        let Some(end) = body.find(q) else {
            return Err(self.err("unterminated string"));
        };
        let v = body[..end].to_string();
        self.i += end + 2;
        Ok(v)
    }

    fn set(&mut self) -> Result<Vec<String>, String> {
        if !self.eat("{") {
            return Err(self.err("expected `{`"));
        }
        let mut vs = Vec::new();
        if self.eat("}") {
            return Ok(vs);
        }
        loop {
            vs.push(self.string()?);
            if self.eat("}") {
                return Ok(vs);
            }
            if !self.eat(",") {
                return Err(self.err("expected `,` or `}`"));
            }
        }
    }
}

fn is_label_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-')
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
        CalicoSelector::parse(sel)
            .unwrap_or_else(|e| panic!("{e}"))
            .matches(&labels(pairs))
    }

    #[test]
    fn calico_matching_rules() {
        assert!(m("", &[]));
        assert!(m("all()", &[]));
        assert!(m("app == 'web'", &[("app", "web")]));
        assert!(!m("app == 'web'", &[]));
        // `!=` and `not in` match an absent label, as in Calico.
        assert!(m("app != 'web'", &[]));
        assert!(!m("app != 'web'", &[("app", "web")]));
        assert!(m("app not in {'a', 'b'}", &[]));
        assert!(!m("app not in {'a', \"b\"}", &[("app", "b")]));
        assert!(m("app in {'a','b'}", &[("app", "b")]));
        assert!(!m("app in {}", &[("app", "b")]));
        assert!(m("has(tier) && !has(debug)", &[("tier", "1")]));
        assert!(m(
            "a contains 'ell' || b starts with 'x'",
            &[("a", "hello")]
        ));
        assert!(m(
            "b ends with 'yz' && (c == '1' || d == '2')",
            &[("b", "xyz"), ("d", "2")]
        ));
        assert!(m(
            "projectcalico.org/name == 'payments'",
            &[("projectcalico.org/name", "payments")]
        ));
        assert!(m("!(a == 'x')", &[]));
    }

    #[test]
    fn malformed_selectors_are_errors() {
        for bad in [
            "app ==",
            "app = 'x'",
            "has(app",
            "(a == 'x'",
            "a == 'x' b",
            "a in {'x'",
            "&&",
            "a starts 'x'",
        ] {
            assert!(CalicoSelector::parse(bad).is_err(), "{bad}");
        }
        let deep = format!("{}a == 'x'{}", "(".repeat(500), ")".repeat(500));
        assert!(CalicoSelector::parse(&deep).is_err());
    }
}
