//! KC-GEN-003 expired-exception.

use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule. The engine emits its findings from the exceptions file; it targets no object.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-GEN-003",
        slug: "expired-exception",
        title: "An exception has expired",
        severity: Severity::Medium,
        category: Category::Hygiene,
        since: "0.1.0",
        docs: DOCS,
        references: &[],
    },
    target: Target::Kinds(&[]),
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every entry of the exceptions file whose `expires` date is before today (UTC; an
exception applies through the whole of its expiry day). The finding points at the `expires`
field of the entry.

## Why it matters
Exceptions are accepted risk with an owner and an end date. Once the date passes, the exception
stops applying, the findings it covered fail again, and this finding tells the owner why.
Auditors expect accepted deviations to be reviewed, not to live forever.

## How to fix
Fix the underlying findings and delete the entry, or review the risk with its owner and set a
new `expires` date.
"#;

fn check(_cx: &Context<'_>, _obj: &Object, _out: &mut Violations) {}
