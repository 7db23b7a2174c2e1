//! A cost bound computed from the expression and the sizes of the data it will see.
//!
//! The `cel` crate has no runtime cost tracking (cel-go's `actual cost limit`), so every
//! evaluation is preceded by this estimate: a walk of the syntax tree in which each variable
//! and field is as large as the largest list and string of the bound data, a comprehension
//! (`all`, `exists`, `map`, `filter`, ...) costs its range's size times its body, and string
//! and list functions cost in proportion to their inputs. It over-approximates (it ignores
//! short-circuits), which is what makes it a bound: an expression under the limit cannot run
//! away, whatever the data.

use kube_cel::cel::common::ast::{EntryExpr, Expr, IdedExpr, LiteralValue};

use crate::convert::Sizes;

/// The per-expression limit, the API server's `PerCallLimit`.
pub(crate) const PER_CALL_LIMIT: f64 = 1_000_000.0;

#[derive(Clone, Copy)]
struct Estimate {
    cost: f64,
    size: Sizes,
}

struct Walker<'a> {
    data: Sizes,
    literal: f64,
    scope: Vec<(&'a str, Sizes)>,
}

/// The estimated cost of evaluating `expr` over data no larger than `data`; `source_len`
/// bounds the length of literals.
pub(crate) fn estimate(expr: &IdedExpr, data: Sizes, source_len: usize) -> f64 {
    let mut w = Walker {
        data,
        literal: source_len as f64,
        scope: Vec::new(),
    };
    w.walk(expr).cost
}

impl<'a> Walker<'a> {
    fn walk(&mut self, e: &'a IdedExpr) -> Estimate {
        match &e.expr {
            Expr::Ident(name) => {
                let size = self
                    .scope
                    .iter()
                    .rev()
                    .find(|(n, _)| n == name)
                    .map_or(self.data, |(_, s)| *s);
                Estimate { cost: 1.0, size }
            }
            Expr::Literal(LiteralValue::String(_)) | Expr::Literal(LiteralValue::Bytes(_)) => {
                Estimate {
                    cost: 1.0,
                    size: Sizes {
                        list: 0.0,
                        string: self.literal,
                    },
                }
            }
            Expr::Literal(_) | Expr::Unspecified => Estimate {
                cost: 1.0,
                size: Sizes::default(),
            },
            Expr::Select(s) => {
                let op = self.walk(&s.operand);
                Estimate {
                    cost: op.cost + 1.0,
                    size: op.size.max(self.data),
                }
            }
            Expr::List(l) => {
                let mut cost = 1.0;
                let mut size = Sizes {
                    list: l.elements.len() as f64,
                    string: 0.0,
                };
                for el in &l.elements {
                    let x = self.walk(el);
                    cost += x.cost;
                    size = size.max(x.size);
                }
                Estimate { cost, size }
            }
            Expr::Map(m) => self.entries(&m.entries),
            Expr::Struct(s) => self.entries(&s.entries),
            Expr::Call(c) => {
                let mut parts: Vec<Estimate> = Vec::with_capacity(c.args.len() + 1);
                if let Some(t) = &c.target {
                    parts.push(self.walk(t));
                }
                for a in &c.args {
                    parts.push(self.walk(a));
                }
                self.call(&c.func_name, c.target.is_some(), &c.args, &parts)
            }
            Expr::Comprehension(c) => {
                let range = self.walk(&c.iter_range);
                let init = self.walk(&c.accu_init);
                let n = range.size.list;
                let element = range.size.max(self.data);
                let depth = self.scope.len();
                self.scope.push((c.iter_var.as_str(), element));
                if let Some(v2) = &c.iter_var2 {
                    self.scope.push((v2.as_str(), element));
                }
                let accu = Sizes {
                    list: init.size.list + n.max(self.data.list),
                    string: element.string.max(init.size.string),
                };
                self.scope.push((c.accu_var.as_str(), accu));
                let cond = self.walk(&c.loop_cond);
                let step = self.walk(&c.loop_step);
                let result = self.walk(&c.result);
                self.scope.truncate(depth);
                Estimate {
                    cost: range.cost + init.cost + n * (cond.cost + step.cost + 1.0) + result.cost,
                    size: result.size.max(accu),
                }
            }
        }
    }

