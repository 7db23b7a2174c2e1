//! The inventory: every object of one evaluation, indexed once and shared read-only.

use std::collections::HashMap;

use crate::object::Object;

/// All objects of one evaluation with lookup indexes.
#[derive(Debug, Default)]
pub struct Inventory {
    /// The objects, in input order.
    pub objects: Vec<Object>,
    by_kind: HashMap<String, Vec<usize>>,
    by_kind_namespace: HashMap<(String, String), Vec<usize>>,
    by_key: HashMap<(String, String, String), usize>,
}

impl Inventory {
    /// Builds the indexes over `objects`.
    pub fn new(objects: Vec<Object>) -> Inventory {
        let mut by_kind: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_kind_namespace: HashMap<(String, String), Vec<usize>> = HashMap::new();
        let mut by_key = HashMap::with_capacity(objects.len());
        for (i, o) in objects.iter().enumerate() {
            by_kind.entry(o.kind.clone()).or_default().push(i);
            by_kind_namespace
                .entry((o.kind.clone(), o.namespace.clone().unwrap_or_default()))
                .or_default()
                .push(i);
            by_key
                .entry((
                    o.kind.clone(),
                    o.namespace.clone().unwrap_or_default(),
                    o.name.clone(),
                ))
                .or_insert(i);
        }
        Inventory {
            objects,
            by_kind,
            by_kind_namespace,
            by_key,
        }
    }

    /// All objects of a kind.
    pub fn of_kind<'a>(&'a self, kind: &str) -> impl Iterator<Item = &'a Object> + 'a {
        self.by_kind
            .get(kind)
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .map(|&i| &self.objects[i])
    }

    /// All objects of a kind in one namespace (empty: objects without a namespace).
    pub fn in_namespace<'a>(
        &'a self,
        kind: &str,
        namespace: &str,
    ) -> impl Iterator<Item = &'a Object> + 'a {
        self.by_kind_namespace
            .get(&(kind.to_string(), namespace.to_string()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .map(|&i| &self.objects[i])
    }

    /// Whether the input has any object of `kind`.
    pub fn has_kind(&self, kind: &str) -> bool {
        self.by_kind.contains_key(kind)
    }

    /// The object of `kind` named `name` in `namespace` (empty for cluster-scoped).
    pub fn get(&self, kind: &str, namespace: &str, name: &str) -> Option<&Object> {
        self.by_key
            .get(&(kind.to_string(), namespace.to_string(), name.to_string()))
            .map(|&i| &self.objects[i])
    }

    /// Number of objects.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether there are no objects.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }
}
