//! Helpers shared by rules: capability names, image references, host paths.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::pod::{Container, PodTemplate};

/// Normalises a capability name the way the container runtimes do: upper case, without the
/// `CAP_` prefix (`cap_sys_admin` → `SYS_ADMIN`).
pub fn normalize_capability(name: &str) -> String {
    let upper = name.trim().to_ascii_uppercase();
    match upper.strip_prefix("CAP_") {
        Some(rest) => rest.to_string(),
        None => upper,
    }
}

/// The capability names (normalised) in `securityContext.capabilities.<list>` of a container,
/// with their index in the list.
pub fn capabilities<'a>(c: &Container<'a>, list: &str) -> Vec<(usize, String)> {
    c.value
        .field("securityContext")
        .and_then(|s| s.field("capabilities"))
        .and_then(|caps| caps.get(list))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .enumerate()
                .filter_map(|(i, v)| v.as_str().map(|s| (i, normalize_capability(s))))
                .collect()
        })
        .unwrap_or_default()
}

/// A parsed image reference: `[registry/]repository[:tag][@digest]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// Registry host (with port) if the reference names one; Docker Hub otherwise.
    pub registry: Option<&'a str>,
    /// Repository path.
    pub repository: &'a str,
    /// Tag, if any.
    pub tag: Option<&'a str>,
    /// Digest (`sha256:...`), if any.
    pub digest: Option<&'a str>,
}

/// Parses an image reference. The first path component is a registry when it contains a `.`
/// or a `:` or is `localhost` (the Docker rule); a `:` after the last `/` starts the tag, so a
/// registry port (`host:5000/app`) is not mistaken for a tag.
pub fn parse_image(image: &str) -> ImageRef<'_> {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    let last_slash = name.rfind('/');
    let (name, tag) = match name.rfind(':') {
        Some(colon) if last_slash.is_none_or(|s| colon > s) => {
            (&name[..colon], Some(&name[colon + 1..]))
        }
        _ => (name, None),
    };
    let (registry, repository) = match name.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (Some(first), rest)
        }
        _ => (None, name),
    };
    ImageRef {
        registry,
        repository,
        tag: tag.filter(|t| !t.is_empty()),
        digest: digest.filter(|d| !d.is_empty()),
    }
}

/// The `image` of a container, if it is a string.
pub fn image_of<'a>(c: &Container<'a>) -> Option<&'a str> {
    c.value.field("image").and_then(Value::as_str)
}

/// The volumes of a pod template with their index.
pub fn volumes<'a>(t: &PodTemplate<'a>) -> impl Iterator<Item = (usize, &'a Value)> + 'a {
    t.spec
        .field("volumes")
        .and_then(Value::as_array)
        .map(|a| a.as_slice())
        .unwrap_or(&[])
        .iter()
        .enumerate()
}

/// Normalises a host path for comparison: collapses repeated `/`, removes `.` segments and a
/// trailing `/` (`//etc/` → `/etc`). `..` segments are resolved lexically.
pub fn normalize_host_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("/{}", parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_names() {
        assert_eq!(normalize_capability("cap_sys_admin"), "SYS_ADMIN");
        assert_eq!(normalize_capability("NET_RAW"), "NET_RAW");
        assert_eq!(normalize_capability(" all "), "ALL");
    }

    #[test]
    fn images() {
        let r = parse_image("registry.example.com:5000/team/app:1.2@sha256:abc");
        assert_eq!(r.registry, Some("registry.example.com:5000"));
        assert_eq!(r.repository, "team/app");
        assert_eq!(r.tag, Some("1.2"));
        assert_eq!(r.digest, Some("sha256:abc"));
        let r = parse_image("localhost:5000/app");
        assert_eq!((r.registry, r.tag), (Some("localhost:5000"), None));
        let r = parse_image("nginx");
        assert_eq!((r.registry, r.repository, r.tag), (None, "nginx", None));
        let r = parse_image("library/nginx:latest");
        assert_eq!(
            (r.registry, r.repository, r.tag),
            (None, "library/nginx", Some("latest"))
        );
    }

    #[test]
    fn host_paths() {
        assert_eq!(normalize_host_path("//etc/"), "/etc");
        assert_eq!(
            normalize_host_path("/var/run/../run/docker.sock"),
            "/var/run/docker.sock"
        );
        assert_eq!(normalize_host_path("/"), "/");
    }
}
