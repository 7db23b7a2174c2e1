//! Runs rules over an inventory and turns violations into findings, applying severity
//! overrides, annotation suppressions and exceptions.

use std::borrow::Cow;

use kubecomply_core::date::Date;
use kubecomply_core::exceptions::Exception;
use kubecomply_core::finding::AppliedException;
use kubecomply_core::{Finding, Inventory, Location, Object, Origin, RuleMeta, Severity, Status};
use rayon::prelude::*;

use crate::params::Params;
use crate::rule::{Context, Rule, Violations};

/// Annotation listing rule codes or slugs to suppress on an object (`*` for all).
pub const IGNORE_ANNOTATION: &str = "kubecomply.io/ignore";
/// Annotation giving the reason for [`IGNORE_ANNOTATION`].
pub const IGNORE_REASON_ANNOTATION: &str = "kubecomply.io/ignore-reason";

/// What to run and how to post-process.
#[derive(Clone, Debug, Default)]
pub struct EngineOptions {
    /// Rule parameters.
    pub params: Params,
    /// Emit `pass` findings (JSON/JUnit evidence) rather than only counting them.
    pub include_passes: bool,
    /// Only these rules (codes or slugs); empty means all.
    pub only: Vec<String>,
    /// Rules to skip (codes or slugs).
    pub skip: Vec<String>,
    /// Severity overrides by code or slug.
    pub severity_overrides: Vec<(String, Severity)>,
    /// Exceptions from an exceptions file.
    pub exceptions: Vec<Exception>,
    /// Where the exceptions came from (to point at expired ones).
    pub exceptions_origin: Option<Origin>,
    /// The date exceptions are judged against.
    pub today: Option<Date>,
}

/// The result of a run.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Findings (passes only when asked for).
    pub findings: Vec<Finding>,
    /// Number of passed checks (rule × object), whether or not they are in `findings`.
    pub passed: usize,
}

/// A configured rule runner.
pub struct Engine {
    rules: Vec<&'static Rule>,
    options: EngineOptions,
}

fn names(meta: &RuleMeta, list: &[String]) -> bool {
    list.iter().any(|s| meta.is_named(s))
}

