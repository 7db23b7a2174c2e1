//! One compiled CEL expression: parsed once, checked for what this engine cannot run, and
//! evaluated under the cost bound.

use std::panic::{AssertUnwindSafe, catch_unwind};

use kube_cel::KubeCelExt;
use kube_cel::cel::common::ast::{EntryExpr, Expr, IdedExpr};
use kube_cel::cel::extractors::This;
use kube_cel::cel::parser::Parser;
use kube_cel::cel::{Context, ExecutionError, ResolveResult, Value};

use crate::convert::Sizes;
use crate::cost;

/// Longest accepted expression (bytes). The API server bounds whole objects (3 MiB by
/// default) rather than expressions; this keeps parsing cheap.
pub(crate) const MAX_EXPRESSION_LENGTH: usize = 64 * 1024;

thread_local! {
    /// The standard library plus the Kubernetes libraries, built once per worker thread:
    /// registering the functions is far more expensive than one evaluation.
    static LIBRARY: Context<'static> = library();
}

/// The standard library, the Kubernetes libraries and the standard functions the `cel` crate
/// lacks: `dyn(x)` (the identity at runtime; gatekeeper-library's `seccomp` builds maps with
/// `dyn("")` values).
fn library() -> Context<'static> {
    let mut ctx = Context::default().with_all();
    ctx.add_function("dyn", dynamic);
    ctx
}

/// `dyn(x)`: only a type-checker hint, so `x` itself.
fn dynamic(This(v): This<Value>) -> ResolveResult {
    Ok(v)
}

/// Runs `f` with a fresh scope over the function library, where variables can be bound.
pub(crate) fn with_scope<R>(f: impl FnOnce(&mut Context<'_>) -> R) -> R {
    LIBRARY.with(|lib| {
        let mut scope = lib.new_inner_scope();
        f(&mut scope)
    })
}

/// Why an expression does not compile, with its position inside the expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CompileError {
    /// What is wrong.
    pub message: String,
    /// 1-based line inside the expression (0 when unknown).
    pub line: u32,
    /// 1-based column inside the expression (0 when unknown).
    pub column: u32,
}

/// A parsed expression.
#[derive(Debug)]
pub(crate) struct Expression {
    /// The source text.
    pub source: String,
    ast: IdedExpr,
    /// Whether it refers to the `authorizer` variable, which is not available offline.
    uses_authorizer: bool,
    /// The names `variables.<name>` it refers to.
    pub variables: Vec<String>,
    /// Whether it still needs the `variables` map bound: the accesses `variables.<name>` are
    /// rewritten to identifiers of their own (see [`variable_ident`]), but `has(variables.x)`,
    /// a bare `variables`, and expressions whose comprehensions name a variable `variables`
    /// keep reading the map.
    pub needs_variables_map: bool,
    /// `ast` with every chain of field selections from `object` (`object.spec.template.spec`)
    /// rewritten to one identifier (see [`object_ident`]); `None` when there is none (or a
    /// comprehension names a variable `object`). Evaluated first; see [`Expression::evaluate`].
    fast: Option<IdedExpr>,
    /// The field paths of those chains, bound per object by `bind_object_paths`.
    pub object_paths: Vec<Vec<String>>,
}

/// The identifier a chain of field selections from `object` is rewritten to. The `cel` crate
/// copies the selected value on every field selection, so `object.spec.template.spec` copies
/// the object's spec, then its template, then the pod spec, in every policy that reads it;
/// bound once per object under this name, the pod spec is read without a copy. The dots make
/// it a name no expression can spell.
pub(crate) fn object_ident(path: &[String]) -> String {
    format!("object.{}", path.join("."))
}

/// Rewrites maximal chains of (non-`has()`) field selections rooted at `object` to
/// [`object_ident`], recording their paths.
fn rewrite_object_chains(e: &mut IdedExpr, paths: &mut Vec<Vec<String>>) {
    rewrite(e, &mut |x| {
        let path = object_chain(x)?;
        let ident = object_ident(&path);
        if !paths.contains(&path) {
            paths.push(path);
        }
        Some(Expr::Ident(ident))
    });
}

/// The fields of `e` when it is a chain of (non-`has()`) selections rooted at `object`.
fn object_chain(e: &IdedExpr) -> Option<Vec<String>> {
    let Expr::Select(s) = &e.expr else {
        return None;
    };
    if s.test {
        return None;
    }
    let mut path = match &s.operand.expr {
        Expr::Ident(root) if root == "object" => Vec::new(),
        Expr::Select(_) => object_chain(&s.operand)?,
        _ => return None,
    };
    path.push(s.field.clone());
    Some(path)
}

