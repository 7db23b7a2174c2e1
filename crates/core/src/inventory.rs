//! The inventory: every object of one evaluation, indexed once and shared read-only.

use std::collections::HashMap;

use crate::object::Object;

/// All objects of one evaluation with lookup indexes.
#[derive(Debug, Default)]
pub struct Inventory {
    /// The valid objects, in input order: what every analysis reads.
    pub objects: Vec<Object>,
    /// The invalid objects ([`crate::shape`]), in input order: reported with status `error`,
    /// never analysed, never indexed (their identity cannot be trusted).
    pub invalid: Vec<Object>,
    by_kind: HashMap<String, Vec<usize>>,
    by_kind_namespace: HashMap<(String, String), Vec<usize>>,
    by_key: HashMap<(String, String, String), usize>,
}

impl Inventory {
    /// Builds the indexes over the valid `objects`; invalid ones are kept apart.
    pub fn new(objects: Vec<Object>) -> Inventory {
        let (objects, invalid): (Vec<Object>, Vec<Object>) =
            if objects.iter().all(|o| o.invalid.is_empty()) {
                (objects, Vec::new())
            } else {
                objects.into_iter().partition(|o| o.invalid.is_empty())
            };
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
            invalid,
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

    /// Adds `object`, or replaces the object of the same kind, namespace and name (a watch's
    /// ADDED or MODIFIED event); returns the replaced object. Indexes stay exact; the cost is
    /// that of the object's own index entries, not of the inventory.
    ///
    /// An invalid object is kept apart (see [`Inventory::invalid`]), replacing the invalid
    /// object read from the same place (cluster uid, or file, document and list item).
    pub fn upsert(&mut self, object: Object) -> Option<Object> {
        if !object.invalid.is_empty() {
            let same = |o: &Object| match (&o.origin.cluster, &object.origin.cluster) {
                (Some(a), Some(b)) => a.uid == b.uid,
                (None, None) => {
                    o.origin.source.path == object.origin.source.path
                        && o.origin.document == object.origin.document
                        && o.origin.prefix == object.origin.prefix
                }
                _ => false,
            };
            return match self.invalid.iter().position(same) {
                Some(i) => Some(std::mem::replace(&mut self.invalid[i], object)),
                None => {
                    self.invalid.push(object);
                    None
                }
            };
        }
        let key = (
            object.kind.clone(),
            object.namespace.clone().unwrap_or_default(),
            object.name.clone(),
        );
        if let Some(&i) = self.by_key.get(&key) {
            return Some(std::mem::replace(&mut self.objects[i], object));
        }
        let i = self.objects.len();
        self.by_kind.entry(key.0.clone()).or_default().push(i);
        self.by_kind_namespace
            .entry((key.0.clone(), key.1.clone()))
            .or_default()
            .push(i);
        self.by_key.insert(key, i);
        self.objects.push(object);
        None
    }

    /// Removes the object of `kind` named `name` in `namespace` (empty for cluster-scoped), a
    /// watch's DELETED event; returns it. The last object takes its place, so the cost is that
    /// of the two objects' index entries (linear in the objects of their kinds, not of the
    /// inventory).
    pub fn remove(&mut self, kind: &str, namespace: &str, name: &str) -> Option<Object> {
        let key = (kind.to_string(), namespace.to_string(), name.to_string());
        let i = self.by_key.remove(&key)?;
        let last = self.objects.len() - 1;
        let unindex = |v: &mut Vec<usize>, at: usize| {
            if let Some(p) = v.iter().position(|&x| x == at) {
                v.remove(p);
            }
        };
        if let Some(v) = self.by_kind.get_mut(kind) {
            unindex(v, i);
            if v.is_empty() {
                self.by_kind.remove(kind);
            }
        }
        let kn = (key.0, key.1);
        if let Some(v) = self.by_kind_namespace.get_mut(&kn) {
            unindex(v, i);
            if v.is_empty() {
                self.by_kind_namespace.remove(&kn);
            }
        }
        let removed = self.objects.swap_remove(i);
        if i != last {
            // The object that was last now lives at `i`: point its index entries there.
            let moved = &self.objects[i];
            let ns = moved.namespace.clone().unwrap_or_default();
            let renumber = |v: &mut Vec<usize>| {
                if let Some(x) = v.iter_mut().find(|x| **x == last) {
                    *x = i;
                }
            };
            if let Some(v) = self.by_kind.get_mut(&moved.kind) {
                renumber(v);
            }
            if let Some(v) = self
                .by_kind_namespace
                .get_mut(&(moved.kind.clone(), ns.clone()))
            {
                renumber(v);
            }
            if let Some(x) = self
                .by_key
                .get_mut(&(moved.kind.clone(), ns, moved.name.clone()))
                .filter(|x| **x == last)
            {
                *x = i;
            }
        }
        Some(removed)
    }

    /// Number of objects, valid and invalid.
    pub fn len(&self) -> usize {
        self.objects.len() + self.invalid.len()
    }

    /// Whether there are no objects, valid or invalid.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty() && self.invalid.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::{ClusterRef, Object};

    fn object(kind: &str, ns: Option<&str>, name: &str, marker: i64) -> Object {
        let mut meta = crate::Map::new();
        meta.insert("name".into(), crate::Value::from(name));
        if let Some(ns) = ns {
            meta.insert("namespace".into(), crate::Value::from(ns));
        }
        let mut v = crate::Map::new();
        v.insert("apiVersion".into(), crate::Value::from("v1"));
        v.insert("kind".into(), crate::Value::from(kind));
        v.insert("metadata".into(), crate::Value::Object(meta));
        v.insert("marker".into(), crate::Value::from(marker));
        let cluster = ClusterRef {
            cluster: "test".into(),
            uid: format!("uid-{name}"),
            resource_version: marker.to_string(),
        };
        Object::from_cluster(crate::Value::Object(v), cluster).expect("an object")
    }

    /// Every index agrees with a fresh build over the same objects.
    fn assert_consistent(inv: &Inventory) {
        let fresh = Inventory::new(inv.objects.clone());
        for o in &fresh.objects {
            let ns = o.namespace.clone().unwrap_or_default();
            let got = inv.get(&o.kind, &ns, &o.name).expect("indexed");
            assert_eq!(got.value, o.value);
            let mut a: Vec<&str> = inv.of_kind(&o.kind).map(|x| x.name.as_str()).collect();
            let mut b: Vec<&str> = fresh.of_kind(&o.kind).map(|x| x.name.as_str()).collect();
            a.sort_unstable();
            b.sort_unstable();
            assert_eq!(a, b);
            let mut a: Vec<&str> = inv
                .in_namespace(&o.kind, &ns)
                .map(|x| x.name.as_str())
                .collect();
            let mut b: Vec<&str> = fresh
                .in_namespace(&o.kind, &ns)
                .map(|x| x.name.as_str())
                .collect();
            a.sort_unstable();
            b.sort_unstable();
            assert_eq!(a, b);
        }
        assert_eq!(inv.by_key.len(), inv.objects.len());
    }

    #[test]
    fn upsert_and_remove_keep_the_indexes_exact() {
        let mut inv = Inventory::new(vec![
            object("Pod", Some("a"), "p1", 1),
            object("Pod", Some("b"), "p2", 1),
            object("Namespace", None, "a", 1),
            object("ServiceAccount", Some("a"), "default", 1),
        ]);
        assert!(inv.upsert(object("Pod", Some("a"), "p3", 1)).is_none());
        let replaced = inv
            .upsert(object("Pod", Some("a"), "p1", 2))
            .expect("replaced");
        assert_eq!(replaced.value.get("marker"), Some(&crate::Value::from(1)));
        assert_eq!(
            inv.get("Pod", "a", "p1")
                .and_then(|o| o.value.get("marker")),
            Some(&crate::Value::from(2))
        );
        assert_consistent(&inv);
        // Remove from the middle (the last object moves), the end, a whole kind.
        assert!(inv.remove("Pod", "b", "p2").is_some());
        assert_consistent(&inv);
        assert!(inv.remove("Pod", "a", "p3").is_some());
        assert!(inv.remove("Namespace", "", "a").is_some());
        assert!(!inv.has_kind("Namespace"));
        assert!(inv.remove("Namespace", "", "a").is_none());
        assert_consistent(&inv);
        assert_eq!(inv.len(), 2);
        assert_eq!(
            inv.get("Pod", "a", "p1")
                .and_then(|o| o.origin.cluster.as_ref())
                .map(|c| c.uid.as_str()),
            Some("uid-p1")
        );
    }

    #[test]
    fn invalid_objects_are_kept_apart_and_never_indexed() {
        let base = object("Pod", Some("a"), "p1", 1);
        let value = |name: crate::Value| {
            let mut v = base.value.clone();
            if let Some(m) = v.get_mut("metadata").and_then(crate::Value::as_object_mut) {
                m.insert("name".into(), name);
            }
            v
        };
        let cluster = ClusterRef {
            cluster: "test".into(),
            uid: "uid-bad".into(),
            resource_version: "1".into(),
        };
        let bad = Object::from_cluster(value(crate::Value::Bool(true)), cluster.clone())
            .expect("an object");
        assert_eq!(bad.name, "true");
        assert!(!bad.invalid.is_empty());
        let mut inv = Inventory::new(vec![object("Pod", Some("a"), "true", 1), bad.clone()]);
        assert_eq!((inv.objects.len(), inv.invalid.len(), inv.len()), (1, 1, 2));
        // The valid Pod named "true" is what a lookup finds; the invalid one is never merged.
        assert_eq!(inv.of_kind("Pod").count(), 1);
        assert!(
            inv.get("Pod", "a", "true")
                .is_some_and(|o| o.invalid.is_empty())
        );
        // Upserting the same invalid cluster object replaces it; nothing is indexed.
        let again = Object::from_cluster(value(crate::Value::from(5)), cluster).expect("object");
        assert!(inv.upsert(again).is_some());
        assert_eq!((inv.objects.len(), inv.invalid.len()), (1, 1));
        assert_eq!(inv.invalid[0].name, "5");
        assert_consistent(&inv);
    }

    #[test]
    fn many_changes_match_a_fresh_build() {
        let mut inv = Inventory::default();
        for round in 0..5_i64 {
            for i in 0..40 {
                let ns = ["a", "b", "c"][i % 3];
                inv.upsert(object(
                    ["Pod", "Service"][i % 2],
                    Some(ns),
                    &format!("o{i}"),
                    round,
                ));
            }
            for i in (round as usize..40).step_by(3) {
                let ns = ["a", "b", "c"][i % 3];
                inv.remove(["Pod", "Service"][i % 2], ns, &format!("o{i}"));
            }
            assert_consistent(&inv);
        }
    }
}
