//! Compliance frameworks on a scan: the catalogues (built-in and custom, with the team's
//! policies mapped in), scope by data class, resource selection, attestations.

use std::path::{Path, PathBuf};

use kubecomply_core::diagnostic::Level;
use kubecomply_core::{CustomRule, Diagnostic, Finding, Inventory};
use kubecomply_frameworks::Framework;
use kubecomply_frameworks::report::FrameworkReport;
use kubecomply_frameworks::scope::Resource;

use crate::definition::Selection;
use crate::{Engine, Error, Result, ScanResult};

/// What to assess.
#[derive(Clone, Debug, Default)]
pub struct ReportRequest {
    /// Framework ids (case-insensitive); a framework named twice is assessed once.
    pub frameworks: Vec<String>,
    /// Evaluate every resource, not only those holding a framework's data class.
    pub scope_all: bool,
    /// The resources to evaluate (a report definition's selection); empty: all.
    pub selection: Selection,
    /// Attestations file for manual requirements.
    pub attestations: Option<PathBuf>,
}

/// The frameworks assessed, with what was met on the way.
pub struct Assessment<'e> {
    /// One report per framework, in request order.
    pub reports: Vec<FrameworkReport<'e>>,
    /// Warnings (rule codes no rule has, attestations that match nothing) and notes (how
    /// many resources a selection kept).
    pub diagnostics: Vec<Diagnostic>,
}

/// The built-in frameworks followed by the custom ones.
pub fn load(files: &[PathBuf], limits: &kubecomply_loader::Limits) -> Result<Vec<Framework>> {
    let joined = |errors: Vec<kubecomply_frameworks::FrameworkError>| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        Error::new(lines.join("\n"))
    };
    let mut all = kubecomply_frameworks::builtins().map_err(joined)?;
    for path in files {
        let name = path.display().to_string();
        let text = crate::inputs::read_setting(path, limits)?;
        let def = kubecomply_frameworks::parse(&text, &name).map_err(joined)?;
        if all.iter().any(|f| f.id == def.framework.id) {
            return Err(Error::new(format!(
                "{name}: a framework with id {:?} already exists",
                def.framework.id
            )));
        }
        let fw =
            kubecomply_frameworks::resolve(def, &all).map_err(|e| Error::new(e.to_string()))?;
        all.push(fw);
    }
    Ok(all)
}

/// Maps the team's policies into the frameworks their metadata names
/// (`frameworks: ["pci-dss:2.2.1"]`); a name that matches nothing is a warning.
pub fn map_policies(
    frameworks: &mut [Framework],
    custom: &[CustomRule],
    diagnostics: &mut Vec<Diagnostic>,
) {
    for r in custom {
        for target in &r.frameworks {
            let result = match frameworks
                .iter_mut()
                .find(|f| f.id.eq_ignore_ascii_case(&target.framework))
            {
                Some(f) => f.map_rule(&target.requirement, &r.code),
                None => Err(format!("no framework named {:?}", target.framework)),
            };
            if let Err(e) = result {
                diagnostics.push(Diagnostic::file(
                    Level::Warning,
                    &r.source,
                    format!("rule {}: {e}", r.code),
                ));
            }
        }
    }
}

/// Warnings for rule codes a framework names that no built-in rule or loaded policy has (a
/// typo in a custom framework, or a policy not given with `--policy`): such requirements can
/// only be "not assessed".
pub fn unknown_codes(engine: &Engine, f: &Framework) -> Vec<Diagnostic> {
    let catalogue = engine.catalogue();
    let known: std::collections::HashSet<&str> = catalogue.all().iter().map(|m| m.code).collect();
    let mut out = Vec::new();
    for (r, _) in f.all_requirements() {
        for code in &r.rules {
            if !known.contains(code.as_str()) {
                out.push(Diagnostic::file(
                    Level::Warning,
                    "",
                    format!(
                        "framework {} requirement {} names rule {code}, which no built-in rule or loaded policy has",
                        f.id, r.id
                    ),
                ));
            }
        }
    }
    out
}

