//! Negated calls as OPA evaluates them, rewritten before a module is given to regorus.
//!
//! OPA's compiler evaluates the terms of a negated expression that are calls or arguments of
//! calls *before* the negation (its `expandExpr` stage gives each a generated variable): when
//! such a term is undefined, the body fails, the negation does not succeed. regorus 0.14
//! evaluates them inside the negation, where undefined makes `not` true. The two disagree
//! wherever a policy passes an optional field to a function under `not`, as
//! gatekeeper-library's `users` template does with
//! `not accept_value(rule, provided_value, params.ranges)`: with `rule: RunAsAny` and no
//! `ranges`, OPA reports nothing and regorus a violation. Measured with `opa eval` 1.22.4:
//!
//! | negated expression, `params.ranges` undefined | OPA   |
//! |-----------------------------------------------|-------|
//! | `not f(params.ranges)`, `not startswith(params.ranges, "x")` | fails |
//! | `not params.ranges < 1`, `not params.ranges != 1`, `not params.ranges + 1 == 2` | fails |
//! | `not count(params.ranges) == 0`, `not [params.ranges][0] == 1`, `not h(1) == 1` (h undefined) | fails |
//! | `not params.ranges == 1` (`==` is unification), `not params.ranges`, `not h(1)` | succeeds |
//!
//! The rewrite gives each such term a variable assigned just before the `not`, on the same
//! line, so positions of errors keep their line: `not f(a, p.r)` becomes
//! `__kc_not_0 := a; __kc_not_1 := p.r; not f(__kc_not_0, __kc_not_1)`. Literals with `with`
//! modifiers, terms with a `_` wildcard (OPA rejects those as unsafe) and bodies that are not
//! in braces are left alone.

use regorus::unstable::{
    AssignOp, BoolOp, Expr, Literal, LiteralStmt, Parser, Query, Rule, RuleHead, Source, Span,
};

/// `text` with the terms OPA evaluates before a negation hoisted out of it, or `None` when
/// nothing changes (or the module does not parse: regorus then reports the error itself).
pub(crate) fn hoist(text: &str, v0: bool) -> Option<String> {
    if !text.contains("not") {
        return None;
    }
    let source = Source::from_contents("module.rego".into(), text.to_string()).ok()?;
    let mut parser = Parser::new(&source).ok()?;
    if !v0 {
        parser.enable_rego_v1().ok()?;
    }
    let module = parser.parse().ok()?;
    let mut w = Walker {
        text,
        edits: Vec::new(),
        next: 0,
    };
    for rule in &module.policy {
        w.rule(rule);
    }
    if w.edits.is_empty() {
        return None;
    }
    w.edits.sort_by_key(|e| (e.start, e.end));
    // Overlapping edits (a negation inside a hoisted term) cannot both apply: keep the outer.
    let mut out = String::with_capacity(text.len() + 64 * w.edits.len());
    let mut at = 0;
    for e in &w.edits {
        if e.start < at {
            continue;
        }
        out.push_str(text.get(at..e.start)?);
        out.push_str(&e.with);
        at = e.end;
    }
    out.push_str(text.get(at..)?);
    Some(out)
}

struct Edit {
    start: usize,
    end: usize,
    with: String,
}

struct Walker<'t> {
    text: &'t str,
    edits: Vec<Edit>,
    next: usize,
}

fn range(s: &Span) -> (usize, usize) {
    (s.start as usize, s.end as usize)
}

/// Whether a term is constant (a scalar or a comprehension: never undefined).
fn constant(e: &Expr) -> bool {
    matches!(
        e,
        Expr::String { .. }
            | Expr::RawString { .. }
            | Expr::Number { .. }
            | Expr::Bool { .. }
            | Expr::Null { .. }
            | Expr::ArrayCompr { .. }
            | Expr::SetCompr { .. }
            | Expr::ObjectCompr { .. }
    )
}

/// Whether a term mentions the wildcard `_` (outside comprehensions).
fn has_wildcard(e: &Expr) -> bool {
    match e {
        Expr::Var { span, .. } => span.text() == "_",
        Expr::Array { items, .. } | Expr::Set { items, .. } => {
            items.iter().any(|i| has_wildcard(i))
        }
        Expr::Object { fields, .. } => fields
            .iter()
            .any(|(_, k, v)| has_wildcard(k) || has_wildcard(v)),
        Expr::Call { params, .. } => params.iter().any(|p| has_wildcard(p)),
        Expr::UnaryExpr { expr, .. } => has_wildcard(expr),
        Expr::RefDot { refr, .. } => has_wildcard(refr),
        Expr::RefBrack { refr, index, .. } => has_wildcard(refr) || has_wildcard(index),
        Expr::BinExpr { lhs, rhs, .. }
        | Expr::BoolExpr { lhs, rhs, .. }
        | Expr::ArithExpr { lhs, rhs, .. }
        | Expr::AssignExpr { lhs, rhs, .. } => has_wildcard(lhs) || has_wildcard(rhs),
        Expr::Membership {
            key,
            value,
            collection,
            ..
        } => {
            key.as_ref().is_some_and(|k| has_wildcard(k))
                || has_wildcard(value)
                || has_wildcard(collection)
        }
        _ => false,
    }
}

