//! Lazy source positions: JSON pointer → line and column, built only for documents that have
//! findings, by re-reading the document's text with the event parser.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser};

use kubecomply_core::pointer;

enum Frame {
    Seq {
        pointer: String,
        next: usize,
    },
    Map {
        pointer: String,
        key: Option<String>,
    },
}

/// Positions of every key and sequence item of the first document in `text`.
#[derive(Debug, Default)]
pub struct PositionIndex {
    positions: HashMap<String, (u32, u32)>,
}

impl PositionIndex {
    /// Indexes the first document of `text`; `first_line` is the absolute line of `text`'s
    /// first line. Parse errors end the index early (what was indexed stays usable).
    pub fn build(text: &str, first_line: u32) -> PositionIndex {
        let offset = first_line.saturating_sub(1);
        let mut positions = HashMap::new();
        let mut stack: Vec<Frame> = Vec::new();
        let mut parser = Parser::new_from_str(text);
        let mut depth_guard = 0usize;
        while let Some(Ok((ev, span))) = parser.next_event() {
            let pos = (
                span.start.line() as u32 + offset,
                span.start.col() as u32 + 1,
            );
            // The pointer of the node this event starts, if it starts one.
            let starts_node = matches!(
                ev,
                Event::Scalar(..)
                    | Event::SequenceStart(..)
                    | Event::MappingStart(..)
                    | Event::Alias(_)
            );
            let mut node_pointer: Option<String> = None;
            if starts_node {
                match stack.last_mut() {
                    None => {
                        positions.entry(String::new()).or_insert(pos);
                        node_pointer = Some(String::new());
                    }
                    Some(Frame::Seq { pointer, next }) => {
                        let p = format!("{pointer}/{next}");
                        *next += 1;
                        positions.entry(p.clone()).or_insert(pos);
                        node_pointer = Some(p);
                    }
                    Some(Frame::Map { pointer, key }) => match key.take() {
                        None => {
                            if let Event::Scalar(text, ..) = &ev {
                                let mut p = pointer.clone();
                                pointer::push(&mut p, text);
                                positions.entry(p.clone()).or_insert(pos);
                                *key = Some(p);
                            } else {
                                // Complex key: index nothing below it.
                                *key = Some(String::from("\u{0}"));
                                node_pointer = Some(String::from("\u{0}"));
                            }
                            if matches!(ev, Event::Scalar(..)) {
                                continue;
                            }
                        }
                        Some(p) => node_pointer = Some(p),
                    },
                }
            }
            match ev {
                Event::SequenceStart(..) => {
                    depth_guard += 1;
                    if depth_guard > 256 {
                        break;
                    }
                    stack.push(Frame::Seq {
                        pointer: node_pointer.unwrap_or_default(),
                        next: 0,
                    });
                }
                Event::MappingStart(..) => {
                    depth_guard += 1;
                    if depth_guard > 256 {
                        break;
                    }
                    stack.push(Frame::Map {
                        pointer: node_pointer.unwrap_or_default(),
                        key: None,
                    });
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    depth_guard = depth_guard.saturating_sub(1);
                    stack.pop();
                }
                Event::DocumentEnd => break,
                _ => {}
            }
        }
        PositionIndex { positions }
    }

    /// The position of `pointer`, or of its nearest indexed parent.
    pub fn locate(&self, pointer: &str) -> Option<(u32, u32)> {
        let mut p = pointer;
        loop {
            if let Some(pos) = self.positions.get(p) {
                return Some(*pos);
            }
            p = pointer::parent(p)?;
        }
    }

    /// Number of indexed positions.
    pub fn len(&self) -> usize {
        self.positions.len()
    }

    /// Whether nothing was indexed.
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }
}

/// Fills in line and column of findings from their origins, building one index per document
/// that has findings (in parallel across documents).
pub fn resolve(findings: &mut [kubecomply_core::Finding]) {
    use std::collections::HashMap;
    // Group finding indexes by (source address, document start).
    let mut groups: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        if let Some(o) = &f.location.origin {
            let key = (std::sync::Arc::as_ptr(&o.source) as usize, o.span.start);
            groups.entry(key).or_default().push(i);
        }
    }
    let groups: Vec<Vec<usize>> = groups.into_values().collect();
    let resolved: Vec<Vec<(usize, (u32, u32))>> = {
        use rayon::prelude::*;
        let findings_ref: &[kubecomply_core::Finding] = findings;
        groups
            .par_iter()
            .map(|idxs| {
                let Some(o) = idxs
                    .first()
                    .and_then(|&i| findings_ref[i].location.origin.as_ref())
                else {
                    return Vec::new();
                };
                let text = o.source.text.get(o.span.clone()).unwrap_or("");
                let index = PositionIndex::build(text, o.line);
                idxs.iter()
                    .map(|&i| {
                        let pos = index
                            .locate(&findings_ref[i].location.pointer)
                            .unwrap_or((o.line, 1));
                        (i, pos)
                    })
                    .collect()
            })
            .collect()
    };
    for group in resolved {
        for (i, (line, column)) in group {
            findings[i].location.line = line;
            findings[i].location.column = column;
        }
    }
}