    fn entries(&mut self, entries: &'a [kube_cel::cel::common::ast::IdedEntryExpr]) -> Estimate {
        let mut cost = 1.0;
        let mut size = Sizes {
            list: entries.len() as f64,
            string: 0.0,
        };
        for entry in entries {
            let parts: Vec<&IdedExpr> = match &entry.expr {
                EntryExpr::MapEntry(m) => vec![&m.key, &m.value],
                EntryExpr::StructField(f) => vec![&f.value],
            };
            for p in parts {
                let x = self.walk(p);
                cost += x.cost;
                size = size.max(x.size);
            }
        }
        Estimate { cost, size }
    }

    fn call(
        &self,
        name: &str,
        has_target: bool,
        args: &[IdedExpr],
        parts: &[Estimate],
    ) -> Estimate {
        let base: f64 = 1.0 + parts.iter().map(|p| p.cost).sum::<f64>();
        let lists: f64 = parts.iter().map(|p| p.size.list).sum();
        let strings: f64 = parts.iter().map(|p| p.size.string).sum();
        let max = parts.iter().fold(Sizes::default(), |a, p| a.max(p.size));
        let first = parts.first().map_or(Sizes::default(), |p| p.size);
        let (extra, size) = match name {
            "_&&_" | "_||_" | "_?_:_" | "!_" | "@not_strictly_false" | "has" | "size" => (0.0, max),
            "_+_" => (
                1.0 + 0.001 * lists + 0.1 * strings,
                Sizes {
                    list: lists,
                    string: strings,
                },
            ),
            "@in" => (parts.get(1).map_or(0.0, |p| p.size.list), max),
            "_==_" | "_!=_" => (0.1 * (lists + strings), max),
            "lists.range" => {
                let n = match args.first().map(|a| &a.expr) {
                    Some(Expr::Literal(LiteralValue::Int(i))) => (*i.inner()).max(0) as f64,
                    Some(Expr::Call(c)) if c.func_name == "size" => {
                        let s = parts.first().map_or(Sizes::default(), |p| p.size);
                        s.list.max(s.string)
                    }
                    _ => f64::INFINITY,
                };
                (
                    n,
                    Sizes {
                        list: n,
                        string: 0.0,
                    },
                )
            }
            "join" => {
                let s = first.list * first.string.max(1.0) + strings;
                (
                    0.1 * s,
                    Sizes {
                        list: 0.0,
                        string: s,
                    },
                )
            }
            "format" => {
                let s = strings + lists * max.string.max(1.0);
                (
                    0.1 * s,
                    Sizes {
                        list: 0.0,
                        string: s,
                    },
                )
            }
            "sort" | "distinct" | "sets.contains" | "sets.equivalent" | "sets.intersects" => (
                lists * lists.max(1.0).log2().max(1.0) + 0.001 * lists * lists,
                max,
            ),
            "split" | "findAll" => (
                0.1 * strings,
                Sizes {
                    list: first.string.max(lists),
                    string: first.string,
                },
            ),
            "replace" => {
                // Every match of the pattern may be replaced by the whole replacement.
                let s = first.string * parts.get(2).map_or(1.0, |p| p.size.string.max(1.0));
                (
                    0.1 * s,
                    Sizes {
                        list: 0.0,
                        string: s,
                    },
                )
            }
            _ => (
                0.1 * strings + lists,
                Sizes {
                    list: lists,
                    string: strings,
                },
            ),
        };
        let _ = has_target;
        Estimate {
            cost: base + extra,
            size,
        }
    }
}
