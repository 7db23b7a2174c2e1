//! Findings: the one result type every analyzer emits.

use std::borrow::Cow;
use std::sync::Arc;

use serde::Serialize;

use crate::object::{Object, Origin};
use crate::rule::Severity;

/// The outcome of one check on one subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The check ran and the subject complies.
    Pass,
    /// The check ran and the subject does not comply.
    Fail,
    /// The check could not be evaluated (invalid input, policy error).
    Error,
    /// The check was not run (disabled, not applicable).
    Skipped,
    /// The subject does not comply, but an exception or annotation accepts it.
    Excepted,
}

impl Status {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Skipped => "skipped",
            Status::Excepted => "excepted",
        }
    }
}

/// Identifies a Kubernetes object in output.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ObjectRef {
    /// `apiVersion`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// Namespace, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
}

impl ObjectRef {
    /// The reference of an object, made once per object and shared by all its findings.
    pub fn of(o: &Object) -> Arc<ObjectRef> {
        Arc::clone(o.reference.get_or_init(|| {
            Arc::new(ObjectRef {
                api_version: o.api_version.clone(),
                kind: o.kind.clone(),
                namespace: o.namespace.clone(),
                name: o.name.clone(),
            })
        }))
    }
}

/// Where a finding points: file, line, column and a JSON pointer into the object.
#[derive(Clone, Debug, Serialize)]
pub struct Location {
    /// The file as given by the user (`<stdin>` for standard input).
    pub file: Arc<str>,
    /// 1-based line (0 until resolved or when unknown).
    pub line: u32,
    /// 1-based column (0 until resolved or when unknown).
    pub column: u32,
    /// JSON pointer into the object (for List items, into the item).
    pub pointer: String,
    /// The origin, for lazy resolution of line and column.
    #[serde(skip)]
    pub origin: Option<Arc<Origin>>,
}

impl Location {
    /// A location inside an object; line and column are resolved later.
    pub fn in_object(object: &Object, pointer: impl Into<String>) -> Location {
        Location {
            file: Arc::clone(&object.origin.source.path),
            line: 0,
            column: 0,
            pointer: pointer.into(),
            origin: Some(Arc::clone(&object.origin)),
        }
    }

    /// A location with a known line and column and no object.
    pub fn at(file: &str, line: u32, column: u32) -> Location {
        Location {
            file: Arc::from(file),
            line,
            column,
            pointer: String::new(),
            origin: None,
        }
    }
}

/// An accepted deviation, as shown next to an excepted finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AppliedException {
    /// Where it came from: `annotation` or `exceptions-file`.
    pub source: &'static str,
    /// Why the deviation is accepted.
    pub reason: String,
    /// Who owns it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// When it stops applying (YYYY-MM-DD).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// One result of one rule on one subject.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// The rule's stable code.
    #[serde(rename = "rule")]
    pub rule: Cow<'static, str>,
    /// The rule's slug.
    pub slug: Cow<'static, str>,
    /// Outcome.
    pub status: Status,
    /// Effective severity (after config overrides).
    pub severity: Severity,
    /// The object concerned, when the subject is an object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<Arc<ObjectRef>>,
    /// The container concerned, if the finding is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// Human-readable explanation.
    pub message: String,
    /// Where.
    pub location: Location,
    /// The exception that accepted it, when `status` is `excepted` (boxed: most findings have
    /// none, and a large scan holds hundreds of thousands of findings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<Box<AppliedException>>,
}

impl Finding {
    /// A stable identity of this finding across runs: the rule, the object (API group, kind,
    /// namespace, name), the field path inside the object (without a List item's prefix) and
    /// the container; never line numbers, messages or file names of objects, so a finding
    /// keeps its fingerprint when lines move, a file is renamed or a List is reordered.
    /// Findings without an object (cluster-level and whole-file results) use the file name.
    /// 32 lower-case hex digits (the first 128 bits of a sha256). SARIF's
    /// `partialFingerprints`, evidence bundles and the finding history use it.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest as _, Sha256};
        let mut h = Sha256::new();
        let mut field = |s: &str| {
            h.update((s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        };
        field("kubecomply/finding/v1");
        field(&self.rule);
        let pointer = match &self.location.origin {
            Some(o) if !o.prefix.is_empty() => self
                .location
                .pointer
                .strip_prefix(o.prefix.as_str())
                .unwrap_or(&self.location.pointer),
            _ => &self.location.pointer,
        };
        match &self.resource {
            Some(r) => {
                field("object");
                field(r.api_version.rsplit_once('/').map_or("", |(g, _)| g));
                field(&r.kind);
                field(r.namespace.as_deref().unwrap_or(""));
                field(&r.name);
            }
            None => {
                field("file");
                field(&self.location.file);
            }
        }
        field(pointer);
        field(self.container.as_deref().unwrap_or(""));
        h.finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// A failed check of `meta` on `object`, pointing at `pointer` (relative to the object; the
    /// List-item prefix of the object's origin is added). Analyzers other than the rule engine
    /// build their findings with this.
    pub fn failure(
        meta: &crate::rule::RuleMeta<'static>,
        object: &Object,
        pointer: impl Into<String>,
        message: String,
    ) -> Finding {
        let mut full: String = pointer.into();
        if !object.origin.prefix.is_empty() {
            full.insert_str(0, &object.origin.prefix);
        }
        Finding {
            rule: Cow::Borrowed(meta.code),
            slug: Cow::Borrowed(meta.slug),
            status: Status::Fail,
            severity: meta.severity,
            resource: Some(ObjectRef::of(object)),
            container: None,
            message,
            location: Location::in_object(object, full),
            exception: None,
        }
    }
}