/// The data classes each input resource holds (see `kubecomply_core::dataclass`).
pub fn data_classes(inventory: &Inventory) -> Vec<Resource> {
    inventory
        .objects
        .iter()
        .map(|o| Resource {
            kind: o.kind.clone(),
            namespace: o.namespace.clone(),
            name: o.name.clone(),
            classes: kubecomply_core::dataclass::held(o, inventory),
        })
        .collect()
}

/// [`Engine::assess`].
pub(crate) fn assess<'e>(
    engine: &'e Engine,
    inventory: &Inventory,
    scan: &ScanResult,
    request: &ReportRequest,
) -> Result<Assessment<'e>> {
    let mut diagnostics = Vec::new();
    let all_resources = data_classes(inventory);
    let chosen = request
        .selection
        .select(inventory, &all_resources, &scan.findings);
    let (resources, findings): (&[Resource], &[Finding]) = match &chosen {
        Some((r, f)) => {
            diagnostics.push(Diagnostic::file(
                Level::Note,
                "",
                format!(
                    "selection: {} of {} resources evaluated",
                    r.len(),
                    all_resources.len()
                ),
            ));
            (r, f)
        }
        None => (&all_resources, &scan.findings),
    };
    let mut selected: Vec<&Framework> = Vec::new();
    for id in &request.frameworks {
        let f = engine.framework(id.trim())?;
        diagnostics.extend(unknown_codes(engine, f));
        if !selected.iter().any(|s| s.id == f.id) {
            selected.push(f);
        }
    }
    let attestations = match &request.attestations {
        Some(p) => read_attestations(engine, p, &mut diagnostics)?,
        None => Vec::new(),
    };
    let known: Vec<&str> = scan.rules.iter().map(String::as_str).collect();
    let mut reports = Vec::new();
    for f in selected {
        let scope = kubecomply_frameworks::scope::select(f, resources, request.scope_all);
        let in_scope = kubecomply_frameworks::scope::filter(&scope, findings);
        let mut result = kubecomply_frameworks::evaluate(f, &in_scope, &known);
        let unmatched: Vec<_> =
            kubecomply_frameworks::apply_attestations(&mut result, &attestations)
                .into_iter()
                .cloned()
                .collect();
        for x in &unmatched {
            diagnostics.push(Diagnostic::file(
                Level::Warning,
                &x.location.to_string(),
                format!("{} has no requirement {:?}", f.id, x.requirement),
            ));
        }
        reports.push(FrameworkReport {
            scope,
            framework: f,
            result,
            unmatched,
        });
    }
    Ok(Assessment {
        reports,
        diagnostics,
    })
}

/// Reads an attestations file and checks each attestation's evidence and expiry.
fn read_attestations(
    engine: &Engine,
    path: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<Vec<kubecomply_frameworks::Attestation>> {
    let name = path.display().to_string();
    let text = crate::inputs::read_setting(path, &engine.settings().limits)?;
    let mut attestations =
        kubecomply_frameworks::parse_attestations(&text, &name).map_err(|es| {
            let lines: Vec<String> = es.iter().map(ToString::to_string).collect();
            Error::new(lines.join("\n"))
        })?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    kubecomply_frameworks::check_attestations(
        &mut attestations,
        engine.settings().clock.today,
        &base,
    );
    for x in &attestations {
        if let Some(problem) = &x.problem {
            diagnostics.push(Diagnostic::file(
                Level::Warning,
                &x.location.to_string(),
                format!(
                    "attestation for {}:{} is {}: {problem}",
                    x.framework,
                    x.requirement,
                    x.state.as_str()
                ),
            ));
        }
        if !engine
            .frameworks()?
            .iter()
            .any(|f| f.id.eq_ignore_ascii_case(&x.framework))
        {
            diagnostics.push(Diagnostic::file(
                Level::Warning,
                &x.location.to_string(),
                format!("attestation names unknown framework {:?}", x.framework),
            ));
        }
    }
    Ok(attestations)
}
