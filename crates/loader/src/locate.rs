//! Lazy source positions: JSON pointer → line and column, built only for documents that have
//! findings, by re-reading the document's text with the event parser.

use std::collections::{HashMap, HashSet};

use kubecomply_core::Value;
use saphyr_parser::{Event, Parser};

use kubecomply_core::pointer;

enum Frame {
    Seq {
        pointer: String,
        next: usize,
    },
    Map {
        pointer: String,
        /// `None`: the next scalar is a key. `Some(None)`: the value of a key that is not
        /// wanted. `Some(Some(p))`: the value of the key at pointer `p`.
        key: Option<Option<String>>,
    },
    /// A collection nobody asked about: its events are consumed without work.
    Skip,
}

/// Positions of every key and sequence item of the first document in `text`.
#[derive(Debug, Default)]
pub struct PositionIndex {
    positions: HashMap<String, (u32, u32)>,
}

impl PositionIndex {
    /// Indexes every node of the first document of `text`; `first_line` is the absolute line
    /// of `text`'s first line. Parse errors end the index early (what was indexed stays usable).
    pub fn build(text: &str, first_line: u32) -> PositionIndex {
        Self::build_filtered(text, first_line, None)
    }

    /// Indexes only the given pointers and their ancestors (so that a missing field still
    /// resolves to its nearest parent); other subtrees are skipped.
    pub fn build_for(text: &str, first_line: u32, pointers: &[&str]) -> PositionIndex {
        let mut wanted: HashSet<&str> = HashSet::new();
        wanted.insert("");
        for p in pointers {
            let mut cur: &str = p;
            while wanted.insert(cur) {
                match pointer::parent(cur) {
                    Some(parent) => cur = parent,
                    None => break,
                }
            }
        }
        Self::build_filtered(text, first_line, Some(&wanted))
    }

    fn build_filtered(
        text: &str,
        first_line: u32,
        wanted: Option<&HashSet<&str>>,
    ) -> PositionIndex {
        let (positions, shallow_quoted) = Self::index(text, first_line, wanted);
        if !shallow_quoted {
            return PositionIndex { positions };
        }
        // A quoted scalar continued on a line indented no deeper than its key: the loader read
        // the document as Go's YAML does, and so does this index, in the text's own columns.
        let limits = crate::yaml::Limits::default();
        let budget = crate::yaml::AliasBudget::of(&limits);
        let strict = crate::yaml::parse_sequential_with(text, &limits, &budget);
        let Some(l) = crate::yaml::lenient(text, &limits, &strict, &budget) else {
            return PositionIndex { positions };
        };
        let (mut positions, _) = Self::index(&l.text, first_line, wanted);
        let offset = first_line.saturating_sub(1);
        for pos in positions.values_mut() {
            pos.1 = l.column(pos.0 - offset, pos.1);
        }
        PositionIndex { positions }
    }