/// The identifier a `variables.<name>` access is rewritten to. The dot makes it a name no
/// expression can spell, so it never clashes with a user's identifier. Binding each variable
/// under its own identifier converts its value once, instead of re-binding the whole map after
/// every variable, and reading it borrows the bound value instead of copying it out of the map
/// (the `cel` crate copies a map's entry on every field selection).
pub(crate) fn variable_ident(name: &str) -> String {
    format!("variables.{name}")
}

/// Whether a comprehension in `e` binds an iteration or accumulator variable `name`.
fn shadows(e: &IdedExpr, name: &str) -> bool {
    let mut found = false;
    visit(e, &mut |x| {
        if let Expr::Comprehension(c) = &x.expr
            && (c.iter_var == name || c.accu_var == name || c.iter_var2.as_deref() == Some(name))
        {
            found = true;
        }
    });
    found
}

/// Rewrites every `variables.<name>` selection (not a `has()` test) to [`variable_ident`].
fn rewrite_variables(e: &mut IdedExpr) {
    rewrite(e, &mut |x| match &x.expr {
        Expr::Select(s)
            if !s.test && matches!(&s.operand.expr, Expr::Ident(root) if root == "variables") =>
        {
            Some(Expr::Ident(variable_ident(&s.field)))
        }
        _ => None,
    });
}

/// Replaces, top down, every node for which `f` gives a replacement (its children are not
/// visited) and visits the children of the others.
fn rewrite(e: &mut IdedExpr, f: &mut impl FnMut(&IdedExpr) -> Option<Expr>) {
    if let Some(new) = f(e) {
        e.expr = new;
        return;
    }
    let entry = |x: &mut EntryExpr, f: &mut dyn FnMut(&mut IdedExpr)| match x {
        EntryExpr::MapEntry(m) => {
            f(&mut m.key);
            f(&mut m.value);
        }
        EntryExpr::StructField(s) => f(&mut s.value),
    };
    match &mut e.expr {
        Expr::Call(c) => {
            if let Some(t) = &mut c.target {
                rewrite(t, f);
            }
            c.args.iter_mut().for_each(|a| rewrite(a, f));
        }
        Expr::Comprehension(c) => {
            for x in [
                &mut c.iter_range,
                &mut c.accu_init,
                &mut c.loop_cond,
                &mut c.loop_step,
                &mut c.result,
            ] {
                rewrite(x, f);
            }
        }
        Expr::List(l) => l.elements.iter_mut().for_each(|x| rewrite(x, f)),
        Expr::Map(m) => m
            .entries
            .iter_mut()
            .for_each(|x| entry(&mut x.expr, &mut |y| rewrite(y, f))),
        Expr::Struct(s) => s
            .entries
            .iter_mut()
            .for_each(|x| entry(&mut x.expr, &mut |y| rewrite(y, f))),
        Expr::Select(s) => rewrite(&mut s.operand, f),
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
    }
}

impl Expression {
    /// Parses `source` (with the optional-value syntax `?.` / `[?` that Kubernetes enables).
    pub fn compile(source: &str) -> Result<Expression, CompileError> {
        if source.len() > MAX_EXPRESSION_LENGTH {
            return Err(CompileError {
                message: format!(
                    "expression is {} bytes long, more than the limit of {MAX_EXPRESSION_LENGTH}",
                    source.len()
                ),
                line: 0,
                column: 0,
            });
        }
        if source.trim().is_empty() {
            return Err(CompileError {
                message: "expression is empty".to_string(),
                line: 1,
                column: 1,
            });
        }
        let parsed = catch_unwind(|| Parser::new().enable_optional_syntax(true).parse(source));
        let ast = match parsed {
            Ok(Ok(ast)) => ast,
            Ok(Err(errors)) => {
                let first = errors.errors.first();
                return Err(CompileError {
                    message: first
                        .map(|e| e.msg.clone())
                        .unwrap_or_else(|| errors.to_string()),
                    line: first.map_or(0, |e| e.pos.0.max(0) as u32),
                    column: first.map_or(0, |e| e.pos.1.max(0) as u32),
                });
            }
            Err(_) => {
                return Err(CompileError {
                    message: "the CEL parser failed on this expression".to_string(),
                    line: 0,
                    column: 0,
                });
            }
        };
        let mut uses_authorizer = false;
        let mut variables = Vec::new();
        let mut unsupported = None;
        visit(&ast, &mut |e| match &e.expr {
            Expr::Ident(name) if name == "authorizer" => uses_authorizer = true,
            Expr::Select(s) => {
                if let Expr::Ident(root) = &s.operand.expr
                    && root == "variables"
                    && !variables.contains(&s.field)
                {
                    variables.push(s.field.clone());
                }
            }
            Expr::Struct(s) => unsupported = Some(s.type_name.clone()),
            Expr::Unspecified => unsupported = Some(String::new()),
            _ => {}
        });
        if let Some(type_name) = unsupported {
            return Err(CompileError {
                message: format!(
                    "message construction `{type_name}{{...}}` is not supported by this CEL engine"
                ),
                line: 0,
                column: 0,
            });
        }
        let mut ast = ast;
        if !shadows(&ast, "variables") {
            rewrite_variables(&mut ast);
        }
        let mut object_paths = Vec::new();
        let fast = if shadows(&ast, "object") {
            None
        } else {
            let mut fast = ast.clone();
            rewrite_object_chains(&mut fast, &mut object_paths);
            (!object_paths.is_empty()).then_some(fast)
        };
        let mut needs_variables_map = false;
        visit(&ast, &mut |e| {
            if matches!(&e.expr, Expr::Ident(name) if name == "variables") {
                needs_variables_map = true;
            }
        });
        Ok(Expression {
            source: source.to_string(),
            ast,
            uses_authorizer,
            variables,
            needs_variables_map,
            fast,
            object_paths,
        })
    }

