//! Reliability: probes, controllers, selectors and legacy components.

use kubecomply_core::value::Field;

use kubecomply_core::Object;
use kubecomply_core::Value;
use kubecomply_core::pod::PodTemplate;

use crate::rule::Rule;

pub mod duplicate_env_var;
pub mod git_sync_dangerous;
pub mod kubernetes_dashboard;
pub mod liveness_probe_missing;
pub mod naked_pod;
pub mod readiness_probe_missing;
pub mod selector_mismatch;
pub mod ssh_port_exposed;
pub mod tiller_deployed;

/// The rules of this area, in code order.
pub static RULES: &[&Rule] = &[
    &liveness_probe_missing::RULE,
    &readiness_probe_missing::RULE,
    &naked_pod::RULE,
    &duplicate_env_var::RULE,
    &selector_mismatch::RULE,
    &ssh_port_exposed::RULE,
    &kubernetes_dashboard::RULE,
    &tiller_deployed::RULE,
    &git_sync_dangerous::RULE,
];

/// Whether the pods of this template run to completion rather than serve: the object is a Job
/// or CronJob, a Pod owned by a Job, or the template's `restartPolicy` is `Never` or
/// `OnFailure` (which also covers job-like custom resources).
pub(crate) fn runs_to_completion(obj: &Object, t: &PodTemplate<'_>) -> bool {
    if matches!(obj.kind.as_str(), "Job" | "CronJob") {
        return true;
    }
    if matches!(
        t.spec.field("restartPolicy").and_then(Value::as_str),
        Some("Never" | "OnFailure")
    ) {
        return true;
    }
    obj.kind == "Pod"
        && obj
            .value
            .field("metadata")
            .and_then(|m| m.field("ownerReferences"))
            .and_then(Value::as_array)
            .is_some_and(|refs| {
                refs.iter()
                    .any(|r| r.field("kind").and_then(Value::as_str) == Some("Job"))
            })
}

/// The path segments of an image repository (without registry, tag or digest).
pub(crate) fn repository_segments(image: &str) -> Vec<String> {
    crate::util::parse_image(image)
        .repository
        .split('/')
        .map(str::to_ascii_lowercase)
        .collect()
}

/// A label value of the object's own metadata or of the template's metadata.
pub(crate) fn label<'a>(
    obj: &'a Object,
    t: &PodTemplate<'a>,
    key: &str,
) -> Option<(&'a str, String)> {
    if let Some(v) = t
        .metadata
        .and_then(|m| m.field("labels"))
        .and_then(|l| l.field(key))
        .and_then(Value::as_str)
    {
        return Some((
            v,
            kubecomply_core::pointer::join(&t.meta_pointer(), &["labels", key]),
        ));
    }
    obj.labels()
        .and_then(|l| l.field(key))
        .and_then(Value::as_str)
        .map(|v| {
            (
                v,
                kubecomply_core::pointer::join("/metadata", &["labels", key]),
            )
        })
}

/// Shared check of the probe rules: every regular container of a serving template needs
/// `field` set to a mapping.
pub(crate) fn probe_check(obj: &Object, out: &mut crate::rule::Violations, field: &str) {
    for t in obj.templates() {
        if runs_to_completion(obj, &t) {
            continue;
        }
        for c in t.containers() {
            if c.kind != kubecomply_core::pod::ContainerKind::Regular {
                continue;
            }
            if c.value.field(field).is_some_and(Value::is_object) {
                continue;
            }
            out.fail_container(
                &c,
                t.container_path(&c, &[]),
                format!("{} {:?} has no {field}", c.kind.noun(), c.name),
            );
        }
    }
}