/// Whether a term holds something that can be undefined (a reference, a variable, a call).
fn dynamic(e: &Expr) -> bool {
    match e {
        Expr::Array { items, .. } | Expr::Set { items, .. } => items.iter().any(|i| dynamic(i)),
        Expr::Object { fields, .. } => fields.iter().any(|(_, k, v)| dynamic(k) || dynamic(v)),
        _ => !constant(e),
    }
}

/// Whether a term is (or holds, as a composite) a call.
fn is_call(e: &Expr) -> bool {
    matches!(
        e,
        Expr::Call { .. }
            | Expr::ArithExpr { .. }
            | Expr::BinExpr { .. }
            | Expr::Membership { .. }
            | Expr::UnaryExpr { .. }
    ) || matches!(e, Expr::BoolExpr { .. })
}

impl Walker<'_> {
    fn rule(&mut self, rule: &Rule) {
        match rule {
            Rule::Spec { head, bodies, .. } => {
                match head {
                    RuleHead::Compr { assign, .. } | RuleHead::Func { assign, .. } => {
                        if let Some(a) = assign {
                            self.expr(&a.value);
                        }
                    }
                    RuleHead::Set { key, .. } => {
                        if let Some(k) = key {
                            self.expr(k);
                        }
                    }
                }
                for b in bodies {
                    if let Some(a) = &b.assign {
                        self.expr(&a.value);
                    }
                    self.query(&b.query);
                }
            }
            Rule::Default { value, .. } => self.expr(value),
        }
    }

    /// Visits the queries of comprehensions inside `e`.
    fn expr(&mut self, e: &Expr) {
        match e {
            Expr::ArrayCompr { term, query, .. } | Expr::SetCompr { term, query, .. } => {
                self.expr(term);
                self.query(query);
            }
            Expr::ObjectCompr {
                key, value, query, ..
            } => {
                self.expr(key);
                self.expr(value);
                self.query(query);
            }
            Expr::Array { items, .. } | Expr::Set { items, .. } => {
                for i in items {
                    self.expr(i);
                }
            }
            Expr::Object { fields, .. } => {
                for (_, k, v) in fields {
                    self.expr(k);
                    self.expr(v);
                }
            }
            Expr::Call { params, .. } => {
                for p in params {
                    self.expr(p);
                }
            }
            Expr::UnaryExpr { expr, .. } => self.expr(expr),
            Expr::RefDot { refr, .. } => self.expr(refr),
            Expr::RefBrack { refr, index, .. } => {
                self.expr(refr);
                self.expr(index);
            }
            Expr::BinExpr { lhs, rhs, .. }
            | Expr::BoolExpr { lhs, rhs, .. }
            | Expr::ArithExpr { lhs, rhs, .. }
            | Expr::AssignExpr { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            Expr::Membership {
                key,
                value,
                collection,
                ..
            } => {
                if let Some(k) = key {
                    self.expr(k);
                }
                self.expr(value);
                self.expr(collection);
            }
            _ => {}
        }
    }

    fn query(&mut self, q: &Query) {
        // Only bodies in braces (or comprehension bodies, which these spans do not include)
        // can take statements before a literal.
        let (qs, _) = range(&q.span);
        let braced = self
            .text
            .get(..qs)
            .and_then(|before| before.trim_end().chars().last())
            .is_some_and(|c| c == '{' || c == '|')
            || self.text.get(qs..).is_some_and(|t| t.starts_with('{'));
        for stmt in &q.stmts {
            self.stmt(stmt, braced);
        }
    }

    fn stmt(&mut self, stmt: &LiteralStmt, braced: bool) {
        match &stmt.literal {
            Literal::NotExpr { span, expr } => {
                let mut terms = Vec::new();
                top(expr, &mut terms);
                terms.retain(|t| !has_wildcard(t));
                if terms.is_empty() || !stmt.with_mods.is_empty() || !braced {
                    self.expr(expr);
                    return;
                }
                let (start, _) = range(span);
                let mut assignments = String::new();
                for t in terms {
                    let (ts, te) = range(t.span());
                    let Some(text) = self.text.get(ts..te) else {
                        return;
                    };
                    let name = format!("__kc_not_{}", self.next);
                    self.next += 1;
                    assignments.push_str(&format!("{name} := {text}; "));
                    self.edits.push(Edit {
                        start: ts,
                        end: te,
                        with: name,
                    });
                }
                self.edits.push(Edit {
                    start,
                    end: start,
                    with: assignments,
                });
            }
            Literal::Expr { expr, .. } => self.expr(expr),
            Literal::SomeIn {
                key,
                value,
                collection,
                ..
            } => {
                if let Some(k) = key {
                    self.expr(k);
                }
                self.expr(value);
                self.expr(collection);
            }
            Literal::Every { domain, query, .. } => {
                self.expr(domain);
                self.query(query);
            }
            Literal::SomeVars { .. } => {}
        }
        for w in &stmt.with_mods {
            self.expr(&w.r#as);
        }
    }
}

/// The terms of a negated expression that OPA evaluates before the negation.
fn top<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        // `==` and `=` are unification: operands stay inside, except calls and composites.
        Expr::BoolExpr {
            op: BoolOp::Eq,
            lhs,
            rhs,
            ..
        }
        | Expr::AssignExpr {
            op: AssignOp::Eq,
            lhs,
            rhs,
            ..
        } => {
            operand(lhs, out);
            operand(rhs, out);
        }
        // Every other operator and function is a call: its arguments are evaluated first.
        Expr::Call { params, .. } => {
            for p in params {
                argument(p, out);
            }
        }
        Expr::BoolExpr { lhs, rhs, .. }
        | Expr::ArithExpr { lhs, rhs, .. }
        | Expr::BinExpr { lhs, rhs, .. } => {
            argument(lhs, out);
            argument(rhs, out);
        }
        Expr::Membership {
            key,
            value,
            collection,
            ..
        } => {
            if let Some(k) = key {
                argument(k, out);
            }
            argument(value, out);
            argument(collection, out);
        }
        Expr::RefDot { .. } | Expr::RefBrack { .. } => nested(e, out),
        _ => {}
    }
}

