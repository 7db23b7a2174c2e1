//! Declared network flows: the segmentation file (`segmentation:` in the configuration,
//! `netpol review --segmentation`) and the positions of errors in flows files.

/// `path:line:column: message` for an error of a flows or segmentation file that names its
/// entry (`flows[2].port: ...` or `flows[2]: ...`): the position of that field, else of the
/// entry, else `path: message`.
pub fn located(path: &str, text: &str, doc: &kubecomply_core::Value, message: &str) -> String {
    let position = (|| {
        let rest = message.strip_prefix("flows[")?;
        let (index, rest) = rest.split_once(']')?;
        let index: usize = index.parse().ok()?;
        let base = if doc.is_array() {
            format!("/{index}")
        } else {
            format!("/flows/{index}")
        };
        let positions = kubecomply_loader::locate::PositionIndex::build(text, 1);
        let key = rest
            .strip_prefix('.')
            .and_then(|r| r.split([':', '.', ' ']).next())
            .filter(|k| !k.is_empty());
        key.and_then(|k| positions.locate(&format!("{base}/{k}")))
            .or_else(|| positions.locate(&base))
    })();
    match position {
        Some((line, column)) => format!("{path}:{line}:{column}: {message}"),
        None => format!("{path}: {message}"),
    }
}

/// Reads a segmentation file (declared cross-class flows); errors name file, line and column.
pub fn load_segmentation(
    path: &str,
    limits: &kubecomply_loader::Limits,
) -> Result<kubecomply_netpol::Segmentation, String> {
    let text = crate::inputs::read_setting(std::path::Path::new(path), limits)
        .map_err(|e| e.to_string())?;
    let parsed = match kubecomply_loader::parse_documents(&text) {
        Ok(docs) if docs.len() == 1 => docs.into_iter().next().unwrap_or_default(),
        Ok(docs) => {
            return Err(format!(
                "{path}: expected one YAML document, found {}",
                docs.len()
            ));
        }
        Err(e) => return Err(format!("{path}:{e}")),
    };
    kubecomply_netpol::Segmentation::parse(&parsed).map_err(|e| located(path, &text, &parsed, &e))
}
