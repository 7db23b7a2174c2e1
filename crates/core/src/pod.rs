//! Pod templates: any object that carries a pod spec, found generically.
//!
//! A pod template is a mapping whose `spec.containers` is an array (`Pod` itself, the
//! `spec.template` of Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs,
//! ReplicationControllers and of custom resources such as Argo Rollouts, the
//! `spec.jobTemplate.spec.template` of CronJobs, the `template` of a `PodTemplate`).
//! Discovery walks the object rather than consulting a list of kinds.

use crate::value::Field;

use crate::Value;

use crate::object::Object;
use crate::pointer;
use crate::value::get;

/// How deep into an object discovery looks for a pod template.
const MAX_SEARCH_DEPTH: usize = 8;

/// Finds the JSON pointers of all pod templates inside `value`.
pub fn find_templates(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut path = String::new();
    search(value, &mut path, 0, &mut out);
    out
}

fn is_template(v: &Value) -> bool {
    matches!(get(v, &["spec", "containers"]), Some(Value::Array(_)))
}

fn search(v: &Value, path: &mut String, depth: usize, out: &mut Vec<String>) {
    if depth > MAX_SEARCH_DEPTH {
        return;
    }
    if is_template(v) {
        out.push(path.clone());
        return;
    }
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                // Metadata, status and data payloads never hold a pod template.
                if matches!(k.as_str(), "metadata" | "status" | "data" | "stringData") {
                    continue;
                }
                if !matches!(child, Value::Object(_) | Value::Array(_)) {
                    continue;
                }
                let len = path.len();
                pointer::push(path, k);
                search(child, path, depth + 1, out);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                if !child.is_object() {
                    continue;
                }
                let len = path.len();
                path.push('/');
                path.push_str(&i.to_string());
                search(child, path, depth + 1, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// Which list a container comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerKind {
    /// `spec.containers`.
    Regular,
    /// `spec.initContainers`.
    Init,
    /// `spec.ephemeralContainers`.
    Ephemeral,
}

impl ContainerKind {
    /// The spec field holding this kind.
    pub fn field(self) -> &'static str {
        match self {
            ContainerKind::Regular => "containers",
            ContainerKind::Init => "initContainers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }

    /// A word for messages.
    pub fn noun(self) -> &'static str {
        match self {
            ContainerKind::Regular => "container",
            ContainerKind::Init => "init container",
            ContainerKind::Ephemeral => "ephemeral container",
        }
    }
}

/// A view onto a pod template inside an object.
#[derive(Clone, Copy, Debug)]
pub struct PodTemplate<'a> {
    /// The object that embeds the template.
    pub object: &'a Object,
    /// The pointer of the template (empty for a Pod).
    pub pointer: &'a str,
    /// The template's metadata, if any.
    pub metadata: Option<&'a Value>,
    /// The pod spec.
    pub spec: &'a Value,
}

/// A container of a pod template.
#[derive(Clone, Copy, Debug)]
pub struct Container<'a> {
    /// Which list it is in.
    pub kind: ContainerKind,
    /// Index in that list.
    pub index: usize,
    /// `name` (empty when missing).
    pub name: &'a str,
    /// The container value.
    pub value: &'a Value,
}

impl<'a> PodTemplate<'a> {
    /// The template at `pointer` inside `object`.
    pub fn at(object: &'a Object, pointer: &'a str) -> Option<PodTemplate<'a>> {
        let t = pointer::get(&object.value, pointer)?;
        let spec = t.field("spec")?;
        Some(PodTemplate {
            object,
            pointer,
            metadata: t.field("metadata"),
            spec,
        })
    }

    /// Pointer of the pod spec.
    pub fn spec_pointer(&self) -> String {
        format!("{}/spec", self.pointer)
    }

    /// Pointer of the template metadata.
    pub fn meta_pointer(&self) -> String {
        format!("{}/metadata", self.pointer)
    }

    /// Pointer of a path under the pod spec.
    pub fn spec_path(&self, tokens: &[&str]) -> String {
        pointer::join(&self.spec_pointer(), tokens)
    }

    /// All containers: regular, init and ephemeral.
    pub fn containers(&self) -> impl Iterator<Item = Container<'a>> + 'a {
        let spec = self.spec;
        [
            ContainerKind::Regular,
            ContainerKind::Init,
            ContainerKind::Ephemeral,
        ]
        .into_iter()
        .flat_map(move |kind| {
            let items: &'a [Value] = match spec.field(kind.field()) {
                Some(Value::Array(a)) => a,
                _ => &[],
            };
            items
                .iter()
                .enumerate()
                .map(move |(index, value)| Container {
                    kind,
                    index,
                    name: value.field("name").and_then(Value::as_str).unwrap_or(""),
                    value,
                })
        })
    }

    /// Regular and init containers (what runs for the life of the pod or before it).
    pub fn regular_and_init(&self) -> impl Iterator<Item = Container<'a>> + 'a {
        self.containers()
            .filter(|c| c.kind != ContainerKind::Ephemeral)
    }

    /// Pointer of a container, or of a path under it.
    pub fn container_path(&self, c: &Container<'_>, tokens: &[&str]) -> String {
        let mut p = format!("{}/spec/{}/{}", self.pointer, c.kind.field(), c.index);
        for t in tokens {
            pointer::push(&mut p, t);
        }
        p
    }

    /// The effective value of a security-context field that exists at both pod and container
    /// level (`runAsUser`, `runAsGroup`, `runAsNonRoot`, `seccompProfile`, `seLinuxOptions`,
    /// `appArmorProfile`, `windowsOptions`): the container's value wins, else the pod's.
    /// Returns the value and the pointer it was read from.
    pub fn effective(&self, c: &Container<'a>, field: &str) -> Option<(&'a Value, String)> {
        if let Some(v) = c
            .value
            .field("securityContext")
            .and_then(|s| s.field(field))
            && !v.is_null()
        {
            return Some((v, self.container_path(c, &["securityContext", field])));
        }
        match self
            .spec
            .field("securityContext")
            .and_then(|s| s.field(field))
        {
            Some(v) if !v.is_null() => Some((v, self.spec_path(&["securityContext", field]))),
            _ => None,
        }
    }

    /// The pod-level `securityContext`, if any.
    pub fn pod_security_context(&self) -> Option<&'a Value> {
        self.spec.field("securityContext")
    }

    /// The object-level annotations of the template (where seccomp/AppArmor annotations live).
    pub fn annotation(&self, key: &str) -> Option<&'a str> {
        self.metadata?.field("annotations")?.field(key)?.as_str()
    }
}
