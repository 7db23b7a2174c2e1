//! Problems with the input itself (unreadable files, malformed YAML), kept apart from findings.

use serde::Serialize;

use crate::text::esc;

/// How serious an input problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Something was skipped on purpose (non-Kubernetes YAML).
    Note,
    /// Suspicious but used (duplicate key, last value kept).
    Warning,
    /// Input that could not be read or parsed; exit status 2.
    Error,
}

/// A problem with an input, with its position.
#[derive(Clone, Debug, Serialize)]
pub struct Diagnostic {
    /// Severity of the problem.
    pub level: Level,
    /// The file (`<stdin>` for standard input).
    pub file: String,
    /// 1-based line, 0 when not applicable.
    pub line: u32,
    /// 1-based column, 0 when not applicable.
    pub column: u32,
    /// What is wrong.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic about a whole file.
    pub fn file(level: Level, file: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            level,
            file: file.to_string(),
            line: 0,
            column: 0,
            message: message.into(),
        }
    }

    /// `file:line:column: level: message`, the form editors and CI logs understand.
    pub fn render(&self) -> String {
        let level = match self.level {
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        };
        // File names and messages may quote hostile input: one line, escaped.
        let (file, message) = (esc(&self.file), esc(&self.message));
        if self.file.is_empty() {
            format!("{level}: {message}")
        } else if self.line > 0 {
            format!("{file}:{}:{}: {level}: {message}", self.line, self.column)
        } else {
            format!("{file}: {level}: {message}")
        }
    }
}
