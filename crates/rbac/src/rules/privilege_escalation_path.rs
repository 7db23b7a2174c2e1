//! KC-RBAC-108 privilege-escalation-path.

use std::collections::HashMap;

use kubecomply_core::{Category, Finding, RuleMeta, Severity};

use super::{Check, Rule, SINCE};
use crate::model::Subject;
use crate::paths::Path;
use crate::review::{Review, is_system_subject};

/// The rule's metadata.
pub(crate) const META: RuleMeta<'static> = RuleMeta {
    code: "KC-RBAC-108",
    slug: "privilege-escalation-path",
    title: "Subject can escalate to cluster-admin-equivalent power in several steps",
    severity: Severity::High,
    category: Category::Rbac,
    since: SINCE,
    docs: DOCS,
    references: &[],
};

/// The rule.
pub(crate) static RULE: Rule = Rule {
    meta: &META,
    check: Check::Paths(check),
};

const DOCS: &str = r#"## What it checks
Searches, for each subject of the input's bindings, the shortest chain of steps to
cluster-admin-equivalent power: creating pods or workloads (running them as any ServiceAccount of
the namespace), exec into pods (their mounted tokens), reading legacy token Secrets, creating
ServiceAccount tokens, impersonation, binding or escalating ClusterRoles, writing admission
webhook configurations and `nodes/proxy`. Fails when such a chain has two steps or more;
direct grants are reported by KC-RBAC-101 and by the single-role rules. The message lists the
steps, each with the binding and role rule that allows it. Control-plane subjects are not
reported.

## Why it matters
A subject that looks harmless on its own may reach full control through another identity's
permissions. `kubecomply rbac paths` shows every chain.

## How to fix
Break the chain at its cheapest link: usually pod creation or Secret reading in a namespace
whose ServiceAccounts are powerful.
"#;

fn check(review: &Review<'_>, found: &[Path], out: &mut Vec<Finding>) {
    // A finding points at the subject's first binding of the input.
    let mut first: HashMap<&Subject, (usize, usize)> = HashMap::new();
    for b in &review.auth.policy.bindings {
        let Some(obj) = b.object else { continue };
        for (si, s) in b.subjects.iter().enumerate() {
            if let Some(s) = s {
                first.entry(s).or_insert((obj, si));
            }
        }
    }
    for p in found {
        if p.steps.len() < 2 || is_system_subject(&p.subject) {
            continue;
        }
        let Some(&(obj, si)) = first.get(&p.subject) else {
            continue;
        };
        let steps: Vec<String> = p
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{}. {} [{}]", i + 1, s.description, s.rule.display()))
            .collect();
        out.extend(review.finding(
            &META,
            obj,
            format!("/subjects/{si}"),
            format!(
                "{} can reach cluster-admin-equivalent power in {} steps: {}",
                p.subject.display(),
                p.steps.len(),
                steps.join(" ")
            ),
        ));
    }
}