/// An argument of a call under negation: evaluated before it when it can be undefined.
fn argument<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    if dynamic(e) {
        out.push(e);
    }
}

/// An operand of a unification under negation: calls and composites holding references are
/// evaluated before it; references stay inside (calls nested in them are hoisted).
fn operand<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::Array { .. } | Expr::Set { .. } | Expr::Object { .. } if dynamic(e) => out.push(e),
        _ if is_call(e) => out.push(e),
        Expr::RefDot { .. } | Expr::RefBrack { .. } => nested(e, out),
        _ => {}
    }
}

/// Calls and composites holding references inside a reference (`f(x).y`, `a[f(x)]`,
/// `[p.q][0]`).
fn nested<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    let part = |p: &'e Expr, out: &mut Vec<&'e Expr>| match p {
        Expr::Array { .. } | Expr::Set { .. } | Expr::Object { .. } if dynamic(p) => out.push(p),
        _ if is_call(p) => out.push(p),
        _ => nested(p, out),
    };
    match e {
        Expr::RefDot { refr, .. } => part(refr, out),
        Expr::RefBrack { refr, index, .. } => {
            part(refr, out);
            part(index, out);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::hoist;

    #[test]
    fn hoists_what_opa_evaluates_first() {
        let src = "package t\n\nv contains 1 if {\n  params := input.params\n  not f(params.rule, 1, params.ranges)\n}\n";
        let out = hoist(src, false).expect("rewritten");
        assert!(
            out.contains("__kc_not_0 := params.rule; __kc_not_1 := params.ranges; not f(__kc_not_0, 1, __kc_not_1)"),
            "{out}"
        );
        assert_eq!(out.lines().count(), src.lines().count());
        // Unification operands stay inside; a bare reference too.
        for keep in [
            "package t\n\nv contains 1 if {\n  not input.a == 1\n}\n",
            "package t\n\nv contains 1 if {\n  not input.a.b\n}\n",
            "package t\n\nv contains 1 if {\n  not startswith(input.a[_], \"x\")\n}\n",
            "package t\n\nv contains 1 if not f(input.a)\n",
        ] {
            assert_eq!(hoist(keep, false), None, "{keep}");
        }
        // A call nested in a unification operand is hoisted; v0 syntax parses.
        let v0 = "package t\n\nv[1] {\n  not count(input.a) == 0\n}\n";
        let out = hoist(v0, true).expect("rewritten");
        assert!(
            out.contains("__kc_not_0 := count(input.a); not __kc_not_0 == 0"),
            "{out}"
        );
    }
}
