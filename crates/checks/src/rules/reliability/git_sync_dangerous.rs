//! KC-REL-009 git-sync-dangerous.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::repository_segments;
use crate::rule::{Context, Rule, Target, Violations};
use crate::util::image_of;

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-REL-009",
        slug: "git-sync-dangerous",
        title: "git-sync is configured to run an arbitrary git binary or git config",
        severity: Severity::Medium,
        category: Category::Reliability,
        since: "0.1.0",
        docs: DOCS,
        references: &[reference("checkov", "CKV_K8S_159")],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every container, init container and ephemeral container that sets one of the
environment variables `GITSYNC_GIT` or `GITSYNC_GIT_CONFIG` (git-sync v4), or their v3 spellings
`GIT_SYNC_GIT` and `GIT_SYNC_GIT_CONFIG`, whatever the value and whether it is a literal or comes
from `valueFrom`. Names compare exactly. These names mean something only to git-sync, so the
container's image is not consulted (a renamed mirror of git-sync is still caught).

In addition, for containers whose image repository ends with `git-sync` (registry, tag and
digest removed), the equivalent command-line flags in `command` or `args` fail: `--git`,
`--git-config`, in the forms `--git=x`, `--git x`, and with a single dash.

## Why it matters
`GITSYNC_GIT` / `--git` chooses the program git-sync runs as `git`, and `GITSYNC_GIT_CONFIG` /
`--git-config` passes arbitrary git configuration, where keys such as `core.sshCommand` or
`core.fsmonitor` name commands to execute. Anyone who can edit the workload, or set its
environment through a ConfigMap or Secret it reads, can therefore run arbitrary code in the
git-sync container, which holds the repository credentials and writes into a volume that the
application then loads. Security researchers demonstrated this path against git-sync in 2024.

## How to fix
Remove these settings; git-sync finds `git` on its own and rarely needs extra git
configuration. If a specific option is really needed, set it in a git config file baked into a
reviewed image, and document an exception.

## Differences from other tools
Checkov only looks for the environment variable `GITSYNC_GIT`; kubecomply also covers the git
config option, the v3 names and the command-line flags.
"#;

const ENV_NAMES: &[&str] = &[
    "GITSYNC_GIT",
    "GITSYNC_GIT_CONFIG",
    "GIT_SYNC_GIT",
    "GIT_SYNC_GIT_CONFIG",
];

/// The flag (`--git` or `--git-config`) an argument sets, if any.
fn dangerous_flag(arg: &str) -> Option<&'static str> {
    let name = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-'))?;
    let name = name.split_once('=').map(|(n, _)| n).unwrap_or(name);
    match name {
        "git" => Some("--git"),
        "git-config" => Some("--git-config"),
        _ => None,
    }
}

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        for c in t.containers() {
            if let Some(env) = c.value.field("env").and_then(Value::as_array) {
                for (i, e) in env.iter().enumerate() {
                    let Some(name) = e.field("name").and_then(Value::as_str) else {
                        continue;
                    };
                    if ENV_NAMES.contains(&name) {
                        out.fail_container(
                            &c,
                            t.container_path(&c, &["env", &i.to_string(), "name"]),
                            format!(
                                "{} {:?} sets {name}, which lets git-sync run an arbitrary program or git configuration",
                                c.kind.noun(),
                                c.name
                            ),
                        );
                    }
                }
            }
            let is_git_sync = image_of(&c).is_some_and(|image| {
                repository_segments(image)
                    .last()
                    .is_some_and(|s| s == "git-sync")
            });
            if !is_git_sync {
                continue;
            }
            for field in ["command", "args"] {
                let Some(items) = c.value.get(field).and_then(Value::as_array) else {
                    continue;
                };
                for (i, arg) in items.iter().enumerate() {
                    let Some(flag) = arg.as_str().and_then(dangerous_flag) else {
                        continue;
                    };
                    out.fail_container(
                        &c,
                        t.container_path(&c, &[field, &i.to_string()]),
                        format!(
                            "{} {:?} passes {flag} to git-sync, which lets it run an arbitrary program or git configuration",
                            c.kind.noun(),
                            c.name
                        ),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags() {
        assert_eq!(dangerous_flag("--git=/tmp/x"), Some("--git"));
        assert_eq!(dangerous_flag("-git"), Some("--git"));
        assert_eq!(
            dangerous_flag("--git-config=core.sshCommand:x"),
            Some("--git-config")
        );
        assert_eq!(dangerous_flag("--repo=https://example.com/r.git"), None);
        assert_eq!(dangerous_flag("--git-gc=auto"), None);
        assert_eq!(dangerous_flag("git"), None);
    }
}