    /// Evaluates in `scope`, refusing to start when the cost estimate for data no larger than
    /// `sizes` exceeds the per-call limit. Never panics.
    pub fn evaluate(&self, scope: &Context<'_>, sizes: Sizes) -> Result<Value, String> {
        if self.uses_authorizer {
            return Err(
                "the `authorizer` variable needs a live API server and is not available offline"
                    .to_string(),
            );
        }
        let estimate = cost::estimate(&self.ast, sizes, self.source.len());
        if estimate.is_nan() || estimate > cost::PER_CALL_LIMIT {
            return Err(format!(
                "operation cancelled: estimated cost limit exceeded (cost bound {} for this input, limit {})",
                if estimate.is_finite() {
                    format!("{estimate:.0}")
                } else {
                    "unbounded".to_string()
                },
                cost::PER_CALL_LIMIT
            ));
        }
        // The fast form reads the object's field chains bound per object; a chain that does
        // not resolve on this object is not bound, and then the plain form gives the answer
        // (and the error message) of the selections themselves.
        if let Some(fast) = &self.fast {
            match catch_unwind(AssertUnwindSafe(|| Value::resolve(fast, scope))) {
                Ok(Err(ExecutionError::UndeclaredReference(name)))
                    if name.starts_with("object.") => {}
                Ok(Ok(v)) => return Ok(v),
                Ok(Err(e)) => return Err(e.to_string()),
                Err(_) => return Err("the CEL interpreter failed on this expression".to_string()),
            }
        }
        match catch_unwind(AssertUnwindSafe(|| Value::resolve(&self.ast, scope))) {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("the CEL interpreter failed on this expression".to_string()),
        }
    }

    /// Evaluates to a boolean; any other result type is an error, as in the API server.
    pub fn evaluate_bool(&self, scope: &Context<'_>, sizes: Sizes) -> Result<bool, String> {
        match self.evaluate(scope, sizes)? {
            Value::Bool(b) => Ok(b),
            other => Err(format!(
                "expression must evaluate to bool, got {}",
                type_name(&other)
            )),
        }
    }
}

/// The CEL type name of a value, for messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::List(_) => "list",
        Value::Map(_) => "map",
        Value::Function(..) => "function",
        Value::Int(_) => "int",
        Value::UInt(_) => "uint",
        Value::Float(_) => "double",
        Value::String(_) => "string",
        Value::Bytes(_) => "bytes",
        Value::Bool(_) => "bool",
        Value::Duration(_) => "google.protobuf.Duration",
        Value::Timestamp(_) => "google.protobuf.Timestamp",
        Value::Opaque(_) => "opaque",
        Value::Null => "null_type",
    }
}

fn visit<'a>(e: &'a IdedExpr, f: &mut impl FnMut(&'a IdedExpr)) {
    f(e);
    match &e.expr {
        Expr::Call(c) => {
            if let Some(t) = &c.target {
                visit(t, f);
            }
            c.args.iter().for_each(|a| visit(a, f));
        }
        Expr::Comprehension(c) => {
            for x in [
                &c.iter_range,
                &c.accu_init,
                &c.loop_cond,
                &c.loop_step,
                &c.result,
            ] {
                visit(x, f);
            }
        }
        Expr::List(l) => l.elements.iter().for_each(|x| visit(x, f)),
        Expr::Map(m) => m.entries.iter().for_each(|x| visit_entry(&x.expr, f)),
        Expr::Struct(s) => s.entries.iter().for_each(|x| visit_entry(&x.expr, f)),
        Expr::Select(s) => visit(&s.operand, f),
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
    }
}

fn visit_entry<'a>(e: &'a EntryExpr, f: &mut impl FnMut(&'a IdedExpr)) {
    match e {
        EntryExpr::MapEntry(m) => {
            visit(&m.key, f);
            visit(&m.value, f);
        }
        EntryExpr::StructField(s) => visit(&s.value, f),
    }
}