impl Engine {
    /// An engine over the given rules, filtered by `options.only` / `options.skip`.
    pub fn new(all: &[&'static Rule], options: EngineOptions) -> Engine {
        let rules = all
            .iter()
            .copied()
            .filter(|r| options.only.is_empty() || names(&r.meta, &options.only))
            .filter(|r| !names(&r.meta, &options.skip))
            .collect();
        Engine { rules, options }
    }

    /// The rules that will run.
    pub fn rules(&self) -> &[&'static Rule] {
        &self.rules
    }

    fn severity(&self, meta: &RuleMeta) -> Severity {
        self.options
            .severity_overrides
            .iter()
            .rev()
            .find(|(k, _)| meta.is_named(k))
            .map_or(meta.severity, |(_, s)| *s)
    }

    /// Evaluates every rule on every targeted object, in parallel.
    pub fn run(&self, inventory: &Inventory) -> Outcome {
        self.run_with_passes(inventory, self.options.include_passes)
    }

    /// [`Engine::run`], keeping pass findings or only counting them as `include_passes` says
    /// (one prepared engine serves scans that want passes and scans that do not).
    pub fn run_with_passes(&self, inventory: &Inventory, include_passes: bool) -> Outcome {
        let cx = Context {
            inventory,
            params: &self.options.params,
            namespace_classes: std::sync::OnceLock::new(),
        };
        let today = self.options.today.unwrap_or_else(Date::today);
        let per_object: Vec<(Vec<Finding>, usize)> = inventory
            .objects
            .par_iter()
            .chain(inventory.invalid.par_iter())
            .map(|obj| {
                let (mut f, passed) = self.run_object(&cx, obj, today, include_passes);
                // Vectors grow to 4 at the first push; most objects have one or two findings,
                // and all of them are alive together until they are joined below.
                f.shrink_to_fit();
                (f, passed)
            })
            .collect();
        let expired = self.expired_exceptions(today);
        // Sized exactly: at 100,000 objects a doubling vector of findings wastes tens of MiB.
        let total = per_object.iter().map(|(f, _)| f.len()).sum::<usize>() + expired.len();
        let mut out = Outcome {
            findings: Vec::with_capacity(total),
            passed: 0,
        };
        for (f, p) in per_object {
            out.findings.extend(f);
            out.passed += p;
        }
        out.findings.extend(expired);
        out
    }

    /// The context of checks on objects of `inventory` (cross-object lookups go there).
    pub fn context<'a>(&'a self, inventory: &'a Inventory) -> Context<'a> {
        Context {
            inventory,
            params: &self.options.params,
            namespace_classes: std::sync::OnceLock::new(),
        }
    }

    /// Evaluates every rule on one object, which need not be in `cx`'s inventory (an
    /// admission request, a watch event): the per-object half of [`Engine::run`], without the
    /// findings about expired exceptions (those concern the exceptions file, not an object).
    pub fn run_object_in(&self, cx: &Context<'_>, obj: &Object, include_passes: bool) -> Outcome {
        let today = self.options.today.unwrap_or_else(Date::today);
        let (findings, passed) = self.run_object(cx, obj, today, include_passes);
        Outcome { findings, passed }
    }

    /// Brings findings of another analyzer (RBAC review, policies...) under the same options:
    /// rule selection by `only`/`skip`, severity overrides, annotation suppressions and
    /// exceptions (the object is looked up in `inventory` by kind, namespace and name).
    pub fn adopt(&self, external: Vec<Finding>, inventory: &Inventory) -> Vec<Finding> {
        self.adopt_with(external, |r| {
            inventory.get(&r.kind, r.namespace.as_deref().unwrap_or(""), &r.name)
        })
    }

    /// [`Engine::adopt`] for findings about `object` alone (per-object evaluation).
    pub fn adopt_for(&self, external: Vec<Finding>, object: &Object) -> Vec<Finding> {
        self.adopt_with(external, |r| {
            (r.kind == object.kind && r.namespace == object.namespace && r.name == object.name)
                .then_some(object)
        })
    }

    fn adopt_with<'o>(
        &self,
        external: Vec<Finding>,
        lookup: impl Fn(&kubecomply_core::ObjectRef) -> Option<&'o Object>,
    ) -> Vec<Finding> {
        let today = self.options.today.unwrap_or_else(Date::today);
        let selected = |f: &Finding| {
            let named = |list: &[String]| {
                list.iter()
                    .any(|s| kubecomply_core::rule::named(&f.rule, &f.slug, s))
            };
            (self.options.only.is_empty() || named(&self.options.only))
                && !named(&self.options.skip)
        };
        external
            .into_iter()
            .filter(|f| selected(f))
            .map(|mut f| {
                if let Some((_, sev)) = self
                    .options
                    .severity_overrides
                    .iter()
                    .rev()
                    .find(|(k, _)| kubecomply_core::rule::named(&f.rule, &f.slug, k))
                {
                    f.severity = *sev;
                }
                if f.status == Status::Fail {
                    let object = f.resource.as_ref().and_then(|r| lookup(r));
                    match object {
                        Some(obj) => {
                            let annotation = obj.annotation(IGNORE_ANNOTATION);
                            self.apply_suppressions(&mut f, obj, annotation, today);
                        }
                        None => {
                            if let Some(e) = self
                                .options
                                .exceptions
                                .iter()
                                .find(|e| !e.is_expired(today) && e.covers(&f, None))
                            {
                                f.status = Status::Excepted;
                                f.exception = Some(Box::new(e.applied()));
                            }
                        }
                    }
                }
                f
            })
            .collect()
    }