    /// Indexes `text` up to its first error; also says whether that error was a quoted scalar
    /// continued on a shallow line.
    fn index(
        text: &str,
        first_line: u32,
        wanted: Option<&HashSet<&str>>,
    ) -> (HashMap<String, (u32, u32)>, bool) {
        let offset = first_line.saturating_sub(1);
        let mut positions = HashMap::new();
        let mut stack: Vec<Frame> = Vec::new();
        let mut parser = Parser::new_from_str(text);
        let is_wanted = |p: &str| wanted.is_none_or(|w| w.contains(p));
        let mut shallow_quoted = false;
        loop {
            let (ev, span) = match parser.next_event() {
                Some(Ok(x)) => x,
                Some(Err(e)) => {
                    shallow_quoted = e.info() == crate::yaml::SHALLOW_QUOTED;
                    break;
                }
                None => break,
            };
            let pos = (
                span.start.line() as u32 + offset,
                span.start.col() as u32 + 1,
            );
            let starts_node = matches!(
                ev,
                Event::Scalar(..)
                    | Event::SequenceStart(..)
                    | Event::MappingStart(..)
                    | Event::Alias(_)
            );
            // The pointer of the node this event starts: Some(p) to index below it, None to skip.
            let mut node: Option<String> = None;
            if starts_node {
                match stack.last_mut() {
                    None => {
                        positions.entry(String::new()).or_insert(pos);
                        node = Some(String::new());
                    }
                    Some(Frame::Skip) => {}
                    Some(Frame::Seq { pointer, next }) => {
                        let p = format!("{pointer}/{next}");
                        *next += 1;
                        if is_wanted(&p) {
                            positions.entry(p.clone()).or_insert(pos);
                            node = Some(p);
                        }
                    }
                    Some(Frame::Map { pointer, key }) => match key.take() {
                        None => {
                            // This node is a key.
                            if let Event::Scalar(text, style, _, tag) = &ev {
                                // Keys resolve like values (`off:` is the key "false").
                                let name = crate::scalar::key_text(text, *style, tag.as_deref());
                                let mut p = pointer.clone();
                                pointer::push(&mut p, &name);
                                if is_wanted(&p) {
                                    positions.entry(p.clone()).or_insert(pos);
                                    *key = Some(Some(p));
                                } else {
                                    *key = Some(None);
                                }
                                continue;
                            }
                            // A complex key: skip it and its value.
                            *key = Some(None);
                        }
                        Some(p) => node = p,
                    },
                }
            }
            match ev {
                Event::SequenceStart(..) | Event::MappingStart(..) => {
                    if stack.len() > 256 {
                        break;
                    }
                    let frame = match (node, &ev) {
                        (Some(pointer), Event::SequenceStart(..)) => {
                            Frame::Seq { pointer, next: 0 }
                        }
                        (Some(pointer), _) => Frame::Map { pointer, key: None },
                        (None, _) => Frame::Skip,
                    };
                    stack.push(frame);
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    stack.pop();
                }
                Event::DocumentEnd => break,
                _ => {}
            }
        }
        (positions, shallow_quoted)
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

/// Number of nodes of `v` in document order (a mapping counts its keys).
fn node_count(v: &Value) -> usize {
    match v {
        Value::Array(items) => 1 + items.iter().map(node_count).sum::<usize>(),
        Value::Object(map) => 1 + map.values().map(|c| 1 + node_count(c)).sum::<usize>(),
        _ => 1,
    }
}

/// Resolves pointers of one document with the positions recorded at parse time. The positions
/// are decoded once and the node count of each subtree is computed once, however many findings
/// the document has (a finding used to cost a walk over every node before it).
pub struct RecordedDocument<'a> {
    value: &'a Value,
    positions: Vec<(u32, u32)>,
    /// Node counts of the subtrees walked past, by address.
    sizes: AddressMap<usize>,
}

/// A map keyed by addresses.
type AddressMap<V> = HashMap<usize, V, std::hash::BuildHasherDefault<AddressHasher>>;

/// A hasher for addresses (the default SipHash cost more than the walk it saves).
#[derive(Default)]
struct AddressHasher(u64);

impl std::hash::Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_usize(&mut self, n: usize) {
        // Multiplicative (Fibonacci) hashing; the high bits, which hashbrown uses, mix well.
        self.0 = (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

impl<'a> RecordedDocument<'a> {
    /// A document's value and its recorded positions.
    pub fn new(value: &'a Value, positions: &kubecomply_core::Positions) -> RecordedDocument<'a> {
        RecordedDocument {
            value,
            positions: positions.iter().collect(),
            sizes: HashMap::default(),
        }
    }

    fn size(&mut self, v: &Value) -> usize {
        match v {
            Value::Array(_) | Value::Object(_) => {
                let address = v as *const Value as usize;
                *self.sizes.entry(address).or_insert_with(|| node_count(v))
            }
            _ => 1,
        }
    }

    /// Line and column of `pointer`: walks the value in document order, counting nodes, down
    /// to the deepest existing token (a missing field resolves to its nearest parent, as with
    /// [`PositionIndex`]).
    pub fn locate(&mut self, pointer: &str) -> Option<(u32, u32)> {
        let mut node: &Value = self.value;
        let mut index = 0usize; // node index of `node`
        let mut found = index; // index of the deepest resolved position
        for token in kubecomply_core::pointer::tokens(pointer) {
            match node {
                Value::Object(map) => {
                    let mut i = index + 1;
                    let mut next = None;
                    for (k, child) in map {
                        if k.as_str() == token.as_ref() {
                            next = Some((child, i));
                            break;
                        }
                        i += 1 + self.size(child);
                    }
                    let Some((child, key_index)) = next else {
                        break;
                    };
                    found = key_index;
                    node = child;
                    index = key_index + 1;
                }
                Value::Array(items) => {
                    let Ok(n) = token.parse::<usize>() else { break };
                    let Some(child) = items.get(n) else { break };
                    let mut i = index + 1;
                    for item in &items[..n] {
                        i += self.size(item);
                    }
                    found = i;
                    node = child;
                    index = i;
                }
                _ => break,
            }
        }
        self.positions.get(found).copied()
    }
}

/// Resolves one `pointer` with the positions recorded at parse time (see
/// [`RecordedDocument::locate`]).
pub fn locate_recorded(
    value: &Value,
    positions: &kubecomply_core::Positions,
    pointer: &str,
) -> Option<(u32, u32)> {
    RecordedDocument::new(value, positions).locate(pointer)
}

/// Fills in line and column of findings from their origins: from the positions recorded at
/// parse time where the document has them (looking the value up in `inventory`), otherwise by
/// parsing the document again, once per document with findings, in parallel across documents.
pub fn resolve(findings: &mut [kubecomply_core::Finding], inventory: &kubecomply_core::Inventory) {
    use rayon::prelude::*;
    // Objects share their origin with their findings: the origin's address names the object.
    let values: AddressMap<&Value> = inventory
        .objects
        .par_iter()
        .chain(inventory.invalid.par_iter())
        .filter(|o| o.origin.positions.is_some())
        .map(|o| (std::sync::Arc::as_ptr(&o.origin) as usize, &o.value))
        .collect();
    let mut recorded: AddressMap<Vec<usize>> = AddressMap::default();
    for (i, f) in findings.iter().enumerate() {
        if let Some(o) = &f.location.origin
            && o.positions.is_some()
        {
            let key = std::sync::Arc::as_ptr(o) as usize;
            if values.contains_key(&key) {
                recorded.entry(key).or_default().push(i);
            }
        }
    }
    let recorded: Vec<Vec<usize>> = recorded.into_values().collect();
    resolve_documents(
        findings,
        &recorded,
        |o, _| {
            let value = values.get(&(std::sync::Arc::as_ptr(o) as usize))?;
            Some(RecordedDocument::new(value, o.positions.as_ref()?))
        },
        RecordedDocument::locate,
    );
    // The rest: parse the document again, by (source address, document start).
    let mut groups: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        if f.location.line > 0 {
            continue;
        }
        if let Some(o) = &f.location.origin {
            let key = (std::sync::Arc::as_ptr(&o.source) as usize, o.span.start);
            groups.entry(key).or_default().push(i);
        }
    }
    let groups: Vec<Vec<usize>> = groups.into_values().collect();
    resolve_documents(
        findings,
        &groups,
        |o, wanted| {
            let text = o.source.text.get(o.span.clone()).unwrap_or("");
            Some(PositionIndex::build_for(text, o.line, wanted))
        },
        |index, pointer| index.locate(pointer),
    );
}

/// Resolves groups of findings of one document each, in parallel across groups: `locator`
/// builds a document's locator once from the first finding's origin and the group's pointers,
/// `locate` answers one pointer with it (the document's start when it cannot), and line and
/// column are written back.
fn resolve_documents<L>(
    findings: &mut [kubecomply_core::Finding],
    groups: &[Vec<usize>],
    locator: impl Fn(&std::sync::Arc<kubecomply_core::Origin>, &[&str]) -> Option<L> + Sync,
    locate: impl Fn(&mut L, &str) -> Option<(u32, u32)> + Sync,
) {
    use rayon::prelude::*;
    let located: Vec<Vec<(usize, (u32, u32))>> = {
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
                let wanted: Vec<&str> = idxs
                    .iter()
                    .map(|&i| findings_ref[i].location.pointer.as_str())
                    .collect();
                let Some(mut l) = locator(o, &wanted) else {
                    return Vec::new();
                };
                idxs.iter()
                    .zip(&wanted)
                    .map(|(&i, p)| (i, locate(&mut l, p).unwrap_or((o.line, 1))))
                    .collect()
            })
            .collect()
    };
    for group in located {
        for (i, (line, column)) in group {
            findings[i].location.line = line;
            findings[i].location.column = column;
        }
    }
}
