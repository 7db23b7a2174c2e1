//! JSON pointers (RFC 6901): building them from path segments and walking values with them.

use crate::Value;

/// Appends one reference token to a pointer, escaping `~` and `/`.
pub fn push(pointer: &mut String, token: &str) {
    pointer.push('/');
    pointer.push_str(&escape(token));
}

/// One reference token escaped (`~` as `~0`, `/` as `~1`); borrowed when there is nothing to
/// escape, which is almost always.
pub fn escape(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains(['~', '/']) {
        std::borrow::Cow::Owned(token.replace('~', "~0").replace('/', "~1"))
    } else {
        std::borrow::Cow::Borrowed(token)
    }
}

/// Returns `base` extended by the given tokens.
pub fn join(base: &str, tokens: &[&str]) -> String {
    let mut p = String::with_capacity(base.len() + 32);
    p.push_str(base);
    for t in tokens {
        push(&mut p, t);
    }
    p
}

/// Returns `base` extended by an array index.
pub fn join_index(base: &str, index: usize) -> String {
    format!("{base}/{index}")
}

/// Splits a pointer into unescaped tokens, borrowing those that need no unescaping. The empty
/// pointer has no tokens.
pub fn tokens(pointer: &str) -> impl Iterator<Item = std::borrow::Cow<'_, str>> {
    pointer.split('/').skip(1).map(|t| {
        if t.contains('~') {
            std::borrow::Cow::Owned(t.replace("~1", "/").replace("~0", "~"))
        } else {
            std::borrow::Cow::Borrowed(t)
        }
    })
}

/// The pointer of the parent of `pointer`, or `None` for the root.
pub fn parent(pointer: &str) -> Option<&str> {
    pointer.rfind('/').map(|i| &pointer[..i])
}

/// Resolves a pointer (what `Value::pointer` does), without allocating for tokens that need no
/// unescaping (rules resolve template pointers for every object). Array indexes are written as
/// RFC 6901 writes them: digits, no sign, no leading zero.
pub fn get<'a>(value: &'a Value, pointer: &str) -> Option<&'a Value> {
    if pointer.is_empty() {
        return Some(value);
    }
    let rest = pointer.strip_prefix('/')?;
    let mut cur = value;
    // A plain loop rather than `tokens`: this runs for every rule on every pod template.
    for token in rest.split('/') {
        let owned;
        let token = if token.contains('~') {
            owned = token.replace("~1", "/").replace("~0", "~");
            owned.as_str()
        } else {
            token
        };
        cur = match cur {
            Value::Object(m) => m.get(token)?,
            Value::Array(a) => a.get(index(token)?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// [`get`], mutably.
pub fn get_mut<'a>(value: &'a mut Value, pointer: &str) -> Option<&'a mut Value> {
    if !pointer.is_empty() && !pointer.starts_with('/') {
        return None;
    }
    tokens(pointer).try_fold(value, |cur, token| match cur {
        Value::Object(m) => m.get_mut(&token),
        Value::Array(a) => index(&token).and_then(move |i| a.get_mut(i)),
        _ => None,
    })
}

/// An array index token: digits, no sign, no leading zero.
fn index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.starts_with('0') && token.len() != 1) {
        return None;
    }
    token.parse().ok()
}

/// Walks `value` along `pointer` as far as it exists and returns the longest existing prefix.
/// A finding about a missing field points at its nearest existing parent.
pub fn nearest_existing<'a>(value: &Value, pointer: &'a str) -> &'a str {
    let mut current = pointer;
    loop {
        if get(value, current).is_some() {
            return current;
        }
        match parent(current) {
            Some(p) => current = p,
            None => return "",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn escapes_and_unescapes() {
        let p = join("", &["metadata", "annotations", "a/b~c"]);
        assert_eq!(p, "/metadata/annotations/a~1b~0c");
        assert_eq!(
            tokens(&p).collect::<Vec<_>>(),
            vec!["metadata", "annotations", "a/b~c"]
        );
        assert_eq!(tokens("").count(), 0);
        let v = json!({"metadata": {"annotations": {"a/b~c": "x"}}});
        assert_eq!(v.pointer(&p), Some(&json!("x")));
        assert_eq!(get(&v, &p), Some(&json!("x")));
        assert_eq!(get(&v, ""), Some(&v));
        assert_eq!(get(&v, "/metadata/nope"), None);
    }

    #[test]
    fn nearest_parent_of_missing_field() {
        let v = json!({"spec": {"containers": [{"name": "a", "resources": {}}]}});
        assert_eq!(
            nearest_existing(&v, "/spec/containers/0/resources/limits/cpu"),
            "/spec/containers/0/resources"
        );
        assert_eq!(nearest_existing(&v, "/status/x"), "");
    }
}