    fn run_object(
        &self,
        cx: &Context<'_>,
        obj: &Object,
        today: Date,
        include_passes: bool,
    ) -> (Vec<Finding>, usize) {
        let mut findings = Vec::new();
        let mut passed = 0;
        let mut v = Violations::default();
        if !obj.invalid.is_empty() {
            // An invalid object is reported whatever rules are selected, and nothing else
            // runs on it: every other verdict would be a guess.
            let rule = &crate::rules::general::invalid_field_type::RULE;
            (rule.check)(cx, obj, &mut v);
            for violation in v.items.drain(..) {
                findings.push(self.finding(
                    rule,
                    obj,
                    Status::Error,
                    violation.pointer,
                    violation.message,
                    violation.container,
                ));
            }
            return (findings, passed);
        }
        let suppressed = obj.annotation(IGNORE_ANNOTATION);
        for rule in &self.rules {
            if !rule.target.matches(obj) {
                continue;
            }
            v.items.clear();
            (rule.check)(cx, obj, &mut v);
            if v.items.is_empty() {
                passed += 1;
                if include_passes {
                    findings.push(self.finding(
                        rule,
                        obj,
                        Status::Pass,
                        String::new(),
                        "passed".into(),
                        None,
                    ));
                }
                continue;
            }
            for violation in v.items.drain(..) {
                let status = if violation.invalid {
                    Status::Error
                } else {
                    Status::Fail
                };
                let mut f = self.finding(
                    rule,
                    obj,
                    status,
                    violation.pointer,
                    violation.message,
                    violation.container,
                );
                if status == Status::Fail {
                    self.apply_suppressions(&mut f, obj, suppressed, today);
                }
                findings.push(f);
            }
        }
        (findings, passed)
    }

    fn finding(
        &self,
        rule: &Rule,
        obj: &Object,
        status: Status,
        pointer: String,
        message: String,
        container: Option<String>,
    ) -> Finding {
        let mut f = Finding::failure(&rule.meta, obj, pointer, message);
        f.status = status;
        f.severity = self.severity(&rule.meta);
        f.container = container;
        f
    }

    fn apply_suppressions(
        &self,
        f: &mut Finding,
        obj: &Object,
        annotation: Option<&str>,
        today: Date,
    ) {
        if let Some(list) = annotation {
            let hit = list
                .split(',')
                .map(str::trim)
                .any(|c| c == "*" || kubecomply_core::rule::named(&f.rule, &f.slug, c));
            if hit {
                let reason = obj
                    .annotation(IGNORE_REASON_ANNOTATION)
                    .filter(|r| !r.trim().is_empty())
                    .unwrap_or("(no reason given in kubecomply.io/ignore-reason)");
                f.status = Status::Excepted;
                f.exception = Some(Box::new(AppliedException {
                    source: "annotation",
                    reason: reason.to_string(),
                    owner: None,
                    expires: None,
                }));
                return;
            }
        }
        if let Some(e) = self
            .options
            .exceptions
            .iter()
            .find(|e| !e.is_expired(today) && e.covers(f, Some(obj)))
        {
            f.status = Status::Excepted;
            f.exception = Some(Box::new(e.applied()));
        }
    }

    fn expired_exceptions(&self, today: Date) -> Vec<Finding> {
        let meta = &crate::rules::general::expired_exception::RULE.meta;
        if !self.rules.iter().any(|r| r.meta.code == meta.code) {
            return Vec::new();
        }
        self.options
            .exceptions
            .iter()
            .filter(|e| e.is_expired(today))
            .map(|e| {
                let pointer = format!("/exceptions/{}/expires", e.index);
                let location = match &self.options.exceptions_origin {
                    Some(o) => Location {
                        file: std::sync::Arc::clone(&o.source.path),
                        line: 0,
                        column: 0,
                        pointer,
                        origin: Some(std::sync::Arc::new(o.clone())),
                    },
                    None => Location::at("<exceptions>", 0, 0),
                };
                Finding {
                    rule: Cow::Borrowed(meta.code),
                    slug: Cow::Borrowed(meta.slug),
                    status: Status::Fail,
                    severity: self.severity(meta),
                    resource: None,
                    container: None,
                    message: format!(
                        "exception for {} expired on {} (owner: {}); the findings it covered are reported again",
                        e.rules.join(", "),
                        e.expires.map(|d| d.to_string()).unwrap_or_default(),
                        e.owner.as_deref().unwrap_or("none given"),
                    ),
                    location,
                    exception: None,
                }
            })
            .collect()
    }
}
